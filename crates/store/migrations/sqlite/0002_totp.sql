-- Multi-factor authentication: a TOTP secret per user (hex), enabled once confirmed, and the
-- last accepted time step (a code is never accepted twice).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
