//! The safety plan and relapse-prevention plan page: the current versions (printable) and,
//! for clinicians, forms with one entry per line.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use openiop_core::access::{Access, Action, Part, Relationship, decide};
use openiop_core::id::PatientId;
use openiop_core::safety::{Contact, RelapsePlan, SafetyPlan};

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::open_patient;
use crate::api::safety::{self, DocumentJson};
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "care_plans.html")]
struct CarePlansPage {
    chrome: Chrome,
    patient_id: String,
    name: String,
    safety: Option<DocumentJson<SafetyPlan>>,
    relapse: Option<DocumentJson<RelapsePlan>>,
    can_write: bool,
    message: String,
    errors: Vec<openiop_core::FieldError>,
}

impl CarePlansPage {
    fn lines(&self, items: &[String]) -> String {
        items.join("\n")
    }

    fn contact_lines(&self, contacts: &[Contact]) -> String {
        contacts
            .iter()
            .map(|c| format!("{}, {}", c.name, c.phone))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    message: String,
    errors: Vec<openiop_core::FieldError>,
) -> Result<CarePlansPage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Plans,
        Access::Read,
        "care_plans.read",
    )
    .await?;
    Ok(CarePlansPage {
        chrome: Chrome::of(caller),
        patient_id: patient.id.to_string(),
        name: format!("{} {}", patient.given_name, patient.family_name),
        safety: safety::current(state, caller, id).await?,
        relapse: safety::current(state, caller, id).await?,
        can_write: decide(
            caller.role,
            Action::Record(Part::Plans, Access::Write),
            Relationship::CareTeam,
        )
        .is_allowed(),
        message,
        errors,
    })
}

/// `GET /patients/{id}/care-plans`
pub async fn care_plans(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(
        &page(&state, &caller, id, String::new(), Vec::new()).await?,
    ))
}

fn lines(form: &FormData, name: &str) -> Vec<String> {
    form.get(name)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// "Name, phone" per line; the phone is after the last comma.
fn contacts(form: &FormData, name: &str) -> Vec<Contact> {
    lines(form, name)
        .into_iter()
        .map(|l| match l.rsplit_once(',') {
            Some((n, p)) => Contact {
                name: n.trim().to_owned(),
                phone: p.trim().to_owned(),
            },
            None => Contact {
                name: l,
                phone: String::new(),
            },
        })
        .collect()
}

async fn after<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    outcome: Result<T, ApiError>,
    message: &str,
) -> PageResult {
    match outcome {
        Ok(_) => Ok(render(
            &page(state, caller, id, message.to_owned(), Vec::new()).await?,
        )),
        Err(ApiError::Invalid(invalid)) => {
            let p = page(state, caller, id, String::new(), invalid.0).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /patients/{id}/safety-plan` (form)
pub async fn safety_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let plan = SafetyPlan {
        warning_signs: lines(&form, "warning_signs"),
        internal_coping: lines(&form, "internal_coping"),
        distractions: lines(&form, "distractions"),
        help_contacts: contacts(&form, "help_contacts"),
        professionals: contacts(&form, "professionals"),
        environment: lines(&form, "environment"),
        reasons_for_living: lines(&form, "reasons_for_living"),
    };
    let outcome = safety::save(&state, &caller, id, &plan).await;
    after(&state, &caller, id, outcome, "Safety plan saved.").await
}

/// `POST /patients/{id}/relapse-prevention-plan` (form)
pub async fn relapse_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let plan = RelapsePlan {
        trigger_people: lines(&form, "trigger_people"),
        trigger_places: lines(&form, "trigger_places"),
        trigger_feelings: lines(&form, "trigger_feelings"),
        trigger_times: lines(&form, "trigger_times"),
        warning_signs: lines(&form, "warning_signs"),
        coping: lines(&form, "coping"),
        support_contacts: contacts(&form, "support_contacts"),
        craving_plan: form.get("craving_plan").to_owned(),
    };
    let outcome = safety::save(&state, &caller, id, &plan).await;
    after(
        &state,
        &caller,
        id,
        outcome,
        "Relapse-prevention plan saved.",
    )
    .await
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/care-plans", "Safety and relapse-prevention plans (printable)", get(pages::care_plans::care_plans)),
    route(M::POST, "/patients/{id}/safety-plan", "Save the safety plan (form)", post(pages::care_plans::safety_submit)),
    route(M::POST, "/patients/{id}/relapse-prevention-plan", "Save the relapse-prevention plan (form)", post(pages::care_plans::relapse_submit)),
    ]
}
