//! Note pages: a patient's notes (and, apart, the counseling notes the caller may read), one
//! note (edit and sign a draft, co-sign, add an addendum), and a group session's note
//! (shared narrative, one short entry per attendee, sign into every chart).

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use openiop_core::FieldError;
use openiop_core::access::{Access, Action, Part, Relationship, decide};
use openiop_core::attendance;
use openiop_core::id::{NoteId, PatientId, SessionId};
use openiop_core::notes::{GroupEntry, GroupNote, NoteFormat, NoteKind, Participation, Sections};
use openiop_store::Instant;
use openiop_store::sessions::{self as store_sessions, Whose};
use time::Duration;
use uuid::Uuid;

use super::schedule::home_zone;
use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::notes::{self as api, GroupNoteJson, NewCounselingNoteBody, NewNoteBody, NoteJson};
use crate::auth::Caller;
use crate::error::ApiError;

/// How a note reads in a list or on its page.
pub struct NoteView {
    pub id: Uuid,
    pub kind: &'static str,
    pub format: &'static str,
    pub when: String,
    pub status: &'static str,
    pub late: String,
    pub author: String,
    pub cosigner: String,
    pub sections: Vec<(&'static str, &'static str, String)>,
    pub addenda: Vec<(String, String, String)>,
    pub json: NoteJson,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "draft" => "Draft",
        "awaiting_cosignature" => "Signed, awaiting co-signature",
        _ => "Signed",
    }
}

async fn usernames(state: &AppState, caller: &Caller) -> Result<Vec<(Uuid, String)>, ApiError> {
    let mut conn = state.store.read().await?;
    Ok(
        openiop_store::auth::list_users(&mut conn.db(), caller.organization_id)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect(),
    )
}

fn view(n: NoteJson, zone: &str, users: &[(Uuid, String)]) -> NoteView {
    let name = |id: Uuid| {
        users
            .iter()
            .find(|(u, _)| *u == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let local = |at: Instant| attendance::local_label(at.get(), zone);
    let format = n.format;
    let sections = format
        .sections()
        .iter()
        .map(|(key, label)| {
            let text = n.sections.get(*key).cloned().unwrap_or_default();
            let text = if *key == "participation" {
                Participation::parse(&text)
                    .map(|p| p.label().to_owned())
                    .unwrap_or(text)
            } else {
                text
            };
            (*key, *label, text)
        })
        .collect();
    NoteView {
        id: n.id,
        kind: n.kind.label(),
        format: format.label(),
        when: local(n.service_start),
        status: status_label(n.status),
        late: if n.late_entry {
            format!(
                "Late entry, written {}",
                n.signed_at.map(local).unwrap_or_default()
            )
        } else {
            String::new()
        },
        author: name(n.author_id),
        cosigner: n.cosigner_id.map(name).unwrap_or_default(),
        sections,
        addenda: n
            .addenda
            .iter()
            .map(|a| (local(a.written_at), name(a.author_id), a.text.clone()))
            .collect(),
        json: n,
    }
}

#[derive(Template)]
#[template(path = "notes.html")]
struct NotesPage {
    chrome: Chrome,
    patient_id: Uuid,
    name: String,
    notes: Vec<NoteView>,
    counseling: Option<Vec<NoteView>>,
    can_write: bool,
    appointments: Vec<(Uuid, String)>,
    formats: [NoteFormat; 3],
    errors: Vec<FieldError>,
}

fn may(caller: &Caller, part: Part, access: Access) -> bool {
    decide(
        caller.role,
        Action::Record(part, access),
        Relationship::CareTeam,
    )
    .is_allowed()
}

async fn notes_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    errors: Vec<FieldError>,
) -> Result<NotesPage, ApiError> {
    let (patient, notes) = api::list(state, caller, id, false).await?;
    let counseling = if may(caller, Part::CounselingNotes, Access::Read) {
        Some(api::list(state, caller, id, true).await?.1)
    } else {
        None
    };
    let zone = home_zone(state, caller).await?;
    let users = usernames(state, caller).await?;
    let now = state.now();
    let mut conn = state.store.read().await?;
    let sessions = store_sessions::list_sessions_in(
        &mut conn.db(),
        Whose::Patient(patient.id),
        Instant::new(now - Duration::days(60)),
        Instant::new(now + Duration::days(1)),
    )
    .await?;
    drop(conn);
    let appointments = sessions
        .into_iter()
        .rev()
        .filter(|s| {
            openiop_core::session_kind::SessionKind::parse(&s.kind)
                .is_some_and(|k| k.is_appointment())
        })
        .map(|s| {
            (
                s.id,
                format!(
                    "{} {}",
                    attendance::local_label(s.starts_at.get(), &zone),
                    s.title
                ),
            )
        })
        .collect();
    Ok(NotesPage {
        chrome: Chrome::of(caller),
        patient_id: patient.id,
        name: format!("{} {}", patient.given_name, patient.family_name),
        notes: notes.into_iter().map(|n| view(n, &zone, &users)).collect(),
        counseling: counseling
            .map(|list| list.into_iter().map(|n| view(n, &zone, &users)).collect()),
        can_write: may(caller, Part::Notes, Access::Write),
        appointments,
        formats: NoteFormat::CHOSEN,
        errors,
    })
}

/// Renders `page` with a 422 for field errors; other failures go to the error page.
fn with_errors<T: Template>(page: T) -> PageResult {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

/// `GET /patients/{id}/notes`
pub async fn notes(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(&notes_page(&state, &caller, id, Vec::new()).await?))
}

/// `POST /patients/{id}/notes` (form): start a session note, then write it on its page.
pub async fn create_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = NewNoteBody {
        session_id: form.get("session_id").to_owned(),
        format: form.get("format").to_owned(),
        sections: Sections::new(),
    };
    match api::create(&state, &caller, id, &body).await {
        Ok(note) => Ok(Redirect::to(&format!("/patients/{id}/notes/{}", note.id)).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            with_errors(notes_page(&state, &caller, id, invalid.0).await?)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /patients/{id}/counseling-notes` (form)
pub async fn counseling_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = NewCounselingNoteBody {
        text: form.get("text").to_owned(),
        session_id: None,
    };
    match api::create_counseling(&state, &caller, id, &body).await {
        Ok(note) => Ok(Redirect::to(&format!("/patients/{id}/notes/{}", note.id)).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            with_errors(notes_page(&state, &caller, id, invalid.0).await?)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "note.html")]
struct NotePage {
    chrome: Chrome,
    patient_id: Uuid,
    name: String,
    note: NoteView,
    editable: bool,
    can_cosign: bool,
    can_amend: bool,
    message: String,
    errors: Vec<FieldError>,
}

async fn note_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    note_id: NoteId,
    message: String,
    errors: Vec<FieldError>,
) -> Result<NotePage, ApiError> {
    let (patient, note, addenda) =
        api::open_note(state, caller, id, note_id, Access::Read, "note.read").await?;
    let json = NoteJson::new(&note, &addenda)?;
    let zone = home_zone(state, caller).await?;
    let users = usernames(state, caller).await?;
    let status = api::status(&note);
    let is_counseling = note.kind == NoteKind::SudCounseling.as_str();
    let part = if is_counseling {
        Part::CounselingNotes
    } else {
        Part::Notes
    };
    let writer = may(caller, part, Access::Write);
    Ok(NotePage {
        chrome: Chrome::of(caller),
        patient_id: patient.id,
        name: format!("{} {}", patient.given_name, patient.family_name),
        editable: note.signed_at.is_none() && note.author_id == caller.user_id,
        can_cosign: status == openiop_core::notes::NoteStatus::AwaitingCosignature
            && note.cosigner_id == Some(caller.user_id),
        can_amend: note.signed_at.is_some()
            && writer
            && (!is_counseling || note.author_id == caller.user_id),
        note: view(json, &zone, &users),
        message,
        errors,
    })
}

/// `GET /patients/{id}/notes/{note_id}`
pub async fn note(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, note_id)): PageIds<(PatientId, NoteId)>,
) -> PageResult {
    Ok(render(
        &note_page(&state, &caller, id, note_id, String::new(), Vec::new()).await?,
    ))
}

async fn after_note<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    note_id: NoteId,
    outcome: Result<T, ApiError>,
    message: &str,
) -> PageResult {
    match outcome {
        Ok(_) => Ok(render(
            &note_page(state, caller, id, note_id, message.to_owned(), Vec::new()).await?,
        )),
        Err(ApiError::Invalid(invalid)) => {
            with_errors(note_page(state, caller, id, note_id, String::new(), invalid.0).await?)
        }
        Err(ApiError::Conflict(why)) => with_errors(
            note_page(
                state,
                caller,
                id,
                note_id,
                String::new(),
                vec![FieldError {
                    field: "note".into(),
                    message: why,
                }],
            )
            .await?,
        ),
        Err(other) => Err(other.into()),
    }
}

/// `POST /patients/{id}/notes/{note_id}` (form): save the draft, or save and sign it.
pub async fn note_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, note_id)): PageIds<(PatientId, NoteId)>,
    form: FormData,
) -> PageResult {
    let (_, note, _) =
        api::open_note(&state, &caller, id, note_id, Access::Write, "note.update").await?;
    let format = note.note_format()?;
    let sections: Sections = format
        .sections()
        .iter()
        .map(|(key, _)| ((*key).to_owned(), form.get(key).to_owned()))
        .collect();
    let saved = api::update(&state, &caller, id, note_id, &sections).await;
    if form.get("action") == "sign" && saved.is_ok() {
        let signed = api::sign(&state, &caller, id, note_id).await;
        return after_note(
            &state,
            &caller,
            id,
            note_id,
            signed,
            "Signed. The note is now locked.",
        )
        .await;
    }
    after_note(&state, &caller, id, note_id, saved, "Draft saved.").await
}

/// `POST /patients/{id}/notes/{note_id}/cosign` (form)
pub async fn cosign_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, note_id)): PageIds<(PatientId, NoteId)>,
) -> PageResult {
    let outcome = api::cosign(&state, &caller, id, note_id).await;
    after_note(&state, &caller, id, note_id, outcome, "Co-signed.").await
}

/// `POST /patients/{id}/notes/{note_id}/addenda` (form)
pub async fn addendum_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, note_id)): PageIds<(PatientId, NoteId)>,
    form: FormData,
) -> PageResult {
    let outcome = api::add_addendum(&state, &caller, id, note_id, form.get("text")).await;
    after_note(&state, &caller, id, note_id, outcome, "Addendum added.").await
}

#[derive(Template)]
#[template(path = "group_note.html")]
struct GroupNotePage {
    chrome: Chrome,
    when: String,
    group: GroupNoteJson,
    /// Attendee, their entry, and the id of their signed note when there is one.
    rows: Vec<(api::AttendeeJson, GroupEntry, Option<Uuid>)>,
    participation: [Participation; 4],
    message: String,
    errors: Vec<FieldError>,
}

impl GroupNotePage {
    fn chosen(&self, entry: &GroupEntry, p: &Participation) -> bool {
        entry.participation == Some(*p)
    }
}

async fn group_page(
    state: &AppState,
    caller: &Caller,
    group: GroupNoteJson,
    message: String,
    errors: Vec<FieldError>,
) -> Result<GroupNotePage, ApiError> {
    let zone = home_zone(state, caller).await?;
    let when = time::OffsetDateTime::parse(
        &group.starts_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map(|at| attendance::local_label(at, &zone))
    .unwrap_or_default();
    let rows = group
        .attendees
        .iter()
        .map(|a| {
            let entry = group
                .note
                .entries
                .iter()
                .find(|e| e.patient_id == a.patient_id)
                .cloned()
                .unwrap_or(GroupEntry {
                    patient_id: a.patient_id,
                    observation: String::new(),
                    participation: None,
                    plan: String::new(),
                });
            let copy = group
                .notes
                .iter()
                .find(|c| c.patient_id == a.patient_id)
                .map(|c| c.note_id);
            (a.clone(), entry, copy)
        })
        .collect();
    Ok(GroupNotePage {
        chrome: Chrome::of(caller),
        when,
        group,
        rows,
        participation: Participation::ALL,
        message,
        errors,
    })
}

/// `GET /sessions/{id}/group-note`
pub async fn group_note(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
) -> PageResult {
    let group = api::group_note(&state, &caller, id).await?;
    Ok(render(
        &group_page(&state, &caller, group, String::new(), Vec::new()).await?,
    ))
}

/// The group note as the form sends it: shared fields, then one entry per `patient_id`.
fn group_from_form(form: &FormData) -> GroupNote {
    GroupNote {
        topic: form.get("topic").to_owned(),
        modality: form.get("modality").to_owned(),
        interventions: form.get("interventions").to_owned(),
        narrative: form.get("narrative").to_owned(),
        entries: form
            .all("patient_id")
            .iter()
            .filter_map(|text| openiop_core::id::parse_id(text))
            .map(|patient_id| GroupEntry {
                patient_id,
                observation: form.get(&format!("observation_{patient_id}")).to_owned(),
                participation: Participation::parse(
                    form.get(&format!("participation_{patient_id}")),
                ),
                plan: form.get(&format!("plan_{patient_id}")).to_owned(),
            })
            .collect(),
    }
}

/// `POST /sessions/{id}/group-note` (form): save the draft, or sign it into every chart.
pub async fn group_note_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
    form: FormData,
) -> PageResult {
    let body = group_from_form(&form);
    let sign = form.get("action") == "sign";
    match api::save_group_note(&state, &caller, id, &body, sign).await {
        Ok(group) => {
            let message = if sign {
                format!("Signed: one note in each of {} charts.", group.notes.len())
            } else {
                "Draft saved.".to_owned()
            };
            Ok(render(
                &group_page(&state, &caller, group, message, Vec::new()).await?,
            ))
        }
        Err(ApiError::Invalid(invalid)) => {
            let mut group = api::group_note(&state, &caller, id).await?;
            group.note = body;
            with_errors(group_page(&state, &caller, group, String::new(), invalid.0).await?)
        }
        Err(ApiError::Conflict(why)) => {
            let group = api::group_note(&state, &caller, id).await?;
            let errors = vec![FieldError {
                field: "note".into(),
                message: why,
            }];
            with_errors(group_page(&state, &caller, group, String::new(), errors).await?)
        }
        Err(other) => Err(other.into()),
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/notes", "Progress, group and counseling notes", get(pages::notes::notes)),
    route(M::POST, "/patients/{id}/notes", "Start a session note (form)", post(pages::notes::create_submit)),
    route(M::GET, "/patients/{id}/notes/{note_id}", "One note: write, sign, co-sign, amend", get(pages::notes::note)),
    route(M::POST, "/patients/{id}/notes/{note_id}", "Save or sign a draft note (form)", post(pages::notes::note_submit)),
    route(M::POST, "/patients/{id}/notes/{note_id}/cosign", "Co-sign a note (form)", post(pages::notes::cosign_submit)),
    route(M::POST, "/patients/{id}/notes/{note_id}/addenda", "Add an addendum (form)", post(pages::notes::addendum_submit)),
    route(M::POST, "/patients/{id}/counseling-notes", "Start a SUD counseling note (form)", post(pages::notes::counseling_submit)),
    route(M::GET, "/sessions/{id}/group-note", "A group session's note", get(pages::notes::group_note)).many_patients(),
    route(M::POST, "/sessions/{id}/group-note", "Save or sign a group note (form)", post(pages::notes::group_note_submit)).many_patients(),
    ]
}
