//! Record retention: the records past their keeping time, and their disposal with a
//! certificate. Disposal deletes every row of the patient's record (the same tables a merge
//! moves, and the rows that hang off them), scrubs their lines from group notes and their
//! portal account, and keeps only the certificate and the audit trail.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

/// A patient whose record may be reviewed for disposal: no open episode, not named in a
/// breach, not a merged duplicate.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Closed {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: Date,
    pub created_at: Instant,
    pub last_discharged: Option<Date>,
}

/// Every closed record of an organization.
pub async fn list_closed(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Closed>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Closed>(
            "SELECT p.id, p.given_name, p.family_name, p.birth_date, p.created_at, MAX(e.discharged_on) AS last_discharged \
             FROM patients p LEFT JOIN episodes e ON e.patient_id = p.id \
             WHERE p.organization_id = $1 AND p.merged_into IS NULL \
             AND NOT EXISTS (SELECT 1 FROM breach_patients b WHERE b.patient_id = p.id) \
             GROUP BY p.id, p.given_name, p.family_name, p.birth_date, p.created_at \
             HAVING SUM(CASE WHEN e.status = 'active' THEN 1 ELSE 0 END) = 0 \
             ORDER BY p.family_name, p.given_name, p.id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// The statements that delete one patient's rows ($1), children before parents. Every table
/// a merge moves is here but `users` (scrubbed instead) and `breach_patients` (a patient in a
/// breach is never due).
pub const DISPOSAL_STEPS: &[&str] = &[
    "DELETE FROM note_addenda WHERE note_id IN (SELECT id FROM notes WHERE patient_id = $1 AND organization_id = $2)",
    "DELETE FROM notes WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM drug_test_results WHERE test_id IN (SELECT id FROM drug_tests WHERE patient_id = $1 AND organization_id = $2)",
    "DELETE FROM drug_tests WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM testing_draws WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM inquiry_attachments WHERE inquiry_id IN (SELECT id FROM inquiries WHERE patient_id = $1 AND organization_id = $2)",
    "DELETE FROM inquiry_moves WHERE inquiry_id IN (SELECT id FROM inquiries WHERE patient_id = $1 AND organization_id = $2)",
    "DELETE FROM inquiries WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM intensity_plans WHERE episode_id IN (SELECT id FROM episodes WHERE patient_id = $1 AND organization_id = $2)",
    "DELETE FROM disclosures WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM part2_consents WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM crisis_events WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM notifications WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM placement_reviews WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM medical_evaluations WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM placements WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM alerts WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM assessments WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM diagnoses WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM treatment_plans WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM consents WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM attendance_marks WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM session_enrollments WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM availability_windows WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM calendar_feeds WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM care_team_members WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM care_documents WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM check_ins WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM medications WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM emergency_access WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM emergency_disclosures WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM amendment_requests WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM patient_contacts WHERE patient_id = $1 AND organization_id = $2",
    "DELETE FROM episodes WHERE patient_id = $1 AND organization_id = $2",
];

/// What a disposal removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    pub rows: u64,
    /// Storage keys of the attachment files, to delete once the transaction has committed.
    pub files: Vec<String>,
}

/// Deletes one patient's record (and the merged duplicates that point to it) inside the
/// caller's transaction.
pub async fn dispose(db: &mut Db<'_>, organization_id: Uuid, patient_id: Uuid) -> Result<Removed> {
    let mut ids: Vec<Uuid> = on_db!(db, |c| {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT id FROM patients WHERE organization_id = $1 AND merged_into = $2 ORDER BY id",
        )
        .bind(organization_id)
        .bind(patient_id)
        .fetch_all(&mut **c)
        .await
    })?;
    ids.push(patient_id);
    let mut removed = Removed::default();
    for &id in &ids {
        let keys: Vec<String> = on_db!(db, |c| {
            sqlx::query_scalar::<_, String>(
                "SELECT a.storage_key FROM inquiry_attachments a JOIN inquiries i ON i.id = a.inquiry_id \
                 WHERE i.patient_id = $1 AND i.organization_id = $2",
            )
            .bind(id)
            .bind(organization_id)
            .fetch_all(&mut **c)
            .await
        })?;
        removed.files.extend(keys);
        scrub_group_notes(db, organization_id, id).await?;
        for sql in DISPOSAL_STEPS {
            removed.rows += on_db!(db, |c| {
                sqlx::query(*sql)
                    .bind(id)
                    .bind(organization_id)
                    .execute(&mut **c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
        }
        // The portal account stays (other rows name it as their author) but loses its link,
        // its name and every way in.
        let users: Vec<Uuid> = on_db!(db, |c| {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT id FROM users WHERE patient_id = $1 AND organization_id = $2",
            )
            .bind(id)
            .bind(organization_id)
            .fetch_all(&mut **c)
            .await
        })?;
        for user in users {
            removed.rows += on_db!(db, |c| {
                sqlx::query("DELETE FROM auth_sessions WHERE user_id = $1")
                    .bind(user)
                    .execute(&mut **c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            removed.rows += on_db!(db, |c| {
                sqlx::query(
                    "UPDATE users SET patient_id = NULL, active = FALSE, password_hash = '!', username = $2 \
                     WHERE id = $1 AND organization_id = $3",
                )
                .bind(user)
                .bind(format!("disposed-{user}"))
                .bind(organization_id)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
            })?;
        }
    }
    for &id in &ids {
        removed.rows += on_db!(db, |c| {
            sqlx::query("DELETE FROM patients WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(organization_id)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(removed)
}

/// Removes a patient's lines from the group notes that carry them (the shared narrative
/// stays with the other attendees' notes).
async fn scrub_group_notes(db: &mut Db<'_>, organization_id: Uuid, patient_id: Uuid) -> Result<()> {
    let needle = format!("%{patient_id}%");
    let notes: Vec<(Uuid, String)> = on_db!(db, |c| {
        sqlx::query_as::<_, (Uuid, String)>(
            "SELECT id, body FROM group_notes WHERE organization_id = $1 AND body LIKE $2",
        )
        .bind(organization_id)
        .bind(&needle)
        .fetch_all(&mut **c)
        .await
    })?;
    for (id, body) in notes {
        // A note that does not decode stops the purge: skipping it would leave the
        // patient's entry behind in a record that claims to be purged.
        let mut note: openiop_core::notes::GroupNote =
            crate::json_column("group_notes", id, "body", &body)?;
        note.entries.retain(|e| e.patient_id != patient_id);
        let body = serde_json::to_string(&note).map_err(|e| {
            crate::StoreError::Unsupported(format!("a group note could not be rewritten: {e}"))
        })?;
        on_db!(db, |c| {
            sqlx::query("UPDATE group_notes SET body = $1 WHERE id = $2")
                .bind(&body)
                .bind(id)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// A certificate of disposal.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Certificate {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub last_service_on: Date,
    pub due_on: Date,
    pub retention_years: i32,
    pub method: String,
    pub approved_by: String,
    pub rows_deleted: i64,
    pub files_deleted: i32,
    pub disposed_by: Uuid,
    pub disposed_at: Instant,
}

pub async fn insert_certificate(
    db: &mut Db<'_>,
    organization_id: Uuid,
    c: &Certificate,
) -> Result<()> {
    on_db!(db, |conn| {
        sqlx::query(
            "INSERT INTO disposals (id, organization_id, patient_id, last_service_on, due_on, retention_years, method, \
             approved_by, rows_deleted, files_deleted, disposed_by, disposed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(c.id)
        .bind(organization_id)
        .bind(c.patient_id)
        .bind(c.last_service_on)
        .bind(c.due_on)
        .bind(c.retention_years)
        .bind(&c.method)
        .bind(&c.approved_by)
        .bind(c.rows_deleted)
        .bind(c.files_deleted)
        .bind(c.disposed_by)
        .bind(c.disposed_at)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The certificates of an organization, newest first.
pub async fn list_certificates(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Certificate>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Certificate>(
            "SELECT id, patient_id, last_service_on, due_on, retention_years, method, approved_by, rows_deleted, \
             files_deleted, disposed_by, disposed_at FROM disposals WHERE organization_id = $1 ORDER BY disposed_at DESC, id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposal_deletes_from_every_table_a_merge_moves() {
        for table in crate::patients::MERGED_TABLES {
            if matches!(*table, "users" | "breach_patients") {
                continue;
            }
            let sql = format!("DELETE FROM {table} WHERE patient_id = $1 AND organization_id = $2");
            assert!(
                DISPOSAL_STEPS.contains(&sql.as_str()),
                "{table} is not disposed of"
            );
        }
    }
}
