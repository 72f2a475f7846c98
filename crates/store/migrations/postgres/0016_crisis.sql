-- Crisis events, the placement reviews they open (closed by the next placement decision on the
-- episode), and in-app notifications to the care team.
CREATE TABLE placement_reviews (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    episode_id UUID NOT NULL REFERENCES episodes (id),
    reason TEXT NOT NULL,
    opened_by UUID NOT NULL REFERENCES users (id),
    opened_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    closed_by UUID REFERENCES users (id),
    outcome TEXT
);
CREATE INDEX placement_reviews_open ON placement_reviews (organization_id, closed_at, episode_id);

CREATE TABLE crisis_events (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    occurred_at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'moderate', 'high', 'imminent')),
    description TEXT NOT NULL,
    actions_taken TEXT NOT NULL,
    alert_id UUID REFERENCES alerts (id),
    placement_review_id UUID REFERENCES placement_reviews (id),
    recorded_by UUID NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    resolved_by UUID REFERENCES users (id),
    resolution TEXT
);
CREATE INDEX crisis_events_by_patient ON crisis_events (organization_id, patient_id, occurred_at);

CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    user_id UUID NOT NULL REFERENCES users (id),
    patient_id UUID REFERENCES patients (id),
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ
);
CREATE INDEX notifications_by_user ON notifications (organization_id, user_id, read_at, created_at);
