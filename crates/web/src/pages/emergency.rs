//! The emergency page: for clinicians, breaking the glass on a chart they do not reach; for
//! admins, the review queue of broken-glass openings and 2.51 disclosures. The 2.51 form
//! itself is on a patient's crisis page.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use openiop_core::FieldError;
use openiop_core::access::Role;
use openiop_core::access::{Action, may};
use openiop_core::emergency::DisclosureInput;
use openiop_core::id::{EmergencyAccessId, EmergencyDisclosureId, PatientId};
use openiop_store::emergency::Queue;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::emergency::{self as api, AccessJson, DisclosureJson};
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "emergency.html")]
struct EmergencyPage {
    chrome: Chrome,
    clinician: bool,
    accesses: Vec<AccessJson>,
    disclosures: Vec<DisclosureJson>,
    names: std::collections::BTreeMap<uuid::Uuid, String>,
    message: String,
    errors: Vec<FieldError>,
}

impl EmergencyPage {
    fn name(&self, id: &uuid::Uuid) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    message: String,
    errors: Vec<FieldError>,
) -> Result<EmergencyPage, ApiError> {
    let (accesses, disclosures) = match caller.role {
        Role::Admin => api::queue(state, caller, true).await?,
        Role::Clinician => (Vec::new(), Vec::new()),
        _ => return Err(ApiError::Forbidden),
    };
    let ids: Vec<uuid::Uuid> = accesses
        .iter()
        .map(|a| a.patient_id)
        .chain(disclosures.iter().map(|d| d.patient_id))
        .collect();
    Ok(EmergencyPage {
        chrome: Chrome::of(caller),
        clinician: may(caller.role, Action::BreakGlass),
        names: super::schedule::names(state, caller, &ids).await?,
        accesses,
        disclosures,
        message,
        errors,
    })
}

/// `GET /emergency`
pub async fn emergency(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    Ok(render(
        &page(&state, &caller, String::new(), Vec::new()).await?,
    ))
}

async fn refused(state: &AppState, caller: &Caller, err: ApiError) -> PageResult {
    let errors = super::form_errors(err, "emergency")?;
    let p = page(state, caller, String::new(), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
}

/// `POST /emergency-access` (form): break the glass, then open the chart.
pub async fn break_glass_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let found = crate::api::body_id("patient_id", form.get("patient_id").trim());
    let opened = match found {
        Ok(id) => api::break_glass(&state, &caller, id, form.get("reason")).await,
        Err(err) => Err(err),
    };
    match opened {
        Ok(access) => Ok(Redirect::to(&format!("/patients/{}", access.patient_id)).into_response()),
        Err(err) => refused(&state, &caller, err).await,
    }
}

async fn review_submit(
    state: &AppState,
    caller: &Caller,
    queue: Queue,
    id: uuid::Uuid,
    form: &FormData,
) -> PageResult {
    match api::review(state, caller, queue, id, form.get("note")).await {
        Ok(()) => Ok(render(
            &page(state, caller, "Review recorded.".into(), Vec::new()).await?,
        )),
        Err(err) => refused(state, caller, err).await,
    }
}

/// `POST /emergency-access/{id}/review` (form, admin)
pub async fn access_review_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<EmergencyAccessId>,
    form: FormData,
) -> PageResult {
    review_submit(&state, &caller, Queue::Access, id.uuid(), &form).await
}

/// `POST /emergency-disclosures/{id}/review` (form, admin)
pub async fn disclosure_review_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<EmergencyDisclosureId>,
    form: FormData,
) -> PageResult {
    review_submit(&state, &caller, Queue::Disclosure, id.uuid(), &form).await
}

/// `POST /patients/{id}/emergency-disclosures` (form, on the crisis page)
pub async fn disclosure_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let input = DisclosureInput {
        recipient_name: form.get("recipient_name").to_owned(),
        recipient_facility: form.get("recipient_facility").to_owned(),
        nature_of_emergency: form.get("nature_of_emergency").to_owned(),
        information: form.get("information").to_owned(),
        disclosed_at: None,
    };
    let outcome = api::disclose(&state, &caller, id, &input).await;
    super::crisis::after_disclosure(&state, &caller, id, outcome).await
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/emergency", "Emergency access: break the glass (clinicians), the review queue (admin)", get(pages::emergency::emergency)).many_patients(),
    route(M::POST, "/emergency-access", "Break the glass (form)", post(pages::emergency::break_glass_submit)),
    route(M::POST, "/emergency-access/{id}/review", "Review a broken-glass opening (form)", post(pages::emergency::access_review_submit)),
    route(M::POST, "/emergency-disclosures/{id}/review", "Review a 2.51 disclosure (form)", post(pages::emergency::disclosure_review_submit)),
    route(M::POST, "/patients/{id}/emergency-disclosures", "Record a 2.51 disclosure (form)", post(pages::emergency::disclosure_submit)),
    ]
}
