//! Requests to amend the record (HIPAA 164.526): the patient (or staff writing the request
//! down) asks; a clinician accepts, saying where the record was amended, or denies on one of
//! the allowed bases within 60 days; after a denial the patient may file a statement of
//! disagreement, which stays with the request.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::access::{Access, Part};
use openiop_core::amendment::{self, DecisionInput, RequestInput, Status};
use openiop_core::id::{AmendmentRequestId, PatientId};
use openiop_store::Instant;
use openiop_store::amendments::{self as store, AmendmentRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, local_today, open_patient};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct AmendmentJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub information: String,
    pub requested_change: String,
    pub reason: String,
    pub requested_by: Uuid,
    pub requested_at: String,
    /// The date by which the program must act (60 days).
    pub due_on: String,
    /// `pending`, `accepted` or `denied`.
    pub status: String,
    /// For a denial: the basis (a code) and how the letter words it.
    pub basis: Option<String>,
    pub basis_text: Option<&'static str>,
    pub decision_note: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<String>,
    pub disagreement: Option<String>,
    pub disagreement_at: Option<String>,
}

impl From<&AmendmentRequest> for AmendmentJson {
    fn from(r: &AmendmentRequest) -> Self {
        AmendmentJson {
            id: r.id,
            patient_id: r.patient_id,
            information: r.information.clone(),
            requested_change: r.requested_change.clone(),
            reason: r.reason.clone(),
            requested_by: r.requested_by,
            requested_at: rfc3339(r.requested_at),
            due_on: openiop_core::validate::format_date(r.due_on),
            status: r.status.clone(),
            basis: r.basis.clone(),
            basis_text: r.basis.as_deref().and_then(amendment::basis_label),
            decision_note: r.decision_note.clone(),
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(rfc3339),
            disagreement: r.disagreement.clone(),
            disagreement_at: r.disagreement_at.map(rfc3339),
        }
    }
}

/// Records a request (API and pages).
pub async fn request(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    input: &RequestInput,
) -> ApiResult<AmendmentJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Amendments,
        Access::Write,
        "amendment.request",
    )
    .await?;
    let checked = input.checked()?;
    let today = local_today(state, caller).await?;
    let now = state.now();
    let row = AmendmentRequest {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        information: checked.information,
        requested_change: checked.requested_change,
        reason: checked.reason,
        requested_by: caller.user_id,
        requested_at: Instant::new(now),
        due_on: amendment::due_on(today),
        status: Status::Pending.as_str().to_owned(),
        basis: None,
        decision_note: None,
        decided_by: None,
        decided_at: None,
        disagreement: None,
        disagreement_at: None,
    };
    let mut tx = state.store.begin().await?;
    store::insert(&mut tx.db(), caller.organization_id, &row).await?;
    tx.audit(event(caller, patient.id, row.id, "amendment.request").build(now))
        .await?;
    tx.commit().await?;
    Ok(AmendmentJson::from(&row))
}

fn event(caller: &Caller, patient_id: Uuid, request_id: Uuid, action: &str) -> EventBuilder {
    EventBuilder::for_caller(caller)
        .action(
            action,
            format!("patients/{patient_id}/amendment-requests/{request_id}"),
        )
        .patient(patient_id)
}

/// `POST /api/v1/patients/{id}/amendment-requests`
pub async fn post_request(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(input): ApiJson<RequestInput>,
) -> ApiResult<(StatusCode, Json<AmendmentJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(request(&state, &caller, id, &input).await?),
    ))
}

/// A patient's requests, newest first (API and pages).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
) -> ApiResult<Vec<AmendmentJson>> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Amendments,
        Access::Read,
        "amendment.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let rows =
        store::list_amendment_requests(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok(rows.iter().map(AmendmentJson::from).collect())
}

/// `GET /api/v1/patients/{id}/amendment-requests`
pub async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<AmendmentJson>>> {
    Ok(Json(ListPage::whole(list(&state, &caller, id).await?)))
}

async fn one(
    state: &AppState,
    caller: &Caller,
    patient_id: Uuid,
    request_id: Uuid,
) -> ApiResult<AmendmentJson> {
    let mut conn = state.store.read().await?;
    store::list_amendment_requests(&mut conn.db(), caller.organization_id, patient_id)
        .await?
        .iter()
        .find(|r| r.id == request_id)
        .map(AmendmentJson::from)
        .ok_or(ApiError::NotFound)
}

/// A clinician's decision (API and pages): those who write clinical notes decide.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    request_id: AmendmentRequestId,
    input: &DecisionInput,
) -> ApiResult<AmendmentJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Notes,
        Access::Write,
        "amendment.decide",
    )
    .await?;
    let request_id = request_id.uuid();
    let decision = input.checked()?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::decide(
        &mut tx.db(),
        caller.organization_id,
        patient.id,
        request_id,
        decision.status.as_str(),
        decision.basis,
        &decision.note,
        caller.user_id,
        Instant::new(now),
    )
    .await?
    {
        drop(tx);
        one(state, caller, patient.id, request_id).await?;
        return Err(ApiError::Conflict(
            "this request has been decided already".into(),
        ));
    }
    let audit = event(caller, patient.id, request_id, "amendment.decide")
        .detail(decision.status.as_str().to_owned());
    tx.audit(audit.build(now)).await?;
    tx.commit().await?;
    one(state, caller, patient.id, request_id).await
}

/// `POST /api/v1/patients/{id}/amendment-requests/{request_id}/decision`
pub async fn post_decision(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, request_id)): Ids<(PatientId, AmendmentRequestId)>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> ApiResult<Json<AmendmentJson>> {
    Ok(Json(decide(&state, &caller, id, request_id, &input).await?))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisagreementBody {
    pub statement: String,
}

/// Files the patient's statement of disagreement with a denial (API and pages).
pub async fn disagree(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    request_id: AmendmentRequestId,
    statement: &str,
) -> ApiResult<AmendmentJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Amendments,
        Access::Write,
        "amendment.disagree",
    )
    .await?;
    let request_id = request_id.uuid();
    let statement = amendment::check_disagreement(statement)?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::disagree(
        &mut tx.db(),
        caller.organization_id,
        patient.id,
        request_id,
        &statement,
        Instant::new(now),
    )
    .await?
    {
        drop(tx);
        one(state, caller, patient.id, request_id).await?;
        return Err(ApiError::Conflict(
            "a statement of disagreement answers a denial, once".into(),
        ));
    }
    tx.audit(event(caller, patient.id, request_id, "amendment.disagree").build(now))
        .await?;
    tx.commit().await?;
    one(state, caller, patient.id, request_id).await
}

/// `POST /api/v1/patients/{id}/amendment-requests/{request_id}/disagreement`
pub async fn post_disagreement(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, request_id)): Ids<(PatientId, AmendmentRequestId)>,
    ApiJson(body): ApiJson<DisagreementBody>,
) -> ApiResult<Json<AmendmentJson>> {
    Ok(Json(
        disagree(&state, &caller, id, request_id, &body.statement).await?,
    ))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/amendment-requests", "A patient's requests to amend their record, with the decisions", get(api::amendments::list_requests)),
    route(M::POST, "/api/v1/patients/{id}/amendment-requests", "Request an amendment of the record (the patient, or staff writing it down); answered within 60 days", post(api::amendments::post_request))
        .body(|| object(&["information", "requested_change", "reason"], json!({"information": string(), "requested_change": string(), "reason": string()}))),
    route(M::POST, "/api/v1/patients/{id}/amendment-requests/{request_id}/decision", "Accept (saying where the record was amended) or deny (with the basis) a request (clinicians)", post(api::amendments::post_decision))
        .status(200)
        .body(|| object(&["decision", "note"], json!({"decision": {"enum": ["accepted", "denied"]},
            "basis": {"enum": ["not_created_here", "not_in_record", "not_open_to_access", "accurate_and_complete", null]}, "note": string()}))),
    route(M::POST, "/api/v1/patients/{id}/amendment-requests/{request_id}/disagreement", "File the patient's statement of disagreement with a denial", post(api::amendments::post_disagreement))
        .status(200)
        .body(|| object(&["statement"], json!({"statement": string()}))),
    ]
}
