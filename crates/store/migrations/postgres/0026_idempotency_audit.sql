-- A replayed answer is audited like the original: the patients the original named, with its
-- action and resource, as JSON. Answers that carry secrets (tokens, TOTP secrets, recovery
-- codes, calendar-feed links) are no longer kept: the keys kept so far are forgotten, with
-- whatever secrets their answers held.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys ADD COLUMN audit TEXT;
