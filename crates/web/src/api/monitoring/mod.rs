//! Medications (MAT, naloxone on hand) and drug and alcohol testing: panels, tests with one
//! result per analyte flagged against the medication list, reviews (lab confirmation or a
//! clinician's review; false positives with a reason), the last use that counts, and the
//! seeded random testing draw.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::Invalid;
use openiop_core::access::{Access, Action, Part};
use openiop_core::id::{DrugTestId, MedicationId, PatientId};
use openiop_core::monitoring::{self, Outcome};
use openiop_core::validate::Check;
use openiop_store::Instant;
use openiop_store::monitoring::{self as store, DrugTest, Medication, Panel, TestResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::{ListPage, open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

mod testing;

pub use testing::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicationBody {
    pub name: String,
    pub dose: String,
    pub prescriber: Option<String>,
    pub started_on: String,
    #[serde(default)]
    pub naloxone_on_hand: bool,
    pub adherence_note: Option<String>,
}

#[derive(Serialize)]
pub struct MedicationJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub name: String,
    pub dose: String,
    pub prescriber: Option<String>,
    pub started_on: String,
    pub stopped_on: Option<String>,
    pub mat: bool,
    pub naloxone_on_hand: bool,
    pub adherence_note: Option<String>,
}

impl From<Medication> for MedicationJson {
    fn from(m: Medication) -> Self {
        MedicationJson {
            id: m.id,
            patient_id: m.patient_id,
            name: m.name,
            dose: m.dose,
            prescriber: m.prescriber,
            started_on: openiop_core::validate::format_date(m.started_on),
            stopped_on: m.stopped_on.map(openiop_core::validate::format_date),
            mat: m.mat,
            naloxone_on_hand: m.naloxone_on_hand,
            adherence_note: m.adherence_note,
        }
    }
}

async fn write_event(
    state: &AppState,
    caller: &Caller,
    patient: Uuid,
    action: &str,
    resource: String,
    detail: String,
    write: impl AsyncFnOnce(&mut openiop_store::Tx) -> ApiResult<()>,
) -> ApiResult<()> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    write(&mut tx).await?;
    let event = EventBuilder::for_caller(caller)
        .action(action, resource)
        .patient(patient)
        .detail(detail);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /api/v1/patients/{id}/medications`
pub async fn post_medication(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<MedicationBody>,
) -> ApiResult<(StatusCode, Json<MedicationJson>)> {
    let medication = add_medication(&state, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(medication.into())))
}

/// Adds a medication (API and pages).
/// `POST /api/v1/patients/{id}/medications`
pub async fn add_medication(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &MedicationBody,
) -> ApiResult<Medication> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Medications,
        Access::Write,
        "medication.create",
    )
    .await?;
    let mut check = Check::new();
    let name = check.text("name", &body.name, 120);
    let dose = check.text("dose", &body.dose, 120);
    let prescriber = check.optional_text("prescriber", body.prescriber.as_deref(), 120);
    let note = check.optional_text("adherence_note", body.adherence_note.as_deref(), 1000);
    let started = check.date("started_on", &body.started_on);
    if started.is_some_and(|d| d > state.now().date() + time::Duration::days(1)) {
        check.fail("started_on", "must not be in the future");
    }
    let (name, dose, prescriber, note, started) =
        check.finish(|| Some((name?, dose?, prescriber?, note?, started?)))?;
    let medication = Medication {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        mat: monitoring::is_mat(&name),
        name,
        dose,
        prescriber,
        started_on: started,
        stopped_on: None,
        naloxone_on_hand: body.naloxone_on_hand,
        adherence_note: note,
        recorded_by: caller.user_id,
        recorded_at: Instant::new(state.now()),
    };
    let org = caller.organization_id;
    write_event(
        state,
        caller,
        patient.id,
        "medication.create",
        format!("medications/{}", medication.id),
        if medication.mat {
            "mat".into()
        } else {
            "other".into()
        },
        async |tx| Ok(store::insert_medication(&mut tx.db(), org, &medication).await?),
    )
    .await?;
    Ok(medication)
}

/// `GET /api/v1/patients/{id}/medications`
pub async fn list_medications(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<MedicationJson>>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Medications,
        Access::Read,
        "medication.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let list = store::list_medications(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok(Json(ListPage::whole(
        list.into_iter().map(Into::into).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopBody {
    pub stopped_on: String,
    pub adherence_note: Option<String>,
}

/// `POST /api/v1/patients/{id}/medications/{medication_id}/stop`
pub async fn post_stop(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, medication_id)): Ids<(PatientId, MedicationId)>,
    ApiJson(body): ApiJson<StopBody>,
) -> ApiResult<Json<MedicationJson>> {
    Ok(Json(stop(&state, &caller, id, medication_id, &body).await?))
}

/// `POST /api/v1/patients/{id}/medications/{medication_id}/stop`
pub async fn stop(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    medication_id: MedicationId,
    body: &StopBody,
) -> ApiResult<MedicationJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Medications,
        Access::Write,
        "medication.stop",
    )
    .await?;
    let medication_id = medication_id.uuid();
    let mut conn = state.store.read().await?;
    let current = store::list_medications(&mut conn.db(), caller.organization_id, patient.id)
        .await?
        .into_iter()
        .find(|m| m.id == medication_id)
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let mut check = Check::new();
    let stopped = check.date("stopped_on", &body.stopped_on);
    if stopped.is_some_and(|d| d < current.started_on) {
        check.fail("stopped_on", "must not be before started_on");
    }
    let note = check.optional_text("adherence_note", body.adherence_note.as_deref(), 1000);
    let (stopped, note) = check.finish(|| Some((stopped?, note?)))?;
    write_event(
        state,
        caller,
        patient.id,
        "medication.stop",
        format!("medications/{medication_id}"),
        String::new(),
        async |tx| {
            store::stop_medication(
                &mut tx.db(),
                caller.organization_id,
                patient.id,
                medication_id,
                stopped,
                note.as_deref(),
            )
            .await?;
            Ok(())
        },
    )
    .await?;
    let mut conn = state.store.read().await?;
    let updated = store::list_medications(&mut conn.db(), caller.organization_id, patient.id)
        .await?
        .into_iter()
        .find(|m| m.id == medication_id)
        .ok_or(ApiError::NotFound)?;
    Ok(updated.into())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/medications", "A patient's medications (MAT flagged)", get(api::monitoring::list_medications)),
    route(M::POST, "/api/v1/patients/{id}/medications", "Add a medication", post(api::monitoring::post_medication))
        .body(|| object(&["name", "dose", "started_on"], json!({"name": string(), "dose": string(), "prescriber": string(),
            "started_on": {"type": "string", "format": "date"}, "naloxone_on_hand": {"type": "boolean"}, "adherence_note": string()}))),
    route(M::POST, "/api/v1/patients/{id}/medications/{medication_id}/stop", "Stop a medication", post(api::monitoring::post_stop))
        .status(200)
        .body(|| object(&["stopped_on"], json!({"stopped_on": {"type": "string", "format": "date"}, "adherence_note": string()}))),
    route(M::GET, "/api/v1/drug-panels", "Drug test panels", get(api::monitoring::list_panels)),
    route(M::POST, "/api/v1/drug-panels", "Create a drug test panel (admin)", post(api::monitoring::post_panel))
        .body(|| object(&["name", "analytes"], json!({"name": string(), "analytes": {"type": "array", "items": string()}}))),
    route(M::GET, "/api/v1/patients/{id}/drug-tests", "A patient's drug and alcohol tests and the last use that counts", get(api::monitoring::list_tests)),
    route(M::POST, "/api/v1/patients/{id}/drug-tests", "Record a drug or alcohol test (results flagged against the medications)", post(api::monitoring::post_test))
        .body(|| object(&["specimen", "observed", "collected_at", "source", "results"], json!({
            "specimen": {"enum": ["urine", "oral_fluid", "breath"]}, "observed": {"type": "boolean"},
            "collected_at": {"type": "string", "format": "date-time"}, "source": {"enum": ["lab", "point_of_care"]}, "panel": string(),
            "results": {"type": "array", "items": object(&["analyte", "outcome"], json!({"analyte": string(),
                "outcome": {"enum": ["negative", "positive", "invalid"]}, "level": string()}))}}))),
    route(M::POST, "/api/v1/patients/{id}/drug-tests/{test_id}/results/{analyte}/review", "Confirm a result or mark it a false positive", post(api::monitoring::post_review))
        .status(200)
        .body(|| object(&["review"], json!({"review": {"enum": ["confirmed", "false_positive"]}, "reason": string()}))),
    route(M::POST, "/api/v1/patients/{id}/testing-draws", "Draw a week's random testing days (seeded, recorded)", post(api::monitoring::post_draw))
        .body(|| object(&["week"], json!({"week": string(), "count": {"type": "integer", "minimum": 1, "maximum": 7},
            "days": {"type": "array", "items": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}}}))),
    ]
}
