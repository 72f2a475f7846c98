//! Treatment plan versions and their signatures. Each change is guarded so that a version
//! with a signature is never edited, and each signature is given once.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanVersion {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub version: i32,
    /// JSON of `openiop_core::treatment_plan::Plan`.
    pub body: String,
    pub created_by: Uuid,
    pub created_at: Instant,
    pub updated_at: Instant,
    pub clinician_signed_by: Option<Uuid>,
    pub clinician_signed_at: Option<Instant>,
    /// The name the patient typed to sign.
    pub patient_signature: Option<String>,
    /// Who recorded the patient's signature (the patient, or staff at their side).
    pub patient_signed_by: Option<Uuid>,
    pub patient_signed_at: Option<Instant>,
    pub cosigner_id: Option<Uuid>,
    pub cosigned_at: Option<Instant>,
    pub review_due_on: Option<Date>,
}

macro_rules! plan_columns {
    () => {
        "id, patient_id, episode_id, version, body, created_by, created_at, updated_at, clinician_signed_by, \
         clinician_signed_at, patient_signature, patient_signed_by, patient_signed_at, cosigner_id, cosigned_at, review_due_on"
    };
}

/// An episode's versions, newest first.
pub async fn list_versions(
    db: &mut Db<'_>,
    organization_id: Uuid,
    episode_id: Uuid,
) -> Result<Vec<PlanVersion>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, PlanVersion>(concat!(
            "SELECT ",
            plan_columns!(),
            " FROM treatment_plans WHERE organization_id = $1 AND episode_id = $2 ORDER BY version DESC"
        ))
        .bind(organization_id)
        .bind(episode_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Adds a version; the (episode, version) key makes two concurrent saves of the same new
/// version fail rather than both win.
pub async fn insert_version(db: &mut Db<'_>, organization_id: Uuid, p: &PlanVersion) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO treatment_plans (id, organization_id, patient_id, episode_id, version, body, created_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(p.id)
        .bind(organization_id)
        .bind(p.patient_id)
        .bind(p.episode_id)
        .bind(p.version)
        .bind(&p.body)
        .bind(p.created_by)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Replaces an unsigned version's plan; false once anyone has signed it.
pub async fn update_draft(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    body: &str,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE treatment_plans SET body = $1, updated_at = $2 WHERE organization_id = $4 AND id = $3 \
             AND clinician_signed_at IS NULL AND patient_signed_at IS NULL",
        )
        .bind(body)
        .bind(now)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// The clinician's signature (naming the co-signer the program requires); false if given.
pub async fn sign_clinician(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    by: Uuid,
    cosigner: Option<Uuid>,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE treatment_plans SET clinician_signed_by = $1, clinician_signed_at = $2, cosigner_id = $3 \
             WHERE organization_id = $5 AND id = $4 AND clinician_signed_at IS NULL",
        )
        .bind(by)
        .bind(now)
        .bind(cosigner)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// The patient's signature (the name they typed, and who recorded it); false if given.
pub async fn sign_patient(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    signature: &str,
    by: Uuid,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE treatment_plans SET patient_signature = $1, patient_signed_by = $2, patient_signed_at = $3 \
             WHERE organization_id = $5 AND id = $4 AND patient_signed_at IS NULL",
        )
        .bind(signature)
        .bind(by)
        .bind(now)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// The supervisor's co-signature; false unless `by` is the named co-signer and has not yet.
pub async fn cosign(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    by: Uuid,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE treatment_plans SET cosigned_at = $1 WHERE organization_id = $4 AND id = $2 AND cosigner_id = $3 AND cosigned_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(by)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Puts a fully signed version in force with its review date.
pub async fn set_review_due(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    due: Date,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE treatment_plans SET review_due_on = $1 WHERE organization_id = $3 AND id = $2",
        )
        .bind(due)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A plan in force whose review is overdue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OverdueReview {
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub version: i32,
    pub review_due_on: Date,
}

/// Active episodes whose plan in force (the newest fully signed version) was due for review
/// before `today`.
pub async fn list_overdue_reviews(
    db: &mut Db<'_>,
    organization_id: Uuid,
    today: Date,
) -> Result<Vec<OverdueReview>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, OverdueReview>(
            "SELECT p.patient_id, p.episode_id, p.version, p.review_due_on FROM treatment_plans p \
             JOIN episodes e ON e.id = p.episode_id \
             WHERE p.organization_id = $1 AND e.status = 'active' AND p.review_due_on IS NOT NULL AND p.review_due_on < $2 \
             AND NOT EXISTS (SELECT 1 FROM treatment_plans q WHERE q.episode_id = p.episode_id \
                 AND q.review_due_on IS NOT NULL AND q.version > p.version) \
             ORDER BY p.review_due_on, p.patient_id",
        )
        .bind(organization_id)
        .bind(today)
        .fetch_all(&mut **c)
        .await
    })?)
}

crate::json_columns!(PlanVersion, "treatment_plans", id, {
    /// The plan as this version states it.
    plan: body -> openiop_core::treatment_plan::Plan;
});
