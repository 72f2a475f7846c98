//! Daily check-ins.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckIn {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub on_date: Date,
    pub mood: i32,
    pub craving: i32,
    pub used: bool,
    /// JSON array of what was used.
    pub substances: String,
    pub note: Option<String>,
    /// `staff` or `patient`.
    pub source: String,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

pub async fn insert_check_in(db: &mut Db<'_>, organization_id: Uuid, c: &CheckIn) -> Result<()> {
    on_db!(db, |conn| {
        sqlx::query(
            "INSERT INTO check_ins (id, organization_id, patient_id, on_date, mood, craving, used, substances, note, source, \
             recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(c.id)
        .bind(organization_id)
        .bind(c.patient_id)
        .bind(c.on_date)
        .bind(c.mood)
        .bind(c.craving)
        .bind(c.used)
        .bind(&c.substances)
        .bind(&c.note)
        .bind(&c.source)
        .bind(c.recorded_by)
        .bind(c.recorded_at)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A patient's check-ins from `from` on, one per date (the newest), newest date first.
pub async fn list_check_ins_since(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    from: Date,
) -> Result<Vec<CheckIn>> {
    let rows = on_db!(db, |conn| {
        sqlx::query_as::<_, CheckIn>(
            "SELECT id, patient_id, on_date, mood, craving, used, substances, note, source, recorded_by, recorded_at \
             FROM check_ins WHERE organization_id = $1 AND patient_id = $2 AND on_date >= $3 \
             ORDER BY on_date DESC, recorded_at DESC, id DESC",
        )
        .bind(organization_id)
        .bind(patient_id)
        .bind(from)
        .fetch_all(&mut **conn)
        .await
    })?;
    let mut out: Vec<CheckIn> = Vec::new();
    for row in rows {
        if out.last().is_none_or(|c| c.on_date != row.on_date) {
            out.push(row);
        }
    }
    Ok(out)
}

crate::json_columns!(CheckIn, "check_ins", id, {
    /// The substances the patient reported using.
    substances: substances -> Vec<String>;
});
