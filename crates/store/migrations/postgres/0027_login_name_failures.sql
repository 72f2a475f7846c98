-- Failed logins counted per submitted username whether or not an account has it, so an
-- unknown name reaches the same lockout (429) after the same tries as a real one: lockout no
-- longer tells which usernames exist. The name is kept only as its SHA-256.
CREATE TABLE login_name_failures (
    name_hash TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
