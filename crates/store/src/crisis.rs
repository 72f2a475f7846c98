//! Crisis events, placement reviews and in-app notifications.

use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CrisisEvent {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub occurred_at: Instant,
    pub kind: String,
    pub severity: String,
    pub description: String,
    pub actions_taken: String,
    pub alert_id: Option<Uuid>,
    pub placement_review_id: Option<Uuid>,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
    pub resolved_at: Option<Instant>,
    pub resolved_by: Option<Uuid>,
    pub resolution: Option<String>,
}

pub async fn insert_event(db: &mut Db<'_>, organization_id: Uuid, e: &CrisisEvent) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO crisis_events (id, organization_id, patient_id, occurred_at, kind, severity, description, actions_taken, \
             alert_id, placement_review_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(e.id)
        .bind(organization_id)
        .bind(e.patient_id)
        .bind(e.occurred_at)
        .bind(&e.kind)
        .bind(&e.severity)
        .bind(&e.description)
        .bind(&e.actions_taken)
        .bind(e.alert_id)
        .bind(e.placement_review_id)
        .bind(e.recorded_by)
        .bind(e.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A patient's crisis events, newest first.
pub async fn list_crisis_events(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<CrisisEvent>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, CrisisEvent>(
            "SELECT id, patient_id, occurred_at, kind, severity, description, actions_taken, alert_id, placement_review_id, \
             recorded_by, recorded_at, resolved_at, resolved_by, resolution FROM crisis_events \
             WHERE organization_id = $1 AND patient_id = $2 ORDER BY occurred_at DESC, id DESC",
        )
        .bind(organization_id)
        .bind(patient_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Resolves an open crisis event; false when it was resolved already (or is not this
/// patient's).
pub async fn resolve_event(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    id: Uuid,
    by: Uuid,
    resolution: &str,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE crisis_events SET resolved_at = $1, resolved_by = $2, resolution = $3 \
             WHERE organization_id = $6 AND id = $4 AND patient_id = $5 AND resolved_at IS NULL",
        )
        .bind(at)
        .bind(by)
        .bind(resolution)
        .bind(id)
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlacementReview {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub reason: String,
    pub opened_by: Uuid,
    pub opened_at: Instant,
    pub closed_at: Option<Instant>,
    pub closed_by: Option<Uuid>,
    pub outcome: Option<String>,
}

pub async fn insert_review(
    db: &mut Db<'_>,
    organization_id: Uuid,
    r: &PlacementReview,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO placement_reviews (id, organization_id, patient_id, episode_id, reason, opened_by, opened_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id)
        .bind(organization_id)
        .bind(r.patient_id)
        .bind(r.episode_id)
        .bind(&r.reason)
        .bind(r.opened_by)
        .bind(r.opened_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Open placement reviews of an organization (or of one episode), oldest first.
pub async fn list_open_reviews(
    db: &mut Db<'_>,
    organization_id: Uuid,
    episode_id: Option<Uuid>,
) -> Result<Vec<PlacementReview>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, PlacementReview>(
            "SELECT id, patient_id, episode_id, reason, opened_by, opened_at, closed_at, closed_by, outcome \
             FROM placement_reviews WHERE organization_id = $1 AND closed_at IS NULL AND ($2 = 0 OR episode_id = $3) \
             ORDER BY opened_at, id",
        )
        .bind(organization_id)
        .bind(i32::from(episode_id.is_some()))
        .bind(episode_id.unwrap_or(Uuid::nil()))
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Closes an episode's open reviews with the decision that answered them; how many closed.
pub async fn close_reviews(
    db: &mut Db<'_>,
    organization_id: Uuid,
    episode_id: Uuid,
    by: Uuid,
    outcome: &str,
    at: Instant,
) -> Result<u64> {
    Ok(on_db!(db, |c| {
        sqlx::query(
            "UPDATE placement_reviews SET closed_at = $1, closed_by = $2, outcome = $3 \
             WHERE organization_id = $5 AND episode_id = $4 AND closed_at IS NULL",
        )
        .bind(at)
        .bind(by)
        .bind(outcome)
        .bind(episode_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub patient_id: Option<Uuid>,
    pub kind: String,
    /// Says what happened without patient details; the reader's screen adds the name.
    pub message: String,
    pub link: String,
    pub created_at: Instant,
    pub read_at: Option<Instant>,
}

pub async fn insert_notification(
    db: &mut Db<'_>,
    organization_id: Uuid,
    n: &Notification,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO notifications (id, organization_id, user_id, patient_id, kind, message, link, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(n.id)
        .bind(organization_id)
        .bind(n.user_id)
        .bind(n.patient_id)
        .bind(&n.kind)
        .bind(&n.message)
        .bind(&n.link)
        .bind(n.created_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A user's notifications: unread first, newest first, at most `limit`.
pub async fn list_notifications(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    limit: u32,
) -> Result<Vec<Notification>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Notification>(
            "SELECT id, user_id, patient_id, kind, message, link, created_at, read_at FROM notifications \
             WHERE organization_id = $1 AND user_id = $2 \
             ORDER BY CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT $3",
        )
        .bind(organization_id)
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Marks one of the user's notifications read; false when it is not theirs or was read.
pub async fn mark_read(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    id: Uuid,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE organization_id = $4 AND id = $2 AND user_id = $3 AND read_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(user_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
