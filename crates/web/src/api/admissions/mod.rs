//! The admissions pipeline and the records made at admission: stage moves, owners and due
//! dates, evaluation bookings, conversion of an inquiry into a patient and an episode (with
//! a duplicate warning), consents, medical evaluations, coded diagnoses, and merges.

use crate::ids::Ids;
use crate::json::Given;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use openiop_core::access::{Access, Action, Part};
use openiop_core::admissions::{self, ConsentKind, Person, Stage};
use openiop_core::diagnosis;
use openiop_core::id::{EpisodeId, InquiryId, PatientId};
use openiop_core::validate::{Check, format_date, parse_date};
use openiop_core::{FieldError, Invalid};
use openiop_store::Instant;
use openiop_store::inquiries::{self, Inquiry};
use openiop_store::patients::{self as store_patients, Patient, Reach};
use openiop_store::records::{self, Acknowledgement, Diagnosis, MedicalEvaluation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::inquiries::{InquiryJson, open as open_inquiry};
use super::patients::{EpisodeBody, PatientBody, PatientJson};
use super::{ListPage, open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};
use crate::times::rfc3339;

mod admission_records;
mod admit;

pub use admission_records::*;
pub use admit::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    pub to: String,
    pub note: Option<String>,
}

async fn reload(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Inquiry> {
    let mut conn = state.store.read().await?;
    inquiries::find_inquiry(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Moves an inquiry along the pipeline; audited with both stages.
pub async fn move_inquiry(
    state: &AppState,
    caller: &Caller,
    id: InquiryId,
    body: &MoveBody,
) -> ApiResult<Inquiry> {
    let (inquiry, _) = open_inquiry(state, caller, id, "inquiry.read").await?;
    let from = inquiry.current_stage()?;
    let mut check = Check::new();
    let to = Stage::parse(&body.to);
    match to {
        None => check.fail("to", "is not a stage of the pipeline"),
        Some(to) if !from.can_move_to(to) => {
            let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            let hint = if to == Stage::Admitted {
                "; admit through the admission form"
            } else {
                ""
            };
            check.fail(
                "to",
                format!(
                    "cannot move from {} to {} (allowed: {}){hint}",
                    from.as_str(),
                    to.as_str(),
                    if allowed.is_empty() {
                        "none".into()
                    } else {
                        allowed.join(", ")
                    }
                ),
            );
        }
        Some(_) => {}
    }
    let note = check
        .optional_text("note", body.note.as_deref(), 2000)
        .flatten();
    let to = check.finish(|| to)?;
    let now = state.now();
    let at = Instant::new(now);
    let mut tx = state.store.begin().await?;
    inquiries::set_stage(
        &mut tx.db(),
        caller.organization_id,
        inquiry.id,
        to.as_str(),
        at,
    )
    .await?;
    inquiries::insert_move(
        &mut tx.db(),
        caller.organization_id,
        inquiry.id,
        at,
        Some(caller.user_id),
        Some(from.as_str()),
        to.as_str(),
        note.as_deref(),
    )
    .await?;
    let event = EventBuilder::for_caller(caller)
        .action("inquiry.move", format!("inquiries/{}", inquiry.id))
        .detail(format!("{}->{}", from.as_str(), to.as_str()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    reload(state, caller, inquiry.id).await
}

pub async fn post_move(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<InquiryId>,
    ApiJson(body): ApiJson<MoveBody>,
) -> ApiResult<Json<InquiryJson>> {
    Ok(Json(InquiryJson::from_row(
        move_inquiry(&state, &caller, id, &body).await?,
        None,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentBody {
    pub owner_id: Option<String>,
    pub next_step: Option<String>,
    pub due_on: Option<String>,
}

async fn staff_member(
    state: &AppState,
    caller: &Caller,
    field: &str,
    text: &str,
) -> ApiResult<Uuid> {
    super::staff_in_org(state, caller.organization_id, text)
        .await?
        .ok_or_else(|| Invalid::one(field, "must name an active staff member").into())
}

/// Sets the owner, the next step and its due date.
pub async fn assign(
    state: &AppState,
    caller: &Caller,
    id: InquiryId,
    body: &AssignmentBody,
) -> ApiResult<Inquiry> {
    let (inquiry, _) = open_inquiry(state, caller, id, "inquiry.read").await?;
    let owner = match body.owner_id.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => Some(staff_member(state, caller, "owner_id", text).await?),
        None => None,
    };
    let mut check = Check::new();
    let next_step = check
        .optional_text("next_step", body.next_step.as_deref(), 300)
        .flatten();
    let due_on = match body.due_on.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => check.date("due_on", text),
        None => None,
    };
    check.finish(|| Some(()))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    inquiries::set_assignment(
        &mut tx.db(),
        caller.organization_id,
        inquiry.id,
        owner,
        next_step.as_deref(),
        due_on,
    )
    .await?;
    let event = EventBuilder::for_caller(caller)
        .action("inquiry.assign", format!("inquiries/{}", inquiry.id));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    reload(state, caller, inquiry.id).await
}

pub async fn put_assignment(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<InquiryId>,
    ApiJson(body): ApiJson<AssignmentBody>,
) -> ApiResult<Json<InquiryJson>> {
    Ok(Json(InquiryJson::from_row(
        assign(&state, &caller, id, &body).await?,
        None,
    )))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationBody {
    /// RFC 3339 instant with offset.
    #[schemars(extend("format" = "date-time"))]
    pub at: Given<OffsetDateTime>,
    #[schemars(with = "uuid::Uuid")]
    pub staff_id: String,
}

/// Books the evaluation (date, time, staff) and moves the inquiry to
/// `evaluation_scheduled` when it is not there yet.
pub async fn book_evaluation(
    state: &AppState,
    caller: &Caller,
    id: InquiryId,
    body: &EvaluationBody,
) -> ApiResult<Inquiry> {
    let (inquiry, _) = open_inquiry(state, caller, id, "inquiry.read").await?;
    let staff = staff_member(state, caller, "staff_id", &body.staff_id).await?;
    let mut check = openiop_core::validate::Check::new();
    let at = body.at.instant(&mut check, "at");
    let at = check.finish(|| at)?;
    let from = inquiry.current_stage()?;
    if from != Stage::EvaluationScheduled && !from.can_move_to(Stage::EvaluationScheduled) {
        return Err(Invalid::one(
            "",
            format!(
                "an inquiry in stage {} cannot have an evaluation booked",
                from.as_str()
            ),
        )
        .into());
    }
    let now = state.now();
    let stamp = Instant::new(now);
    let mut tx = state.store.begin().await?;
    inquiries::set_evaluation(
        &mut tx.db(),
        caller.organization_id,
        inquiry.id,
        Instant::new(at),
        staff,
    )
    .await?;
    if from != Stage::EvaluationScheduled {
        inquiries::set_stage(
            &mut tx.db(),
            caller.organization_id,
            inquiry.id,
            Stage::EvaluationScheduled.as_str(),
            stamp,
        )
        .await?;
        inquiries::insert_move(
            &mut tx.db(),
            caller.organization_id,
            inquiry.id,
            stamp,
            Some(caller.user_id),
            Some(from.as_str()),
            Stage::EvaluationScheduled.as_str(),
            None,
        )
        .await?;
    }
    let event = EventBuilder::for_caller(caller)
        .action(
            "inquiry.evaluation.book",
            format!("inquiries/{}", inquiry.id),
        )
        .detail(format!("at={}", at.format(&Rfc3339).unwrap_or_default()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    reload(state, caller, inquiry.id).await
}

pub async fn put_evaluation(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<InquiryId>,
    ApiJson(body): ApiJson<EvaluationBody>,
) -> ApiResult<Json<InquiryJson>> {
    Ok(Json(InquiryJson::from_row(
        book_evaluation(&state, &caller, id, &body).await?,
        None,
    )))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DuplicateQuery {
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub birth_date: String,
}

/// Likely duplicates of a person among the patients the caller may see.
pub async fn duplicates(
    state: &AppState,
    caller: &Caller,
    given: &str,
    family: &str,
    birth: &str,
) -> ApiResult<Vec<Patient>> {
    let Some(birth_date) = parse_date(birth) else {
        return Err(Invalid::one("birth_date", "must be a valid date written YYYY-MM-DD").into());
    };
    let mut conn = state.store.read().await?;
    let candidates =
        store_patients::list_born_on(&mut conn.db(), caller.organization_id, birth_date).await?;
    let reach = Reach::of(caller.role, caller.user_id, caller.patient_id);
    let mut found = Vec::new();
    for p in candidates {
        let person = Person {
            given_name: &p.given_name,
            family_name: &p.family_name,
            birth_date: p.birth_date,
        };
        if !admissions::likely_duplicate(
            Person {
                given_name: given,
                family_name: family,
                birth_date,
            },
            person,
        ) {
            continue;
        }
        let visible = match reach {
            Reach::Organization => true,
            Reach::Only(id) => id == p.id,
            Reach::RelatedTo(_) | Reach::CareTeamOf(_) => {
                let relationship = store_patients::find_relationship(
                    &mut conn.db(),
                    caller.organization_id,
                    caller.user_id,
                    None,
                    p.id,
                    openiop_store::Instant::new(state.now()),
                )
                .await?;
                openiop_core::access::sees_patient(caller.role, relationship)
            }
        };
        if visible {
            found.push(p);
        }
    }
    Ok(found)
}

/// `GET /api/v1/patients/duplicates?given_name=&family_name=&birth_date=`
pub async fn get_duplicates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DuplicateQuery>,
) -> ApiResult<Json<ListPage<PatientJson>>> {
    require(
        &state,
        &caller,
        Action::SearchPatients,
        "patient.duplicate_check",
    )
    .await?;
    let found = duplicates(
        &state,
        &caller,
        &q.given_name,
        &q.family_name,
        &q.birth_date,
    )
    .await?;
    let named: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    super::audit_search(
        &state,
        &caller,
        "patient.duplicate_check",
        "patients/duplicates",
        &named,
    )
    .await?;
    Ok(Json(ListPage::whole(
        found.into_iter().map(PatientJson::from).collect(),
    )))
}

#[derive(Serialize)]
pub struct MoveJson {
    pub at: String,
    pub by_user: Option<Uuid>,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub note: Option<String>,
}

#[derive(Serialize)]
pub struct PipelineJson {
    pub moves: Vec<MoveJson>,
    pub hours_to_evaluation: Option<f64>,
    pub evaluation_within_target: Option<bool>,
}

/// `GET /api/v1/inquiries/{id}/moves`: the stage history and time to evaluation.
pub async fn get_moves(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<InquiryId>,
) -> ApiResult<Json<PipelineJson>> {
    let (inquiry, _) = open_inquiry(&state, &caller, id, "inquiry.read").await?;
    let mut conn = state.store.read().await?;
    let moves = inquiries::list_moves(&mut conn.db(), inquiry.id).await?;
    let measured = inquiry
        .evaluated_at
        .map(|e| admissions::time_to_evaluation(inquiry.received_at.get(), e.get()));
    Ok(Json(PipelineJson {
        moves: moves
            .into_iter()
            .map(|m| MoveJson {
                at: rfc3339(m.at),
                by_user: m.by_user,
                from_stage: m.from_stage,
                to_stage: m.to_stage,
                note: m.note,
            })
            .collect(),
        hours_to_evaluation: measured
            .map(|(d, _)| (d.whole_minutes() as f64 / 60.0 * 10.0).round() / 10.0),
        evaluation_within_target: measured.map(|(_, ok)| ok),
    }))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/inquiries/{id}/moves", "An inquiry's stage history and time to evaluation", get(api::admissions::get_moves)),
    route(M::POST, "/api/v1/inquiries/{id}/moves", "Move an inquiry to another stage", post(api::admissions::post_move))
        .status(200)
        .returns("Inquiry")
        .body(|| object(&["to"], json!({"to": {"enum": ["contacted", "screening", "evaluation_scheduled", "evaluated",
            "referred_elsewhere", "declined", "lost_to_contact"]}, "note": string()}))),
    route(M::PUT, "/api/v1/inquiries/{id}/assignment", "Set an inquiry's owner, next step and due date", put(api::admissions::put_assignment))
        .returns("Inquiry")
        .body(|| object(&[], json!({"owner_id": {"type": "string", "format": "uuid"}, "next_step": string(), "due_on": {"type": "string", "format": "date"}}))),
    route(M::PUT, "/api/v1/inquiries/{id}/evaluation", "Book the evaluation (date, time, staff)", put(api::admissions::put_evaluation))
        .returns("Inquiry")
        .body_of::<EvaluationBody>(),
    route(M::POST, "/api/v1/inquiries/{id}/admission", "Admit: a patient (new or linked) and an episode, with consents", post(api::admissions::post_admission))
        .body(|| object(&["track_id", "admitted_on", "consents"], json!({
            "patient_id": {"type": "string", "format": "uuid"},
            "patient": {"type": "object"},
            "track_id": {"type": "string", "format": "uuid"},
            "admitted_on": {"type": "string", "format": "date"},
            "consents": object(&["treatment_consent", "patient_rights", "confidentiality_notice"], json!({
                "treatment_consent": {"type": "string", "format": "date"},
                "patient_rights": {"type": "string", "format": "date"},
                "confidentiality_notice": {"type": "string", "format": "date"}})),
            "allow_duplicate": {"type": "boolean"}}))),
    route(M::GET, "/api/v1/patients/duplicates", "Likely duplicates of a person (same birth date, similar name)", get(api::admissions::get_duplicates))
        .lists("Patient")
        .query(&[("given_name", "Given name"), ("family_name", "Family name"), ("birth_date", "YYYY-MM-DD")]).many_patients(),
    route(M::POST, "/api/v1/patients/{id}/merge", "Merge a duplicate record into this one (admin)", post(api::admissions::post_merge))
        .status(200)
        .returns("Patient")
        .body_of::<MergeBody>(),
    route(M::GET, "/api/v1/patients/{id}/consents", "Admission acknowledgements", get(api::admissions::list_consents)),
    route(M::POST, "/api/v1/patients/{id}/consents", "Record an acknowledgement", post(api::admissions::post_consent))
        .body_of::<ConsentBody>(),
    route(M::GET, "/api/v1/patients/{id}/medical-evaluations", "Medical evaluations", get(api::admissions::list_medical_evaluations)),
    route(M::POST, "/api/v1/patients/{id}/medical-evaluations", "Record a medical evaluation", post(api::admissions::post_medical_evaluation))
        .body(|| object(&["pregnancy", "medically_cleared"], json!({
            "vitals": {"type": "object", "properties": {"systolic": {"type": "integer"}, "diastolic": {"type": "integer"},
                "pulse": {"type": "integer"}, "respiration": {"type": "integer"}, "temperature_c": {"type": "number"},
                "spo2": {"type": "integer"}, "weight_kg": {"type": "number"}}},
            "medical_history": string(), "current_medications": string(), "allergies": string(),
            "pregnancy": {"enum": ["not_applicable", "no", "yes", "unknown"]},
            "withdrawal_assessment_id": {"type": "string", "format": "uuid"},
            "medically_cleared": {"type": "boolean"}, "notes": string()}))),
    route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses", "An episode's coded diagnoses", get(api::admissions::list_diagnoses)),
    route(M::POST, "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses", "Add an ICD-10-CM diagnosis", post(api::admissions::post_diagnosis))
        .body_of::<DiagnosisBody>(),
    route(M::POST, "/api/v1/sud-severity", "DSM-5 substance use disorder severity from the 11 criteria (pure)", post(api::admissions::post_sud_severity))
        .status(200)
        .body_of::<SudBody>(),
    ]
}
