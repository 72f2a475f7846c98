-- Idempotency keys: a POST to the API repeated with the same `Idempotency-Key` (by the same
-- credential) is answered with the first answer, on whichever instance it lands. A row with
-- no status is a request still in flight. Keys are forgotten after a day.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    body TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Scheduled jobs, shared by every instance: an instance claims a due job with a lease; each
-- occurrence runs once (job_runs' key), whichever instance ran it.
CREATE TABLE jobs (
    name TEXT PRIMARY KEY,
    every_seconds INTEGER NOT NULL,
    next_run_at TIMESTAMPTZ NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMPTZ
);

CREATE TABLE job_runs (
    job TEXT NOT NULL REFERENCES jobs (name),
    scheduled_for TIMESTAMPTZ NOT NULL,
    instance TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (job, scheduled_for)
);
