//! The people around a patient (guardian, emergency contact, family, support), each with a role.

use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Contact {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub name: String,
    pub role: String,
    pub relationship: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub added_by: Uuid,
    pub added_at: Instant,
}

pub async fn insert(db: &mut Db<'_>, organization_id: Uuid, c: &Contact) -> Result<()> {
    on_db!(db, |conn| {
        sqlx::query(
            "INSERT INTO patient_contacts (id, organization_id, patient_id, name, role, relationship, phone, email, \
             added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.id)
        .bind(organization_id)
        .bind(c.patient_id)
        .bind(&c.name)
        .bind(&c.role)
        .bind(&c.relationship)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(c.added_by)
        .bind(c.added_at)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A patient's current contacts (removed ones are kept out of sight), guardians first.
pub async fn list_contacts(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Contact>> {
    Ok(on_db!(db, |conn| {
        sqlx::query_as::<_, Contact>(
            "SELECT id, patient_id, name, role, relationship, phone, email, added_by, added_at FROM patient_contacts \
             WHERE organization_id = $1 AND patient_id = $2 AND removed_at IS NULL \
             ORDER BY CASE role WHEN 'guardian' THEN 0 WHEN 'emergency' THEN 1 ELSE 2 END, added_at, id",
        )
        .bind(organization_id)
        .bind(patient_id)
        .fetch_all(&mut **conn)
        .await
    })?)
}

/// Removes a contact (the row is kept with its removal time); false when not this patient's.
pub async fn remove(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    id: Uuid,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |conn| {
        sqlx::query(
            "UPDATE patient_contacts SET removed_at = $1 WHERE organization_id = $4 AND id = $2 AND patient_id = $3 AND removed_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
