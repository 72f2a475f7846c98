//! Requests to amend the record, their decisions and the patient's disagreement.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AmendmentRequest {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub information: String,
    pub requested_change: String,
    pub reason: String,
    pub requested_by: Uuid,
    pub requested_at: Instant,
    pub due_on: Date,
    pub status: String,
    pub basis: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<Instant>,
    pub disagreement: Option<String>,
    pub disagreement_at: Option<Instant>,
}

macro_rules! amendment_columns {
    () => {
        "id, patient_id, information, requested_change, reason, requested_by, requested_at, due_on, \
     status, basis, decision_note, decided_by, decided_at, disagreement, disagreement_at"
    };
}

pub async fn insert(db: &mut Db<'_>, organization_id: Uuid, r: &AmendmentRequest) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO amendment_requests (id, organization_id, patient_id, information, requested_change, reason, \
             requested_by, requested_at, due_on, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(r.id)
        .bind(organization_id)
        .bind(r.patient_id)
        .bind(&r.information)
        .bind(&r.requested_change)
        .bind(&r.reason)
        .bind(r.requested_by)
        .bind(r.requested_at)
        .bind(r.due_on)
        .bind(&r.status)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A patient's requests, newest first.
pub async fn list_amendment_requests(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<AmendmentRequest>> {
    let sql = concat!(
        "SELECT ",
        amendment_columns!(),
        " FROM amendment_requests WHERE organization_id = $1 AND patient_id = $2 \
         ORDER BY requested_at DESC, id DESC"
    );
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, AmendmentRequest>(sql)
            .bind(organization_id)
            .bind(patient_id)
            .fetch_all(&mut **c)
            .await
    })?)
}

/// The organization's requests still awaiting a decision, the soonest due first.
pub async fn list_pending(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<AmendmentRequest>> {
    let sql = concat!(
        "SELECT ",
        amendment_columns!(),
        " FROM amendment_requests WHERE organization_id = $1 AND status = 'pending' \
         ORDER BY due_on, requested_at, id"
    );
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, AmendmentRequest>(sql)
            .bind(organization_id)
            .fetch_all(&mut **c)
            .await
    })?)
}

/// Records the decision on a pending request; false when it is not this patient's pending one.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    id: Uuid,
    status: &str,
    basis: Option<&str>,
    note: &str,
    by: Uuid,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE amendment_requests SET status = $1, basis = $2, decision_note = $3, decided_by = $4, decided_at = $5 \
             WHERE organization_id = $8 AND id = $6 AND patient_id = $7 AND status = 'pending'",
        )
        .bind(status)
        .bind(basis)
        .bind(note)
        .bind(by)
        .bind(at)
        .bind(id)
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Files the patient's statement of disagreement with a denial (once); false otherwise.
pub async fn disagree(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    id: Uuid,
    statement: &str,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE amendment_requests SET disagreement = $1, disagreement_at = $2 \
             WHERE organization_id = $5 AND id = $3 AND patient_id = $4 AND status = 'denied' AND disagreement IS NULL",
        )
        .bind(statement)
        .bind(at)
        .bind(id)
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
