-- Disclosures made with a Part 2 consent: what went to whom, why, under which consent; listed
-- in the patient's accounting of disclosures (with the 2.51 emergency disclosures).
CREATE TABLE disclosures (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    consent_id UUID NOT NULL REFERENCES part2_consents (id),
    recipient TEXT NOT NULL,
    purpose TEXT NOT NULL,
    parts TEXT NOT NULL,
    disclosed_by UUID NOT NULL REFERENCES users (id),
    disclosed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX disclosures_by_patient ON disclosures (organization_id, patient_id, disclosed_at);
