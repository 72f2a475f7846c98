//! The safety plan and the relapse-prevention plan: versioned care documents of a patient
//! (every save a new version), readable by the patient and their team, written by clinicians.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use openiop_core::access::{Access, Part};
use openiop_core::id::PatientId;
use openiop_core::safety::{RelapsePlan, SafetyPlan};
use openiop_store::Instant;
use openiop_store::records::{self, CareDocument};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::open_patient;
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Serialize)]
pub struct DocumentJson<T> {
    pub patient_id: Uuid,
    pub version: i32,
    pub plan: T,
    pub recorded_by: Uuid,
    pub recorded_at: String,
}

/// A kind of care document and how it is checked.
pub trait CareKind: Serialize + DeserializeOwned + Sized {
    const KIND: &'static str;
    fn checked(&self) -> Result<Self, openiop_core::Invalid>;
}

impl CareKind for SafetyPlan {
    const KIND: &'static str = "safety_plan";
    fn checked(&self) -> Result<Self, openiop_core::Invalid> {
        SafetyPlan::checked(self)
    }
}

impl CareKind for RelapsePlan {
    const KIND: &'static str = "relapse_prevention";
    fn checked(&self) -> Result<Self, openiop_core::Invalid> {
        RelapsePlan::checked(self)
    }
}

fn document_json<T: CareKind>(d: &CareDocument) -> ApiResult<DocumentJson<T>> {
    Ok(DocumentJson {
        patient_id: d.patient_id,
        version: d.version,
        plan: d.document()?,
        recorded_by: d.recorded_by,
        recorded_at: rfc3339(d.recorded_at),
    })
}

/// Saves a new version of a patient's document (API and pages).
pub async fn save<T: CareKind>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    plan: &T,
) -> ApiResult<DocumentJson<T>> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Plans,
        Access::Write,
        &format!("{}.update", T::KIND),
    )
    .await?;
    let plan = plan.checked()?;
    let mut conn = state.store.read().await?;
    let current =
        records::find_current_document(&mut conn.db(), caller.organization_id, patient.id, T::KIND)
            .await?;
    drop(conn);
    let now = state.now();
    let document = CareDocument {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        kind: T::KIND.to_owned(),
        version: current.map(|c| c.version + 1).unwrap_or(1),
        body: serde_json::to_string(&plan).map_err(|e| ApiError::caused("encoding JSON", e))?,
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    records::insert_document(&mut tx.db(), caller.organization_id, &document).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            &format!("{}.update", T::KIND),
            format!("patients/{}/{}", patient.id, T::KIND),
        )
        .patient(patient.id)
        .detail(format!("version={}", document.version));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    document_json(&document)
}

/// The current version of a patient's document, if any (API and pages).
pub async fn current<T: CareKind>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
) -> ApiResult<Option<DocumentJson<T>>> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Plans,
        Access::Read,
        &format!("{}.read", T::KIND),
    )
    .await?;
    let mut conn = state.store.read().await?;
    let document =
        records::find_current_document(&mut conn.db(), caller.organization_id, patient.id, T::KIND)
            .await?;
    document.as_ref().map(document_json).transpose()
}

/// `PUT /api/v1/patients/{id}/safety-plan`
pub async fn put_safety_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(plan): ApiJson<SafetyPlan>,
) -> ApiResult<Json<DocumentJson<SafetyPlan>>> {
    Ok(Json(save(&state, &caller, id, &plan).await?))
}

/// `GET /api/v1/patients/{id}/safety-plan` -> the current version, 404 when none.
pub async fn get_safety_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<DocumentJson<SafetyPlan>>> {
    current(&state, &caller, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `PUT /api/v1/patients/{id}/relapse-prevention-plan`
pub async fn put_relapse_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(plan): ApiJson<RelapsePlan>,
) -> ApiResult<Json<DocumentJson<RelapsePlan>>> {
    Ok(Json(save(&state, &caller, id, &plan).await?))
}

/// `GET /api/v1/patients/{id}/relapse-prevention-plan` -> the current version, 404 when none.
pub async fn get_relapse_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<DocumentJson<RelapsePlan>>> {
    current(&state, &caller, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/safety-plan", "The current safety plan", get(api::safety::get_safety_plan)),
    route(M::PUT, "/api/v1/patients/{id}/safety-plan", "Save a new version of the safety plan (six steps, reasons for living)", put(api::safety::put_safety_plan))
        .status(200)
        .body(|| {
            let list = || json!({"type": "array", "items": string()});
            let contacts = || json!({"type": "array", "items": object(&["name", "phone"], json!({"name": string(), "phone": string()}))});
            object(&["warning_signs", "internal_coping", "distractions", "help_contacts", "professionals", "environment", "reasons_for_living"], json!({
                "warning_signs": list(), "internal_coping": list(), "distractions": list(), "help_contacts": contacts(),
                "professionals": contacts(), "environment": list(), "reasons_for_living": list()}))
        }),
    route(M::GET, "/api/v1/patients/{id}/relapse-prevention-plan", "The current relapse-prevention plan", get(api::safety::get_relapse_plan)),
    route(M::PUT, "/api/v1/patients/{id}/relapse-prevention-plan", "Save a new version of the relapse-prevention plan", put(api::safety::put_relapse_plan))
        .status(200)
        .body(|| {
            let list = || json!({"type": "array", "items": string()});
            object(&["trigger_people", "trigger_places", "trigger_feelings", "trigger_times", "warning_signs", "coping", "support_contacts", "craving_plan"], json!({
                "trigger_people": list(), "trigger_places": list(), "trigger_feelings": list(), "trigger_times": list(),
                "warning_signs": list(), "coping": list(),
                "support_contacts": {"type": "array", "items": object(&["name", "phone"], json!({"name": string(), "phone": string()}))},
                "craving_plan": string()}))
        }),
    ]
}
