-- Inquiries from the public "get help" form, their attachments (content in the file store,
-- only metadata here) and the admissions pipeline's stage history.

CREATE TABLE inquiries (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    received_at TIMESTAMPTZ NOT NULL,
    name TEXT,
    contact TEXT NOT NULL,
    contact_method TEXT,
    safe_times TEXT,
    for_whom TEXT,
    substances TEXT,
    wants TEXT,
    message TEXT,
    stage TEXT NOT NULL,
    stage_since TIMESTAMPTZ NOT NULL,
    owner_id UUID REFERENCES users (id),
    next_step TEXT,
    due_on DATE,
    evaluation_at TIMESTAMPTZ,
    evaluation_staff_id UUID REFERENCES users (id),
    first_contact_at TIMESTAMPTZ,
    evaluated_at TIMESTAMPTZ,
    patient_id UUID REFERENCES patients (id),
    episode_id UUID REFERENCES episodes (id)
);
CREATE INDEX inquiries_by_stage ON inquiries (organization_id, stage, received_at);

CREATE TABLE inquiry_attachments (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    inquiry_id UUID NOT NULL REFERENCES inquiries (id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL
);
CREATE INDEX inquiry_attachments_by_inquiry ON inquiry_attachments (inquiry_id);

CREATE TABLE inquiry_moves (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    inquiry_id UUID NOT NULL REFERENCES inquiries (id),
    at TIMESTAMPTZ NOT NULL,
    by_user UUID REFERENCES users (id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    note TEXT
);
CREATE INDEX inquiry_moves_by_inquiry ON inquiry_moves (inquiry_id, at);
