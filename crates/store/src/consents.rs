//! Part 2 consents to disclose, and their revocation.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Part2Consent {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: String,
    /// JSON of the checked consent (elements and statements).
    pub body: String,
    pub signed_on: Date,
    pub expires_on: Option<Date>,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
    pub revoked_on: Option<Date>,
    pub revoked_by: Option<Uuid>,
    pub revocation_note: Option<String>,
}

impl Part2Consent {
    /// The checked consent as stored: its elements and statements from the body, and its
    /// signature and expiry dates from their own columns (the body does not carry them). A
    /// body that does not decode is an error naming the consent, never a default.
    pub fn consent(&self) -> Result<openiop_core::consent::Consent> {
        let mut consent: openiop_core::consent::Consent = serde_json::from_str(&self.body)
            .map_err(|e| {
                crate::StoreError::Corrupt(format!("part2_consents {}: body: {e}", self.id))
            })?;
        consent.signed_on = self.signed_on;
        consent.expires_on = self.expires_on;
        Ok(consent)
    }
}

pub async fn insert(db: &mut Db<'_>, organization_id: Uuid, c: &Part2Consent) -> Result<()> {
    on_db!(db, |conn| {
        sqlx::query(
            "INSERT INTO part2_consents (id, organization_id, patient_id, kind, body, signed_on, expires_on, recorded_by, \
             recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(c.id)
        .bind(organization_id)
        .bind(c.patient_id)
        .bind(&c.kind)
        .bind(&c.body)
        .bind(c.signed_on)
        .bind(c.expires_on)
        .bind(c.recorded_by)
        .bind(c.recorded_at)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A patient's consents, newest signature first.
pub async fn list_consents(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Part2Consent>> {
    Ok(on_db!(db, |conn| {
        sqlx::query_as::<_, Part2Consent>(
            "SELECT id, patient_id, kind, body, signed_on, expires_on, recorded_by, recorded_at, revoked_on, revoked_by, \
             revocation_note FROM part2_consents WHERE organization_id = $1 AND patient_id = $2 \
             ORDER BY signed_on DESC, recorded_at DESC, id DESC",
        )
        .bind(organization_id)
        .bind(patient_id)
        .fetch_all(&mut **conn)
        .await
    })?)
}

/// Records a written revocation; false when the consent is not this patient's or was revoked.
pub async fn revoke(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    id: Uuid,
    on: Date,
    by: Uuid,
    note: &str,
) -> Result<bool> {
    let n = on_db!(db, |conn| {
        sqlx::query(
            "UPDATE part2_consents SET revoked_on = $1, revoked_by = $2, revocation_note = $3 \
             WHERE organization_id = $6 AND id = $4 AND patient_id = $5 AND revoked_on IS NULL",
        )
        .bind(on)
        .bind(by)
        .bind(note)
        .bind(id)
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Disclosure {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub consent_id: Uuid,
    pub recipient: String,
    pub purpose: String,
    /// JSON array of the parts disclosed.
    pub parts: String,
    pub disclosed_by: Uuid,
    pub disclosed_at: Instant,
}

pub async fn insert_disclosure(
    db: &mut Db<'_>,
    organization_id: Uuid,
    d: &Disclosure,
) -> Result<()> {
    on_db!(db, |conn| {
        sqlx::query(
            "INSERT INTO disclosures (id, organization_id, patient_id, consent_id, recipient, purpose, parts, disclosed_by, \
             disclosed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(d.id)
        .bind(organization_id)
        .bind(d.patient_id)
        .bind(d.consent_id)
        .bind(&d.recipient)
        .bind(&d.purpose)
        .bind(&d.parts)
        .bind(d.disclosed_by)
        .bind(d.disclosed_at)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A patient's disclosures made since `since`, newest first.
pub async fn list_disclosures_since(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    since: Instant,
) -> Result<Vec<Disclosure>> {
    Ok(on_db!(db, |conn| {
        sqlx::query_as::<_, Disclosure>(
            "SELECT id, patient_id, consent_id, recipient, purpose, parts, disclosed_by, disclosed_at FROM disclosures \
             WHERE organization_id = $1 AND patient_id = $2 AND disclosed_at >= $3 ORDER BY disclosed_at DESC, id DESC",
        )
        .bind(organization_id)
        .bind(patient_id)
        .bind(since)
        .fetch_all(&mut **conn)
        .await
    })?)
}

crate::json_columns!(Disclosure, "disclosures", id, {
    /// The parts of the record disclosed.
    parts: parts -> Vec<String>;
});
