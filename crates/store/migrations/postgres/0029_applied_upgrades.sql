-- Upgrades of stored data that SQL cannot do alone (they run in Rust at start, once):
-- `name_key_nfkc` re-keys patients' names with NFKC and without invisible characters.
CREATE TABLE applied_upgrades (
    name TEXT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL
);
