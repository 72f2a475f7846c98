-- The two emergency paths, each queued for an admin's review: broken glass (a clinician
-- outside the care team opens a chart for a few hours after stating the emergency) and 2.51
-- medical-emergency disclosures to outside medical personnel.
CREATE TABLE emergency_access (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    reviewed_by BLOB REFERENCES users (id),
    reviewed_at INTEGER,
    review_note TEXT
);
CREATE INDEX emergency_access_open ON emergency_access (user_id, patient_id, expires_at);
CREATE INDEX emergency_access_review ON emergency_access (organization_id, reviewed_at);

CREATE TABLE emergency_disclosures (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    disclosed_by BLOB NOT NULL REFERENCES users (id),
    disclosed_at INTEGER NOT NULL,
    recipient_name TEXT NOT NULL,
    recipient_facility TEXT NOT NULL,
    nature_of_emergency TEXT NOT NULL,
    information TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    reviewed_by BLOB REFERENCES users (id),
    reviewed_at INTEGER,
    review_note TEXT
);
CREATE INDEX emergency_disclosures_by_patient ON emergency_disclosures (organization_id, patient_id, disclosed_at);
CREATE INDEX emergency_disclosures_review ON emergency_disclosures (organization_id, reviewed_at);
