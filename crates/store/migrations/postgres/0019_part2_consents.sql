-- Written consents to disclose under 42 CFR Part 2 (every element of 2.31 in body, checked
-- before saving). Revocation ends future disclosures and keeps the consent and what was
-- disclosed under it.
CREATE TABLE part2_consents (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    kind TEXT NOT NULL CHECK (kind IN ('tpo', 'specific', 'sud_counseling_notes', 'legal_proceedings')),
    body TEXT NOT NULL,
    signed_on DATE NOT NULL,
    expires_on DATE,
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL,
    revoked_on DATE,
    revoked_by UUID REFERENCES users (id),
    revocation_note TEXT
);
CREATE INDEX part2_consents_by_patient ON part2_consents (organization_id, patient_id, signed_on);
