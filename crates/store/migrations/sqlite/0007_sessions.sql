-- Dated sessions, who is enrolled, and attendance marks (every correction is a new row; the
-- newest mark of a patient in a session is the current one).

CREATE TABLE sessions (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    track_id BLOB NOT NULL REFERENCES tracks (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    facilitator_id BLOB REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_time ON sessions (organization_id, starts_at);
CREATE INDEX sessions_by_facilitator ON sessions (facilitator_id, starts_at);

CREATE TABLE session_enrollments (
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    session_id BLOB NOT NULL REFERENCES sessions (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    enrolled_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, patient_id)
);
CREATE INDEX enrollments_by_patient ON session_enrollments (patient_id, session_id);

CREATE TABLE attendance_marks (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    session_id BLOB NOT NULL REFERENCES sessions (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    status TEXT NOT NULL CHECK (status IN ('present', 'late', 'left_early', 'absent_excused', 'absent_unexcused')),
    check_in INTEGER,
    check_out INTEGER,
    minutes INTEGER NOT NULL,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX attendance_by_patient ON attendance_marks (patient_id, session_id, recorded_at);
