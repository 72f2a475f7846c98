-- Medications (MAT flagged, naloxone on hand), configurable test panels, drug and alcohol tests
-- with one result per analyte (flag computed when recorded; review and false-positive marks
-- kept on the result), and the recorded random testing draws.

CREATE TABLE medications (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    name TEXT NOT NULL,
    dose TEXT NOT NULL,
    prescriber TEXT,
    started_on TEXT NOT NULL,
    stopped_on TEXT,
    mat BOOLEAN NOT NULL,
    naloxone_on_hand BOOLEAN NOT NULL,
    adherence_note TEXT,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX medications_by_patient ON medications (patient_id, started_on);

CREATE TABLE drug_panels (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    analytes TEXT NOT NULL,
    UNIQUE (organization_id, name)
);

CREATE TABLE drug_tests (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    specimen TEXT NOT NULL CHECK (specimen IN ('urine', 'oral_fluid', 'breath')),
    observed BOOLEAN NOT NULL,
    collected_at INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('lab', 'point_of_care')),
    panel TEXT,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX drug_tests_by_patient ON drug_tests (patient_id, collected_at);

CREATE TABLE drug_test_results (
    test_id BLOB NOT NULL REFERENCES drug_tests (id),
    analyte TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('negative', 'positive', 'invalid')),
    level TEXT,
    flag TEXT,
    presumptive BOOLEAN NOT NULL,
    reviewed_by BLOB REFERENCES users (id),
    reviewed_at INTEGER,
    review TEXT CHECK (review IN ('confirmed', 'false_positive')),
    review_reason TEXT,
    PRIMARY KEY (test_id, analyte)
);

CREATE TABLE testing_draws (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    week TEXT NOT NULL,
    seed INTEGER NOT NULL,
    days TEXT NOT NULL,
    drawn_by BLOB NOT NULL REFERENCES users (id),
    drawn_at INTEGER NOT NULL,
    UNIQUE (patient_id, week)
);
