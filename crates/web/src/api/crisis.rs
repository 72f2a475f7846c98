//! Crisis events: recorded with what was done, resolving the open crisis alert they answer,
//! escalating to a placement review (toward a higher level of care), and notifying the care
//! team; the caller's notifications and the open placement reviews.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::Invalid;
use openiop_core::access::{Access, Part};
use openiop_core::access::{Action, may};
use openiop_core::crisis::CrisisInput;
use openiop_core::id::{CrisisEventId, NotificationId, PatientId};
use openiop_core::program::EpisodeStatus;
use openiop_store::Instant;
use openiop_store::crisis::{self as store, CrisisEvent, Notification, PlacementReview};
use openiop_store::patients::{self as store_patients, Patient, Reach};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, open_patient};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct CrisisJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub occurred_at: String,
    pub kind: String,
    pub severity: String,
    pub description: String,
    pub actions_taken: String,
    /// The crisis alert this event resolved, if any.
    pub alert_id: Option<Uuid>,
    /// The placement review it opened, if it escalated.
    pub placement_review_id: Option<Uuid>,
    pub recorded_by: Uuid,
    pub recorded_at: String,
    pub resolved_at: Option<String>,
    pub resolution: Option<String>,
    /// How many care-team members were notified (on creation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notified: Option<usize>,
}

impl CrisisJson {
    pub fn new(e: &CrisisEvent) -> CrisisJson {
        CrisisJson {
            id: e.id,
            patient_id: e.patient_id,
            occurred_at: rfc3339(e.occurred_at),
            kind: e.kind.clone(),
            severity: e.severity.clone(),
            description: e.description.clone(),
            actions_taken: e.actions_taken.clone(),
            alert_id: e.alert_id,
            placement_review_id: e.placement_review_id,
            recorded_by: e.recorded_by,
            recorded_at: rfc3339(e.recorded_at),
            resolved_at: e.resolved_at.map(rfc3339),
            resolution: e.resolution.clone(),
            notified: None,
        }
    }
}

/// Records a crisis event (API and pages): resolves the named open alert of this patient,
/// opens a placement review on the active episode when it escalates, and notifies every other
/// member of the care team, all in one transaction.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    input: &CrisisInput,
) -> ApiResult<CrisisJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Assessments,
        Access::Write,
        "crisis.create",
    )
    .await?;
    let now = state.now();
    let crisis = input.checked(now)?;
    let mut conn = state.store.read().await?;
    let alert = match input.alert_id.as_deref() {
        None => None,
        Some(text) => {
            let found = match openiop_core::id::parse_id(text) {
                Some(alert_id) => {
                    openiop_store::clinical::find_alert(
                        &mut conn.db(),
                        caller.organization_id,
                        alert_id,
                    )
                    .await?
                }
                None => None,
            };
            match found {
                Some(a) if a.patient_id == patient.id && a.acknowledged_at.is_none() => Some(a.id),
                _ => {
                    return Err(Invalid::one(
                        "alert_id",
                        "must be an open crisis alert of this patient",
                    )
                    .into());
                }
            }
        }
    };
    let episode = store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id)
        .await?
        .into_iter()
        .find(|e| e.status == EpisodeStatus::Active);
    let team =
        store_patients::list_care_team(&mut conn.db(), caller.organization_id, patient.id).await?;
    drop(conn);
    if crisis.escalate && episode.is_none() {
        return Err(Invalid::one(
            "escalate",
            "the patient has no active episode whose level of care could be reviewed",
        )
        .into());
    }
    let at = Instant::new(now);
    let review = match (&episode, crisis.escalate) {
        (Some(e), true) => Some(PlacementReview {
            id: openiop_core::id::new_id(),
            patient_id: patient.id,
            episode_id: e.id,
            reason: format!(
                "Crisis ({}, {}): review toward a higher level of care",
                crisis.kind, crisis.severity
            ),
            opened_by: caller.user_id,
            opened_at: at,
            closed_at: None,
            closed_by: None,
            outcome: None,
        }),
        _ => None,
    };
    let event = CrisisEvent {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        occurred_at: Instant::new(crisis.occurred_at),
        kind: crisis.kind.to_owned(),
        severity: crisis.severity.to_owned(),
        description: crisis.description,
        actions_taken: crisis.actions_taken,
        alert_id: alert,
        placement_review_id: review.as_ref().map(|r| r.id),
        recorded_by: caller.user_id,
        recorded_at: at,
        resolved_at: None,
        resolved_by: None,
        resolution: None,
    };
    let recipients: Vec<Uuid> = team
        .iter()
        .map(|m| m.user_id)
        .filter(|u| *u != caller.user_id)
        .collect();
    let mut tx = state.store.begin().await?;
    if let Some(r) = &review {
        store::insert_review(&mut tx.db(), caller.organization_id, r).await?;
        let audit = EventBuilder::for_caller(caller)
            .action(
                "placement_review.open",
                format!("patients/{}/episodes/{}", patient.id, r.episode_id),
            )
            .patient(patient.id);
        tx.audit(audit.build(now)).await?;
    }
    store::insert_event(&mut tx.db(), caller.organization_id, &event).await?;
    if let Some(alert_id) = alert {
        let resolved = openiop_store::clinical::acknowledge_alert(
            &mut tx.db(),
            caller.organization_id,
            alert_id,
            caller.user_id,
            at,
            "crisis_event",
            Some(&format!("crisis event {}", event.id)),
        )
        .await?;
        if !resolved {
            return Err(Invalid::one("alert_id", "this alert was acknowledged meanwhile").into());
        }
        let audit = EventBuilder::for_caller(caller)
            .action("alert.acknowledge", format!("alerts/{alert_id}"))
            .patient(patient.id)
            .detail("crisis_event");
        tx.audit(audit.build(now)).await?;
    }
    for user in &recipients {
        let n = Notification {
            id: openiop_core::id::new_id(),
            user_id: *user,
            patient_id: Some(patient.id),
            kind: "crisis".into(),
            message: format!(
                "Crisis event ({} severity){}",
                event.severity,
                if review.is_some() {
                    "; level of care under review"
                } else {
                    ""
                }
            ),
            link: format!("/patients/{}/crisis", patient.id),
            created_at: at,
            read_at: None,
        };
        store::insert_notification(&mut tx.db(), caller.organization_id, &n).await?;
    }
    let audit = EventBuilder::for_caller(caller)
        .action(
            "crisis.create",
            format!("patients/{}/crisis-events/{}", patient.id, event.id),
        )
        .patient(patient.id)
        .detail(format!(
            "{} {} escalated={} notified={}",
            event.kind,
            event.severity,
            review.is_some(),
            recipients.len()
        ));
    tx.audit(audit.build(now)).await?;
    tx.commit().await?;
    Ok(CrisisJson {
        notified: Some(recipients.len()),
        ..CrisisJson::new(&event)
    })
}

/// `POST /api/v1/patients/{id}/crisis-events`
pub async fn post_event(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(input): ApiJson<CrisisInput>,
) -> ApiResult<(StatusCode, Json<CrisisJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(record(&state, &caller, id, &input).await?),
    ))
}

/// A patient's crisis events, newest first (API and pages).
pub async fn events(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
) -> ApiResult<(Patient, Vec<CrisisJson>)> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Assessments,
        Access::Read,
        "crisis.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let rows =
        store::list_crisis_events(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok((patient, rows.iter().map(CrisisJson::new).collect()))
}

/// `GET /api/v1/patients/{id}/crisis-events`
pub async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<CrisisJson>>> {
    Ok(Json(ListPage::whole(events(&state, &caller, id).await?.1)))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    pub resolution: String,
}

/// Resolves a crisis event with how it ended (API and pages).
pub async fn resolve(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    event_id: CrisisEventId,
    resolution: &str,
) -> ApiResult<CrisisJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Assessments,
        Access::Write,
        "crisis.resolve",
    )
    .await?;
    let event_id = event_id.uuid();
    let resolution = resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 4_000 {
        return Err(Invalid::one(
            "resolution",
            "must say how it was resolved (up to 4,000 characters)",
        )
        .into());
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::resolve_event(
        &mut tx.db(),
        caller.organization_id,
        patient.id,
        event_id,
        caller.user_id,
        resolution,
        Instant::new(now),
    )
    .await?
    {
        drop(tx);
        // An id that is not this patient's is unknown here (404), as any id the caller
        // cannot reach through this patient; only a resolved event of theirs is a conflict.
        let mut conn = state.store.read().await?;
        let known = store::list_crisis_events(&mut conn.db(), caller.organization_id, patient.id)
            .await?
            .iter()
            .any(|e| e.id == event_id);
        return Err(if known {
            ApiError::Conflict("this crisis event is resolved already".into())
        } else {
            ApiError::NotFound
        });
    }
    let audit = EventBuilder::for_caller(caller)
        .action(
            "crisis.resolve",
            format!("patients/{}/crisis-events/{event_id}", patient.id),
        )
        .patient(patient.id);
    tx.audit(audit.build(now)).await?;
    tx.commit().await?;
    let mut conn = state.store.read().await?;
    let rows =
        store::list_crisis_events(&mut conn.db(), caller.organization_id, patient.id).await?;
    rows.iter()
        .find(|e| e.id == event_id)
        .map(CrisisJson::new)
        .ok_or(ApiError::NotFound)
}

/// `POST /api/v1/patients/{id}/crisis-events/{event_id}/resolve`
pub async fn post_resolve(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, event_id)): Ids<(PatientId, CrisisEventId)>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> ApiResult<Json<CrisisJson>> {
    Ok(Json(
        resolve(&state, &caller, id, event_id, &body.resolution).await?,
    ))
}

#[derive(Debug, Clone, Serialize)]
pub struct NotificationJson {
    pub id: Uuid,
    pub patient_id: Option<Uuid>,
    pub kind: String,
    pub message: String,
    pub link: String,
    pub created_at: String,
    pub read: bool,
}

/// The caller's notifications, unread first (API and the dashboard).
pub async fn notifications(state: &AppState, caller: &Caller) -> ApiResult<Vec<NotificationJson>> {
    let mut conn = state.store.read().await?;
    let rows =
        store::list_notifications(&mut conn.db(), caller.organization_id, caller.user_id, 50)
            .await?;
    drop(conn);
    // A notification points at a patient only while the caller may still see them (a care
    // team changes); each patient pointed at is audited.
    let ids: Vec<Uuid> = rows.iter().filter_map(|n| n.patient_id).collect();
    let visible = super::permitted_patients(
        state,
        caller,
        openiop_core::access::Part::Demographics,
        openiop_core::access::Access::Read,
        &ids,
    )
    .await?;
    let named: Vec<Uuid> = visible.iter().copied().collect();
    super::audit_named(state, caller, "notification.list", "notifications", &named).await?;
    Ok(rows
        .into_iter()
        .map(|n| NotificationJson {
            id: n.id,
            patient_id: n.patient_id.filter(|p| visible.contains(p)),
            kind: n.kind,
            message: n.message,
            link: n.link,
            created_at: rfc3339(n.created_at),
            read: n.read_at.is_some(),
        })
        .collect())
}

/// `GET /api/v1/notifications`
pub async fn get_notifications(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<NotificationJson>>> {
    Ok(Json(ListPage::whole(notifications(&state, &caller).await?)))
}

/// Marks one of the caller's notifications read (404 when it is not theirs).
pub async fn mark_read(state: &AppState, caller: &Caller, id: NotificationId) -> ApiResult<()> {
    let id = id.uuid();
    let mut tx = state.store.begin().await?;
    if !store::mark_read(
        &mut tx.db(),
        caller.organization_id,
        caller.user_id,
        id,
        Instant::new(state.now()),
    )
    .await?
    {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /api/v1/notifications/{id}/read`
pub async fn post_read(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<NotificationId>,
) -> ApiResult<StatusCode> {
    mark_read(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub reason: String,
    pub opened_by: Uuid,
    pub opened_at: String,
}

/// Open placement reviews of the patients the caller may see clinically (admins and
/// clinicians), oldest first.
pub async fn open_reviews(state: &AppState, caller: &Caller) -> ApiResult<Vec<ReviewJson>> {
    if !may(caller.role, Action::WorkClinicalQueues) {
        return Ok(Vec::new());
    }
    let mut conn = state.store.read().await?;
    let rows = store::list_open_reviews(&mut conn.db(), caller.organization_id, None).await?;
    let reach = Reach::of(caller.role, caller.user_id, caller.patient_id);
    let reached =
        store_patients::list_reached_ids(&mut conn.db(), caller.organization_id, reach).await?;
    drop(conn);
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| {
            reached
                .as_ref()
                .is_none_or(|ids| ids.contains(&r.patient_id))
        })
        .collect();
    let named: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
    super::audit_named(
        state,
        caller,
        "placement_review.list",
        "placement-reviews",
        &named,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewJson {
            id: r.id,
            patient_id: r.patient_id,
            episode_id: r.episode_id,
            reason: r.reason,
            opened_by: r.opened_by,
            opened_at: rfc3339(r.opened_at),
        })
        .collect())
}

/// `GET /api/v1/placement-reviews`: open reviews (admins and clinicians).
pub async fn get_reviews(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<ReviewJson>>> {
    super::require(
        &state,
        &caller,
        openiop_core::access::Action::UseClinicalTools,
        "placement_review.list",
    )
    .await?;
    Ok(Json(ListPage::whole(open_reviews(&state, &caller).await?)))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/crisis-events", "A patient's crisis events, newest first", get(api::crisis::list_events)),
    route(M::POST, "/api/v1/patients/{id}/crisis-events", "Record a crisis event: resolves the open alert it answers, escalates to a placement review, notifies the care team", post(api::crisis::post_event))
        .body(|| object(&["kind", "severity", "description", "actions_taken"], json!({
            "kind": {"enum": ["suicidal_ideation", "suicide_attempt", "overdose", "return_to_use", "withdrawal", "violence", "medical", "other"]},
            "severity": {"enum": ["low", "moderate", "high", "imminent"]}, "description": string(), "actions_taken": string(),
            "occurred_at": {"type": "string", "format": "date-time"}, "alert_id": {"type": "string", "format": "uuid"},
            "escalate": {"type": "boolean", "description": "open a placement review (always for imminent danger)"}}))),
    route(M::POST, "/api/v1/patients/{id}/crisis-events/{event_id}/resolve", "Resolve a crisis event", post(api::crisis::post_resolve))
        .status(200)
        .body(|| object(&["resolution"], json!({"resolution": string()}))),
    route(M::GET, "/api/v1/notifications", "The caller's notifications, unread first", get(api::crisis::get_notifications)).many_patients(),
    route(M::POST, "/api/v1/notifications/{id}/read", "Mark a notification read", post(api::crisis::post_read)).status(204),
    route(M::GET, "/api/v1/placement-reviews", "Open placement reviews (closed by the next placement decision)", get(api::crisis::get_reviews)).many_patients(),
    ]
}
