-- Multi-factor authentication enforced per organization, and single-use recovery codes
-- (stored as SHA-256; shown once when the factor is enabled).
ALTER TABLE organizations ADD COLUMN mfa_required BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE mfa_recovery_codes (
    user_id BLOB NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
);
