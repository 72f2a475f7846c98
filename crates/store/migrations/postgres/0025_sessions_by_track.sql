-- A report finds each track's sessions of a week directly.
CREATE INDEX sessions_by_track ON sessions (track_id, starts_at);
