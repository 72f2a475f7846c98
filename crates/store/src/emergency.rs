//! Broken glass and 2.51 medical-emergency disclosures, and their review queue.

use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EmergencyAccess {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub user_id: Uuid,
    pub reason: String,
    pub opened_at: Instant,
    pub expires_at: Instant,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<Instant>,
    pub review_note: Option<String>,
}

pub async fn insert_access(
    db: &mut Db<'_>,
    organization_id: Uuid,
    a: &EmergencyAccess,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO emergency_access (id, organization_id, patient_id, user_id, reason, opened_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.id)
        .bind(organization_id)
        .bind(a.patient_id)
        .bind(a.user_id)
        .bind(&a.reason)
        .bind(a.opened_at)
        .bind(a.expires_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Emergency openings of an organization, newest first: all, or only those not yet reviewed.
pub async fn list_accesses(
    db: &mut Db<'_>,
    organization_id: Uuid,
    unreviewed_only: bool,
) -> Result<Vec<EmergencyAccess>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, EmergencyAccess>(
            "SELECT id, patient_id, user_id, reason, opened_at, expires_at, reviewed_by, reviewed_at, review_note \
             FROM emergency_access WHERE organization_id = $1 AND ($2 = 0 OR reviewed_at IS NULL) \
             ORDER BY opened_at DESC, id DESC",
        )
        .bind(organization_id)
        .bind(i32::from(unreviewed_only))
        .fetch_all(&mut **c)
        .await
    })?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EmergencyDisclosure {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub disclosed_by: Uuid,
    pub disclosed_at: Instant,
    pub recipient_name: String,
    pub recipient_facility: String,
    pub nature_of_emergency: String,
    pub information: String,
    pub recorded_at: Instant,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<Instant>,
    pub review_note: Option<String>,
}

pub async fn insert_disclosure(
    db: &mut Db<'_>,
    organization_id: Uuid,
    d: &EmergencyDisclosure,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO emergency_disclosures (id, organization_id, patient_id, disclosed_by, disclosed_at, recipient_name, \
             recipient_facility, nature_of_emergency, information, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(d.id)
        .bind(organization_id)
        .bind(d.patient_id)
        .bind(d.disclosed_by)
        .bind(d.disclosed_at)
        .bind(&d.recipient_name)
        .bind(&d.recipient_facility)
        .bind(&d.nature_of_emergency)
        .bind(&d.information)
        .bind(d.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Medical-emergency disclosures, newest first: of one patient, or of the organization
/// (optionally only those not yet reviewed).
pub async fn list_disclosures(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Option<Uuid>,
    unreviewed_only: bool,
) -> Result<Vec<EmergencyDisclosure>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, EmergencyDisclosure>(
            "SELECT id, patient_id, disclosed_by, disclosed_at, recipient_name, recipient_facility, nature_of_emergency, \
             information, recorded_at, reviewed_by, reviewed_at, review_note FROM emergency_disclosures \
             WHERE organization_id = $1 AND ($2 = 0 OR patient_id = $3) AND ($4 = 0 OR reviewed_at IS NULL) \
             ORDER BY disclosed_at DESC, id DESC",
        )
        .bind(organization_id)
        .bind(i32::from(patient_id.is_some()))
        .bind(patient_id.unwrap_or(Uuid::nil()))
        .bind(i32::from(unreviewed_only))
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Which review queue an item is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Access,
    Disclosure,
}

/// Records an admin's review; false when the item is not in the organization or was
/// reviewed already.
pub async fn review(
    db: &mut Db<'_>,
    queue: Queue,
    organization_id: Uuid,
    id: Uuid,
    by: Uuid,
    note: &str,
    at: Instant,
) -> Result<bool> {
    let sql = match queue {
        Queue::Access => {
            "UPDATE emergency_access SET reviewed_by = $1, reviewed_at = $2, review_note = $3 \
             WHERE organization_id = $4 AND id = $5 AND reviewed_at IS NULL"
        }
        Queue::Disclosure => {
            "UPDATE emergency_disclosures SET reviewed_by = $1, reviewed_at = $2, review_note = $3 \
             WHERE organization_id = $4 AND id = $5 AND reviewed_at IS NULL"
        }
    };
    let n = on_db!(db, |c| {
        sqlx::query(sql)
            .bind(by)
            .bind(at)
            .bind(note)
            .bind(organization_id)
            .bind(id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
