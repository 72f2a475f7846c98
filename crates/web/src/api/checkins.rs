//! Daily check-ins of mood, craving and use, recorded by staff (and, with the portal, by the
//! patient), read as a list and drawn as a trend on the chart.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::access::{Access, Part};
use openiop_core::checkin::CheckInInput;
use openiop_core::id::PatientId;
use openiop_store::Instant;
use openiop_store::checkins::{self as store, CheckIn};
use openiop_store::patients::Patient;
use serde::{Deserialize, Serialize};
use time::Duration;
use uuid::Uuid;

use super::{ListPage, local_today, open_patient};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::{ApiJson, ApiQuery};
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct CheckInJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub on: String,
    pub mood: i32,
    pub craving: i32,
    pub used: bool,
    pub substances: Vec<String>,
    pub note: Option<String>,
    pub source: String,
    pub recorded_by: Uuid,
    pub recorded_at: String,
}

impl CheckInJson {
    pub fn new(c: &CheckIn) -> ApiResult<CheckInJson> {
        Ok(CheckInJson {
            id: c.id,
            patient_id: c.patient_id,
            on: openiop_core::validate::format_date(c.on_date),
            mood: c.mood,
            craving: c.craving,
            used: c.used,
            substances: c.substances()?,
            note: c.note.clone(),
            source: c.source.clone(),
            recorded_by: c.recorded_by,
            recorded_at: rfc3339(c.recorded_at),
        })
    }
}

/// Records a check-in (API and pages).
pub async fn record(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    input: &CheckInInput,
) -> ApiResult<CheckInJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Assessments,
        Access::Write,
        "check_in.create",
    )
    .await?;
    let checked = input.checked(local_today(state, caller).await?)?;
    let now = state.now();
    let row = CheckIn {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        on_date: checked.on,
        mood: i32::from(checked.mood),
        craving: i32::from(checked.craving),
        used: checked.used,
        substances: serde_json::to_string(&checked.substances).unwrap_or_else(|_| "[]".into()),
        note: checked.note,
        source: if caller.role.is_patient() {
            "patient"
        } else {
            "staff"
        }
        .to_owned(),
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    store::insert_check_in(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "check_in.create",
            format!("patients/{}/check-ins/{}", patient.id, row.id),
        )
        .patient(patient.id);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    CheckInJson::new(&row)
}

/// `POST /api/v1/patients/{id}/check-ins`
pub async fn post_check_in(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(input): ApiJson<CheckInInput>,
) -> ApiResult<(StatusCode, Json<CheckInJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(record(&state, &caller, id, &input).await?),
    ))
}

/// A patient's check-ins of the last `days` days (one per date, the newest), newest first
/// (API and pages).
pub async fn recent(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    days: i64,
) -> ApiResult<(Patient, Vec<CheckIn>)> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Assessments,
        Access::Read,
        "check_in.list",
    )
    .await?;
    let from = local_today(state, caller).await? - Duration::days(days - 1);
    let mut conn = state.store.read().await?;
    let rows =
        store::list_check_ins_since(&mut conn.db(), caller.organization_id, patient.id, from)
            .await?;
    Ok((patient, rows))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInQuery {
    pub days: Option<String>,
}

/// `GET /api/v1/patients/{id}/check-ins?days=30`
pub async fn list_check_ins(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiQuery(query): ApiQuery<CheckInQuery>,
) -> ApiResult<Json<ListPage<CheckInJson>>> {
    let days = match query.days.as_deref() {
        None => 30,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=366).contains(d))
            .ok_or_else(|| openiop_core::Invalid::one("days", "must be from 1 to 366"))?,
    };
    let (_, rows) = recent(&state, &caller, id, days).await?;
    Ok(Json(ListPage::whole(
        rows.iter()
            .map(CheckInJson::new)
            .collect::<ApiResult<_>>()?,
    )))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/check-ins", "Daily check-ins, one per date (the newest), newest first", get(api::checkins::list_check_ins))
        .query(&[("days", "How many days back, 1 to 366 (default 30)")]),
    route(M::POST, "/api/v1/patients/{id}/check-ins", "Record a daily check-in (a second one for a date corrects it)", post(api::checkins::post_check_in))
        .body(|| object(&["mood", "craving", "used"], json!({"on": {"type": "string", "format": "date"},
            "mood": {"type": "integer", "minimum": 0, "maximum": 10}, "craving": {"type": "integer", "minimum": 0, "maximum": 10},
            "used": {"type": "boolean"}, "substances": {"type": "array", "items": {"type": "string"}}, "note": {"type": "string"}}))),
    ]
}
