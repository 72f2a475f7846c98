-- Admission paperwork, medical evaluations, coded diagnoses, and patient merges.

-- A merged duplicate keeps its row (and every audit event naming it) and points to the
-- record it was merged into.
ALTER TABLE patients ADD COLUMN merged_into BLOB REFERENCES patients (id);

CREATE TABLE consents (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    episode_id BLOB REFERENCES episodes (id),
    kind TEXT NOT NULL CHECK (kind IN ('treatment_consent', 'patient_rights', 'confidentiality_notice')),
    acknowledged_on TEXT NOT NULL,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX consents_by_patient ON consents (patient_id, acknowledged_on);

CREATE TABLE medical_evaluations (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    episode_id BLOB REFERENCES episodes (id),
    evaluated_at INTEGER NOT NULL,
    clinician_id BLOB NOT NULL REFERENCES users (id),
    systolic INTEGER,
    diastolic INTEGER,
    pulse INTEGER,
    respiration INTEGER,
    temperature_c REAL,
    spo2 INTEGER,
    weight_kg REAL,
    medical_history TEXT,
    current_medications TEXT,
    allergies TEXT,
    pregnancy TEXT NOT NULL CHECK (pregnancy IN ('not_applicable', 'no', 'yes', 'unknown')),
    withdrawal_assessment_id BLOB REFERENCES assessments (id),
    medically_cleared BOOLEAN NOT NULL,
    notes TEXT
);
CREATE INDEX medical_evaluations_by_patient ON medical_evaluations (patient_id, evaluated_at);

CREATE TABLE diagnoses (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    episode_id BLOB NOT NULL REFERENCES episodes (id),
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    is_primary BOOLEAN NOT NULL,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX diagnoses_by_episode ON diagnoses (episode_id);
