-- NIST SP 800-63B-4: a password that is the only factor needs at least 15 characters. An
-- account whose password is shorter and has no second factor is asked, at its next login,
-- to change it: only the password change (and logging out) answers until it does.
ALTER TABLE users ADD COLUMN password_change_required BOOLEAN NOT NULL DEFAULT FALSE;
