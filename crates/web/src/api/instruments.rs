//! Instruments: the catalog, pure scoring, and assessments stored on a patient (which raise
//! crisis alerts on suicide-risk flags).

use crate::ids::Ids;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use openiop_core::Invalid;
use openiop_core::access::{Access, Action, Part, Role};
use openiop_core::id::{AlertId, PatientId};
use openiop_core::instrument::{self, Instrument, Score};
use openiop_store::Instant;
use openiop_store::clinical::{self, Alert, Assessment};
use openiop_store::patients as store_patients;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};
use crate::times::rfc3339;

#[derive(Serialize)]
pub struct InstrumentSummary {
    code: &'static str,
    name: &'static str,
    item_count: usize,
}

/// `GET /api/v1/instruments`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<InstrumentSummary>>> {
    require(&state, &caller, Action::UseClinicalTools, "instrument.list").await?;
    let items = instrument::catalog()
        .iter()
        .map(|i| InstrumentSummary {
            code: i.code,
            name: i.name,
            item_count: i.items.len(),
        })
        .collect();
    Ok(Json(ListPage::whole(items)))
}

#[derive(Serialize)]
pub struct InstrumentJson {
    code: &'static str,
    name: &'static str,
    stem: Option<&'static str>,
    items: &'static [instrument::Item],
    bands: &'static [instrument::Band],
    requires_sex: bool,
    licence: &'static str,
}

fn find(code: &str) -> ApiResult<&'static Instrument> {
    instrument::find(code).ok_or(ApiError::NotFound)
}

/// `GET /api/v1/instruments/{code}`: items, choices, bands and terms of use.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<InstrumentJson>> {
    require(&state, &caller, Action::UseClinicalTools, "instrument.read").await?;
    let i = find(&code)?;
    Ok(Json(InstrumentJson {
        code: i.code,
        name: i.name,
        stem: i.stem,
        items: &i.items,
        bands: &i.bands,
        requires_sex: i.needs_sex,
        licence: i.licence,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    pub answers: Vec<i64>,
    pub sex: Option<String>,
}

/// `POST /api/v1/instruments/{code}/score`: pure scoring with the default cut-offs.
pub async fn post_score(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ScoreBody>,
) -> ApiResult<Json<Score>> {
    require(
        &state,
        &caller,
        Action::UseClinicalTools,
        "instrument.score",
    )
    .await?;
    let i = find(&code)?;
    Ok(Json(instrument::score(
        i,
        &body.answers,
        body.sex.as_deref(),
    )?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    pub code: String,
    pub answers: Vec<i64>,
    pub sex: Option<String>,
    /// The episode this belongs to; defaults to the active one, if any.
    pub episode_id: Option<String>,
}

#[derive(Serialize)]
pub struct AssessmentJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Option<Uuid>,
    pub code: String,
    pub answers: Vec<i64>,
    /// `null` for instruments without a total (the BAM).
    pub total: Option<i32>,
    pub band: Option<String>,
    pub flags: Vec<String>,
    /// Subscale sums, for instruments that have subscales.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscales: Option<BTreeMap<String, u32>>,
    pub administered_by: Uuid,
    pub administered_at: String,
    /// The crisis alert this assessment raised, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<Uuid>,
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The stored row of a scored instrument. Instruments without a total keep their subscales
/// instead (the row's total is then 0 and its band empty).
pub(crate) fn assessment_row(
    patient_id: Uuid,
    episode_id: Option<Uuid>,
    scored: &Score,
    answers: &[i64],
    sex: Option<String>,
    by: Uuid,
    at: Instant,
) -> Assessment {
    Assessment {
        id: openiop_core::id::new_id(),
        patient_id,
        episode_id,
        code: scored.code.to_owned(),
        answers: json(answers),
        sex,
        total: scored
            .total
            .map_or(0, |t| i32::try_from(t).unwrap_or(i32::MAX)),
        band: scored.band.unwrap_or_default().to_owned(),
        flags: json(&scored.flags),
        subscales: (!scored.subscales.is_empty()).then(|| json(&scored.subscales)),
        administered_by: by,
        administered_at: at,
    }
}

impl AssessmentJson {
    pub fn from_row(a: Assessment, alert_id: Option<Uuid>) -> ApiResult<AssessmentJson> {
        let subscales = a.subscales()?;
        let answers = a.answers()?;
        let flags = a.flags()?;
        let scored_by_total = subscales.is_none();
        Ok(AssessmentJson {
            id: a.id,
            patient_id: a.patient_id,
            episode_id: a.episode_id,
            code: a.code,
            answers,
            total: scored_by_total.then_some(a.total),
            band: (!a.band.is_empty()).then_some(a.band),
            flags,
            subscales,
            administered_by: a.administered_by,
            administered_at: rfc3339(a.administered_at),
            alert_id,
        })
    }
}

/// Administers an instrument to a patient: scores it, stores answers and score, and raises
/// a crisis alert (in the same transaction) when a suicide-risk flag is present.
pub async fn administer(
    state: &AppState,
    caller: &Caller,
    patient_id: PatientId,
    body: &AssessmentBody,
) -> ApiResult<AssessmentJson> {
    let patient = open_patient(
        state,
        caller,
        patient_id,
        Part::Assessments,
        Access::Write,
        "assessment.create",
    )
    .await?;
    if instrument::find(&body.code).is_none() {
        return Err(Invalid::one("code", "is not a known instrument").into());
    }
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    drop(conn);
    let episode_id = match body.episode_id.as_deref() {
        Some(text) => {
            let id =
                openiop_core::id::parse_id(text).filter(|id| episodes.iter().any(|e| e.id == *id));
            Some(id.ok_or_else(|| {
                Invalid::one("episode_id", "must name an episode of this patient")
            })?)
        }
        None => episodes
            .iter()
            .find(|e| e.status == openiop_core::program::EpisodeStatus::Active)
            .map(|e| e.id),
    };
    // Scored with the cut-offs of the patient's program, when it set its own.
    let settings = super::config::settings_for(state, caller.organization_id, episode_id).await?;
    let Some(i) = settings.instrument(&body.code) else {
        return Err(Invalid::one("code", "is not a known instrument").into());
    };
    let scored = instrument::score(i, &body.answers, body.sex.as_deref())?;
    let now = state.now();
    let at = Instant::new(now);
    let row = assessment_row(
        patient.id,
        episode_id,
        &scored,
        &body.answers,
        if i.needs_sex { body.sex.clone() } else { None },
        caller.user_id,
        at,
    );
    let crisis: Vec<&str> = scored
        .flags
        .iter()
        .copied()
        .filter(|f| instrument::is_crisis_flag(f))
        .collect();
    let mut tx = state.store.begin().await?;
    clinical::insert_assessment(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "assessment.create",
            format!("patients/{}/assessments/{}", patient.id, row.id),
        )
        .patient(patient.id)
        .detail(format!("{} band={}", i.code, scored.band.unwrap_or("none")));
    tx.audit(event.build(now)).await?;
    let alert_id = if crisis.is_empty() {
        None
    } else {
        let alert = Alert {
            id: openiop_core::id::new_id(),
            patient_id: patient.id,
            assessment_id: Some(row.id),
            kind: "crisis".into(),
            flags: serde_json::to_string(&crisis).unwrap_or_else(|_| "[]".into()),
            raised_at: at,
            acknowledged_by: None,
            acknowledged_at: None,
            action: None,
            note: None,
        };
        clinical::insert_alert(&mut tx.db(), caller.organization_id, &alert).await?;
        let event = EventBuilder::for_caller(caller)
            .action("alert.raise", format!("alerts/{}", alert.id))
            .patient(patient.id)
            .detail(crisis.join(","));
        tx.audit(event.build(now)).await?;
        Some(alert.id)
    };
    tx.commit().await?;
    AssessmentJson::from_row(row, alert_id)
}

/// `POST /api/v1/patients/{id}/assessments`
pub async fn post_assessment(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<AssessmentBody>,
) -> ApiResult<(StatusCode, Json<AssessmentJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(administer(&state, &caller, id, &body).await?),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AssessmentQuery {
    pub code: Option<String>,
}

/// `GET /api/v1/patients/{id}/assessments?code=`: newest first.
pub async fn list_assessments(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiQuery(query): ApiQuery<AssessmentQuery>,
) -> ApiResult<Json<ListPage<AssessmentJson>>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Assessments,
        Access::Read,
        "assessment.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let rows = clinical::list_assessments(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
        query.code.as_deref().filter(|c| !c.is_empty()),
        500,
    )
    .await?;
    Ok(Json(ListPage::whole(
        rows.into_iter()
            .map(|a| AssessmentJson::from_row(a, None))
            .collect::<ApiResult<_>>()?,
    )))
}

/// The actions a crisis alert can be acknowledged with.
pub const ALERT_ACTIONS: [(&str, &str); 4] = [
    ("safety_planning", "Safety planning done with the patient"),
    (
        "same_day_evaluation",
        "Same-day clinical evaluation arranged",
    ),
    (
        "crisis_line_988",
        "Connected with the 988 Suicide & Crisis Lifeline",
    ),
    ("emergency_referral", "Referred to emergency services"),
];

#[derive(Serialize)]
pub struct AlertJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub assessment_id: Option<Uuid>,
    pub kind: String,
    pub flags: Vec<String>,
    pub raised_at: String,
    pub acknowledged: bool,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<String>,
    pub action: Option<String>,
    pub note: Option<String>,
}

impl TryFrom<Alert> for AlertJson {
    type Error = openiop_store::StoreError;

    fn try_from(a: Alert) -> Result<Self, Self::Error> {
        let flags = a.flags()?;
        Ok(AlertJson {
            id: a.id,
            patient_id: a.patient_id,
            assessment_id: a.assessment_id,
            kind: a.kind,
            flags,
            raised_at: rfc3339(a.raised_at),
            acknowledged: a.acknowledged_at.is_some(),
            acknowledged_by: a.acknowledged_by,
            acknowledged_at: a.acknowledged_at.map(rfc3339),
            action: a.action,
            note: a.note,
        })
    }
}

/// Open crisis alerts the caller should act on: for clinicians, their care-team patients;
/// for admins, everyone's. Roles that may not read assessments see none.
pub async fn open_alerts(state: &AppState, caller: &Caller) -> ApiResult<Vec<Alert>> {
    let scope = match caller.role {
        Role::Admin => None,
        Role::Clinician => Some(caller.user_id),
        _ => return Ok(Vec::new()),
    };
    let mut conn = state.store.read().await?;
    let alerts = clinical::list_open_alerts(&mut conn.db(), caller.organization_id, scope).await?;
    drop(conn);
    let named: Vec<Uuid> = alerts.iter().map(|a| a.patient_id).collect();
    super::audit_named(state, caller, "alert.list", "alerts", &named).await?;
    Ok(alerts)
}

/// `GET /api/v1/alerts`: open crisis alerts.
pub async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<AlertJson>>> {
    require(&state, &caller, Action::UseClinicalTools, "alert.list").await?;
    let alerts = open_alerts(&state, &caller).await?;
    Ok(Json(ListPage::whole(
        alerts
            .into_iter()
            .map(AlertJson::try_from)
            .collect::<Result<_, _>>()?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeBody {
    pub action: String,
    pub note: Option<String>,
}

/// Acknowledges a crisis alert with the action taken; audited.
pub async fn acknowledge(
    state: &AppState,
    caller: &Caller,
    alert_id: AlertId,
    body: &AcknowledgeBody,
) -> ApiResult<AlertJson> {
    let id = alert_id.uuid();
    let mut conn = state.store.read().await?;
    let alert = clinical::find_alert(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    open_patient(
        state,
        caller,
        PatientId::from_uuid(alert.patient_id),
        Part::Assessments,
        Access::Write,
        "alert.acknowledge",
    )
    .await?;
    let mut check = openiop_core::validate::Check::new();
    if !ALERT_ACTIONS.iter().any(|(code, _)| *code == body.action) {
        check.fail("action", "must be one of safety_planning, same_day_evaluation, crisis_line_988, emergency_referral");
    }
    let note = check.optional_text("note", body.note.as_deref(), 2000);
    check.finish(|| Some(()))?;
    let note = note.flatten();
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !clinical::acknowledge_alert(
        &mut tx.db(),
        caller.organization_id,
        id,
        caller.user_id,
        Instant::new(now),
        &body.action,
        note.as_deref(),
    )
    .await?
    {
        return Err(Invalid::one("", "this alert was already acknowledged").into());
    }
    let event = EventBuilder::for_caller(caller)
        .action("alert.acknowledge", format!("alerts/{id}"))
        .patient(alert.patient_id)
        .detail(body.action.clone());
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    let mut conn = state.store.read().await?;
    let alert = clinical::find_alert(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(alert.try_into()?)
}

/// `POST /api/v1/alerts/{id}/acknowledge`
pub async fn post_acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<AlertId>,
    ApiJson(body): ApiJson<AcknowledgeBody>,
) -> ApiResult<Json<AlertJson>> {
    Ok(Json(acknowledge(&state, &caller, id, &body).await?))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/instruments", "List the screening instruments", get(api::instruments::list)).lists("InstrumentSummary"),
    route(M::GET, "/api/v1/instruments/{code}", "An instrument's items, choices, bands and terms of use", get(api::instruments::get)),
    route(M::POST, "/api/v1/instruments/{code}/score", "Score answers (pure; default cut-offs)", post(api::instruments::post_score))
        .status(200)
        .returns("Score")
        .body(|| object(&["answers"], json!({"answers": {"type": "array", "items": {"type": "integer"}}, "sex": {"enum": ["male", "female", "other", "unknown"]}}))),
    route(M::GET, "/api/v1/patients/{id}/assessments", "A patient's assessments, newest first (code)", get(api::instruments::list_assessments))
        .lists("Assessment")
        .query(&[("code", "Only this instrument")]),
    route(M::POST, "/api/v1/patients/{id}/assessments", "Administer an instrument to a patient", post(api::instruments::post_assessment))
        .returns("Assessment")
        .body(|| object(&["code", "answers"], json!({"code": string(), "answers": {"type": "array", "items": {"type": "integer"}},
            "sex": {"enum": ["male", "female", "other", "unknown"]}, "episode_id": {"type": "string", "format": "uuid"}}))),
    route(M::GET, "/api/v1/alerts", "Open crisis alerts for the caller's patients", get(api::instruments::list_alerts)).lists("Alert").many_patients(),
    route(M::POST, "/api/v1/alerts/{id}/acknowledge", "Acknowledge a crisis alert with the action taken", post(api::instruments::post_acknowledge))
        .status(200)
        .returns("Alert")
        .body(|| object(&["action"], json!({"action": {"enum": ["safety_planning", "same_day_evaluation", "crisis_line_988", "emergency_referral"]}, "note": string()}))),
    ]
}
