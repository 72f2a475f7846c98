-- Reports at scale: a week's marks are found from its sessions (by session, not by patient),
-- and the census counts active episodes per organization without reading discharged ones.
CREATE INDEX attendance_by_session ON attendance_marks (session_id, patient_id, recorded_at);
CREATE INDEX episodes_by_status ON episodes (organization_id, status, track_id);
