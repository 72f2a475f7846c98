-- Progress notes. A note is a draft until its author signs it; a signed note is never
-- changed again (every UPDATE is guarded by `signed_at IS NULL`): corrections are addenda.
-- Group notes are written once per session and, when signed, copied into one note per
-- attendee (kind 'group'). SUD counseling notes (kind 'sud_counseling') live in the same
-- table but are read only through their own routes, by their author and named readers.

ALTER TABLE users ADD COLUMN supervisor_id BLOB REFERENCES users (id);

CREATE TABLE counseling_note_readers (
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    PRIMARY KEY (organization_id, user_id)
);

CREATE TABLE group_notes (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    session_id BLOB NOT NULL UNIQUE REFERENCES sessions (id),
    author_id BLOB NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    signed_at INTEGER
);

CREATE TABLE notes (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    session_id BLOB REFERENCES sessions (id),
    group_note_id BLOB REFERENCES group_notes (id),
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'family', 'group', 'sud_counseling')),
    format TEXT NOT NULL CHECK (format IN ('dap', 'soap', 'birp', 'group', 'process')),
    sections TEXT NOT NULL,
    service_start INTEGER NOT NULL,
    service_end INTEGER NOT NULL,
    author_id BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    signed_at INTEGER,
    cosigner_id BLOB REFERENCES users (id),
    cosigned_at INTEGER
);
CREATE INDEX notes_by_patient ON notes (organization_id, patient_id, service_start);
CREATE INDEX notes_by_session ON notes (organization_id, session_id);
CREATE INDEX notes_unsigned ON notes (organization_id, signed_at, service_end);

CREATE TABLE note_addenda (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    note_id BLOB NOT NULL REFERENCES notes (id),
    author_id BLOB NOT NULL REFERENCES users (id),
    text TEXT NOT NULL,
    written_at INTEGER NOT NULL
);
CREATE INDEX note_addenda_by_note ON note_addenda (organization_id, note_id, written_at);
