//! What a week is built from: rooms, each patient's availability, per-episode intensity
//! plans, the psychoeducation curriculum, booking conflicts, and secret calendar feeds.

use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Room {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub capacity: i32,
}

pub async fn insert_room(
    db: &mut Db<'_>,
    organization_id: Uuid,
    room: &Room,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO rooms (id, organization_id, site_id, name, capacity, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(room.id)
        .bind(organization_id)
        .bind(room.site_id)
        .bind(&room.name)
        .bind(room.capacity)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_rooms(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Room>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Room>(
            "SELECT id, site_id, name, capacity FROM rooms WHERE organization_id = $1 ORDER BY name, id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

pub async fn find_room(db: &mut Db<'_>, organization_id: Uuid, id: Uuid) -> Result<Option<Room>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Room>(
            "SELECT id, site_id, name, capacity FROM rooms WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// A booked item that overlaps a proposed time: which session, and who or what clashes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Clash {
    pub session_id: Uuid,
    pub title: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
}

/// Sessions overlapping `[from, until)` (touching ends do not overlap) that a facilitator
/// runs, a room holds, or a patient is enrolled in; `except` skips the session being booked.
pub async fn list_clashes(
    db: &mut Db<'_>,
    organization_id: Uuid,
    who: Booked,
    from: Instant,
    until: Instant,
    except: Option<Uuid>,
) -> Result<Vec<Clash>> {
    let (column_sql, id) = match who {
        Booked::Facilitator(id) => ("s.facilitator_id = $2", id),
        Booked::Room(id) => ("s.room_id = $2", id),
        Booked::Patient(id) => (
            "s.id IN (SELECT session_id FROM session_enrollments WHERE patient_id = $2)",
            id,
        ),
    };
    let sql = format!(
        "SELECT s.id AS session_id, s.title, s.starts_at, s.ends_at FROM sessions s \
         WHERE s.organization_id = $1 AND {column_sql} AND s.starts_at < $4 AND s.ends_at > $3 \
         AND ($5 IS NULL OR s.id <> $5) ORDER BY s.starts_at, s.id LIMIT 5"
    );
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Clash>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(organization_id)
            .bind(id)
            .bind(from)
            .bind(until)
            .bind(except)
            .fetch_all(&mut **c)
            .await
    })?)
}

/// Who or what a session books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booked {
    Facilitator(Uuid),
    Room(Uuid),
    Patient(Uuid),
}

/// A weekly availability window: weekday 0 = Monday, minutes since local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Window {
    pub weekday: i32,
    pub start_minute: i32,
    pub end_minute: i32,
}

/// Replaces a patient's availability windows.
pub async fn set_availability(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    windows: &[Window],
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "DELETE FROM availability_windows WHERE patient_id = $1 AND organization_id = $2",
        )
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    for w in windows {
        on_db!(db, |c| {
            sqlx::query(
                "INSERT INTO availability_windows (organization_id, patient_id, weekday, start_minute, end_minute) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(organization_id)
            .bind(patient_id)
            .bind(w.weekday)
            .bind(w.start_minute)
            .bind(w.end_minute)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub async fn list_availability(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Window>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Window>(
            "SELECT weekday, start_minute, end_minute FROM availability_windows WHERE organization_id = $2 AND patient_id = $1 \
             ORDER BY weekday, start_minute",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// A saved intensity plan (its steps as JSON, as `core::intensity::StepDoc`s).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredIntensityPlan {
    pub id: Uuid,
    pub episode_id: Uuid,
    pub phases: String,
    pub floor_reason: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

pub async fn insert_intensity_plan(
    db: &mut Db<'_>,
    organization_id: Uuid,
    plan: &StoredIntensityPlan,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO intensity_plans (id, organization_id, episode_id, phases, floor_reason, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(plan.id)
        .bind(organization_id)
        .bind(plan.episode_id)
        .bind(&plan.phases)
        .bind(&plan.floor_reason)
        .bind(plan.recorded_by)
        .bind(plan.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The current (newest) plan of an episode.
pub async fn find_current_intensity_plan(
    db: &mut Db<'_>,
    episode_id: Uuid,
) -> Result<Option<StoredIntensityPlan>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, StoredIntensityPlan>(
            "SELECT id, episode_id, phases, floor_reason, recorded_by, recorded_at FROM intensity_plans \
             WHERE episode_id = $1 ORDER BY recorded_at DESC, id DESC LIMIT 1",
        )
        .bind(episode_id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CurriculumTopic {
    pub id: Uuid,
    pub phase: String,
    pub position: i32,
    pub title: String,
}

/// Replaces the organization's curriculum for one phase.
pub async fn set_curriculum(
    db: &mut Db<'_>,
    organization_id: Uuid,
    phase: &str,
    titles: &[String],
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("DELETE FROM curriculum_topics WHERE organization_id = $1 AND phase = $2")
            .bind(organization_id)
            .bind(phase)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    for (i, title) in titles.iter().enumerate() {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        on_db!(db, |c| {
            sqlx::query(
                "INSERT INTO curriculum_topics (id, organization_id, phase, position, title) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(openiop_core::id::new_id())
            .bind(organization_id)
            .bind(phase)
            .bind(position)
            .bind(title)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub async fn list_curriculum(
    db: &mut Db<'_>,
    organization_id: Uuid,
) -> Result<Vec<CurriculumTopic>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, CurriculumTopic>(
            "SELECT id, phase, position, title FROM curriculum_topics WHERE organization_id = $1 ORDER BY phase, position",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Topics of psychoeducation sessions a patient attended (current mark counts minutes).
pub async fn list_attended_topics(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<String>> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, String>(
            "SELECT DISTINCT s.topic FROM attendance_marks m JOIN sessions s ON s.id = m.session_id \
             WHERE m.patient_id = $1 AND m.organization_id = $2 AND s.kind = 'psychoeducation' AND s.topic IS NOT NULL AND m.minutes > 0 \
             AND m.recorded_at = (SELECT MAX(n.recorded_at) FROM attendance_marks n \
                                  WHERE n.session_id = m.session_id AND n.patient_id = m.patient_id \
                                  AND n.organization_id = $2)",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// A calendar feed: one patient's or one staff member's schedule at a secret URL.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Feed {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub patient_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub full_titles: bool,
    pub revoked_at: Option<Instant>,
}

pub async fn insert_feed(
    db: &mut Db<'_>,
    feed: &Feed,
    token_hash: &str,
    created_by: Uuid,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO calendar_feeds (id, organization_id, token_hash, patient_id, user_id, full_titles, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(feed.id)
        .bind(feed.organization_id)
        .bind(token_hash)
        .bind(feed.patient_id)
        .bind(feed.user_id)
        .bind(feed.full_titles)
        .bind(created_by)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find_feed_by_token(db: &mut Db<'_>, token_hash: &str) -> Result<Option<Feed>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Feed>(
            "SELECT id, organization_id, patient_id, user_id, full_titles, revoked_at FROM calendar_feeds WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut **c)
        .await
    })?)
}

pub async fn find_feed(db: &mut Db<'_>, organization_id: Uuid, id: Uuid) -> Result<Option<Feed>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Feed>(
            "SELECT id, organization_id, patient_id, user_id, full_titles, revoked_at FROM calendar_feeds \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// Revokes a feed; false when it was already revoked.
pub async fn revoke_feed(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE calendar_feeds SET revoked_at = $1 WHERE organization_id = $3 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// The current plan of every episode of an organization that has one.
pub async fn list_current_intensity_plans(
    db: &mut Db<'_>,
    organization_id: Uuid,
) -> Result<Vec<StoredIntensityPlan>> {
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, StoredIntensityPlan>(
            "SELECT id, episode_id, phases, floor_reason, recorded_by, recorded_at FROM intensity_plans \
             WHERE organization_id = $1 ORDER BY episode_id, recorded_at DESC, id DESC",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    let mut out: Vec<StoredIntensityPlan> = Vec::new();
    for row in rows {
        if out.last().is_none_or(|p| p.episode_id != row.episode_id) {
            out.push(row);
        }
    }
    Ok(out)
}

/// A patient's feeds that still work.
pub async fn list_active_feeds(db: &mut Db<'_>, patient_id: Uuid) -> Result<Vec<Feed>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Feed>(
            "SELECT id, organization_id, patient_id, user_id, full_titles, revoked_at FROM calendar_feeds \
             WHERE patient_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
        )
        .bind(patient_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Every patient's availability windows in an organization (for building a week without a
/// query per patient).
pub async fn list_availability_of_organization(
    db: &mut Db<'_>,
    organization_id: Uuid,
) -> Result<Vec<(Uuid, Window)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        patient_id: Uuid,
        #[sqlx(flatten)]
        window: Window,
    }
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, Row>(
            "SELECT patient_id, weekday, start_minute, end_minute FROM availability_windows \
             WHERE organization_id = $1 ORDER BY patient_id, weekday, start_minute",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    Ok(rows.into_iter().map(|r| (r.patient_id, r.window)).collect())
}

crate::json_columns!(StoredIntensityPlan, "intensity_plans", id, {
    /// The plan's steps, as they were checked when saved.
    steps: phases -> Vec<openiop_core::intensity::StepDoc>;
});
