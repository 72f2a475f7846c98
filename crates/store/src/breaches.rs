//! Suspected breaches, the patients the audit trail shows were reached, and the letters sent.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Breach {
    pub id: Uuid,
    pub description: String,
    pub discovered_on: Date,
    pub window_from: Instant,
    pub window_to: Instant,
    pub actor_user_id: Option<Uuid>,
    pub status: String,
    /// JSON of the checked assessment, once made.
    pub assessment: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<Instant>,
}

/// One affected patient of a breach.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Affected {
    pub patient_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub accesses: i32,
    pub notified_at: Option<Instant>,
}

/// Records a suspected breach and, in the same transaction, its affected patients: every
/// patient whose record the audit trail shows was reached in the window (by the account
/// named, when one is). Merged records count as their survivor. Returns how many.
pub async fn insert(db: &mut Db<'_>, organization_id: Uuid, b: &Breach) -> Result<u64> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO breaches (id, organization_id, description, discovered_on, window_from, window_to, actor_user_id, \
             status, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(b.id)
        .bind(organization_id)
        .bind(&b.description)
        .bind(b.discovered_on)
        .bind(b.window_from)
        .bind(b.window_to)
        .bind(b.actor_user_id)
        .bind(&b.status)
        .bind(b.recorded_by)
        .bind(b.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO breach_patients (organization_id, breach_id, patient_id, accesses) \
             SELECT $1, $2, COALESCE(p.merged_into, p.id), COUNT(*) FROM audit_events a \
             JOIN patients p ON p.id = a.patient_id AND p.organization_id = $1 \
             WHERE a.organization_id = $1 AND a.outcome = 'allowed' AND a.at >= $3 AND a.at < $4 \
             AND ($5 = 0 OR a.actor_user_id = $6) \
             GROUP BY COALESCE(p.merged_into, p.id)",
        )
        .bind(organization_id)
        .bind(b.id)
        .bind(b.window_from)
        .bind(b.window_to)
        .bind(i32::from(b.actor_user_id.is_some()))
        .bind(b.actor_user_id.unwrap_or(Uuid::nil()))
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?)
}

macro_rules! breach_columns {
    () => {
        "id, description, discovered_on, window_from, window_to, actor_user_id, status, assessment, \
     recorded_by, recorded_at, decided_by, decided_at"
    };
}

/// The breach log of an organization, newest discovery first.
pub async fn list_breaches(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Breach>> {
    let sql = concat!(
        "SELECT ",
        breach_columns!(),
        " FROM breaches WHERE organization_id = $1 ORDER BY discovered_on DESC, recorded_at DESC, id"
    );
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Breach>(sql)
            .bind(organization_id)
            .fetch_all(&mut **c)
            .await
    })?)
}

pub async fn find_breach(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<Breach>> {
    let sql = concat!(
        "SELECT ",
        breach_columns!(),
        " FROM breaches WHERE organization_id = $1 AND id = $2"
    );
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Breach>(sql)
            .bind(organization_id)
            .bind(id)
            .fetch_optional(&mut **c)
            .await
    })?)
}

/// How many patients each breach of the organization reached.
pub async fn count_affected(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<(Uuid, i64)>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, (Uuid, i64)>(
            "SELECT breach_id, COUNT(*) FROM breach_patients WHERE organization_id = $1 GROUP BY breach_id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// The patients a breach reached, by name.
pub async fn list_affected(
    db: &mut Db<'_>,
    organization_id: Uuid,
    breach_id: Uuid,
) -> Result<Vec<Affected>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Affected>(
            "SELECT b.patient_id, p.given_name, p.family_name, b.accesses, b.notified_at FROM breach_patients b \
             JOIN patients p ON p.id = b.patient_id WHERE b.organization_id = $1 AND b.breach_id = $2 \
             ORDER BY p.family_name, p.given_name, p.id",
        )
        .bind(organization_id)
        .bind(breach_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Records the risk assessment of a suspected breach; false when it was assessed already.
pub async fn assess(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    status: &str,
    assessment: &str,
    by: Uuid,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE breaches SET status = $1, assessment = $2, decided_by = $3, decided_at = $4 \
             WHERE organization_id = $5 AND id = $6 AND status = 'suspected'",
        )
        .bind(status)
        .bind(assessment)
        .bind(by)
        .bind(at)
        .bind(organization_id)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Records that the letters not yet sent went out; returns how many.
pub async fn mark_notified(
    db: &mut Db<'_>,
    organization_id: Uuid,
    breach_id: Uuid,
    at: Instant,
) -> Result<u64> {
    Ok(on_db!(db, |c| {
        sqlx::query(
            "UPDATE breach_patients SET notified_at = $1 WHERE organization_id = $2 AND breach_id = $3 AND notified_at IS NULL",
        )
        .bind(at)
        .bind(organization_id)
        .bind(breach_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?)
}

crate::json_columns!(Breach, "breaches", id, {
    /// The four-factor risk assessment, once made.
    risk_assessment: assessment "nullable" -> openiop_core::breach::Assessment;
});
