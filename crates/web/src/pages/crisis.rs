//! The crisis page of a patient: record an event (answering an open crisis alert, escalating
//! to a placement review), the events and their resolution; and marking a notification read.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use openiop_core::FieldError;
use openiop_core::crisis::{CrisisInput, KINDS, SEVERITIES};
use openiop_core::id::{CrisisEventId, NotificationId, PatientId};
use uuid::Uuid;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::crisis::{self as api, CrisisJson};
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "crisis.html")]
struct CrisisPage {
    chrome: Chrome,
    patient_id: Uuid,
    name: String,
    events: Vec<CrisisJson>,
    /// 2.51 disclosures, for those who may read the clinical record.
    disclosures: Vec<crate::api::emergency::DisclosureJson>,
    /// Open crisis alerts of the patient: id and what raised them.
    open_alerts: Vec<(Uuid, String)>,
    kinds: [(&'static str, &'static str); 8],
    severities: [(&'static str, &'static str); 4],
    message: String,
    errors: Vec<FieldError>,
}

impl CrisisPage {
    fn label(&self, list: &[(&'static str, &'static str)], code: &str) -> &'static str {
        list.iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| *l)
            .unwrap_or("")
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    message: String,
    errors: Vec<FieldError>,
) -> Result<CrisisPage, ApiError> {
    let (patient, events) = api::events(state, caller, id).await?;
    let mut conn = state.store.read().await?;
    let alerts =
        openiop_store::clinical::list_alerts(&mut conn.db(), caller.organization_id, patient.id)
            .await?;
    let open_alerts = alerts
        .into_iter()
        .filter(|a| a.acknowledged_at.is_none())
        .map(|a| {
            let flags = a.flags()?;
            Ok((
                a.id,
                format!(
                    "{}: {}",
                    crate::times::rfc3339(a.raised_at),
                    flags.join(", ").replace('_', " ")
                ),
            ))
        })
        .collect::<Result<_, openiop_store::StoreError>>()?;
    let disclosures = crate::api::emergency::disclosures_of(state, caller, id).await?;
    Ok(CrisisPage {
        disclosures,
        chrome: Chrome::of(caller),
        patient_id: patient.id,
        name: format!("{} {}", patient.given_name, patient.family_name),
        events,
        open_alerts,
        kinds: KINDS,
        severities: SEVERITIES,
        message,
        errors,
    })
}

/// `GET /patients/{id}/crisis`
pub async fn crisis(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(
        &page(&state, &caller, id, String::new(), Vec::new()).await?,
    ))
}

async fn after<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    outcome: Result<T, ApiError>,
    message: impl FnOnce(T) -> String,
) -> PageResult {
    let errors = match outcome {
        Ok(v) => {
            return Ok(render(
                &page(state, caller, id, message(v), Vec::new()).await?,
            ));
        }
        Err(ApiError::Invalid(invalid)) => invalid.0,
        Err(ApiError::Conflict(why)) => vec![FieldError {
            field: "crisis".into(),
            message: why,
        }],
        Err(other) => return Err(other.into()),
    };
    let p = page(state, caller, id, String::new(), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
}

/// `POST /patients/{id}/crisis-events` (form)
pub async fn record_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let input = CrisisInput {
        kind: form.get("kind").to_owned(),
        severity: form.get("severity").to_owned(),
        description: form.get("description").to_owned(),
        actions_taken: form.get("actions_taken").to_owned(),
        occurred_at: None,
        alert_id: form.optional("alert_id"),
        escalate: form.get("escalate") == "yes",
    };
    let outcome = api::record(&state, &caller, id, &input).await;
    after(&state, &caller, id, outcome, |e| {
        let mut text = format!(
            "Recorded. {} of the care team notified.",
            e.notified.unwrap_or(0)
        );
        if e.placement_review_id.is_some() {
            text.push_str(" A placement review is open.");
        }
        text
    })
    .await
}

/// `POST /patients/{id}/crisis-events/{event_id}/resolve` (form)
pub async fn resolve_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, event_id)): PageIds<(PatientId, CrisisEventId)>,
    form: FormData,
) -> PageResult {
    let outcome = api::resolve(&state, &caller, id, event_id, form.get("resolution")).await;
    after(&state, &caller, id, outcome, |_| "Resolved.".to_owned()).await
}

/// After a 2.51 disclosure form: the crisis page again, with the outcome.
pub async fn after_disclosure<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    outcome: Result<T, ApiError>,
) -> PageResult {
    after(state, caller, id, outcome, |_| {
        "Disclosure recorded; it is queued for the program director's review.".to_owned()
    })
    .await
}

/// `POST /notifications/{id}/read` (form): back to the dashboard.
pub async fn read_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<NotificationId>,
) -> PageResult {
    api::mark_read(&state, &caller, id).await?;
    Ok(Redirect::to("/").into_response())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/crisis", "Crisis events: record, escalate, resolve", get(pages::crisis::crisis)),
    route(M::POST, "/patients/{id}/crisis-events", "Record a crisis event (form)", post(pages::crisis::record_submit)),
    route(M::POST, "/patients/{id}/crisis-events/{event_id}/resolve", "Resolve a crisis event (form)", post(pages::crisis::resolve_submit)),
    route(M::POST, "/notifications/{id}/read", "Mark a notification read (form)", post(pages::crisis::read_submit)),
    ]
}
