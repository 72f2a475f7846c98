-- Treatment plans, versioned per episode. A version nobody has signed is a draft its author
-- edits in place; a version with any signature is never changed again except to add the
-- remaining signatures (each UPDATE is guarded), and editing starts the next version. The
-- version signed by everyone required is in force; its review falls due on review_due_on.
CREATE TABLE treatment_plans (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    episode_id BLOB NOT NULL REFERENCES episodes (id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    clinician_signed_by BLOB REFERENCES users (id),
    clinician_signed_at INTEGER,
    patient_signature TEXT,
    patient_signed_by BLOB REFERENCES users (id),
    patient_signed_at INTEGER,
    cosigner_id BLOB REFERENCES users (id),
    cosigned_at INTEGER,
    review_due_on TEXT,
    UNIQUE (episode_id, version)
);
CREATE INDEX treatment_plans_by_patient ON treatment_plans (organization_id, patient_id, episode_id);
CREATE INDEX treatment_plans_review ON treatment_plans (organization_id, review_due_on);
