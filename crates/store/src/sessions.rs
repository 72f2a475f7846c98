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
    pub room_id: Option<Uuid>,
    /// For group therapy: cbt, dbt or other.
    pub modality: Option<String>,
    /// What is taught (psychoeducation topics match the curriculum by it).
    pub topic: Option<String>,
    /// A telehealth session's link; shown only to the enrolled and the facilitator.
    pub video_url: Option<String>,
    /// The short code a patient types at the front-desk screen to check in.
    pub checkin_code: Option<String>,
}

/// The columns of [`Session`], in its field order (a macro, so queries stay `&'static str`).
#[macro_export]
macro_rules! session_columns {
    ($alias:literal) => {
        concat!(
            $alias,
            "id, ",
            $alias,
            "track_id, ",
            $alias,
            "kind, ",
            $alias,
            "title, ",
            $alias,
            "starts_at, ",
            $alias,
            "ends_at, ",
            $alias,
            "capacity, ",
            $alias,
            "facilitator_id, ",
            $alias,
            "template_id, ",
            $alias,
            "room_id, ",
            $alias,
            "modality, ",
            $alias,
            "topic, ",
            $alias,
            "video_url, ",
            $alias,
            "checkin_code"
        )
    };
}

/// Binds a session's sixteen columns in the order of `insert_session`'s column list.
macro_rules! bind_session {
    ($q:expr, $s:expr, $organization_id:expr, $now:expr) => {
        $q.bind($s.id)
            .bind($organization_id)
            .bind($s.track_id)
            .bind(&$s.kind)
            .bind(&$s.title)
            .bind($s.starts_at)
            .bind($s.ends_at)
            .bind($s.capacity)
            .bind($s.facilitator_id)
            .bind($now)
            .bind($s.template_id)
            .bind($s.room_id)
            .bind(&$s.modality)
            .bind(&$s.topic)
            .bind(&$s.video_url)
            .bind(&$s.checkin_code)
    };
}

pub async fn insert_session(
    db: &mut Db<'_>,
    organization_id: Uuid,
    s: &Session,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        let q = sqlx::query(
            "INSERT INTO sessions (id, organization_id, track_id, kind, title, starts_at, ends_at, capacity, facilitator_id, created_at, template_id, \
             room_id, modality, topic, video_url, checkin_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        );
        bind_session!(q, s, organization_id, now)
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
        sqlx::query_as::<_, Session>(concat!(
            "SELECT ",
            crate::session_columns!(""),
            " FROM sessions WHERE organization_id = $1 AND id = $2"
        ))
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

pub async fn list_enrolled(
    db: &mut Db<'_>,
    organization_id: Uuid,
    session_id: Uuid,
) -> Result<Vec<Uuid>> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, Uuid>("SELECT patient_id FROM session_enrollments WHERE organization_id = $2 AND session_id = $1 ORDER BY enrolled_at, patient_id")
            .bind(session_id)
            .bind(organization_id)
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
    pub absence_reason: Option<String>,
}

/// Binds a new mark's eleven columns (a fresh id first) in the order of `insert_mark`'s list.
macro_rules! bind_mark {
    ($q:expr, $m:expr, $organization_id:expr) => {
        $q.bind(openiop_core::id::new_id())
            .bind($organization_id)
            .bind($m.session_id)
            .bind($m.patient_id)
            .bind(&$m.status)
            .bind($m.check_in)
            .bind($m.check_out)
            .bind($m.minutes)
            .bind($m.recorded_by)
            .bind($m.recorded_at)
            .bind(&$m.absence_reason)
    };
}

pub async fn insert_mark(db: &mut Db<'_>, organization_id: Uuid, m: &Mark) -> Result<()> {
    on_db!(db, |c| {
        let q = sqlx::query(
            "INSERT INTO attendance_marks (id, organization_id, session_id, patient_id, status, check_in, check_out, minutes, \
             recorded_by, recorded_at, absence_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        );
        bind_mark!(q, m, organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A program's history in bulk (demo and bench datasets): sessions, their enrollments and
/// one mark per enrollment, as multi-row inserts of at most `bulk_parameters` parameters
/// each. The caller owns the transaction.
pub async fn insert_history(
    db: &mut Db<'_>,
    organization_id: Uuid,
    sessions: &[Session],
    marks: &[Mark],
    now: Instant,
) -> Result<()> {
    use crate::values_placeholders;
    let limit = crate::bulk_parameters(db);
    for chunk in sessions.chunks(limit / 16) {
        let sql = format!(
            "INSERT INTO sessions (id, organization_id, track_id, kind, title, starts_at, ends_at, capacity, facilitator_id, created_at, \
             template_id, room_id, modality, topic, video_url, checkin_code) VALUES {}",
            values_placeholders(1, 16, chunk.len())
        );
        on_db!(db, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for s in chunk {
                q = bind_session!(q, s, organization_id, now);
            }
            q.execute(&mut **c).await.map(|r| r.rows_affected())
        })?;
    }
    for chunk in marks.chunks(limit / 4) {
        let sql = format!(
            "INSERT INTO session_enrollments (organization_id, session_id, patient_id, enrolled_at) VALUES {}",
            values_placeholders(1, 4, chunk.len())
        );
        on_db!(db, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for m in chunk {
                q = q
                    .bind(organization_id)
                    .bind(m.session_id)
                    .bind(m.patient_id)
                    .bind(now);
            }
            q.execute(&mut **c).await.map(|r| r.rows_affected())
        })?;
    }
    for chunk in marks.chunks(limit / 11) {
        let sql = format!(
            "INSERT INTO attendance_marks (id, organization_id, session_id, patient_id, status, check_in, check_out, minutes, \
             recorded_by, recorded_at, absence_reason) VALUES {}",
            values_placeholders(1, 11, chunk.len())
        );
        on_db!(db, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for m in chunk {
                q = bind_mark!(q, m, organization_id);
            }
            q.execute(&mut **c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// The current (newest) mark of a patient in each session that starts in `[from, until)`,
/// with the session's start.
pub async fn list_current_marks(
    db: &mut Db<'_>,
    organization_id: Uuid,
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
            "SELECT m.session_id, m.patient_id, m.status, m.check_in, m.check_out, m.minutes, m.recorded_by, m.recorded_at, \
             m.absence_reason, s.starts_at \
             FROM attendance_marks m JOIN sessions s ON s.id = m.session_id \
             WHERE m.patient_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 AND m.organization_id = $4 \
             ORDER BY m.session_id, m.recorded_at DESC, m.id DESC",
        )
        .bind(patient_id)
        .bind(from)
        .bind(until)
        .bind(organization_id)
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
    pub room_id: Option<Uuid>,
    pub modality: Option<String>,
    pub topic: Option<String>,
    pub video_url: Option<String>,
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
             facilitator_id, created_at, room_id, modality, topic, video_url) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
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
        .bind(t.room_id)
        .bind(&t.modality)
        .bind(&t.topic)
        .bind(&t.video_url)
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
            "SELECT id, track_id, kind, title, weekday, start_minute, minutes, capacity, facilitator_id, room_id, modality, topic, video_url \
             FROM session_templates \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// Whether a template already has a session starting at `starts_at`.
pub async fn is_dated(db: &mut Db<'_>, template_id: Uuid, starts_at: Instant) -> Result<bool> {
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

/// Whose sessions a listing is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// Every session of an organization.
    Organization(Uuid),
    /// Sessions a patient is enrolled in.
    Patient(Uuid),
    /// Sessions a staff member facilitates.
    Facilitator(Uuid),
}

/// Sessions starting in `[from, until)`, in time order.
pub async fn list_sessions_in(
    db: &mut Db<'_>,
    whose: Whose,
    from: Instant,
    until: Instant,
) -> Result<Vec<Session>> {
    let (filter, id) = match whose {
        Whose::Organization(id) => ("organization_id = $1", id),
        Whose::Patient(id) => (
            "id IN (SELECT session_id FROM session_enrollments WHERE patient_id = $1)",
            id,
        ),
        Whose::Facilitator(id) => ("facilitator_id = $1", id),
    };
    let sql = format!(
        "SELECT {} FROM sessions WHERE {filter} AND starts_at >= $2 AND starts_at < $3 ORDER BY starts_at, id",
        crate::session_columns!("")
    );
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Session>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .bind(from)
            .bind(until)
            .fetch_all(&mut **c)
            .await
    })?)
}

/// A session whose self check-in code is `code`, starting in `[from, until)`.
pub async fn find_session_by_code(
    db: &mut Db<'_>,
    organization_id: Uuid,
    code: &str,
    from: Instant,
    until: Instant,
) -> Result<Option<Session>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Session>(concat!(
            "SELECT ",
            crate::session_columns!(""),
            " FROM sessions WHERE organization_id = $1 AND checkin_code = $2 AND starts_at >= $3 AND starts_at < $4 \
             ORDER BY starts_at LIMIT 1"
        ))
        .bind(organization_id)
        .bind(code)
        .bind(from)
        .bind(until)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// One line of a roster sheet: an enrolled patient and their current mark, if any.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RosterLine {
    pub patient_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: time::Date,
    pub status: Option<String>,
    pub check_in: Option<Instant>,
    pub check_out: Option<Instant>,
    pub minutes: Option<i32>,
    pub absence_reason: Option<String>,
    /// How many marks were recorded (more than one: corrected).
    pub marks: i64,
}

pub async fn list_roster(
    db: &mut Db<'_>,
    organization_id: Uuid,
    session_id: Uuid,
) -> Result<Vec<RosterLine>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, RosterLine>(
            "SELECT p.id AS patient_id, p.given_name, p.family_name, p.birth_date, m.status, m.check_in, m.check_out, m.minutes, \
             m.absence_reason, (SELECT COUNT(*) FROM attendance_marks a WHERE a.session_id = e.session_id AND a.patient_id = e.patient_id) AS marks \
             FROM session_enrollments e JOIN patients p ON p.id = e.patient_id \
             LEFT JOIN attendance_marks m ON m.id = (SELECT a.id FROM attendance_marks a WHERE a.session_id = e.session_id \
                 AND a.patient_id = e.patient_id ORDER BY a.recorded_at DESC, a.id DESC LIMIT 1) \
             WHERE e.session_id = $1 AND e.organization_id = $2 ORDER BY p.name_key, p.id",
        )
        .bind(session_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// A current mark with what the program view groups it by.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MarkFact {
    pub patient_id: Uuid,
    pub session_id: Uuid,
    pub track_id: Uuid,
    pub kind: String,
    pub starts_at: Instant,
    pub status: String,
    pub minutes: i32,
    pub recorded_at: Instant,
}

/// Every mark (all corrections included, newest first per patient and session) of sessions
/// of the organization starting in `[from, until)`; callers keep the first per pair.
pub async fn list_marks_between(
    db: &mut Db<'_>,
    organization_id: Uuid,
    from: Instant,
    until: Instant,
) -> Result<Vec<MarkFact>> {
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, MarkFact>(
            "SELECT m.patient_id, m.session_id, s.track_id, s.kind, s.starts_at, m.status, m.minutes, m.recorded_at \
             FROM attendance_marks m JOIN sessions s ON s.id = m.session_id \
             WHERE s.organization_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 \
             ORDER BY m.patient_id, m.session_id, m.recorded_at DESC, m.id DESC",
        )
        .bind(organization_id)
        .bind(from)
        .bind(until)
        .fetch_all(&mut **c)
        .await
    })?;
    let mut out: Vec<MarkFact> = Vec::with_capacity(rows.len());
    for row in rows {
        if out
            .last()
            .is_none_or(|m| (m.patient_id, m.session_id) != (row.patient_id, row.session_id))
        {
            out.push(row);
        }
    }
    Ok(out)
}

/// Every `(patient, session)` enrollment in sessions of the organization starting in
/// `[from, until)`.
pub async fn list_enrollments_between(
    db: &mut Db<'_>,
    organization_id: Uuid,
    from: Instant,
    until: Instant,
) -> Result<Vec<(Uuid, Uuid)>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, (Uuid, Uuid)>(
            "SELECT e.patient_id, e.session_id FROM session_enrollments e JOIN sessions s ON s.id = e.session_id \
             WHERE s.organization_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3",
        )
        .bind(organization_id)
        .bind(from)
        .bind(until)
        .fetch_all(&mut **c)
        .await
    })?)
}

crate::enum_columns!(Mark, "attendance_marks", session_id, patient_id; {
    /// How the patient attended.
    attendance: status -> openiop_core::attendance::Status;
});

crate::enum_columns!(MarkFact, "attendance_marks", session_id, patient_id; {
    /// How the patient attended.
    attendance: status -> openiop_core::attendance::Status;
});
