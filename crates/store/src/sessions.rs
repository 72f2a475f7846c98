//! Dated sessions, enrollments and attendance marks.

use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: Uuid,
    pub track_id: Uuid,
    pub kind: String,
    pub title: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
    pub capacity: i32,
    pub facilitator_id: Option<Uuid>,
    /// The recurring template it was dated from, if any.
    pub template_id: Option<Uuid>,
}

pub async fn insert_session(
    db: &mut Db<'_>,
    organization_id: Uuid,
    s: &Session,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO sessions (id, organization_id, track_id, kind, title, starts_at, ends_at, capacity, facilitator_id, created_at, template_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(s.id)
        .bind(organization_id)
        .bind(s.track_id)
        .bind(&s.kind)
        .bind(&s.title)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.capacity)
        .bind(s.facilitator_id)
        .bind(now)
        .bind(s.template_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find_session(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<Session>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Session>(
            "SELECT id, track_id, kind, title, starts_at, ends_at, capacity, facilitator_id, template_id FROM sessions \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

pub async fn enrolled(db: &mut Db<'_>, session_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, Uuid>("SELECT patient_id FROM session_enrollments WHERE session_id = $1 ORDER BY enrolled_at, patient_id")
            .bind(session_id)
            .fetch_all(&mut **c)
            .await
    })?)
}

/// Enrolls a patient; false when they already were.
pub async fn enroll(
    db: &mut Db<'_>,
    organization_id: Uuid,
    session_id: Uuid,
    patient_id: Uuid,
    now: Instant,
) -> Result<bool> {
    let added = on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO session_enrollments (organization_id, session_id, patient_id, enrolled_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id, patient_id) DO NOTHING",
        )
        .bind(organization_id)
        .bind(session_id)
        .bind(patient_id)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(added == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Mark {
    pub session_id: Uuid,
    pub patient_id: Uuid,
    pub status: String,
    pub check_in: Option<Instant>,
    pub check_out: Option<Instant>,
    pub minutes: i32,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

pub async fn insert_mark(db: &mut Db<'_>, organization_id: Uuid, m: &Mark) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO attendance_marks (id, organization_id, session_id, patient_id, status, check_in, check_out, minutes, \
             recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(openiop_core::id::new_id())
        .bind(organization_id)
        .bind(m.session_id)
        .bind(m.patient_id)
        .bind(&m.status)
        .bind(m.check_in)
        .bind(m.check_out)
        .bind(m.minutes)
        .bind(m.recorded_by)
        .bind(m.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The current (newest) mark of a patient in each session that starts in `[from, until)`,
/// with the session's start.
pub async fn current_marks(
    db: &mut Db<'_>,
    patient_id: Uuid,
    from: Instant,
    until: Instant,
) -> Result<Vec<(Mark, Instant)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        mark: Mark,
        starts_at: Instant,
    }
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, Row>(
            "SELECT m.session_id, m.patient_id, m.status, m.check_in, m.check_out, m.minutes, m.recorded_by, m.recorded_at, s.starts_at \
             FROM attendance_marks m JOIN sessions s ON s.id = m.session_id \
             WHERE m.patient_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 \
             ORDER BY m.session_id, m.recorded_at DESC, m.id DESC",
        )
        .bind(patient_id)
        .bind(from)
        .bind(until)
        .fetch_all(&mut **c)
        .await
    })?;
    let mut out: Vec<(Mark, Instant)> = Vec::new();
    for row in rows {
        if out
            .last()
            .is_none_or(|(m, _)| m.session_id != row.mark.session_id)
        {
            out.push((row.mark, row.starts_at));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Template {
    pub id: Uuid,
    pub track_id: Uuid,
    pub kind: String,
    pub title: String,
    pub weekday: i32,
    pub start_minute: i32,
    pub minutes: i32,
    pub capacity: i32,
    pub facilitator_id: Option<Uuid>,
}

pub async fn insert_template(
    db: &mut Db<'_>,
    organization_id: Uuid,
    t: &Template,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO session_templates (id, organization_id, track_id, kind, title, weekday, start_minute, minutes, capacity, \
             facilitator_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(t.id)
        .bind(organization_id)
        .bind(t.track_id)
        .bind(&t.kind)
        .bind(&t.title)
        .bind(t.weekday)
        .bind(t.start_minute)
        .bind(t.minutes)
        .bind(t.capacity)
        .bind(t.facilitator_id)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find_template(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<Template>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Template>(
            "SELECT id, track_id, kind, title, weekday, start_minute, minutes, capacity, facilitator_id FROM session_templates \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// Whether a template already has a session starting at `starts_at`.
pub async fn dated(db: &mut Db<'_>, template_id: Uuid, starts_at: Instant) -> Result<bool> {
    let n: i64 = on_db!(db, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions WHERE template_id = $1 AND starts_at = $2",
        )
        .bind(template_id)
        .bind(starts_at)
        .fetch_one(&mut **c)
        .await
    })?;
    Ok(n > 0)
}
