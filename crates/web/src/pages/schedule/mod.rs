//! Schedule pages: the week's sessions, the roster sheet, the front-desk check-in screen and
//! the program view of attendance.

use crate::ids::PageIds;
use crate::json::Given;
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use openiop_core::access::{Access, Action, Part};
use openiop_core::attendance;
use openiop_core::id::{CalendarFeedId, EpisodeId, PatientId, SessionId, SessionTemplateId};
use openiop_core::validate::Check;
use openiop_store::sessions::{self, Session};
use openiop_store::{Instant, organization, patients as store_patients};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::attendance::{self as api_attendance, CheckInBody};
use crate::api::{open_patient, require};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::ApiQuery;

mod patient;
mod program;
mod roster;

pub use patient::*;
pub use program::*;
pub use roster::*;

/// The site zone of a session (through its track).
pub async fn zone_of(
    state: &AppState,
    caller: &Caller,
    track_id: Uuid,
) -> Result<String, ApiError> {
    let mut conn = state.store.read().await?;
    let track = organization::find_track(&mut conn.db(), caller.organization_id, track_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let site = organization::find_site(&mut conn.db(), caller.organization_id, track.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(site.time_zone)
}

pub struct SessionRow {
    pub id: Uuid,
    pub when: String,
    pub until: String,
    pub title: String,
    pub kind: String,
    pub code: String,
    pub telehealth: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    week: String,
    previous: String,
    next: String,
    rows: Vec<SessionRow>,
    options: SessionFormOptions,
    message: String,
    errors: Vec<openiop_core::FieldError>,
}

#[derive(Deserialize, Default)]
pub struct WeekParam {
    pub week: Option<String>,
}

/// The organization's first site's zone (weeks on staff pages are read in it).
pub async fn home_zone(state: &AppState, caller: &Caller) -> Result<String, ApiError> {
    let mut conn = state.store.read().await?;
    let sites = organization::list_sites(&mut conn.db(), caller.organization_id).await?;
    Ok(sites
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_else(|| "UTC".into()))
}

/// A week from `?week=`, else the one containing `default_at`.
pub fn pick_week(
    text: Option<&str>,
    zone: &str,
    default_at: time::OffsetDateTime,
) -> Result<attendance::Week, ApiError> {
    match text.filter(|w| !w.is_empty()) {
        Some(w) => attendance::parse_week(w, zone).ok_or_else(|| {
            openiop_core::Invalid::one("week", "must be an ISO week such as 2026-W48").into()
        }),
        None => {
            attendance::week_containing(default_at, zone).ok_or_else(crate::times::unplaced_week)
        }
    }
}

/// The weeks before and after one.
pub fn neighbours(week: &attendance::Week, zone: &str) -> (String, String) {
    let name = |at| {
        attendance::week_containing(at, zone)
            .map(|w| w.name)
            .unwrap_or_default()
    };
    (
        name(week.start - time::Duration::days(3)),
        name(week.end + time::Duration::days(3)),
    )
}

fn session_row(s: Session, zone: &str) -> SessionRow {
    SessionRow {
        id: s.id,
        when: attendance::local_label(s.starts_at.get(), zone),
        until: attendance::local_parts(s.ends_at.get(), zone)
            .map(|p| p.2)
            .unwrap_or_default(),
        title: s.title,
        kind: s.kind.replace('_', " "),
        code: s.checkin_code.unwrap_or_default(),
        telehealth: s.video_url.is_some(),
    }
}

/// Today's sessions for the dashboard: a clinician's own, everyone's for the desk and admins.
pub async fn today(state: &AppState, caller: &Caller) -> Result<Vec<SessionRow>, ApiError> {
    let zone = home_zone(state, caller).await?;
    let Some((_, date, _)) = attendance::local_parts(state.now(), &zone) else {
        return Ok(Vec::new());
    };
    let (Some(from), Some(until)) = (
        openiop_core::program::local_to_instant(&zone, &format!("{date}T00:00")),
        openiop_core::program::local_to_instant(&zone, &format!("{date}T23:59")),
    ) else {
        return Ok(Vec::new());
    };
    let mut conn = state.store.read().await?;
    let found = sessions::list_sessions_in(
        &mut conn.db(),
        sessions::Whose::Organization(caller.organization_id),
        Instant::new(from),
        Instant::new(until + time::Duration::minutes(1)),
    )
    .await?;
    let mine_only = caller.role.lists_own_sessions_only();
    Ok(found
        .into_iter()
        .filter(|s| !mine_only || s.facilitator_id == Some(caller.user_id))
        .map(|s| session_row(s, &zone))
        .collect())
}

async fn sessions_page(
    state: &AppState,
    caller: &Caller,
    week: Option<&str>,
    message: String,
    errors: Vec<openiop_core::FieldError>,
) -> Result<SessionsPage, ApiError> {
    require(state, caller, Action::ManageSchedule, "session.list").await?;
    let zone = home_zone(state, caller).await?;
    let week = pick_week(week, &zone, state.now())?;
    let mut conn = state.store.read().await?;
    let found = sessions::list_sessions_in(
        &mut conn.db(),
        sessions::Whose::Organization(caller.organization_id),
        Instant::new(week.start),
        Instant::new(week.end),
    )
    .await?;
    drop(conn);
    let (previous, next) = neighbours(&week, &zone);
    Ok(SessionsPage {
        chrome: Chrome::of(caller),
        rows: found.into_iter().map(|s| session_row(s, &zone)).collect(),
        week: week.name,
        previous,
        next,
        options: session_form_options(state, caller).await?,
        message,
        errors,
    })
}

/// `GET /sessions?week=`: the week's sessions with their check-in codes, and the forms to
/// add sessions.
pub async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    ApiQuery(param): ApiQuery<WeekParam>,
) -> PageResult {
    Ok(render(
        &sessions_page(
            &state,
            &caller,
            param.week.as_deref(),
            String::new(),
            Vec::new(),
        )
        .await?,
    ))
}

/// What the session forms offer.
pub struct SessionFormOptions {
    pub tracks: Vec<(Uuid, String)>,
    pub rooms: Vec<(Uuid, String)>,
    pub facilitators: Vec<(Uuid, String)>,
    pub kinds: Vec<(&'static str, &'static str)>,
}

async fn session_form_options(
    state: &AppState,
    caller: &Caller,
) -> Result<SessionFormOptions, ApiError> {
    let mut conn = state.store.read().await?;
    let tracks = organization::list_tracks(&mut conn.db(), caller.organization_id).await?;
    let rooms = openiop_store::schedule::list_rooms(&mut conn.db(), caller.organization_id).await?;
    let users = openiop_store::auth::list_users(&mut conn.db(), caller.organization_id).await?;
    Ok(SessionFormOptions {
        tracks: tracks.into_iter().map(|t| (t.id, t.name)).collect(),
        rooms: rooms
            .into_iter()
            .map(|r| (r.id, format!("{} ({} seats)", r.name, r.capacity)))
            .collect(),
        facilitators: users
            .into_iter()
            .filter(|u| u.active && u.role.is_staff())
            .map(|u| (u.id, u.username))
            .collect(),
        kinds: openiop_core::session_kind::SessionKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    })
}

/// The zone of a track's site, for reading local times typed in a form.
async fn zone_of_track_text(
    state: &AppState,
    caller: &Caller,
    track: &str,
) -> Result<String, ApiError> {
    match openiop_core::id::parse_id(track) {
        Some(id) => match zone_of(state, caller, id).await {
            Ok(z) => Ok(z),
            Err(ApiError::NotFound) => home_zone(state, caller).await,
            Err(e) => Err(e),
        },
        None => home_zone(state, caller).await,
    }
}

/// `POST /sessions` (form): one dated session; the local start is read in the track's zone.
pub async fn create_session(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let zone = zone_of_track_text(&state, &caller, form.get("track_id")).await?;
    let starts = openiop_core::program::local_to_instant(&zone, form.get("at"));
    let minutes: i64 = form.get("minutes").trim().parse().unwrap_or(0);
    let body = crate::api::sessions::SessionBody {
        track_id: form.get("track_id").to_owned(),
        kind: form.get("kind").to_owned(),
        title: form.get("title").to_owned(),
        starts_at: Given::Read(starts),
        ends_at: Given::Read(starts.map(|s| s + time::Duration::minutes(minutes))),
        capacity: form.get("capacity").trim().parse().unwrap_or(0),
        facilitator_id: form.optional("facilitator_id"),
        room_id: form.optional("room_id"),
        modality: form
            .optional("modality")
            .filter(|_| form.get("kind") == "group_therapy"),
        topic: form.optional("topic"),
        video_url: form.optional("video_url"),
    };
    let week = starts
        .and_then(|s| attendance::week_containing(s, &zone))
        .map(|w| w.name);
    let outcome = crate::api::sessions::create_session(&state, &caller, &body).await;
    sessions_after(
        &state,
        &caller,
        week,
        outcome.map(|s| format!("Created: {}.", s.title)),
    )
    .await
}

/// `POST /session-templates` (form): a weekly session, dated from one date to another.
pub async fn create_template(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let body = crate::api::sessions::TemplateBody {
        track_id: form.get("track_id").to_owned(),
        kind: form.get("kind").to_owned(),
        title: form.get("title").to_owned(),
        weekday: form.get("weekday").to_owned(),
        start: form.get("start").to_owned(),
        minutes: form.get("minutes").trim().parse().unwrap_or(0),
        capacity: form.get("capacity").trim().parse().unwrap_or(0),
        facilitator_id: form.optional("facilitator_id"),
        room_id: form.optional("room_id"),
        modality: form
            .optional("modality")
            .filter(|_| form.get("kind") == "group_therapy"),
        topic: form.optional("topic"),
        video_url: form.optional("video_url"),
    };
    let outcome = async {
        let template = crate::api::sessions::create_template(&state, &caller, &body).await?;
        let expand = crate::api::sessions::ExpandBody {
            from: form.get("from").to_owned(),
            to: form.get("to").to_owned(),
        };
        let created = crate::api::sessions::expand_template(
            &state,
            &caller,
            SessionTemplateId::from_uuid(template.id),
            &expand,
        )
        .await?;
        Ok::<_, ApiError>(format!("{} weekly sessions dated.", created.len()))
    }
    .await;
    sessions_after(&state, &caller, None, outcome).await
}

async fn sessions_after(
    state: &AppState,
    caller: &Caller,
    week: Option<String>,
    outcome: Result<String, ApiError>,
) -> PageResult {
    let (message, errors) = match outcome {
        Ok(m) => (m, Vec::new()),
        Err(ApiError::Invalid(i)) | Err(ApiError::DoubleBooked(i)) => (String::new(), i.0),
        Err(other) => return Err(other.into()),
    };
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = sessions_page(state, caller, week.as_deref(), message, errors).await?;
    Ok((status, render(&page)).into_response())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/sessions", "The week's sessions and their check-in codes", get(pages::schedule::list)),
    route(M::POST, "/sessions", "Add a dated session (form)", post(pages::schedule::create_session)),
    route(M::POST, "/session-templates", "Add a weekly session and date it (form)", post(pages::schedule::create_template)),
    route(M::GET, "/sessions/{id}", "Roster sheet", get(pages::schedule::roster)).many_patients(),
    route(M::POST, "/sessions/{id}/all-present", "Mark everyone not yet marked present (form)", post(pages::schedule::all_present)).many_patients(),
    route(M::POST, "/sessions/{id}/marks", "Mark or correct one line, or add a walk-in (form)", post(pages::schedule::mark)),
    route(M::GET, "/patients/{id}/schedule", "A patient's hours, sessions, availability, plan and calendar link", get(pages::schedule::patient_schedule)),
    route(M::POST, "/patients/{id}/availability", "Save availability windows (form)", post(pages::schedule::availability_submit)),
    route(M::POST, "/patients/{id}/episodes/{episode_id}/intensity-plan", "Save an intensity plan (form)", post(pages::schedule::intensity_plan_submit)),
    route(M::POST, "/patients/{id}/appointments", "Book an appointment (form)", post(pages::schedule::appointment_submit)),
    route(M::POST, "/patients/{id}/calendar-feeds", "Create a calendar link (form)", post(pages::schedule::feed_submit)),
    route(M::POST, "/calendar-feeds/{id}/revoke", "Revoke a calendar link (form)", post(pages::schedule::feed_revoke)),
    route(M::GET, "/schedule/build", "Build next week: preview", get(pages::schedule::build)).many_patients(),
    route(M::POST, "/schedule/build", "Build a week: preview with pins and forbids (form)", post(pages::schedule::build_preview)).many_patients(),
    route(M::POST, "/schedule/build/apply", "Build a week: enroll the assignments (form)", post(pages::schedule::build_apply)).many_patients(),
    route(M::GET, "/check-in", "Front-desk self check-in screen", get(pages::schedule::check_in)),
    route(M::POST, "/check-in", "Self check-in (form)", post(pages::schedule::check_in_submit)),
    route(M::GET, "/program", "Program view of attendance", get(pages::schedule::program)).many_patients(),
    ]
}
