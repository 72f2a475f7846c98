-- Rooms, the rest of a session's facts (room, modality, topic, video link, self check-in code),
-- absence reasons, each patient's weekly availability, per-episode intensity plans, the
-- psychoeducation curriculum and secret calendar feeds.

CREATE TABLE rooms (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    site_id BLOB NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, name)
);

ALTER TABLE sessions ADD COLUMN room_id BLOB REFERENCES rooms (id);
ALTER TABLE sessions ADD COLUMN modality TEXT;
ALTER TABLE sessions ADD COLUMN topic TEXT;
ALTER TABLE sessions ADD COLUMN video_url TEXT;
ALTER TABLE sessions ADD COLUMN checkin_code TEXT;
CREATE INDEX sessions_by_room ON sessions (room_id, starts_at);
CREATE INDEX sessions_by_code ON sessions (organization_id, checkin_code);

ALTER TABLE session_templates ADD COLUMN room_id BLOB REFERENCES rooms (id);
ALTER TABLE session_templates ADD COLUMN modality TEXT;
ALTER TABLE session_templates ADD COLUMN topic TEXT;
ALTER TABLE session_templates ADD COLUMN video_url TEXT;

ALTER TABLE attendance_marks ADD COLUMN absence_reason TEXT;

CREATE TABLE availability_windows (
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1439),
    PRIMARY KEY (patient_id, weekday, start_minute)
);

-- Every saved plan is kept; the newest of an episode is the current one.
CREATE TABLE intensity_plans (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    episode_id BLOB NOT NULL REFERENCES episodes (id),
    phases TEXT NOT NULL,
    floor_reason TEXT,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX intensity_plans_by_episode ON intensity_plans (episode_id, recorded_at);

CREATE TABLE curriculum_topics (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    phase TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    UNIQUE (organization_id, phase, position)
);

-- A feed's secret is stored only as its SHA-256; revoking sets revoked_at.
CREATE TABLE calendar_feeds (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    token_hash TEXT NOT NULL UNIQUE,
    patient_id BLOB REFERENCES patients (id),
    user_id BLOB REFERENCES users (id),
    full_titles BOOLEAN NOT NULL,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
