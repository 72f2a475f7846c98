-- The two emergency paths, each queued for an admin's review: broken glass (a clinician
-- outside the care team opens a chart for a few hours after stating the emergency) and 2.51
-- medical-emergency disclosures to outside medical personnel.
CREATE TABLE emergency_access (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    user_id UUID NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    reviewed_by UUID REFERENCES users (id),
    reviewed_at TIMESTAMPTZ,
    review_note TEXT
);
CREATE INDEX emergency_access_open ON emergency_access (user_id, patient_id, expires_at);
CREATE INDEX emergency_access_review ON emergency_access (organization_id, reviewed_at);

CREATE TABLE emergency_disclosures (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    disclosed_by UUID NOT NULL REFERENCES users (id),
    disclosed_at TIMESTAMPTZ NOT NULL,
    recipient_name TEXT NOT NULL,
    recipient_facility TEXT NOT NULL,
    nature_of_emergency TEXT NOT NULL,
    information TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    reviewed_by UUID REFERENCES users (id),
    reviewed_at TIMESTAMPTZ,
    review_note TEXT
);
CREATE INDEX emergency_disclosures_by_patient ON emergency_disclosures (organization_id, patient_id, disclosed_at);
CREATE INDEX emergency_disclosures_review ON emergency_disclosures (organization_id, reviewed_at);
