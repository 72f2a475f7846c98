-- Progress notes. A note is a draft until its author signs it; a signed note is never
-- changed again (every UPDATE is guarded by `signed_at IS NULL`): corrections are addenda.
-- Group notes are written once per session and, when signed, copied into one note per
-- attendee (kind 'group'). SUD counseling notes (kind 'sud_counseling') live in the same
-- table but are read only through their own routes, by their author and named readers.

ALTER TABLE users ADD COLUMN supervisor_id UUID REFERENCES users (id);

CREATE TABLE counseling_note_readers (
    organization_id UUID NOT NULL REFERENCES organizations (id),
    user_id UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (organization_id, user_id)
);

CREATE TABLE group_notes (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    session_id UUID NOT NULL UNIQUE REFERENCES sessions (id),
    author_id UUID NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    signed_at TIMESTAMPTZ
);

CREATE TABLE notes (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    session_id UUID REFERENCES sessions (id),
    group_note_id UUID REFERENCES group_notes (id),
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'family', 'group', 'sud_counseling')),
    format TEXT NOT NULL CHECK (format IN ('dap', 'soap', 'birp', 'group', 'process')),
    sections TEXT NOT NULL,
    service_start TIMESTAMPTZ NOT NULL,
    service_end TIMESTAMPTZ NOT NULL,
    author_id UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    signed_at TIMESTAMPTZ,
    cosigner_id UUID REFERENCES users (id),
    cosigned_at TIMESTAMPTZ
);
CREATE INDEX notes_by_patient ON notes (organization_id, patient_id, service_start);
CREATE INDEX notes_by_session ON notes (organization_id, session_id);
CREATE INDEX notes_unsigned ON notes (organization_id, signed_at, service_end);

CREATE TABLE note_addenda (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    note_id UUID NOT NULL REFERENCES notes (id),
    author_id UUID NOT NULL REFERENCES users (id),
    text TEXT NOT NULL,
    written_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX note_addenda_by_note ON note_addenda (organization_id, note_id, written_at);
