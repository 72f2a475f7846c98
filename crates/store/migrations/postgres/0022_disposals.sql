-- Certificates of disposal: a record past its retention, deleted on an admin's request with
-- the method and approval stated. The patient's id stays (the audit trail's entries about
-- them can be matched to the certificate); nothing else about them does.
CREATE TABLE disposals (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    patient_id UUID NOT NULL,
    last_service_on DATE NOT NULL,
    due_on DATE NOT NULL,
    retention_years INTEGER NOT NULL,
    method TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    rows_deleted BIGINT NOT NULL,
    files_deleted INTEGER NOT NULL,
    disposed_by UUID NOT NULL REFERENCES users (id),
    disposed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX disposals_by_org ON disposals (organization_id, disposed_at);
