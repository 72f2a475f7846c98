//! The two emergency paths and their review queue: broken glass (a clinician outside the care
//! team states the emergency and opens the chart for a few hours) and 42 CFR 2.51
//! medical-emergency disclosures to outside medical personnel. Both are audited and wait for
//! an admin's review.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::Invalid;
use openiop_core::access::may;
use openiop_core::access::{Access, Action, Part, Relationship};
use openiop_core::emergency::{self, DisclosureInput};
use openiop_core::id::{EmergencyAccessId, EmergencyDisclosureId, PatientId};
use openiop_store::Instant;
use openiop_store::emergency::{self as store, EmergencyAccess, EmergencyDisclosure, Queue};
use openiop_store::patients as store_patients;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct AccessJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub user_id: Uuid,
    pub reason: String,
    pub opened_at: String,
    pub expires_at: String,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
}

impl From<&EmergencyAccess> for AccessJson {
    fn from(a: &EmergencyAccess) -> Self {
        AccessJson {
            id: a.id,
            patient_id: a.patient_id,
            user_id: a.user_id,
            reason: a.reason.clone(),
            opened_at: rfc3339(a.opened_at),
            expires_at: rfc3339(a.expires_at),
            reviewed_by: a.reviewed_by,
            reviewed_at: a.reviewed_at.map(rfc3339),
            review_note: a.review_note.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassBody {
    pub reason: String,
}

/// Breaks the glass (API and pages): a clinician who does not reach a patient states the
/// emergency and holds access to the chart for [`emergency::ACCESS_FOR`].
pub async fn break_glass(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    reason: &str,
) -> ApiResult<AccessJson> {
    if !may(caller.role, Action::BreakGlass) {
        require(state, caller, Action::Configure, "break_glass.open").await?;
        return Err(ApiError::Conflict(
            "admins reach every chart already; only clinicians break the glass".into(),
        ));
    }
    let patient_id = id.uuid();
    let now = state.now();
    let mut conn = state.store.read().await?;
    let patient = store_patients::find_patient(&mut conn.db(), caller.organization_id, patient_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let relationship = store_patients::find_relationship(
        &mut conn.db(),
        caller.organization_id,
        caller.user_id,
        caller.patient_id,
        patient.id,
        Instant::new(now),
    )
    .await?;
    drop(conn);
    if relationship != Relationship::None {
        return Err(ApiError::Conflict(
            "you already have access to this chart".into(),
        ));
    }
    let reason = emergency::check_reason(reason)?;
    let access = EmergencyAccess {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        user_id: caller.user_id,
        reason,
        opened_at: Instant::new(now),
        expires_at: Instant::new(now + emergency::ACCESS_FOR),
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
    };
    let mut tx = state.store.begin().await?;
    store::insert_access(&mut tx.db(), caller.organization_id, &access).await?;
    let event = EventBuilder::for_caller(caller)
        .action("break_glass.open", format!("patients/{}", patient.id))
        .patient(patient.id)
        .detail(format!(
            "until={} review=queued",
            rfc3339(access.expires_at)
        ));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok((&access).into())
}

/// `POST /api/v1/patients/{id}/emergency-access`
pub async fn post_break_glass(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<BreakGlassBody>,
) -> ApiResult<(StatusCode, Json<AccessJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(break_glass(&state, &caller, id, &body.reason).await?),
    ))
}

#[derive(Debug, Clone, Serialize)]
pub struct DisclosureJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub disclosed_by: Uuid,
    pub disclosed_at: String,
    pub recipient_name: String,
    pub recipient_facility: String,
    pub nature_of_emergency: String,
    pub information: String,
    pub recorded_at: String,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
}

impl From<&EmergencyDisclosure> for DisclosureJson {
    fn from(d: &EmergencyDisclosure) -> Self {
        DisclosureJson {
            id: d.id,
            patient_id: d.patient_id,
            disclosed_by: d.disclosed_by,
            disclosed_at: rfc3339(d.disclosed_at),
            recipient_name: d.recipient_name.clone(),
            recipient_facility: d.recipient_facility.clone(),
            nature_of_emergency: d.nature_of_emergency.clone(),
            information: d.information.clone(),
            recorded_at: rfc3339(d.recorded_at),
            reviewed_by: d.reviewed_by,
            reviewed_at: d.reviewed_at.map(rfc3339),
            review_note: d.review_note.clone(),
        }
    }
}

/// Records a 2.51 medical-emergency disclosure (API and pages): only someone who may read the
/// clinical record discloses from it.
pub async fn disclose(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    input: &DisclosureInput,
) -> ApiResult<DisclosureJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Notes,
        Access::Read,
        "disclosure.emergency",
    )
    .await?;
    let now = state.now();
    let d = input.checked(now)?;
    let row = EmergencyDisclosure {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        disclosed_by: caller.user_id,
        disclosed_at: Instant::new(d.disclosed_at),
        recipient_name: d.recipient_name,
        recipient_facility: d.recipient_facility,
        nature_of_emergency: d.nature_of_emergency,
        information: d.information,
        recorded_at: Instant::new(now),
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
    };
    let mut tx = state.store.begin().await?;
    store::insert_disclosure(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "disclosure.emergency",
            format!("patients/{}/emergency-disclosures/{}", patient.id, row.id),
        )
        .patient(patient.id)
        .detail("42 CFR 2.51; review=queued");
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok((&row).into())
}

/// `POST /api/v1/patients/{id}/emergency-disclosures`
pub async fn post_disclosure(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(input): ApiJson<DisclosureInput>,
) -> ApiResult<(StatusCode, Json<DisclosureJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(disclose(&state, &caller, id, &input).await?),
    ))
}

/// A patient's 2.51 disclosures, newest first (API and pages).
pub async fn disclosures_of(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
) -> ApiResult<Vec<DisclosureJson>> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Notes,
        Access::Read,
        "disclosure.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let rows = store::list_disclosures(
        &mut conn.db(),
        caller.organization_id,
        Some(patient.id),
        false,
    )
    .await?;
    Ok(rows.iter().map(Into::into).collect())
}

/// `GET /api/v1/patients/{id}/emergency-disclosures`
pub async fn list_patient_disclosures(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<DisclosureJson>>> {
    Ok(Json(ListPage::whole(
        disclosures_of(&state, &caller, id).await?,
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// `true` (default) for the items still waiting for review, `false` for all.
    pub unreviewed: Option<String>,
}

fn unreviewed_only(q: &QueueQuery) -> ApiResult<bool> {
    match q.unreviewed.as_deref() {
        None | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(Invalid::one("unreviewed", "must be true or false").into()),
    }
}

/// The review queue of both paths (admin): every item shown is audited against its patient.
pub async fn queue(
    state: &AppState,
    caller: &Caller,
    unreviewed: bool,
) -> ApiResult<(Vec<AccessJson>, Vec<DisclosureJson>)> {
    require(state, caller, Action::ReadAudit, "emergency.review_queue").await?;
    let mut conn = state.store.read().await?;
    let accesses = store::list_accesses(&mut conn.db(), caller.organization_id, unreviewed).await?;
    let disclosures =
        store::list_disclosures(&mut conn.db(), caller.organization_id, None, unreviewed).await?;
    drop(conn);
    let patients: Vec<Uuid> = accesses
        .iter()
        .map(|a| a.patient_id)
        .chain(disclosures.iter().map(|d| d.patient_id))
        .collect();
    super::audit_named(
        state,
        caller,
        "emergency.review_queue",
        "emergency-access",
        &patients,
    )
    .await?;
    Ok((
        accesses.iter().map(Into::into).collect(),
        disclosures.iter().map(Into::into).collect(),
    ))
}

/// `GET /api/v1/emergency-access?unreviewed=true` (admin)
pub async fn list_access(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<ListPage<AccessJson>>> {
    let (accesses, _) = queue(&state, &caller, unreviewed_only(&q)?).await?;
    Ok(Json(ListPage::whole(accesses)))
}

/// `GET /api/v1/emergency-disclosures?unreviewed=true` (admin)
pub async fn list_disclosures(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<ListPage<DisclosureJson>>> {
    let (_, disclosures) = queue(&state, &caller, unreviewed_only(&q)?).await?;
    Ok(Json(ListPage::whole(disclosures)))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub note: String,
}

/// Records an admin's review of one item (API and pages).
pub async fn review(
    state: &AppState,
    caller: &Caller,
    queue: Queue,
    id: Uuid,
    note: &str,
) -> ApiResult<()> {
    let action = match queue {
        Queue::Access => "break_glass.review",
        Queue::Disclosure => "disclosure.emergency.review",
    };
    require(state, caller, Action::ReadAudit, action).await?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 2_000 {
        return Err(Invalid::one(
            "note",
            "must say what the review found (up to 2,000 characters)",
        )
        .into());
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::review(
        &mut tx.db(),
        queue,
        caller.organization_id,
        id,
        caller.user_id,
        note,
        Instant::new(now),
    )
    .await?
    {
        return Err(ApiError::NotFound);
    }
    let event = EventBuilder::for_caller(caller).action(
        action,
        match queue {
            Queue::Access => format!("emergency-access/{id}"),
            Queue::Disclosure => format!("emergency-disclosures/{id}"),
        },
    );
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /api/v1/emergency-access/{id}/review` (admin)
pub async fn post_access_review(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EmergencyAccessId>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<StatusCode> {
    review(&state, &caller, Queue::Access, id.uuid(), &body.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/emergency-disclosures/{id}/review` (admin)
pub async fn post_disclosure_review(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EmergencyDisclosureId>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<StatusCode> {
    review(&state, &caller, Queue::Disclosure, id.uuid(), &body.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::POST, "/api/v1/patients/{id}/emergency-access", "Break the glass: state the emergency, open the chart for 4 hours (clinicians; audited, reviewed)", post(api::emergency::post_break_glass))
        .body(|| object(&["reason"], json!({"reason": {"type": "string", "minLength": 10}}))),
    route(M::GET, "/api/v1/emergency-access", "Broken-glass openings awaiting review (admin)", get(api::emergency::list_access))
        .query(&[("unreviewed", "true (default) or false for all")]).many_patients(),
    route(M::POST, "/api/v1/emergency-access/{id}/review", "Review a broken-glass opening (admin)", post(api::emergency::post_access_review))
        .status(204)
        .body(|| object(&["note"], json!({"note": string()}))),
    route(M::GET, "/api/v1/patients/{id}/emergency-disclosures", "A patient's medical-emergency disclosures (42 CFR 2.51)", get(api::emergency::list_patient_disclosures)),
    route(M::POST, "/api/v1/patients/{id}/emergency-disclosures", "Record a medical-emergency disclosure to outside medical personnel (42 CFR 2.51)", post(api::emergency::post_disclosure))
        .body(|| object(&["recipient_name", "recipient_facility", "nature_of_emergency", "information"], json!({
            "recipient_name": string(), "recipient_facility": string(), "nature_of_emergency": string(), "information": string(),
            "disclosed_at": {"type": "string", "format": "date-time"}}))),
    route(M::GET, "/api/v1/emergency-disclosures", "Medical-emergency disclosures awaiting review (admin)", get(api::emergency::list_disclosures))
        .query(&[("unreviewed", "true (default) or false for all")]).many_patients(),
    route(M::POST, "/api/v1/emergency-disclosures/{id}/review", "Review a medical-emergency disclosure (admin)", post(api::emergency::post_disclosure_review))
        .status(204)
        .body(|| object(&["note"], json!({"note": string()}))),
    ]
}
