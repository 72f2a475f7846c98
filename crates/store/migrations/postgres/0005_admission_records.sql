-- Admission paperwork, medical evaluations, coded diagnoses, and patient merges.

-- A merged duplicate keeps its row (and every audit event naming it) and points to the
-- record it was merged into.
ALTER TABLE patients ADD COLUMN merged_into UUID REFERENCES patients (id);

CREATE TABLE consents (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    episode_id UUID REFERENCES episodes (id),
    kind TEXT NOT NULL CHECK (kind IN ('treatment_consent', 'patient_rights', 'confidentiality_notice')),
    acknowledged_on DATE NOT NULL,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_by_patient ON consents (patient_id, acknowledged_on);

CREATE TABLE medical_evaluations (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    episode_id UUID REFERENCES episodes (id),
    evaluated_at TIMESTAMPTZ NOT NULL,
    clinician_id UUID NOT NULL REFERENCES users (id),
    systolic INTEGER,
    diastolic INTEGER,
    pulse INTEGER,
    respiration INTEGER,
    temperature_c DOUBLE PRECISION,
    spo2 INTEGER,
    weight_kg DOUBLE PRECISION,
    medical_history TEXT,
    current_medications TEXT,
    allergies TEXT,
    pregnancy TEXT NOT NULL CHECK (pregnancy IN ('not_applicable', 'no', 'yes', 'unknown')),
    withdrawal_assessment_id UUID REFERENCES assessments (id),
    medically_cleared BOOLEAN NOT NULL,
    notes TEXT
);
CREATE INDEX medical_evaluations_by_patient ON medical_evaluations (patient_id, evaluated_at);

CREATE TABLE diagnoses (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    episode_id UUID NOT NULL REFERENCES episodes (id),
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    is_primary BOOLEAN NOT NULL,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX diagnoses_by_episode ON diagnoses (episode_id);
