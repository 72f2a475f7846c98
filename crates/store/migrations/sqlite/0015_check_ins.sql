-- Daily check-ins: mood and craving (0-10), use and what, a note. A later check-in for the same
-- date corrects an earlier one; every row is kept and the newest counts.
CREATE TABLE check_ins (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    on_date TEXT NOT NULL,
    mood INTEGER NOT NULL CHECK (mood BETWEEN 0 AND 10),
    craving INTEGER NOT NULL CHECK (craving BETWEEN 0 AND 10),
    used BOOLEAN NOT NULL,
    substances TEXT NOT NULL,
    note TEXT,
    source TEXT NOT NULL CHECK (source IN ('staff', 'patient')),
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX check_ins_by_patient ON check_ins (organization_id, patient_id, on_date, recorded_at);
