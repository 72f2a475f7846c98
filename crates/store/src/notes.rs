//! Progress notes, group notes, addenda, supervisors and the named readers of SUD counseling
//! notes. A signed note is never updated: every change below is guarded by
//! `signed_at IS NULL` and reports whether it applied.

use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

/// A stored note (any kind).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Note {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub session_id: Option<Uuid>,
    pub group_note_id: Option<Uuid>,
    pub kind: String,
    pub format: String,
    /// JSON object: section key -> text.
    pub sections: String,
    pub service_start: Instant,
    pub service_end: Instant,
    pub author_id: Uuid,
    pub created_at: Instant,
    pub updated_at: Instant,
    pub signed_at: Option<Instant>,
    /// The supervisor who must co-sign, when the program requires it.
    pub cosigner_id: Option<Uuid>,
    pub cosigned_at: Option<Instant>,
}

/// The columns of [`Note`], in its field order (a macro, so queries stay `&'static str`).
macro_rules! note_columns {
    () => {
        "id, patient_id, session_id, group_note_id, kind, format, sections, service_start, service_end, \
         author_id, created_at, updated_at, signed_at, cosigner_id, cosigned_at"
    };
}

pub async fn insert_note(db: &mut Db<'_>, organization_id: Uuid, n: &Note) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO notes (id, organization_id, patient_id, session_id, group_note_id, kind, format, sections, \
             service_start, service_end, author_id, created_at, updated_at, signed_at, cosigner_id, cosigned_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(n.id)
        .bind(organization_id)
        .bind(n.patient_id)
        .bind(n.session_id)
        .bind(n.group_note_id)
        .bind(&n.kind)
        .bind(&n.format)
        .bind(&n.sections)
        .bind(n.service_start)
        .bind(n.service_end)
        .bind(n.author_id)
        .bind(n.created_at)
        .bind(n.updated_at)
        .bind(n.signed_at)
        .bind(n.cosigner_id)
        .bind(n.cosigned_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find_note(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    id: Uuid,
) -> Result<Option<Note>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Note>(concat!(
            "SELECT ",
            note_columns!(),
            " FROM notes WHERE organization_id = $1 AND patient_id = $2 AND id = $3"
        ))
        .bind(organization_id)
        .bind(patient_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// A patient's notes of some kinds, newest service first.
pub async fn list_notes(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    counseling: bool,
) -> Result<Vec<Note>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Note>(concat!(
            "SELECT ",
            note_columns!(),
            " FROM notes WHERE organization_id = $1 AND patient_id = $2 \
             AND (kind = 'sud_counseling') = $3 ORDER BY service_start DESC, created_at DESC, id DESC"
        ))
            .bind(organization_id)
            .bind(patient_id)
            .bind(counseling)
            .fetch_all(&mut **c)
            .await
    })?)
}

/// The attendee copies of a signed group note: (patient, note).
pub async fn list_copies(
    db: &mut Db<'_>,
    organization_id: Uuid,
    group_note_id: Uuid,
) -> Result<Vec<(Uuid, Uuid)>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, (Uuid, Uuid)>(
            "SELECT patient_id, id FROM notes WHERE organization_id = $1 AND group_note_id = $2 ORDER BY patient_id",
        )
        .bind(organization_id)
        .bind(group_note_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Replaces a draft's sections; false when the note is signed (or gone).
pub async fn update_draft(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    sections: &str,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE notes SET sections = $1, updated_at = $2 WHERE organization_id = $4 AND id = $3 AND signed_at IS NULL",
        )
        .bind(sections)
        .bind(now)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Signs a draft, naming the co-signer the program requires; false when already signed.
pub async fn sign_note(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    cosigner_id: Option<Uuid>,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE notes SET signed_at = $1, updated_at = $1, cosigner_id = $2 WHERE organization_id = $4 AND id = $3 AND signed_at IS NULL",
        )
        .bind(now)
        .bind(cosigner_id)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Records the co-signature; false unless the note is signed, awaits it, and `by` is the
/// named co-signer.
pub async fn cosign_note(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    by: Uuid,
    now: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE notes SET cosigned_at = $1 WHERE organization_id = $4 AND id = $2 AND signed_at IS NOT NULL AND cosigner_id = $3 \
             AND cosigned_at IS NULL",
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

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Addendum {
    pub id: Uuid,
    pub note_id: Uuid,
    pub author_id: Uuid,
    pub text: String,
    pub written_at: Instant,
}

pub async fn insert_addendum(db: &mut Db<'_>, organization_id: Uuid, a: &Addendum) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO note_addenda (id, organization_id, note_id, author_id, text, written_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a.id)
        .bind(organization_id)
        .bind(a.note_id)
        .bind(a.author_id)
        .bind(&a.text)
        .bind(a.written_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The addenda of some notes, oldest first.
pub async fn list_addenda(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Addendum>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Addendum>(
            "SELECT a.id, a.note_id, a.author_id, a.text, a.written_at FROM note_addenda a \
             JOIN notes n ON n.id = a.note_id WHERE a.organization_id = $1 AND n.patient_id = $2 \
             ORDER BY a.written_at, a.id",
        )
        .bind(organization_id)
        .bind(patient_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// A session's group note.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupNote {
    pub id: Uuid,
    pub session_id: Uuid,
    pub author_id: Uuid,
    /// JSON of `openiop_core::notes::GroupNote`.
    pub body: String,
    pub created_at: Instant,
    pub updated_at: Instant,
    pub signed_at: Option<Instant>,
}

pub async fn find_group_note(
    db: &mut Db<'_>,
    organization_id: Uuid,
    session_id: Uuid,
) -> Result<Option<GroupNote>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, GroupNote>(
            "SELECT id, session_id, author_id, body, created_at, updated_at, signed_at FROM group_notes \
             WHERE organization_id = $1 AND session_id = $2",
        )
        .bind(organization_id)
        .bind(session_id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

pub async fn insert_group_note(
    db: &mut Db<'_>,
    organization_id: Uuid,
    g: &GroupNote,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO group_notes (id, organization_id, session_id, author_id, body, created_at, updated_at, signed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(g.id)
        .bind(organization_id)
        .bind(g.session_id)
        .bind(g.author_id)
        .bind(&g.body)
        .bind(g.created_at)
        .bind(g.updated_at)
        .bind(g.signed_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Saves a group note draft (and signs it when `signed_at` is set); false when it is already
/// signed.
pub async fn update_group_note(
    db: &mut Db<'_>,
    id: Uuid,
    body: &str,
    now: Instant,
    signed_at: Option<Instant>,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE group_notes SET body = $1, updated_at = $2, signed_at = $3 WHERE id = $4 AND signed_at IS NULL",
        )
        .bind(body)
        .bind(now)
        .bind(signed_at)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// A session that ended without its signed note: what the documentation-latency list shows.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnsignedSession {
    pub session_id: Uuid,
    pub title: String,
    pub kind: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
    pub facilitator_id: Option<Uuid>,
    /// The first patient enrolled (an appointment's patient).
    pub first_patient: Option<Uuid>,
}

/// Sessions that ended in `[from, until)` with at least one attendee marked present, late or
/// left early, and no signed note: for group kinds no signed group note, for appointments no
/// signed note of the session. `facilitator` limits them to one clinician's sessions.
pub async fn list_unsigned_sessions(
    db: &mut Db<'_>,
    organization_id: Uuid,
    facilitator: Option<Uuid>,
    from: Instant,
    until: Instant,
) -> Result<Vec<UnsignedSession>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, UnsignedSession>(
            "SELECT s.id AS session_id, s.title, s.kind, s.starts_at, s.ends_at, s.facilitator_id, \
             (SELECT e.patient_id FROM session_enrollments e WHERE e.session_id = s.id ORDER BY e.enrolled_at, e.patient_id LIMIT 1) \
             AS first_patient FROM sessions s \
             WHERE s.organization_id = $1 AND ($2 = 0 OR s.facilitator_id = $3) AND s.ends_at >= $4 AND s.ends_at < $5 \
             AND s.kind <> 'mutual_help' \
             AND EXISTS (SELECT 1 FROM attendance_marks m WHERE m.session_id = s.id \
                 AND m.status IN ('present', 'late', 'left_early') \
                 AND m.id = (SELECT a.id FROM attendance_marks a WHERE a.session_id = s.id AND a.patient_id = m.patient_id \
                     ORDER BY a.recorded_at DESC, a.id DESC LIMIT 1)) \
             AND NOT EXISTS (SELECT 1 FROM group_notes g WHERE g.session_id = s.id AND g.signed_at IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM notes n WHERE n.session_id = s.id AND n.kind <> 'sud_counseling' \
                 AND n.signed_at IS NOT NULL) \
             ORDER BY s.ends_at, s.id",
        )
        .bind(organization_id)
        .bind(i32::from(facilitator.is_some()))
        .bind(facilitator.unwrap_or(Uuid::nil()))
        .bind(from)
        .bind(until)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Sets (or clears) a staff member's supervisor.
pub async fn set_supervisor(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    supervisor_id: Option<Uuid>,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query("UPDATE users SET supervisor_id = $1 WHERE organization_id = $2 AND id = $3")
            .bind(supervisor_id)
            .bind(organization_id)
            .bind(user_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Every supervised staff member of an organization and their supervisor.
pub async fn list_supervisors(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<(Uuid, Uuid)>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, (Uuid, Uuid)>(
            "SELECT id, supervisor_id FROM users WHERE organization_id = $1 AND supervisor_id IS NOT NULL ORDER BY id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

pub async fn find_supervisor(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Uuid>> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, Option<Uuid>>(
            "SELECT supervisor_id FROM users WHERE organization_id = $2 AND id = $1",
        )
        .bind(user_id)
        .bind(organization_id)
        .fetch_optional(&mut **c)
        .await
    })?
    .flatten())
}

/// The staff the program names as readers of SUD counseling notes.
pub async fn list_counseling_readers(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT user_id FROM counseling_note_readers WHERE organization_id = $1 ORDER BY user_id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Replaces the named readers of SUD counseling notes.
pub async fn set_counseling_readers(
    db: &mut Db<'_>,
    organization_id: Uuid,
    users: &[Uuid],
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("DELETE FROM counseling_note_readers WHERE organization_id = $1")
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    for user in users {
        on_db!(db, |c| {
            sqlx::query(
                "INSERT INTO counseling_note_readers (organization_id, user_id) VALUES ($1, $2)",
            )
            .bind(organization_id)
            .bind(*user)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

crate::json_columns!(Note, "notes", id, {
    /// The note's sections, as written.
    sections: sections -> openiop_core::notes::Sections;
});

crate::json_columns!(GroupNote, "group_notes", id, {
    /// The group note as written.
    note: body -> openiop_core::notes::GroupNote;
});

crate::enum_columns!(Note, "notes", id; {
    /// What kind of note this is (individual, group, SUD counseling...).
    note_kind: kind -> openiop_core::notes::NoteKind;
    /// The note's format (DAP, SOAP, process...).
    note_format: format -> openiop_core::notes::NoteFormat;
});
