-- OpenIOP foundation schema, PostgreSQL dialect.
-- Ids are UUIDv7 (uuid); instants are timestamptz (microseconds); dates are date.
-- Sort keys use the "C" collation so that ordering and paging match SQLite byte order.

CREATE TABLE organizations (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sites (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (organization_id, name)
);

CREATE TABLE programs (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    site_id UUID NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE tracks (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    program_id UUID NOT NULL REFERENCES programs (id),
    site_id UUID NOT NULL REFERENCES sites (id),
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('op', 'iop', 'php')),
    target_minutes INTEGER NOT NULL CHECK (target_minutes > 0),
    min_days INTEGER NOT NULL CHECK (min_days BETWEEN 1 AND 7),
    age_group TEXT NOT NULL CHECK (age_group IN ('adult', 'adolescent')),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (site_id, name)
);

CREATE TABLE patients (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    birth_date DATE NOT NULL,
    preferred_name TEXT,
    pronouns TEXT,
    phone TEXT,
    email TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX patients_by_name ON patients (organization_id, name_key, id);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'case_manager', 'front_desk', 'billing', 'patient')),
    patient_id UUID REFERENCES patients (id),
    active BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE episodes (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    track_id UUID NOT NULL REFERENCES tracks (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'discharged')),
    admitted_on DATE NOT NULL,
    discharged_on DATE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX episodes_by_patient ON episodes (patient_id, admitted_on);

CREATE TABLE care_team_members (
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    user_id UUID NOT NULL REFERENCES users (id),
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (patient_id, user_id)
);
CREATE INDEX care_team_by_user ON care_team_members (user_id, patient_id);

CREATE TABLE auth_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id);

CREATE TABLE login_throttle (
    address TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL
);

CREATE TABLE audit_chains (
    chain INTEGER PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);

CREATE TABLE audit_events (
    id UUID PRIMARY KEY,
    chain INTEGER NOT NULL REFERENCES audit_chains (chain),
    seq BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    organization_id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_user_id UUID,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    patient_id UUID,
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
SELECT c, 0, '0000000000000000000000000000000000000000000000000000000000000000'
FROM generate_series(0, 15) AS c;
