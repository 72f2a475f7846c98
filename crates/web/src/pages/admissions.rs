//! The admissions board: inquiries by stage with time in stage, owner, next step and due
//! date; one inquiry's page with its moves, booking and admission (with duplicate warning).

use crate::ids::PageIds;
use crate::json::Given;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use openiop_core::access::{Action, Relationship, decide};
use openiop_core::admissions::{self, Stage};
use openiop_core::id::InquiryId;
use openiop_core::validate::format_date;
use openiop_store::auth as users;
use openiop_store::inquiries::{self, Inquiry};
use openiop_store::organization::{self, Track};
use openiop_store::patients::Patient;
use uuid::Uuid;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::admissions::{
    AdmissionBody, AdmitError, AssignmentBody, ConsentDates, EvaluationBody, MoveBody,
};
use crate::api::inquiries::open as open_inquiry;
use crate::api::patients::PatientBody;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::ApiError;

struct Card {
    id: Uuid,
    who: String,
    received: String,
    in_stage: String,
    owner: String,
    next_step: String,
    due: String,
    overdue: bool,
}

struct Column {
    label: &'static str,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "admissions.html")]
struct BoardPage {
    chrome: Chrome,
    columns: Vec<Column>,
    closed: Vec<(&'static str, usize)>,
    evaluated: usize,
    within_target: usize,
    median_hours: String,
}

fn since(now: time::OffsetDateTime, then: time::OffsetDateTime) -> String {
    let d = now - then;
    if d.whole_hours() < 48 {
        format!("{} h", d.whole_hours().max(0))
    } else {
        format!("{} days", d.whole_days())
    }
}

/// `GET /admissions`
pub async fn board(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    crate::api::require(&state, &caller, Action::ReadInquiries, "inquiry.list").await?;
    let mut conn = state.store.read().await?;
    let all = inquiries::list_inquiries(&mut conn.db(), caller.organization_id, None, 1000).await?;
    let staff = users::list_users(&mut conn.db(), caller.organization_id).await?;
    drop(conn);
    let event = EventBuilder::for_caller(&caller)
        .action("inquiry.list", "admissions")
        .detail(format!("results={}", all.len()));
    state.store.record(vec![event.build(state.now())]).await?;
    let now = state.now();
    let today = now.date();
    let name_of = |id: Option<Uuid>| {
        id.and_then(|i| staff.iter().find(|u| u.id == i))
            .map(|u| u.username.clone())
            .unwrap_or_default()
    };
    let open = [
        Stage::Inquiry,
        Stage::Contacted,
        Stage::Screening,
        Stage::EvaluationScheduled,
        Stage::Evaluated,
    ];
    let columns = open
        .iter()
        .map(|stage| Column {
            label: stage.label(),
            cards: all
                .iter()
                .filter(|i| i.stage == stage.as_str())
                .map(|i| Card {
                    id: i.id,
                    who: i.name.clone().unwrap_or_else(|| "(no name given)".into()),
                    received: format_date(i.received_at.get().date()),
                    in_stage: since(now, i.stage_since.get()),
                    owner: name_of(i.owner_id),
                    next_step: i.next_step.clone().unwrap_or_default(),
                    due: i.due_on.map(format_date).unwrap_or_default(),
                    overdue: i.due_on.is_some_and(|d| d < today),
                })
                .collect(),
        })
        .collect();
    let closed = [
        Stage::Admitted,
        Stage::ReferredElsewhere,
        Stage::Declined,
        Stage::LostToContact,
    ]
    .iter()
    .map(|s| {
        (
            s.label(),
            all.iter().filter(|i| i.stage == s.as_str()).count(),
        )
    })
    .collect();
    let mut hours: Vec<i64> = all
        .iter()
        .filter_map(|i| {
            i.evaluated_at.map(|e| {
                admissions::time_to_evaluation(i.received_at.get(), e.get())
                    .0
                    .whole_hours()
            })
        })
        .collect();
    hours.sort_unstable();
    let within = hours
        .iter()
        .filter(|h| **h <= admissions::EVALUATION_TARGET.whole_hours())
        .count();
    let median = hours
        .get(hours.len() / 2)
        .map(|h| format!("{h} h"))
        .unwrap_or_else(|| "-".into());
    Ok(render(&BoardPage {
        chrome: Chrome::of(&caller),
        columns,
        closed,
        evaluated: hours.len(),
        within_target: within,
        median_hours: median,
    }))
}

#[derive(Template)]
#[template(path = "inquiry.html")]
struct InquiryPage {
    chrome: Chrome,
    i: Inquiry,
    stage_label: &'static str,
    received: String,
    attachments: Vec<(Uuid, String, String)>,
    moves: Vec<(String, String, String, String)>,
    next: Vec<(&'static str, &'static str)>,
    /// (id, username, is the owner)
    staff: Vec<(Uuid, String, bool)>,
    can_admit: bool,
    tracks: Vec<Track>,
    given: String,
    family: String,
    today: String,
    duplicates: Vec<Patient>,
    errors: Vec<openiop_core::FieldError>,
    evaluation: String,
    time_to_evaluation: String,
}

async fn inquiry_page(
    state: &AppState,
    caller: &Caller,
    id: InquiryId,
    errors: Vec<openiop_core::FieldError>,
    duplicates: Vec<Patient>,
) -> Result<InquiryPage, ApiError> {
    let (i, attachments) = open_inquiry(state, caller, id, "inquiry.read").await?;
    let mut conn = state.store.read().await?;
    let moves = inquiries::list_moves(&mut conn.db(), i.id).await?;
    let staff_all = users::list_users(&mut conn.db(), caller.organization_id).await?;
    let tracks = organization::list_tracks(&mut conn.db(), caller.organization_id).await?;
    drop(conn);
    let stage = i.current_stage()?;
    let name_of = |id: Option<Uuid>| {
        id.and_then(|x| staff_all.iter().find(|u| u.id == x))
            .map(|u| u.username.clone())
            .unwrap_or_else(|| "(the public form)".into())
    };
    let (given, family) = match i.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => match n.rsplit_once(' ') {
            Some((g, f)) => (g.to_owned(), f.to_owned()),
            None => (n.to_owned(), String::new()),
        },
        None => (String::new(), String::new()),
    };
    let rfc = crate::times::rfc3339;
    Ok(InquiryPage {
        chrome: Chrome::of(caller),
        stage_label: stage.label(),
        received: rfc(i.received_at),
        attachments: attachments
            .into_iter()
            .map(|a| (a.id, a.file_name, a.media_type))
            .collect(),
        moves: moves
            .into_iter()
            .map(|m| {
                (
                    rfc(m.at),
                    name_of(m.by_user),
                    m.to_stage.replace('_', " "),
                    m.note.unwrap_or_default(),
                )
            })
            .collect(),
        next: stage
            .next()
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        staff: staff_all
            .iter()
            .filter(|u| u.role.is_staff() && u.active)
            .map(|u| (u.id, u.username.clone(), i.owner_id == Some(u.id)))
            .collect(),
        can_admit: stage.can_admit()
            && decide(caller.role, Action::RegisterPatient, Relationship::None).is_allowed(),
        tracks,
        given,
        family,
        today: format_date(state.now().date()),
        duplicates,
        errors,
        evaluation: i.evaluation_at.map(rfc).unwrap_or_default(),
        time_to_evaluation: i
            .evaluated_at
            .map(|e| {
                let (d, ok) = admissions::time_to_evaluation(i.received_at.get(), e.get());
                format!(
                    "{} hours{}",
                    d.whole_hours(),
                    if ok {
                        " (within 48 hours)"
                    } else {
                        " (over the 48-hour target)"
                    }
                )
            })
            .unwrap_or_default(),
        i,
    })
}

/// `GET /admissions/{id}`
pub async fn detail(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<InquiryId>,
) -> PageResult {
    Ok(render(
        &inquiry_page(&state, &caller, id, Vec::new(), Vec::new()).await?,
    ))
}

async fn after(
    state: &AppState,
    caller: &Caller,
    id: InquiryId,
    result: Result<(), ApiError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admissions/{id}")).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            let page = inquiry_page(state, caller, id, invalid.0, Vec::new()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admissions/{id}/move`
pub async fn move_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<InquiryId>,
    form: FormData,
) -> PageResult {
    let body = MoveBody {
        to: form.get("to").to_owned(),
        note: form.optional("note"),
    };
    let result = crate::api::admissions::move_inquiry(&state, &caller, id, &body)
        .await
        .map(|_| ());
    after(&state, &caller, id, result).await
}

/// `POST /admissions/{id}/assign`
pub async fn assign_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<InquiryId>,
    form: FormData,
) -> PageResult {
    let body = AssignmentBody {
        owner_id: form.optional("owner_id"),
        next_step: form.optional("next_step"),
        due_on: form.optional("due_on"),
    };
    let result = crate::api::admissions::assign(&state, &caller, id, &body)
        .await
        .map(|_| ());
    after(&state, &caller, id, result).await
}

/// `POST /admissions/{id}/evaluation`: the time is local to the first site.
pub async fn evaluation_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<InquiryId>,
    form: FormData,
) -> PageResult {
    let mut conn = state.store.read().await?;
    let zone = organization::list_sites(&mut conn.db(), caller.organization_id)
        .await?
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_else(|| "UTC".into());
    drop(conn);
    let at = openiop_core::program::local_to_instant(&zone, form.get("at"));
    let body = EvaluationBody {
        at: Given::Read(at),
        staff_id: form.get("staff_id").to_owned(),
    };
    let result = crate::api::admissions::book_evaluation(&state, &caller, id, &body)
        .await
        .map(|_| ());
    after(&state, &caller, id, result).await
}

/// `POST /admissions/{id}/admit`: a new patient (warned of likely duplicates) or a linked one.
pub async fn admit_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<InquiryId>,
    form: FormData,
) -> PageResult {
    let link = form.optional("patient_id");
    let body = AdmissionBody {
        patient: link.is_none().then(|| PatientBody {
            given_name: form.get("given_name").to_owned(),
            family_name: form.get("family_name").to_owned(),
            birth_date: form.get("birth_date").to_owned(),
            ..PatientBody::default()
        }),
        patient_id: link,
        track_id: form.get("track_id").to_owned(),
        admitted_on: form.get("admitted_on").to_owned(),
        consents: ConsentDates {
            treatment_consent: form.optional("treatment_consent"),
            patient_rights: form.optional("patient_rights"),
            confidentiality_notice: form.optional("confidentiality_notice"),
        },
        allow_duplicate: form.get("allow_duplicate") == "yes",
    };
    match crate::api::admissions::admit_inquiry(&state, &caller, id, &body).await {
        Ok((patient, _, _)) => Ok(Redirect::to(&format!("/patients/{patient}")).into_response()),
        Err(AdmitError::Duplicates(found)) => {
            let page = inquiry_page(&state, &caller, id, Vec::new(), found).await?;
            Ok((StatusCode::CONFLICT, render(&page)).into_response())
        }
        Err(AdmitError::Api(ApiError::Invalid(invalid))) => {
            let page = inquiry_page(&state, &caller, id, invalid.0, Vec::new()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(AdmitError::Api(e)) => Err(e.into()),
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/admissions", "Admissions board", get(pages::admissions::board)),
    route(M::GET, "/admissions/{id}", "One inquiry: moves, booking, admission", get(pages::admissions::detail)),
    route(M::POST, "/admissions/{id}/move", "Move an inquiry (form)", post(pages::admissions::move_form)),
    route(M::POST, "/admissions/{id}/assign", "Owner and next step (form)", post(pages::admissions::assign_form)),
    route(M::POST, "/admissions/{id}/evaluation", "Book the evaluation (form)", post(pages::admissions::evaluation_form)),
    route(M::POST, "/admissions/{id}/admit", "Admit (form)", post(pages::admissions::admit_form)),
    ]
}
