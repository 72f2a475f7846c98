-- Written consents to disclose under 42 CFR Part 2 (every element of 2.31 in body, checked
-- before saving). Revocation ends future disclosures and keeps the consent and what was
-- disclosed under it.
CREATE TABLE part2_consents (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    kind TEXT NOT NULL CHECK (kind IN ('tpo', 'specific', 'sud_counseling_notes', 'legal_proceedings')),
    body TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    expires_on TEXT,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL,
    revoked_on TEXT,
    revoked_by BLOB REFERENCES users (id),
    revocation_note TEXT
);
CREATE INDEX part2_consents_by_patient ON part2_consents (organization_id, patient_id, signed_on);
