-- Crisis events, the placement reviews they open (closed by the next placement decision on the
-- episode), and in-app notifications to the care team.
CREATE TABLE placement_reviews (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    episode_id BLOB NOT NULL REFERENCES episodes (id),
    reason TEXT NOT NULL,
    opened_by BLOB NOT NULL REFERENCES users (id),
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    closed_by BLOB REFERENCES users (id),
    outcome TEXT
);
CREATE INDEX placement_reviews_open ON placement_reviews (organization_id, closed_at, episode_id);

CREATE TABLE crisis_events (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    occurred_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'moderate', 'high', 'imminent')),
    description TEXT NOT NULL,
    actions_taken TEXT NOT NULL,
    alert_id BLOB REFERENCES alerts (id),
    placement_review_id BLOB REFERENCES placement_reviews (id),
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by BLOB REFERENCES users (id),
    resolution TEXT
);
CREATE INDEX crisis_events_by_patient ON crisis_events (organization_id, patient_id, occurred_at);

CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    patient_id BLOB REFERENCES patients (id),
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_by_user ON notifications (organization_id, user_id, read_at, created_at);
