-- Weekly recurring sessions, expanded into dated sessions in the site's time zone.
CREATE TABLE session_templates (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    track_id UUID NOT NULL REFERENCES tracks (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 720),
    capacity INTEGER NOT NULL,
    facilitator_id UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE sessions ADD COLUMN template_id UUID REFERENCES session_templates (id);
CREATE UNIQUE INDEX sessions_by_template ON sessions (template_id, starts_at);
