//! What each person's week is built from: rooms, availability windows, per-episode
//! intensity plans (tapering, with the level's floor), the psychoeducation curriculum, and
//! the weekly intensity that counts hours against them.

use crate::ids::Ids;
use openiop_core::id::{EpisodeId, PatientId};
use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use openiop_core::access::{Access, Action, Part};
use openiop_core::attendance;
use openiop_core::intensity::{self, Billable, Phase, Plan, StepDoc};
use openiop_core::validate::Check;
use openiop_core::{FieldError, Invalid};
use openiop_store::patients::{self as store_patients, Episode};
use openiop_store::schedule::{self as schedule_store, Room, StoredIntensityPlan, Window};
use openiop_store::sessions;
use openiop_store::{Instant, organization};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};
use crate::times::rfc3339;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomBody {
    pub site_id: String,
    pub name: String,
    pub capacity: i64,
}

#[derive(Serialize)]
pub struct RoomJson {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub capacity: i32,
}

impl From<Room> for RoomJson {
    fn from(r: Room) -> Self {
        RoomJson {
            id: r.id,
            site_id: r.site_id,
            name: r.name,
            capacity: r.capacity,
        }
    }
}

/// `POST /api/v1/rooms` (admins): a room of a site.
pub async fn post_room(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RoomBody>,
) -> ApiResult<(StatusCode, Json<RoomJson>)> {
    require(&state, &caller, Action::Configure, "room.create").await?;
    let room = create_room(&state, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(room.into())))
}

/// Creates a room (API and configuration page).
pub async fn create_room(state: &AppState, caller: &Caller, body: &RoomBody) -> ApiResult<Room> {
    let mut check = Check::new();
    let name = check.text("name", &body.name, 100);
    if !(1..=500).contains(&body.capacity) {
        check.fail("capacity", "must be a whole number from 1 to 500");
    }
    let mut conn = state.store.read().await?;
    let site = match openiop_core::id::parse_id(&body.site_id) {
        Some(id) => organization::find_site(&mut conn.db(), caller.organization_id, id).await?,
        None => None,
    };
    drop(conn);
    if site.is_none() {
        check.fail("site_id", "must name a site of this organization");
    }
    let (name, site) = check.finish(|| Some((name?, site?)))?;
    let room = Room {
        id: openiop_core::id::new_id(),
        site_id: site.id,
        name,
        capacity: i32::try_from(body.capacity).unwrap_or(1),
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    schedule_store::insert_room(
        &mut tx.db(),
        caller.organization_id,
        &room,
        Instant::new(now),
    )
    .await
    .map_err(|e| match e {
        openiop_store::StoreError::Conflict(_) => {
            Invalid::one("name", "the site already has a room of that name").into()
        }
        other => ApiError::from(other),
    })?;
    tx.audit(
        EventBuilder::for_caller(caller)
            .action("room.create", format!("rooms/{}", room.id))
            .build(now),
    )
    .await?;
    tx.commit().await?;
    Ok(room)
}

/// `GET /api/v1/rooms` (staff).
pub async fn list_rooms(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<RoomJson>>> {
    require(&state, &caller, Action::ReadConfiguration, "room.list").await?;
    let mut conn = state.store.read().await?;
    let rooms = schedule_store::list_rooms(&mut conn.db(), caller.organization_id).await?;
    Ok(Json(ListPage::whole(
        rooms.into_iter().map(RoomJson::from).collect(),
    )))
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WindowJson {
    pub day: String,
    pub start: String,
    pub end: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    pub windows: Vec<WindowJson>,
}

#[derive(Serialize)]
pub struct AvailabilityJson {
    pub patient_id: Uuid,
    pub windows: Vec<WindowJson>,
}

fn minute_text(m: i32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn window_json(w: &Window) -> WindowJson {
    WindowJson {
        day: openiop_core::schedule::DAYS
            .get(usize::try_from(w.weekday).unwrap_or(0))
            .copied()
            .unwrap_or("mon")
            .to_owned(),
        start: minute_text(w.start_minute),
        end: minute_text(w.end_minute),
    }
}

/// Checks availability windows: a known day, `HH:MM` times, end after start, no overlap
/// with another window of the same day, at most 28.
pub fn check_windows(windows: &[WindowJson]) -> Result<Vec<Window>, Invalid> {
    let mut check = Check::new();
    if windows.len() > 28 {
        check.fail("windows", "at most 28 windows");
    }
    let mut out: Vec<Window> = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        let day = openiop_core::schedule::parse_day(&w.day);
        let start = openiop_core::schedule::parse_time(&w.start);
        let end = openiop_core::schedule::parse_time(&w.end);
        if day.is_none() {
            check.fail(&format!("windows[{i}].day"), "must be one of mon..sun");
        }
        if start.is_none() {
            check.fail(&format!("windows[{i}].start"), "must be a time HH:MM");
        }
        if end.is_none() {
            check.fail(&format!("windows[{i}].end"), "must be a time HH:MM");
        }
        let (Some(day), Some(start), Some(end)) = (day, start, end) else {
            continue;
        };
        if end <= start {
            check.fail(
                &format!("windows[{i}].end"),
                "must be after start (split overnight windows in two)",
            );
            continue;
        }
        let window = Window {
            weekday: i32::from(day),
            start_minute: i32::from(start),
            end_minute: i32::from(end),
        };
        if out.iter().any(|o| {
            o.weekday == window.weekday
                && o.start_minute < window.end_minute
                && window.start_minute < o.end_minute
        }) {
            check.fail(
                &format!("windows[{i}]"),
                "overlaps another window of that day",
            );
            continue;
        }
        out.push(window);
    }
    check.finish(|| Some(out))
}

/// `PUT /api/v1/patients/{id}/availability`: replaces the weekly windows when the patient
/// can attend (their work, school and childcare around them).
pub async fn put_availability(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<AvailabilityBody>,
) -> ApiResult<Json<AvailabilityJson>> {
    Ok(Json(set_availability(&state, &caller, id, &body).await?))
}

/// Replaces a patient's availability (API and pages).
pub async fn set_availability(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &AvailabilityBody,
) -> ApiResult<AvailabilityJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Schedule,
        Access::Write,
        "availability.update",
    )
    .await?;
    let windows = check_windows(&body.windows)?;
    save_availability(state, caller, patient.id, &windows).await?;
    Ok(AvailabilityJson {
        patient_id: patient.id,
        windows: windows.iter().map(window_json).collect(),
    })
}

pub async fn save_availability(
    state: &AppState,
    caller: &Caller,
    patient_id: Uuid,
    windows: &[Window],
) -> ApiResult<()> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    schedule_store::set_availability(&mut tx.db(), caller.organization_id, patient_id, windows)
        .await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "availability.update",
            format!("patients/{patient_id}/availability"),
        )
        .patient(patient_id)
        .detail(format!("windows={}", windows.len()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /api/v1/patients/{id}/availability`
pub async fn get_availability(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<AvailabilityJson>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Schedule,
        Access::Read,
        "availability.read",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let windows =
        schedule_store::list_availability(&mut conn.db(), caller.organization_id, patient.id)
            .await?;
    Ok(Json(AvailabilityJson {
        patient_id: patient.id,
        windows: windows.iter().map(window_json).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    pub steps: Vec<StepDoc>,
    /// A clinician's reason for a target below the level's floor.
    pub floor_reason: Option<String>,
}

#[derive(Serialize)]
pub struct PlanJson {
    pub id: Uuid,
    pub episode_id: Uuid,
    pub steps: Vec<StepJson>,
    pub floor_reason: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: String,
}

#[derive(Serialize)]
pub struct StepJson {
    pub from_week: u32,
    pub phase: Phase,
    pub level: openiop_core::program::Level,
    pub target_hours: f64,
    pub min_days: u8,
}

fn plan_json(stored: &StoredIntensityPlan, plan: &Plan) -> PlanJson {
    PlanJson {
        id: stored.id,
        episode_id: stored.episode_id,
        steps: plan
            .steps
            .iter()
            .map(|s| StepJson {
                from_week: s.from_week,
                phase: s.phase,
                level: s.level,
                target_hours: f64::from(s.target_minutes) / 60.0,
                min_days: s.min_days,
            })
            .collect(),
        floor_reason: stored.floor_reason.clone(),
        recorded_by: stored.recorded_by,
        recorded_at: rfc3339(stored.recorded_at),
    }
}

/// The episode and its track, when `episode_id` is one of the patient's.
async fn episode_and_track(
    state: &AppState,
    caller: &Caller,
    patient_id: Uuid,
    episode_id: EpisodeId,
) -> ApiResult<(Episode, organization::Track)> {
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient_id).await?;
    let episode = episodes
        .into_iter()
        .find(|e| episode_id == e.id)
        .ok_or(ApiError::NotFound)?;
    let track = organization::find_track(&mut conn.db(), caller.organization_id, episode.track_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((episode, track))
}

/// Parses a stored plan for a track (plans were checked when saved; the floor reason
/// recorded then still stands). A stored plan that no longer parses is an error naming the
/// row, never a plan that silently is not there.
pub fn parse_stored(stored: &StoredIntensityPlan, track: &organization::Track) -> ApiResult<Plan> {
    let steps = stored.steps()?;
    let mut plan = Plan::parse(
        &steps,
        stored.floor_reason.as_deref().or(Some("recorded")),
        track.level,
        track.age_group,
    )
    .map_err(|invalid| {
        openiop_store::StoreError::Corrupt(format!(
            "intensity_plans {}: phases: {invalid:?}",
            stored.id
        ))
    })?;
    plan.floor_reason = stored.floor_reason.clone();
    Ok(plan)
}

/// `PUT /api/v1/patients/{id}/episodes/{episode_id}/intensity-plan`: a new version of the
/// episode's plan (the old ones are kept).
pub async fn put_intensity_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
    ApiJson(body): ApiJson<PlanBody>,
) -> ApiResult<Json<PlanJson>> {
    Ok(Json(
        set_plan(&state, &caller, id, episode_id, &body).await?,
    ))
}

/// Saves a new version of an episode's intensity plan (API and pages).
pub async fn set_plan(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    body: &PlanBody,
) -> ApiResult<PlanJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Plans,
        Access::Write,
        "intensity_plan.update",
    )
    .await?;
    let (episode, track) = episode_and_track(state, caller, patient.id, episode_id).await?;
    let plan = Plan::parse(
        &body.steps,
        body.floor_reason.as_deref(),
        track.level,
        track.age_group,
    )?;
    let now = state.now();
    let stored = StoredIntensityPlan {
        id: openiop_core::id::new_id(),
        episode_id: episode.id,
        phases: serde_json::to_string(&body.steps)
            .map_err(|e| ApiError::caused("encoding JSON", e))?,
        floor_reason: plan.floor_reason.clone(),
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    schedule_store::insert_intensity_plan(&mut tx.db(), caller.organization_id, &stored).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "intensity_plan.update",
            format!("episodes/{}/intensity-plan", episode.id),
        )
        .patient(patient.id)
        .detail(if plan.floor_reason.is_some() {
            "below_floor_with_reason"
        } else {
            "within_floor"
        });
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(plan_json(&stored, &plan))
}

/// `GET /api/v1/patients/{id}/episodes/{episode_id}/intensity-plan` -> the current plan,
/// 404 when the episode has none (its track's targets apply).
pub async fn get_intensity_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
) -> ApiResult<Json<PlanJson>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Plans,
        Access::Read,
        "intensity_plan.read",
    )
    .await?;
    let (episode, track) = episode_and_track(&state, &caller, patient.id, episode_id).await?;
    let mut conn = state.store.read().await?;
    let stored = schedule_store::find_current_intensity_plan(&mut conn.db(), episode.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let plan = parse_stored(&stored, &track)?;
    Ok(Json(plan_json(&stored, &plan)))
}

/// A patient's week: what they attended against what their plan (or track) asks.
#[derive(Debug, Clone, Serialize)]
pub struct WeekIntensity {
    pub week: String,
    pub hours: f64,
    pub target_hours: f64,
    pub days: usize,
    pub min_days: u8,
    pub met: bool,
    /// Week of the episode (1 = the admission week).
    pub episode_week: i64,
    pub phase: Option<Phase>,
    /// `plan` when the episode's intensity plan set the targets, else `track`.
    pub targets_from: &'static str,
    pub billable_days: Vec<String>,
    pub billable_week: bool,
}

/// The patient's current episode (the active one, else the newest), its track and zone.
pub async fn episode_context(
    state: &AppState,
    organization_id: Uuid,
    patient_id: Uuid,
) -> ApiResult<(Episode, organization::Track, String)> {
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), organization_id, patient_id).await?;
    let episode = episodes
        .iter()
        .find(|e| e.status == openiop_core::program::EpisodeStatus::Active)
        .or(episodes.first())
        .cloned()
        .ok_or_else(|| {
            Invalid(vec![FieldError {
                field: String::new(),
                message: "the patient has no episode of care".into(),
            }])
        })?;
    let track = organization::find_track(&mut conn.db(), organization_id, episode.track_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let site = organization::find_site(&mut conn.db(), organization_id, track.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((episode, track, site.time_zone))
}

/// The targets in force for an episode in a week (plan step, else the track).
pub async fn targets(
    state: &AppState,
    episode: &Episode,
    track: &organization::Track,
    week: &attendance::Week,
    zone: &str,
) -> ApiResult<Targets> {
    let mut conn = state.store.read().await?;
    let stored = schedule_store::find_current_intensity_plan(&mut conn.db(), episode.id).await?;
    drop(conn);
    targets_from(stored.as_ref(), episode, track, week, zone)
}

/// A week's targets for an episode (`core::intensity`): the step of its plan in force, else
/// its track's.
pub use openiop_core::intensity::WeeklyTargets as Targets;

mod curriculum;

pub use curriculum::*;

/// [`targets`] with the episode's current plan already loaded (for callers that load every
/// plan of the organization at once).
pub fn targets_from(
    stored: Option<&StoredIntensityPlan>,
    episode: &Episode,
    track: &organization::Track,
    week: &attendance::Week,
    zone: &str,
) -> ApiResult<Targets> {
    let monday = attendance::local_date(week.start, zone)
        .and_then(|d| openiop_core::validate::parse_date(&d))
        .ok_or(ApiError::internal("the start of a week in the site's zone"))?;
    let episode_week = intensity::episode_week(episode.admitted_on, monday);
    let plan = stored.map(|s| parse_stored(s, track)).transpose()?;
    Ok(Targets::for_week(
        plan.as_ref(),
        track.target_minutes,
        track.min_days,
        episode_week,
    ))
}

/// Computes a patient's intensity for an ISO week (`None`: the current week).
pub async fn week_intensity(
    state: &AppState,
    organization_id: Uuid,
    patient_id: Uuid,
    week: Option<&str>,
) -> ApiResult<WeekIntensity> {
    let (episode, track, zone) = episode_context(state, organization_id, patient_id).await?;
    let week = match week.filter(|w| !w.is_empty()) {
        Some(text) => attendance::parse_week(text, &zone)
            .ok_or_else(|| Invalid::one("week", "must be an ISO week such as 2026-W48"))?,
        None => attendance::week_containing(state.now(), &zone)
            .ok_or_else(crate::times::unplaced_week)?,
    };
    let targets = targets(state, &episode, &track, &week, &zone).await?;
    let Targets {
        minutes: target_minutes,
        min_days,
        episode_week,
        phase,
        ..
    } = targets;
    let mut conn = state.store.read().await?;
    let marks = sessions::list_current_marks(
        &mut conn.db(),
        organization_id,
        patient_id,
        Instant::new(week.start),
        Instant::new(week.end),
    )
    .await?;
    drop(conn);
    let mut by_date: BTreeMap<String, u32> = BTreeMap::new();
    for (mark, starts) in &marks {
        if mark.minutes > 0
            && let Some(date) = attendance::local_date(starts.get(), &zone)
        {
            *by_date.entry(date).or_default() += u32::try_from(mark.minutes).unwrap_or(0);
        }
    }
    let minutes: u32 = by_date.values().sum();
    let rule = super::config::settings_for(state, organization_id, Some(episode.id))
        .await?
        .billable;
    let Billable { days, week_counts } = intensity::billable(rule, &by_date);
    let hours = f64::from(minutes) / 60.0;
    Ok(WeekIntensity {
        met: targets.met(&by_date),
        week: week.name,
        hours,
        target_hours: f64::from(target_minutes) / 60.0,
        days: by_date.len(),
        min_days,
        episode_week,
        phase,
        targets_from: targets.from.as_str(),
        billable_days: days,
        billable_week: week_counts,
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WeekQuery {
    pub week: Option<String>,
}

/// The contract's shape of a week (API.md), nothing more.
#[derive(Serialize)]
pub struct IntensityJson {
    pub week: String,
    pub hours: f64,
    pub target_hours: f64,
    pub days: usize,
    pub min_days: u8,
    pub met: bool,
}

/// `GET /api/v1/patients/{id}/intensity?week=YYYY-Www`: hours attended in an ISO week of the
/// site's time zone against the episode's intensity plan for that week, else its track.
pub async fn get_intensity(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiQuery(query): ApiQuery<WeekQuery>,
) -> ApiResult<Json<IntensityJson>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Attendance,
        Access::Read,
        "intensity.read",
    )
    .await?;
    let w = week_intensity(
        &state,
        caller.organization_id,
        patient.id,
        query.week.as_deref(),
    )
    .await?;
    Ok(Json(IntensityJson {
        week: w.week,
        hours: w.hours,
        target_hours: w.target_hours,
        days: w.days,
        min_days: w.min_days,
        met: w.met,
    }))
}

/// `GET /api/v1/patients/{id}/week?week=YYYY-Www`: the whole week: intensity, where the
/// targets came from (plan step or track), and the billable days under the payer's rule.
pub async fn get_week(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiQuery(query): ApiQuery<WeekQuery>,
) -> ApiResult<Json<WeekIntensity>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Attendance,
        Access::Read,
        "intensity.read",
    )
    .await?;
    Ok(Json(
        week_intensity(
            &state,
            caller.organization_id,
            patient.id,
            query.week.as_deref(),
        )
        .await?,
    ))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/intensity", "Hours attended in an ISO week against the targets", get(api::program::get_intensity))
        .query(&[("week", "ISO week YYYY-Www in the site's time zone (default: this week)")]),
    route(M::GET, "/api/v1/patients/{id}/week", "A patient's week: intensity, targets' source and billable days", get(api::program::get_week))
        .query(&[("week", "ISO week YYYY-Www in the site's time zone (default: this week)")]),
    route(M::GET, "/api/v1/rooms", "Rooms of every site", get(api::program::list_rooms)).lists("Room"),
    route(M::POST, "/api/v1/rooms", "Create a room (admin)", post(api::program::post_room))
        .body(|| object(&["site_id", "name", "capacity"], json!({"site_id": {"type": "string", "format": "uuid"}, "name": string(),
            "capacity": {"type": "integer", "minimum": 1}}))),
    route(M::GET, "/api/v1/patients/{id}/availability", "A patient's weekly availability windows", get(api::program::get_availability)),
    route(M::PUT, "/api/v1/patients/{id}/availability", "Replace a patient's weekly availability windows", put(api::program::put_availability))
        .status(200)
        .body(|| object(&["windows"], json!({"windows": {"type": "array", "items": object(&["day", "start", "end"], json!({
            "day": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "start": string(), "end": string()}))}}))),
    route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/intensity-plan", "An episode's current intensity plan", get(api::program::get_intensity_plan)),
    route(M::PUT, "/api/v1/patients/{id}/episodes/{episode_id}/intensity-plan", "A new version of an episode's intensity plan", put(api::program::put_intensity_plan))
        .status(200)
        .body(|| object(&["steps"], json!({"steps": {"type": "array", "items": object(&["from_week", "phase", "target_hours", "min_days"], json!({
            "from_week": {"type": "integer", "minimum": 1}, "phase": {"enum": ["engagement", "early_recovery", "maintenance", "community_integration"]},
            "level": {"enum": ["op", "iop", "php"]}, "target_hours": {"type": "number"}, "min_days": {"type": "integer", "minimum": 0, "maximum": 7}}))},
            "floor_reason": string()}))),
    route(M::GET, "/api/v1/curriculum", "The psychoeducation curriculum, by phase", get(api::program::get_curriculum)).lists("Topic"),
    route(M::PUT, "/api/v1/curriculum/{phase}", "Replace a phase's ordered topics (admin)", put(api::program::put_curriculum))
        .status(200)
        .body(|| object(&["topics"], json!({"topics": {"type": "array", "items": string()}}))),
    route(M::GET, "/api/v1/patients/{id}/curriculum", "Psychoeducation topics the patient still needs", get(api::program::get_patient_curriculum)),
    ]
}
