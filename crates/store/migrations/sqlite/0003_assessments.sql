-- Instruments administered to patients, crisis alerts they raise, and placement decisions.
-- JSON values (answers, flags, placement input) are TEXT in both dialects, written by Rust.

CREATE TABLE assessments (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    episode_id BLOB REFERENCES episodes (id),
    code TEXT NOT NULL,
    answers TEXT NOT NULL,
    sex TEXT,
    total INTEGER NOT NULL,
    band TEXT NOT NULL,
    flags TEXT NOT NULL,
    administered_by BLOB NOT NULL REFERENCES users (id),
    administered_at INTEGER NOT NULL
);
CREATE INDEX assessments_by_patient ON assessments (patient_id, administered_at);

CREATE TABLE alerts (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    assessment_id BLOB REFERENCES assessments (id),
    kind TEXT NOT NULL CHECK (kind IN ('crisis')),
    flags TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    acknowledged_by BLOB REFERENCES users (id),
    acknowledged_at INTEGER,
    action TEXT,
    note TEXT
);
CREATE INDEX alerts_by_patient ON alerts (patient_id, raised_at);
CREATE INDEX alerts_open ON alerts (organization_id, acknowledged_at);

CREATE TABLE placements (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    episode_id BLOB NOT NULL REFERENCES episodes (id),
    input TEXT NOT NULL,
    recommended_level TEXT NOT NULL,
    reasons TEXT NOT NULL,
    supports TEXT NOT NULL,
    policy_edition TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    decided_level TEXT NOT NULL,
    override_reason TEXT,
    decided_by BLOB NOT NULL REFERENCES users (id),
    decided_at INTEGER NOT NULL
);
CREATE INDEX placements_by_episode ON placements (episode_id, decided_at);
