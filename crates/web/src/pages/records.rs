//! Record pages: the medical evaluation, coded diagnoses with the DSM-5 checklist, and the
//! admins' merge of duplicate records.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use openiop_core::access::{Access, Part};
use openiop_core::diagnosis::{SUD_CRITERIA, sud_severity};
use openiop_core::id::{EpisodeId, PatientId};
use openiop_store::clinical;
use openiop_store::patients::{self as store_patients, Patient};
use openiop_store::records;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::open_patient;
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "medical.html")]
struct MedicalPage {
    chrome: Chrome,
    patient_id: String,
    name: String,
    withdrawal: Vec<(String, String)>,
    history: Vec<(String, String, String, bool)>,
    errors: Vec<openiop_core::FieldError>,
}

async fn medical_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    errors: Vec<openiop_core::FieldError>,
) -> Result<MedicalPage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Medications,
        Access::Read,
        "medical_evaluation.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let assessments = clinical::list_assessments(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
        None,
        200,
    )
    .await?;
    let evaluations =
        records::list_medical_evaluations(&mut conn.db(), caller.organization_id, patient.id)
            .await?;
    let rfc = crate::times::rfc3339;
    Ok(MedicalPage {
        chrome: Chrome::of(caller),
        patient_id: patient.id.to_string(),
        name: format!("{} {}", patient.given_name, patient.family_name),
        withdrawal: assessments
            .iter()
            .filter(|a| a.code == "ciwaar" || a.code == "cows")
            .map(|a| {
                (
                    a.id.to_string(),
                    format!(
                        "{} {} ({}), {}",
                        a.code.to_uppercase(),
                        a.total,
                        a.band,
                        rfc(a.administered_at)
                    ),
                )
            })
            .collect(),
        history: evaluations
            .into_iter()
            .map(|m| {
                let vitals = format!(
                    "BP {}/{}, pulse {}, SpO2 {}",
                    m.systolic
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into()),
                    m.diastolic
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into()),
                    m.pulse.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                    m.spo2.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
                );
                (
                    rfc(m.evaluated_at),
                    vitals,
                    m.allergies.unwrap_or_default(),
                    m.medically_cleared,
                )
            })
            .collect(),
        errors,
    })
}

/// `GET /patients/{id}/medical-evaluation`
pub async fn medical(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(
        &medical_page(&state, &caller, id, Vec::new()).await?,
    ))
}

/// `POST /patients/{id}/medical-evaluation`
pub async fn medical_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let int = |k: &str| {
        form.optional(k)
            .map(|v| v.trim().parse::<i64>().unwrap_or(-1))
    };
    let real = |k: &str| {
        form.optional(k)
            .map(|v| v.trim().parse::<f64>().unwrap_or(f64::NAN))
    };
    let body = crate::api::admissions::MedicalEvaluationBody {
        vitals: crate::api::admissions::VitalsBody {
            systolic: int("systolic"),
            diastolic: int("diastolic"),
            pulse: int("pulse"),
            respiration: int("respiration"),
            temperature_c: real("temperature_c"),
            spo2: int("spo2"),
            weight_kg: real("weight_kg"),
        },
        medical_history: form.optional("medical_history"),
        current_medications: form.optional("current_medications"),
        allergies: form.optional("allergies"),
        pregnancy: form.get("pregnancy").to_owned(),
        withdrawal_assessment_id: form.optional("withdrawal_assessment_id"),
        medically_cleared: form.get("medically_cleared") == "yes",
        notes: form.optional("notes"),
    };
    match crate::api::admissions::record_medical_evaluation(&state, &caller, id, &body).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}/medical-evaluation")).into_response()),
        Err(ApiError::Invalid(invalid)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&medical_page(&state, &caller, id, invalid.0).await?),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "diagnoses.html")]
struct DiagnosesPage {
    chrome: Chrome,
    patient_id: String,
    episode_id: String,
    name: String,
    diagnoses: Vec<(String, String, bool)>,
    criteria: Vec<(usize, &'static str)>,
    can_write: bool,
    severity: String,
    errors: Vec<openiop_core::FieldError>,
}

async fn diagnoses_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    errors: Vec<openiop_core::FieldError>,
) -> Result<DiagnosesPage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Diagnoses,
        Access::Read,
        "diagnosis.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    let episode = episodes
        .into_iter()
        .find(|x| episode_id == x.id)
        .ok_or(ApiError::NotFound)?;
    let rows = records::list_diagnoses(&mut conn.db(), caller.organization_id, episode.id).await?;
    let relationship = store_patients::find_relationship(
        &mut conn.db(),
        caller.organization_id,
        caller.user_id,
        caller.patient_id,
        patient.id,
        openiop_store::Instant::new(state.now()),
    )
    .await?;
    Ok(DiagnosesPage {
        chrome: Chrome::of(caller),
        patient_id: patient.id.to_string(),
        episode_id: episode.id.to_string(),
        name: format!("{} {}", patient.given_name, patient.family_name),
        diagnoses: rows
            .into_iter()
            .map(|d| (d.code, d.description, d.is_primary))
            .collect(),
        criteria: SUD_CRITERIA.iter().copied().enumerate().collect(),
        can_write: openiop_core::access::decide(
            caller.role,
            openiop_core::access::Action::Record(Part::Diagnoses, Access::Write),
            relationship,
        )
        .is_allowed(),
        severity: severity_line(0),
        errors,
    })
}

fn severity_line(met: usize) -> String {
    format!(
        "<output id=\"sud-severity\">{met} of 11 criteria met: {}</output>",
        sud_severity(met).as_str()
    )
}

/// `GET /patients/{id}/episodes/{episode_id}/diagnoses`
pub async fn diagnoses(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
) -> PageResult {
    Ok(render(
        &diagnoses_page(&state, &caller, id, episode_id, Vec::new()).await?,
    ))
}

/// `POST /patients/{id}/episodes/{episode_id}/diagnoses`
pub async fn diagnoses_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
    form: FormData,
) -> PageResult {
    let body = crate::api::admissions::DiagnosisBody {
        code: form.get("code").to_owned(),
        description: form.get("description").to_owned(),
        primary: form.get("primary") == "yes",
    };
    match crate::api::admissions::record_diagnosis(&state, &caller, id, episode_id, &body).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/patients/{id}/episodes/{episode_id}/diagnoses"))
                .into_response(),
        ),
        Err(ApiError::Invalid(invalid)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&diagnoses_page(&state, &caller, id, episode_id, invalid.0).await?),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /sud-severity` (htmx): the DSM-5 checklist's severity, live.
pub async fn sud_severity_preview(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    crate::api::require(
        &state,
        &caller,
        openiop_core::access::Action::UseClinicalTools,
        "diagnosis.sud_severity",
    )
    .await?;
    let met = (0..SUD_CRITERIA.len())
        .filter(|i| form.get(&format!("c{i}")) == "yes")
        .count();
    Ok(Html(severity_line(met)).into_response())
}

#[derive(Template)]
#[template(path = "merge.html")]
struct MergePage {
    chrome: Chrome,
    patient: Patient,
    candidates: Vec<Patient>,
}

/// `GET /patients/{id}/merge` (admins): likely duplicates of this record.
pub async fn merge(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    crate::api::require(
        &state,
        &caller,
        openiop_core::access::Action::MergePatients,
        "patient.merge",
    )
    .await?;
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Demographics,
        Access::Read,
        "patient.read",
    )
    .await?;
    let candidates = crate::api::admissions::duplicates(
        &state,
        &caller,
        &patient.given_name,
        &patient.family_name,
        &openiop_core::validate::format_date(patient.birth_date),
    )
    .await?
    .into_iter()
    .filter(|p| p.id != patient.id)
    .collect();
    Ok(render(&MergePage {
        chrome: Chrome::of(&caller),
        patient,
        candidates,
    }))
}

/// `POST /patients/{id}/merge` (admins)
pub async fn merge_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    crate::api::admissions::merge_into(&state, &caller, id, form.get("duplicate_id")).await?;
    Ok(Redirect::to(&format!("/patients/{id}")).into_response())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/medical-evaluation", "Medical evaluation (form and history)", get(pages::records::medical)),
    route(M::POST, "/patients/{id}/medical-evaluation", "Record a medical evaluation (form)", post(pages::records::medical_submit)),
    route(M::GET, "/patients/{id}/episodes/{episode_id}/diagnoses", "Diagnoses and the DSM-5 checklist", get(pages::records::diagnoses)),
    route(M::POST, "/patients/{id}/episodes/{episode_id}/diagnoses", "Add a diagnosis (form)", post(pages::records::diagnoses_submit)),
    route(M::POST, "/sud-severity", "DSM-5 severity, live (htmx)", post(pages::records::sud_severity_preview)),
    route(M::GET, "/patients/{id}/merge", "Merge duplicates into this record (admin)", get(pages::records::merge)),
    route(M::POST, "/patients/{id}/merge", "Merge a duplicate (form, admin)", post(pages::records::merge_submit)),
    ]
}
