-- OpenIOP foundation schema, SQLite dialect.
-- Ids are UUIDv7 stored as 16-byte BLOBs; instants are INTEGER microseconds since the Unix
-- epoch, UTC (they sort and compare as numbers); dates are TEXT 'YYYY-MM-DD'.

CREATE TABLE organizations (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sites (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (organization_id, name)
);

CREATE TABLE programs (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    site_id BLOB NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE tracks (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    program_id BLOB NOT NULL REFERENCES programs (id),
    site_id BLOB NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('op', 'iop', 'php')),
    target_minutes INTEGER NOT NULL CHECK (target_minutes > 0),
    min_days INTEGER NOT NULL CHECK (min_days BETWEEN 1 AND 7),
    age_group TEXT NOT NULL CHECK (age_group IN ('adult', 'adolescent')),
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE patients (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    preferred_name TEXT,
    pronouns TEXT,
    phone TEXT,
    email TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX patients_by_name ON patients (organization_id, name_key, id);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'case_manager', 'front_desk', 'billing', 'patient')),
    patient_id BLOB REFERENCES patients (id),
    active BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE episodes (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    track_id BLOB NOT NULL REFERENCES tracks (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'discharged')),
    admitted_on TEXT NOT NULL,
    discharged_on TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX episodes_by_patient ON episodes (patient_id, admitted_on);

CREATE TABLE care_team_members (
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (patient_id, user_id)
);
CREATE INDEX care_team_by_user ON care_team_members (user_id, patient_id);

CREATE TABLE auth_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id);

CREATE TABLE login_throttle (
    address TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    attempts INTEGER NOT NULL
);

CREATE TABLE audit_chains (
    chain INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);

CREATE TABLE audit_events (
    id BLOB PRIMARY KEY,
    chain INTEGER NOT NULL REFERENCES audit_chains (chain),
    seq INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    organization_id BLOB NOT NULL,
    at INTEGER NOT NULL,
    actor_user_id BLOB,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    patient_id BLOB,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    client_addr TEXT NOT NULL,
    detail TEXT NOT NULL,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_by_time ON audit_events (organization_id, at);
CREATE INDEX audit_by_patient ON audit_events (patient_id, at);
CREATE INDEX audit_by_actor ON audit_events (actor_user_id, at);

INSERT INTO audit_chains (chain, last_seq, last_hash)
WITH RECURSIVE n(c) AS (SELECT 0 UNION ALL SELECT c + 1 FROM n WHERE c < 15)
SELECT c, 0, '0000000000000000000000000000000000000000000000000000000000000000' FROM n;
