//! Breach handling (admins): record a suspected breach, let the audit trail name the patients
//! reached in its window, record the risk assessment, print the notification letters, note
//! when they went out; the list of breaches is the log HHS's annual report is drawn from.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use openiop_core::access::Action;
use openiop_core::breach::{self, AssessmentInput, Status, SuspicionInput};
use openiop_core::id::BreachId;
use openiop_core::validate::format_date;
use openiop_store::Instant;
use openiop_store::breaches::{self as store, Affected, Breach};
use serde::Serialize;
use uuid::Uuid;

use super::{ListPage, local_today, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct BreachJson {
    pub id: Uuid,
    pub description: String,
    pub discovered_on: String,
    pub window_from: String,
    pub window_to: String,
    pub actor_user_id: Option<Uuid>,
    /// `suspected`, `confirmed` or `not_a_breach`.
    pub status: String,
    pub assessment: Option<breach::Assessment>,
    /// How many patients the audit trail shows were reached in the window.
    pub affected_count: usize,
    /// Letters are due by this date (60 days after discovery).
    pub notify_by: String,
    /// For a confirmed breach: when and how HHS must hear of it.
    pub hhs_report: Option<breach::HhsReport>,
    pub recorded_by: Uuid,
    pub recorded_at: String,
    pub decided_at: Option<String>,
}

fn breach_json(b: &Breach, affected_count: usize) -> ApiResult<BreachJson> {
    let assessment = b.risk_assessment()?;
    Ok(BreachJson {
        id: b.id,
        description: b.description.clone(),
        discovered_on: format_date(b.discovered_on),
        window_from: rfc3339(b.window_from),
        window_to: rfc3339(b.window_to),
        actor_user_id: b.actor_user_id,
        status: b.status.clone(),
        assessment,
        affected_count,
        notify_by: format_date(breach::notify_by(b.discovered_on)),
        hhs_report: (b.status == Status::Confirmed.as_str())
            .then(|| breach::hhs_report(affected_count, b.discovered_on)),
        recorded_by: b.recorded_by,
        recorded_at: rfc3339(b.recorded_at),
        decided_at: b.decided_at.map(rfc3339),
    })
}

/// Records a suspected breach and the patients it reached (API and pages).
pub async fn record(
    state: &AppState,
    caller: &Caller,
    input: &SuspicionInput,
) -> ApiResult<BreachJson> {
    require(state, caller, Action::ReadAudit, "breach.record").await?;
    let today = local_today(state, caller).await?;
    let now = state.now();
    let suspicion = input.checked(today, now)?;
    let actor_user_id = match input.actor_user_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let id = super::body_id("actor_user_id", text)?;
            let mut conn = state.store.read().await?;
            openiop_store::auth::find_user(&mut conn.db(), caller.organization_id, id)
                .await?
                .ok_or_else(|| {
                    openiop_core::Invalid::one(
                        "actor_user_id",
                        "must be a user of this organization",
                    )
                })?;
            Some(id)
        }
    };
    let row = Breach {
        id: openiop_core::id::new_id(),
        description: suspicion.description,
        discovered_on: suspicion.discovered_on,
        window_from: Instant::new(suspicion.window_from),
        window_to: Instant::new(suspicion.window_to),
        actor_user_id,
        status: Status::Suspected.as_str().to_owned(),
        assessment: None,
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
        decided_by: None,
        decided_at: None,
    };
    let mut tx = state.store.begin().await?;
    let affected = store::insert(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action("breach.record", format!("breaches/{}", row.id))
        .detail(format!("affected={affected}"));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    breach_json(&row, usize::try_from(affected).unwrap_or(usize::MAX))
}

/// `POST /api/v1/breaches`
pub async fn post_breach(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<SuspicionInput>,
) -> ApiResult<(StatusCode, Json<BreachJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(record(&state, &caller, &input).await?),
    ))
}

/// The breach log, newest discovery first (API and pages).
pub async fn log(state: &AppState, caller: &Caller) -> ApiResult<Vec<BreachJson>> {
    require(state, caller, Action::ReadAudit, "breach.log").await?;
    let mut conn = state.store.read().await?;
    let rows = store::list_breaches(&mut conn.db(), caller.organization_id).await?;
    let counts: std::collections::HashMap<Uuid, i64> =
        store::count_affected(&mut conn.db(), caller.organization_id)
            .await?
            .into_iter()
            .collect();
    let count = |id: Uuid| {
        counts
            .get(&id)
            .map_or(0, |n| usize::try_from(*n).unwrap_or(0))
    };
    rows.iter().map(|b| breach_json(b, count(b.id))).collect()
}

/// `GET /api/v1/breaches`
pub async fn list_breaches(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<BreachJson>>> {
    Ok(Json(ListPage::whole(log(&state, &caller).await?)))
}

#[derive(Debug, Clone, Serialize)]
pub struct AffectedJson {
    pub patient_id: Uuid,
    pub name: String,
    /// How many times the record was reached in the window.
    pub accesses: i32,
    pub notified_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreachDetail {
    #[serde(flatten)]
    pub breach: BreachJson,
    pub affected: Vec<AffectedJson>,
}

/// A breach with its affected patients by name; reading names is audited per patient.
pub async fn detail(
    state: &AppState,
    caller: &Caller,
    id: BreachId,
    action: &str,
) -> ApiResult<(Breach, Vec<Affected>)> {
    require(state, caller, Action::ReadAudit, action).await?;
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    let b = store::find_breach(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let affected = store::list_affected(&mut conn.db(), caller.organization_id, id).await?;
    drop(conn);
    let now = state.now();
    let events = affected
        .iter()
        .map(|a| {
            EventBuilder::for_caller(caller)
                .action(action, format!("breaches/{id}"))
                .patient(a.patient_id)
                .build(now)
        })
        .collect();
    state.store.record(events).await?;
    Ok((b, affected))
}

fn detail_json(b: &Breach, affected: &[Affected]) -> ApiResult<BreachDetail> {
    Ok(BreachDetail {
        breach: breach_json(b, affected.len())?,
        affected: affected
            .iter()
            .map(|a| AffectedJson {
                patient_id: a.patient_id,
                name: format!("{} {}", a.given_name, a.family_name),
                accesses: a.accesses,
                notified_at: a.notified_at.map(rfc3339),
            })
            .collect(),
    })
}

/// `GET /api/v1/breaches/{id}`
pub async fn get_breach(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<BreachId>,
) -> ApiResult<Json<BreachDetail>> {
    let (b, affected) = detail(&state, &caller, id, "breach.read").await?;
    Ok(Json(detail_json(&b, &affected)?))
}

/// Records the risk assessment of a suspected breach (API and pages).
pub async fn assess(
    state: &AppState,
    caller: &Caller,
    id: BreachId,
    input: &AssessmentInput,
) -> ApiResult<BreachDetail> {
    require(state, caller, Action::ReadAudit, "breach.assess").await?;
    let breach_id = id.uuid();
    let checked = input.checked()?;
    let body = serde_json::to_string(&checked).map_err(|e| ApiError::caused("encoding JSON", e))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::assess(
        &mut tx.db(),
        caller.organization_id,
        breach_id,
        checked.status.as_str(),
        &body,
        caller.user_id,
        Instant::new(now),
    )
    .await?
    {
        drop(tx);
        let mut conn = state.store.read().await?;
        store::find_breach(&mut conn.db(), caller.organization_id, breach_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        return Err(ApiError::Conflict(
            "this breach has been assessed already".into(),
        ));
    }
    let event = EventBuilder::for_caller(caller)
        .action("breach.assess", format!("breaches/{breach_id}"))
        .detail(checked.status.as_str().to_owned());
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    let (b, affected) = detail(state, caller, id, "breach.read").await?;
    detail_json(&b, &affected)
}

/// `POST /api/v1/breaches/{id}/assessment`
pub async fn post_assessment(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<BreachId>,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> ApiResult<Json<BreachDetail>> {
    Ok(Json(assess(&state, &caller, id, &input).await?))
}

/// The notification letters of a confirmed breach, one per affected patient, as printable
/// HTML with the contents 164.404(c) requires (API and pages).
pub async fn letters(state: &AppState, caller: &Caller, id: BreachId) -> ApiResult<String> {
    let (b, affected) = detail(state, caller, id, "breach.letters").await?;
    let assessment = b.risk_assessment()?;
    let Some(a) = assessment.filter(|a| a.status == Status::Confirmed) else {
        return Err(ApiError::Conflict(
            "letters go out only for a breach the risk assessment confirmed".into(),
        ));
    };
    let mut conn = state.store.read().await?;
    let organization =
        openiop_store::organization::find_organization(&mut conn.db(), caller.organization_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
    drop(conn);
    let today = local_today(state, caller).await?;
    let e = crate::html::escape;
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Breach notification letters</title>\
         <style>.letter{page-break-after:always;max-width:40em;margin:2em auto}</style></head><body>",
    );
    let happened = format!(
        "between {} and {}",
        &rfc3339(b.window_from)[..10],
        &rfc3339(b.window_to)[..10]
    );
    for p in &affected {
        html.push_str(&format!(
            "<section class=\"letter\"><p>{}</p><p>Dear {} {},</p>\
             <h2>Notice of a breach of your health information</h2>\
             <h3>What happened</h3><p>{} It happened {happened}, and we discovered it on {}.</p>\
             <h3>What information was involved</h3><p>{}</p>\
             <h3>What you can do</h3><p>{}</p>\
             <h3>What we are doing</h3><p>{}</p>\
             <h3>For more information</h3><p>{}</p>\
             <p>Sincerely,<br>{}</p></section>",
            format_date(today),
            e(&p.given_name),
            e(&p.family_name),
            e(&b.description),
            format_date(b.discovered_on),
            e(a.information_involved.as_deref().unwrap_or("")),
            e(a.steps_for_patients.as_deref().unwrap_or("")),
            e(a.mitigation.as_deref().unwrap_or("")),
            e(a.contact.as_deref().unwrap_or("")),
            e(&organization),
        ));
    }
    html.push_str("</body></html>");
    Ok(html)
}

/// `GET /api/v1/breaches/{id}/letters`
pub async fn get_letters(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<BreachId>,
) -> ApiResult<Response> {
    let html = letters(&state, &caller, id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response())
}

#[derive(Debug, Clone, Serialize)]
pub struct LettersSent {
    /// Letters newly recorded as sent.
    pub notified: u64,
}

/// Records that the letters not yet sent went out today (API and pages).
pub async fn letters_sent(
    state: &AppState,
    caller: &Caller,
    id: BreachId,
) -> ApiResult<LettersSent> {
    require(state, caller, Action::ReadAudit, "breach.letters_sent").await?;
    let breach_id = id.uuid();
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let b = store::find_breach(&mut tx.db(), caller.organization_id, breach_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if b.status != Status::Confirmed.as_str() {
        return Err(ApiError::Conflict(
            "letters go out only for a breach the risk assessment confirmed".into(),
        ));
    }
    let notified = store::mark_notified(
        &mut tx.db(),
        caller.organization_id,
        breach_id,
        Instant::new(now),
    )
    .await?;
    let event = EventBuilder::for_caller(caller)
        .action("breach.letters_sent", format!("breaches/{breach_id}"))
        .detail(format!("letters={notified}"));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(LettersSent { notified })
}

/// `POST /api/v1/breaches/{id}/letters-sent`
pub async fn post_letters_sent(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<BreachId>,
) -> ApiResult<Json<LettersSent>> {
    Ok(Json(letters_sent(&state, &caller, id).await?))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/breaches", "The breach log: suspected and confirmed breaches, patients affected, deadlines (admin)", get(api::breaches::list_breaches)).many_patients(),
    route(M::POST, "/api/v1/breaches", "Record a suspected breach; the audit trail names the patients reached in its window (admin)", post(api::breaches::post_breach))
        .body(|| object(&["description", "discovered_on", "window_from", "window_to"], json!({"description": string(),
            "discovered_on": {"type": "string", "format": "date"}, "window_from": {"type": "string", "format": "date-time"},
            "window_to": {"type": "string", "format": "date-time"}, "actor_user_id": {"type": ["string", "null"], "format": "uuid"}}))).many_patients(),
    route(M::GET, "/api/v1/breaches/{id}", "A breach with its affected patients (admin)", get(api::breaches::get_breach)).many_patients(),
    route(M::POST, "/api/v1/breaches/{id}/assessment", "Record the risk assessment: confirmed (with what the letters say) or not a breach (admin)", post(api::breaches::post_assessment))
        .status(200)
        .body(|| object(&["status", "assessment"], json!({"status": {"enum": ["confirmed", "not_a_breach"]}, "assessment": string(),
            "information_involved": {"type": ["string", "null"]}, "steps_for_patients": {"type": ["string", "null"]},
            "mitigation": {"type": ["string", "null"]}, "contact": {"type": ["string", "null"]}}))),
    route(M::GET, "/api/v1/breaches/{id}/letters", "The notification letters of a confirmed breach (HTML, one per patient; admin)", get(api::breaches::get_letters)).many_patients(),
    route(M::POST, "/api/v1/breaches/{id}/letters-sent", "Record that the letters went out (admin)", post(api::breaches::post_letters_sent)).status(200),
    ]
}
