-- Instruments administered to patients, crisis alerts they raise, and placement decisions.
-- JSON values (answers, flags, placement input) are TEXT in both dialects, written by Rust.

CREATE TABLE assessments (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    episode_id UUID REFERENCES episodes (id),
    code TEXT NOT NULL,
    answers TEXT NOT NULL,
    sex TEXT,
    total INTEGER NOT NULL,
    band TEXT NOT NULL,
    flags TEXT NOT NULL,
    administered_by UUID NOT NULL REFERENCES users (id),
    administered_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX assessments_by_patient ON assessments (patient_id, administered_at);

CREATE TABLE alerts (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    assessment_id UUID REFERENCES assessments (id),
    kind TEXT NOT NULL CHECK (kind IN ('crisis')),
    flags TEXT NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    acknowledged_by UUID REFERENCES users (id),
    acknowledged_at TIMESTAMPTZ,
    action TEXT,
    note TEXT
);
CREATE INDEX alerts_by_patient ON alerts (patient_id, raised_at);
CREATE INDEX alerts_open ON alerts (organization_id, acknowledged_at);

CREATE TABLE placements (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    episode_id UUID NOT NULL REFERENCES episodes (id),
    input TEXT NOT NULL,
    recommended_level TEXT NOT NULL,
    reasons TEXT NOT NULL,
    supports TEXT NOT NULL,
    policy_edition TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    decided_level TEXT NOT NULL,
    override_reason TEXT,
    decided_by UUID NOT NULL REFERENCES users (id),
    decided_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX placements_by_episode ON placements (episode_id, decided_at);
