-- Inquiries from the public "get help" form, their attachments (content in the file store,
-- only metadata here) and the admissions pipeline's stage history.

CREATE TABLE inquiries (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    received_at INTEGER NOT NULL,
    name TEXT,
    contact TEXT NOT NULL,
    contact_method TEXT,
    safe_times TEXT,
    for_whom TEXT,
    substances TEXT,
    wants TEXT,
    message TEXT,
    stage TEXT NOT NULL,
    stage_since INTEGER NOT NULL,
    owner_id BLOB REFERENCES users (id),
    next_step TEXT,
    due_on TEXT,
    evaluation_at INTEGER,
    evaluation_staff_id BLOB REFERENCES users (id),
    first_contact_at INTEGER,
    evaluated_at INTEGER,
    patient_id BLOB REFERENCES patients (id),
    episode_id BLOB REFERENCES episodes (id)
);
CREATE INDEX inquiries_by_stage ON inquiries (organization_id, stage, received_at);

CREATE TABLE inquiry_attachments (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    inquiry_id BLOB NOT NULL REFERENCES inquiries (id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL
);
CREATE INDEX inquiry_attachments_by_inquiry ON inquiry_attachments (inquiry_id);

CREATE TABLE inquiry_moves (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    inquiry_id BLOB NOT NULL REFERENCES inquiries (id),
    at INTEGER NOT NULL,
    by_user BLOB REFERENCES users (id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    note TEXT
);
CREATE INDEX inquiry_moves_by_inquiry ON inquiry_moves (inquiry_id, at);
