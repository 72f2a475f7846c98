//! Progress notes: individual and family session notes (DAP, SOAP, BIRP) tied to the
//! appointment, group notes written once per session and signed into each attendee's chart,
//! the lifecycle (draft -> signed -> addenda, co-signature by the author's supervisor where
//! the program requires it), late entries, documentation latency, and SUD counseling notes
//! kept apart (their author and the named readers only).

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::Invalid;
use openiop_core::access::{Access, Action, Part, Role};
use openiop_core::access::{Relationship, decide, may};
use openiop_core::attendance::Status;
use openiop_core::id::{NoteId, PatientId, SessionId, UserId};
use openiop_core::notes::{
    self, GroupNote, NoteFormat, NoteKind, NoteStatus, Sections, check_sections,
};
use openiop_core::session_kind::SessionKind;
use openiop_store::Instant;
use openiop_store::notes::{self as store, Addendum, Note};
use openiop_store::patients::Patient;
use openiop_store::sessions::{self as store_sessions, Session};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{ListPage, body_id, open_patient, permitted_patients, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

mod group;
mod signing;
mod staff;

pub use group::*;
pub use signing::*;
pub use staff::*;

#[derive(Debug, Clone, Serialize)]
pub struct AddendumJson {
    pub id: Uuid,
    pub author_id: Uuid,
    pub text: String,
    pub written_at: Instant,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub session_id: Option<Uuid>,
    pub group_note_id: Option<Uuid>,
    pub kind: NoteKind,
    pub format: NoteFormat,
    pub sections: Sections,
    pub status: &'static str,
    pub service_start: Instant,
    pub service_end: Instant,
    pub author_id: Uuid,
    pub created_at: Instant,
    pub updated_at: Instant,
    pub signed_at: Option<Instant>,
    /// Signed more than 24 hours after the session ended; `signed_at` is when it was written.
    pub late_entry: bool,
    pub cosigner_id: Option<Uuid>,
    pub cosigned_at: Option<Instant>,
    pub addenda: Vec<AddendumJson>,
}

impl NoteJson {
    pub fn new(n: &Note, addenda: &[Addendum]) -> ApiResult<NoteJson> {
        Ok(NoteJson {
            id: n.id,
            patient_id: n.patient_id,
            session_id: n.session_id,
            group_note_id: n.group_note_id,
            kind: n.note_kind()?,
            format: n.note_format()?,
            sections: n.sections()?,
            status: status(n).as_str(),
            service_start: n.service_start,
            service_end: n.service_end,
            author_id: n.author_id,
            created_at: n.created_at,
            updated_at: n.updated_at,
            signed_at: n.signed_at,
            late_entry: n
                .signed_at
                .is_some_and(|at| notes::is_late_entry(n.service_end.get(), at.get())),
            cosigner_id: n.cosigner_id,
            cosigned_at: n.cosigned_at,
            addenda: addenda
                .iter()
                .filter(|a| a.note_id == n.id)
                .map(|a| AddendumJson {
                    id: a.id,
                    author_id: a.author_id,
                    text: a.text.clone(),
                    written_at: a.written_at,
                })
                .collect(),
        })
    }
}

pub fn status(n: &Note) -> NoteStatus {
    NoteStatus::of(
        n.signed_at.is_some(),
        n.cosigner_id.is_some(),
        n.cosigned_at.is_some(),
    )
}

fn counseling(n: &Note) -> bool {
    n.kind == NoteKind::SudCounseling.as_str()
}

/// Which part of the record a kind of note is.
fn part_of(counseling: bool) -> Part {
    if counseling {
        Part::CounselingNotes
    } else {
        Part::Notes
    }
}

/// Whether the caller may read this counseling note (any other note: yes).
async fn may_read(state: &AppState, caller: &Caller, n: &Note) -> ApiResult<bool> {
    if !counseling(n) {
        return Ok(true);
    }
    let mut conn = state.store.read().await?;
    let named = store::list_counseling_readers(&mut conn.db(), caller.organization_id).await?;
    Ok(notes::may_read_counseling_note(
        caller.user_id,
        n.author_id,
        &named,
    ))
}

/// A patient's notes of one side of the record (progress notes, or counseling notes the
/// caller may read), with their addenda. Used by the API and the pages.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    counseling_notes: bool,
) -> ApiResult<(Patient, Vec<NoteJson>)> {
    let action = if counseling_notes {
        "counseling_note.list"
    } else {
        "note.list"
    };
    let patient = open_patient(
        state,
        caller,
        id,
        part_of(counseling_notes),
        Access::Read,
        action,
    )
    .await?;
    let mut conn = state.store.read().await?;
    let rows = store::list_notes(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
        counseling_notes,
    )
    .await?;
    let addenda = store::list_addenda(&mut conn.db(), caller.organization_id, patient.id).await?;
    let named = if counseling_notes {
        store::list_counseling_readers(&mut conn.db(), caller.organization_id).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let items = rows
        .iter()
        .filter(|n| {
            !counseling_notes
                || notes::may_read_counseling_note(caller.user_id, n.author_id, &named)
        })
        .map(|n| NoteJson::new(n, &addenda))
        .collect::<ApiResult<_>>()?;
    Ok((patient, items))
}

/// `GET /api/v1/patients/{id}/notes`: progress and group notes, newest session first.
pub async fn list_notes(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<NoteJson>>> {
    let (_, items) = list(&state, &caller, id, false).await?;
    Ok(Json(ListPage::whole(items)))
}

/// `GET /api/v1/patients/{id}/counseling-notes`: the SUD counseling notes the caller may read.
pub async fn list_counseling_notes(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<NoteJson>>> {
    let (_, items) = list(&state, &caller, id, true).await?;
    Ok(Json(ListPage::whole(items)))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNoteBody {
    /// The appointment (individual, family or medication-management session) documented.
    pub session_id: String,
    pub format: String,
    #[serde(default)]
    pub sections: Sections,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCounselingNoteBody {
    pub text: String,
    /// The session it concerns, if any.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// The note kind that documents a session of this kind, if one does.
fn appointment_note_kind(session_kind: &str) -> Option<NoteKind> {
    SessionKind::parse(session_kind).and_then(SessionKind::appointment_note)
}

/// The session a note documents: of this organization, with the patient enrolled.
async fn enrolled_session(
    state: &AppState,
    caller: &Caller,
    patient_id: Uuid,
    text: &str,
) -> ApiResult<Session> {
    let id = body_id("session_id", text)?;
    let mut conn = state.store.read().await?;
    let session = store_sessions::find_session(&mut conn.db(), caller.organization_id, id).await?;
    let enrolled = match &session {
        Some(s) => {
            store_sessions::list_enrolled(&mut conn.db(), caller.organization_id, s.id).await?
        }
        None => Vec::new(),
    };
    match session {
        Some(s) if enrolled.contains(&patient_id) => Ok(s),
        _ => Err(Invalid::one(
            "session_id",
            "must be a session this patient is booked into",
        )
        .into()),
    }
}

/// What a new draft documents.
struct Draft {
    patient_id: Uuid,
    session_id: Option<Uuid>,
    kind: NoteKind,
    format: NoteFormat,
    sections: Sections,
    service: (Instant, Instant),
}

/// Stores a new draft by the caller, audited as `action`.
async fn start_draft(
    state: &AppState,
    caller: &Caller,
    draft: Draft,
    action: &str,
) -> ApiResult<NoteJson> {
    let now = Instant::new(state.now());
    let note = Note {
        id: openiop_core::id::new_id(),
        patient_id: draft.patient_id,
        session_id: draft.session_id,
        group_note_id: None,
        kind: draft.kind.as_str().to_owned(),
        format: draft.format.as_str().to_owned(),
        sections: serde_json::to_string(&draft.sections)
            .map_err(|e| ApiError::caused("encoding JSON", e))?,
        service_start: draft.service.0,
        service_end: draft.service.1,
        author_id: caller.user_id,
        created_at: now,
        updated_at: now,
        signed_at: None,
        cosigner_id: None,
        cosigned_at: None,
    };
    let mut tx = state.store.begin().await?;
    store::insert_note(&mut tx.db(), caller.organization_id, &note).await?;
    let event = note_event(caller, action, &note).detail(format!("{} {}", note.kind, note.format));
    tx.audit(event.build(now.get())).await?;
    tx.commit().await?;
    NoteJson::new(&note, &[])
}

/// Starts an individual or family session note (a draft) on its appointment.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &NewNoteBody,
) -> ApiResult<NoteJson> {
    let patient =
        open_patient(state, caller, id, Part::Notes, Access::Write, "note.create").await?;
    let format = NoteFormat::parse(&body.format)
        .filter(|f| NoteFormat::CHOSEN.contains(f))
        .ok_or_else(|| Invalid::one("format", "must be dap, soap or birp"))?;
    let sections = check_sections(format, &body.sections, false)?;
    let session = enrolled_session(state, caller, patient.id, &body.session_id).await?;
    let kind = appointment_note_kind(&session.kind).ok_or_else(|| {
        Invalid::one(
            "session_id",
            "must be an individual, family or medication-management appointment (group sessions have a group note)",
        )
    })?;
    let draft = Draft {
        patient_id: patient.id,
        session_id: Some(session.id),
        kind,
        format,
        sections,
        service: (session.starts_at, session.ends_at),
    };
    start_draft(state, caller, draft, "note.create").await
}

/// Starts a SUD counseling note (a draft).
pub async fn create_counseling(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &NewCounselingNoteBody,
) -> ApiResult<NoteJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::CounselingNotes,
        Access::Write,
        "counseling_note.create",
    )
    .await?;
    let mut sections = Sections::new();
    sections.insert("text".into(), body.text.clone());
    let sections = check_sections(NoteFormat::Process, &sections, false).map_err(|_| {
        Invalid::one(
            "text",
            format!("must be at most {} characters", notes::MAX_SECTION),
        )
    })?;
    let (start, end, session_id) = match body.session_id.as_deref() {
        Some(text) => {
            let s = enrolled_session(state, caller, patient.id, text).await?;
            (s.starts_at, s.ends_at, Some(s.id))
        }
        None => {
            let now = Instant::new(state.now());
            (now, now, None)
        }
    };
    let draft = Draft {
        patient_id: patient.id,
        session_id,
        kind: NoteKind::SudCounseling,
        format: NoteFormat::Process,
        sections,
        service: (start, end),
    };
    start_draft(state, caller, draft, "counseling_note.create").await
}

/// `POST /api/v1/patients/{id}/notes`
pub async fn post_note(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<NewNoteBody>,
) -> ApiResult<(StatusCode, Json<NoteJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(create(&state, &caller, id, &body).await?),
    ))
}

/// `POST /api/v1/patients/{id}/counseling-notes`
pub async fn post_counseling_note(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<NewCounselingNoteBody>,
) -> ApiResult<(StatusCode, Json<NoteJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(create_counseling(&state, &caller, id, &body).await?),
    ))
}

/// Opens one note of a patient for reading or writing: the policy for its side of the record
/// (progress or counseling notes), then, for counseling notes, author or named reader
/// (anyone else: 404, as if it did not exist). Every refusal is audited.
pub async fn open_note(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    note_id: NoteId,
    access: Access,
    action: &str,
) -> ApiResult<(Patient, Note, Vec<Addendum>)> {
    // Read-only look-up first, to learn which side of the record the note is on.
    let note_id = note_id.uuid();
    let patient_id = id.uuid();
    let mut conn = state.store.read().await?;
    let found =
        store::find_note(&mut conn.db(), caller.organization_id, patient_id, note_id).await?;
    drop(conn);
    let is_counseling = found.as_ref().is_some_and(counseling);
    let patient = open_patient(state, caller, id, part_of(is_counseling), access, action).await?;
    let note = found.ok_or(ApiError::NotFound)?;
    if !may_read(state, caller, &note).await? {
        let event = note_event(caller, action, &note)
            .outcome(openiop_core::audit::Outcome::Denied)
            .build(state.now());
        state.store.record(vec![event]).await?;
        return Err(ApiError::NotFound);
    }
    let mut conn = state.store.read().await?;
    let addenda = store::list_addenda(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok((patient, note, addenda))
}

/// `GET /api/v1/patients/{id}/notes/{note_id}`
pub async fn get_note(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, note_id)): Ids<(PatientId, NoteId)>,
) -> ApiResult<Json<NoteJson>> {
    let (_, note, addenda) =
        open_note(&state, &caller, id, note_id, Access::Read, "note.read").await?;
    Ok(Json(NoteJson::new(&note, &addenda)?))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateNoteBody {
    pub sections: Sections,
}

/// The audit event of an action on one note.
fn note_event(caller: &Caller, action: &str, note: &Note) -> EventBuilder {
    EventBuilder::for_caller(caller)
        .action(
            action,
            format!("patients/{}/notes/{}", note.patient_id, note.id),
        )
        .patient(note.patient_id)
}

/// Only a note's author writes or signs it (403 for anyone else).
fn only_author(caller: &Caller, note: &Note) -> ApiResult<()> {
    if note.author_id == caller.user_id {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

fn locked() -> ApiError {
    ApiError::Conflict("the note is signed and locked; add an addendum instead".into())
}

fn format_of(note: &Note) -> ApiResult<NoteFormat> {
    Ok(note.note_format()?)
}

/// Saves a draft's sections (its author only; a signed note is locked: 409).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    note_id: NoteId,
    sections: &Sections,
) -> ApiResult<NoteJson> {
    let (_, note, addenda) =
        open_note(state, caller, id, note_id, Access::Write, "note.update").await?;
    only_author(caller, &note)?;
    if note.signed_at.is_some() {
        return Err(locked());
    }
    let clean = check_sections(format_of(&note)?, sections, false)?;
    let text = serde_json::to_string(&clean).map_err(|e| ApiError::caused("encoding JSON", e))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::update_draft(
        &mut tx.db(),
        caller.organization_id,
        note.id,
        &text,
        Instant::new(now),
    )
    .await?
    {
        return Err(locked());
    }
    let event = note_event(caller, "note.update", &note);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    let updated = Note {
        sections: text,
        updated_at: Instant::new(now),
        ..note
    };
    NoteJson::new(&updated, &addenda)
}

/// `PUT /api/v1/patients/{id}/notes/{note_id}`
pub async fn put_note(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, note_id)): Ids<(PatientId, NoteId)>,
    ApiJson(body): ApiJson<UpdateNoteBody>,
) -> ApiResult<Json<NoteJson>> {
    Ok(Json(
        update(&state, &caller, id, note_id, &body.sections).await?,
    ))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddendumBody {
    pub text: String,
}

/// Adds an addendum to a signed note (a draft is edited instead). On a counseling note,
/// only its author adds one.
pub async fn add_addendum(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    note_id: NoteId,
    text: &str,
) -> ApiResult<NoteJson> {
    let (_, note, mut addenda) =
        open_note(state, caller, id, note_id, Access::Write, "note.addendum").await?;
    if note.signed_at.is_none() {
        return Err(ApiError::Conflict("a draft is edited, not amended".into()));
    }
    if counseling(&note) {
        only_author(caller, &note)?;
    }
    let text = notes::check_addendum(text)?;
    let now = state.now();
    let addendum = Addendum {
        id: openiop_core::id::new_id(),
        note_id: note.id,
        author_id: caller.user_id,
        text,
        written_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    store::insert_addendum(&mut tx.db(), caller.organization_id, &addendum).await?;
    let event = note_event(caller, "note.addendum", &note);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    addenda.push(addendum);
    NoteJson::new(&note, &addenda)
}

/// `POST /api/v1/patients/{id}/notes/{note_id}/addenda`
pub async fn post_addendum(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, note_id)): Ids<(PatientId, NoteId)>,
    ApiJson(body): ApiJson<AddendumBody>,
) -> ApiResult<(StatusCode, Json<NoteJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(add_addendum(&state, &caller, id, note_id, &body.text).await?),
    ))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/notes", "A patient's progress and group notes, newest session first", get(api::notes::list_notes)),
    route(M::POST, "/api/v1/patients/{id}/notes", "Start an individual or family session note (a draft) on its appointment", post(api::notes::post_note))
        .body(|| object(&["session_id", "format"], json!({"session_id": {"type": "string", "format": "uuid"},
            "format": {"enum": ["dap", "soap", "birp"]}, "sections": sections_schema()}))),
    route(M::GET, "/api/v1/patients/{id}/notes/{note_id}", "One note with its addenda", get(api::notes::get_note)),
    route(M::PUT, "/api/v1/patients/{id}/notes/{note_id}", "Save a draft note's sections (its author; signed notes are locked: 409)", put(api::notes::put_note))
        .body(|| object(&["sections"], json!({"sections": sections_schema()}))),
    route(M::POST, "/api/v1/patients/{id}/notes/{note_id}/sign", "Sign a note (every section filled); locked from then on", post(api::notes::post_sign))
        .status(200),
    route(M::POST, "/api/v1/patients/{id}/notes/{note_id}/cosign", "Co-sign a note (the author's supervisor)", post(api::notes::post_cosign))
        .status(200),
    route(M::POST, "/api/v1/patients/{id}/notes/{note_id}/addenda", "Add an addendum to a signed note", post(api::notes::post_addendum))
        .body(|| object(&["text"], json!({"text": string()}))),
    route(M::GET, "/api/v1/patients/{id}/counseling-notes", "SUD counseling notes the caller may read (author and named readers)", get(api::notes::list_counseling_notes)),
    route(M::POST, "/api/v1/patients/{id}/counseling-notes", "Start a SUD counseling note, kept apart from the record", post(api::notes::post_counseling_note))
        .body(|| object(&["text"], json!({"text": string(), "session_id": {"type": "string", "format": "uuid"}}))),
    route(M::GET, "/api/v1/sessions/{id}/group-note", "A group session's note (prefilled from attendance when new)", get(api::notes::get_group_note)).many_patients(),
    route(M::PUT, "/api/v1/sessions/{id}/group-note", "Save a group note draft", put(api::notes::put_group_note))
        .body(group_note_schema).many_patients(),
    route(M::POST, "/api/v1/sessions/{id}/group-note/sign", "Sign a group note: one signed note in each attendee's chart", post(api::notes::post_group_note_sign))
        .status(200)
        .body(group_note_schema).many_patients(),
    route(M::GET, "/api/v1/notes/unsigned", "Documentation latency: sessions with attendees and no note signed within 24 h", get(api::notes::get_unsigned)).many_patients(),
    route(M::PUT, "/api/v1/users/{user_id}/supervisor", "Set or clear a staff member's supervisor (admin)", put(api::notes::put_supervisor))
        .body(|| object(&["supervisor_id"], json!({"supervisor_id": {"type": ["string", "null"], "format": "uuid"}}))),
    route(M::GET, "/api/v1/counseling-note-readers", "Staff named to read SUD counseling notes (admin)", get(api::notes::get_readers)),
    route(M::PUT, "/api/v1/counseling-note-readers", "Name the staff who read SUD counseling notes (admin)", put(api::notes::put_readers))
        .body(|| object(&["user_ids"], json!({"user_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}}}))),
    ]
}

fn sections_schema() -> serde_json::Value {
    use crate::routes::prelude::*;
    json!({"type": "object", "description": "section -> text: DAP data/assessment/plan; SOAP subjective/objective/assessment/plan; \
        BIRP behavior/intervention/response/plan", "additionalProperties": {"type": "string"}})
}

fn group_note_schema() -> serde_json::Value {
    use crate::routes::prelude::*;
    object(
        &[],
        json!({"topic": string(), "modality": string(), "interventions": string(), "narrative": string(),
        "entries": {"type": "array", "items": object(&["patient_id"], json!({"patient_id": {"type": "string", "format": "uuid"},
            "observation": string(), "participation": {"type": ["string", "null"], "enum": ["active", "moderate", "minimal", "none", null]},
            "plan": string()}))}}),
    )
}
