//! Inquiries from the public "get help" form and the admissions pipeline.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

/// A new inquiry, as received.
#[derive(Debug, Clone, Default)]
pub struct NewInquiry {
    pub name: Option<String>,
    pub contact: String,
    pub contact_method: Option<String>,
    pub safe_times: Option<String>,
    pub for_whom: Option<String>,
    pub substances: Option<String>,
    pub wants: Option<String>,
    pub message: Option<String>,
}

/// An attachment's metadata (its content is in the file store under `storage_key`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attachment {
    pub id: Uuid,
    pub inquiry_id: Uuid,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Inquiry {
    pub id: Uuid,
    pub received_at: Instant,
    pub name: Option<String>,
    pub contact: String,
    pub contact_method: Option<String>,
    pub safe_times: Option<String>,
    pub for_whom: Option<String>,
    pub substances: Option<String>,
    pub wants: Option<String>,
    pub message: Option<String>,
    pub stage: String,
    pub stage_since: Instant,
    pub owner_id: Option<Uuid>,
    pub next_step: Option<String>,
    pub due_on: Option<Date>,
    pub evaluation_at: Option<Instant>,
    pub evaluation_staff_id: Option<Uuid>,
    pub first_contact_at: Option<Instant>,
    pub evaluated_at: Option<Instant>,
    pub patient_id: Option<Uuid>,
    pub episode_id: Option<Uuid>,
}

macro_rules! inquiry_columns {
    () => {
        "id, received_at, name, contact, contact_method, safe_times, for_whom, substances, wants, message, stage, stage_since, \
         owner_id, next_step, due_on, evaluation_at, evaluation_staff_id, first_contact_at, evaluated_at, patient_id, episode_id"
    };
}

pub async fn insert_inquiry(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    inquiry: &NewInquiry,
    stage: &str,
    at: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO inquiries (id, organization_id, received_at, name, contact, contact_method, safe_times, for_whom, \
             substances, wants, message, stage, stage_since) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $3)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(at)
        .bind(&inquiry.name)
        .bind(&inquiry.contact)
        .bind(&inquiry.contact_method)
        .bind(&inquiry.safe_times)
        .bind(&inquiry.for_whom)
        .bind(&inquiry.substances)
        .bind(&inquiry.wants)
        .bind(&inquiry.message)
        .bind(stage)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    insert_move(db, organization_id, id, at, None, None, stage, None).await
}

pub async fn insert_attachment(
    db: &mut Db<'_>,
    organization_id: Uuid,
    a: &Attachment,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO inquiry_attachments (id, organization_id, inquiry_id, file_name, media_type, size_bytes, sha256, storage_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.id)
        .bind(organization_id)
        .bind(a.inquiry_id)
        .bind(&a.file_name)
        .bind(&a.media_type)
        .bind(a.size_bytes)
        .bind(&a.sha256)
        .bind(&a.storage_key)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_attachments(db: &mut Db<'_>, inquiry_id: Uuid) -> Result<Vec<Attachment>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Attachment>(
            "SELECT id, inquiry_id, file_name, media_type, size_bytes, sha256, storage_key FROM inquiry_attachments \
             WHERE inquiry_id = $1 ORDER BY id",
        )
        .bind(inquiry_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_move(
    db: &mut Db<'_>,
    organization_id: Uuid,
    inquiry_id: Uuid,
    at: Instant,
    by_user: Option<Uuid>,
    from_stage: Option<&str>,
    to_stage: &str,
    note: Option<&str>,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO inquiry_moves (id, organization_id, inquiry_id, at, by_user, from_stage, to_stage, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(openiop_core::id::new_id())
        .bind(organization_id)
        .bind(inquiry_id)
        .bind(at)
        .bind(by_user)
        .bind(from_stage)
        .bind(to_stage)
        .bind(note)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Inquiries of an organization, newest first, optionally in one stage.
pub async fn list_inquiries(
    db: &mut Db<'_>,
    organization_id: Uuid,
    stage: Option<&str>,
    limit: u32,
) -> Result<Vec<Inquiry>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Inquiry>(concat!(
            "SELECT ",
            inquiry_columns!(),
            " FROM inquiries WHERE organization_id = $1 AND ($2 = 0 OR stage = $3) ORDER BY received_at DESC, id DESC LIMIT $4"
        ))
        .bind(organization_id)
        .bind(i32::from(stage.is_some()))
        .bind(stage.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&mut **c)
        .await
    })?)
}

pub async fn find_inquiry(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<Inquiry>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Inquiry>(concat!(
            "SELECT ",
            inquiry_columns!(),
            " FROM inquiries WHERE organization_id = $1 AND id = $2"
        ))
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// Moves an inquiry to a stage (the caller checked the move is allowed), recording when
/// the first contact and the evaluation happened.
pub async fn set_stage(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    stage: &str,
    at: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE inquiries SET stage = $1, stage_since = $2, \
             first_contact_at = CASE WHEN $1 = 'contacted' AND first_contact_at IS NULL THEN $2 ELSE first_contact_at END, \
             evaluated_at = CASE WHEN $1 = 'evaluated' THEN $2 ELSE evaluated_at END \
             WHERE organization_id = $4 AND id = $3",
        )
        .bind(stage)
        .bind(at)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Sets who owns an inquiry, the next step and its due date.
pub async fn set_assignment(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    owner_id: Option<Uuid>,
    next_step: Option<&str>,
    due_on: Option<Date>,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE inquiries SET owner_id = $1, next_step = $2, due_on = $3 WHERE organization_id = $5 AND id = $4")
            .bind(owner_id)
            .bind(next_step)
            .bind(due_on)
            .bind(id)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Books the evaluation.
pub async fn set_evaluation(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    at: Instant,
    staff_id: Uuid,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE inquiries SET evaluation_at = $1, evaluation_staff_id = $2 WHERE organization_id = $4 AND id = $3",
        )
        .bind(at)
        .bind(staff_id)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Links the inquiry to the patient and episode it became.
pub async fn set_admitted(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    patient_id: Uuid,
    episode_id: Uuid,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE inquiries SET patient_id = $1, episode_id = $2 WHERE organization_id = $4 AND id = $3")
            .bind(patient_id)
            .bind(episode_id)
            .bind(id)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// One move of the pipeline's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Move {
    pub at: Instant,
    pub by_user: Option<Uuid>,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub note: Option<String>,
}

pub async fn list_moves(db: &mut Db<'_>, inquiry_id: Uuid) -> Result<Vec<Move>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Move>(
            "SELECT at, by_user, from_stage, to_stage, note FROM inquiry_moves WHERE inquiry_id = $1 ORDER BY at, id",
        )
        .bind(inquiry_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

crate::enum_columns!(Inquiry, "inquiries", id; {
    /// Where the inquiry stands on the admissions board.
    current_stage: stage -> openiop_core::admissions::Stage;
});
