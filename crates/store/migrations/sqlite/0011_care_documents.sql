-- Versioned care documents of a patient (the safety plan, the relapse-prevention plan):
-- every save is a new version; the highest version is the current one.
CREATE TABLE care_documents (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    kind TEXT NOT NULL CHECK (kind IN ('safety_plan', 'relapse_prevention')),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL,
    UNIQUE (patient_id, kind, version)
);
