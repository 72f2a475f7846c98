-- A patient's requests to amend their record (HIPAA 164.526): answered within 60 days by a
-- clinician; a denial gives its basis, and the patient's statement of disagreement is kept.
CREATE TABLE amendment_requests (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    information TEXT NOT NULL,
    requested_change TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_by BLOB NOT NULL REFERENCES users (id),
    requested_at INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'denied')),
    basis TEXT,
    decision_note TEXT,
    decided_by BLOB REFERENCES users (id),
    decided_at INTEGER,
    disagreement TEXT,
    disagreement_at INTEGER
);
CREATE INDEX amendment_requests_by_patient ON amendment_requests (organization_id, patient_id, requested_at);
CREATE INDEX amendment_requests_pending ON amendment_requests (organization_id, status, due_on);

-- The people around a patient, each with a role (guardian, emergency contact, family,
-- support). A contact is not a user: nobody here reads the record through a contact, and
-- information reaches one only through a disclosure under a Part 2 consent naming them.
CREATE TABLE patient_contacts (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('guardian', 'emergency', 'family', 'support')),
    relationship TEXT,
    phone TEXT,
    email TEXT,
    added_by BLOB NOT NULL REFERENCES users (id),
    added_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE INDEX patient_contacts_by_patient ON patient_contacts (organization_id, patient_id);

-- Suspected breaches of unsecured patient information (HIPAA 164.400-414, which the 2024
-- Part 2 rule applies): what happened, the window and the account involved, the patients
-- the audit trail shows were reached, the risk assessment, and the letters sent.
CREATE TABLE breaches (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    description TEXT NOT NULL,
    discovered_on TEXT NOT NULL,
    window_from INTEGER NOT NULL,
    window_to INTEGER NOT NULL,
    actor_user_id BLOB REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('suspected', 'confirmed', 'not_a_breach')),
    assessment TEXT,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL,
    decided_by BLOB REFERENCES users (id),
    decided_at INTEGER
);
CREATE INDEX breaches_by_org ON breaches (organization_id, discovered_on);

CREATE TABLE breach_patients (
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    breach_id BLOB NOT NULL REFERENCES breaches (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    accesses INTEGER NOT NULL,
    notified_at INTEGER,
    PRIMARY KEY (breach_id, patient_id)
);
CREATE INDEX breach_patients_by_patient ON breach_patients (organization_id, patient_id);
