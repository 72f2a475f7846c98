//! Schedule pages: the week's sessions, the roster sheet, the front-desk check-in screen and
//! the program view of attendance.

use crate::ids::PageIds;
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
            attendance::week_containing(default_at, zone).ok_or(ApiError::Internal("week".into()))
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
    let found = sessions::sessions_in(
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
    let found = sessions::sessions_in(
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

pub struct Line {
    pub patient_id: Uuid,
    pub name: String,
    pub status: String,
    pub check_in: String,
    pub check_out: String,
    pub minutes: String,
    pub reason: String,
    pub corrected: bool,
}

#[derive(Template)]
#[template(path = "roster.html")]
struct RosterPage {
    chrome: Chrome,
    session_id: Uuid,
    title: String,
    when: String,
    code: String,
    /// A group session whose note the caller writes (its facilitator, or an admin).
    group_note: bool,
    /// A medication-management appointment: each patient's medications are a click away.
    medication_management: bool,
    lines: Vec<Line>,
    walk_ins: Vec<(Uuid, String)>,
    statuses: [(&'static str, &'static str); 5],
    errors: Vec<openiop_core::FieldError>,
    message: String,
}

const STATUSES: [(&str, &str); 5] = [
    ("present", "Present"),
    ("late", "Late"),
    ("left_early", "Left early"),
    ("absent_excused", "Absent, excused"),
    ("absent_unexcused", "Absent, unexcused"),
];

async fn roster_page(
    state: &AppState,
    caller: &Caller,
    session: &Session,
    errors: Vec<openiop_core::FieldError>,
    message: String,
) -> Result<RosterPage, ApiError> {
    let zone = zone_of(state, caller, session.track_id).await?;
    let lines = api_attendance::roster(state, caller, session).await?;
    let enrolled: Vec<Uuid> = lines.iter().map(|l| l.patient_id).collect();
    // Walk-ins: patients active in the session's track and not on the roster.
    let mut conn = state.store.read().await?;
    let census = store_patients::active_episodes(&mut conn.db(), caller.organization_id).await?;
    let candidates: Vec<Uuid> = census
        .iter()
        .filter(|e| e.track_id == session.track_id && !enrolled.contains(&e.patient_id))
        .map(|e| e.patient_id)
        .collect();
    drop(conn);
    // Only those the caller could mark (the policy asked for each); each one named is audited.
    let candidates: Vec<Uuid> = crate::api::permitted_patients(
        state,
        caller,
        openiop_core::access::Part::Attendance,
        openiop_core::access::Access::Write,
        &candidates,
    )
    .await?
    .into_iter()
    .collect();
    let mut conn = state.store.read().await?;
    let found =
        store_patients::find_patients(&mut conn.db(), caller.organization_id, &candidates).await?;
    drop(conn);
    let now = state.now();
    let events = found
        .iter()
        .map(|p| {
            crate::audit_log::EventBuilder::for_caller(caller)
                .action("roster.walk_ins", format!("sessions/{}", session.id))
                .patient(p.id)
                .build(now)
        })
        .collect();
    state.store.record(events).await?;
    let mut walk_ins: Vec<(Uuid, String)> = found
        .into_iter()
        .map(|p| {
            (
                p.id,
                format!("{}, {} ({})", p.family_name, p.given_name, p.birth_date),
            )
        })
        .collect();
    walk_ins.sort_by(|a, b| a.1.cmp(&b.1));
    let hhmm = |at: Option<Instant>| {
        at.and_then(|a| attendance::local_parts(a.get(), &zone))
            .map(|p| p.2)
            .unwrap_or_default()
    };
    Ok(RosterPage {
        chrome: Chrome::of(caller),
        session_id: session.id,
        title: session.title.clone(),
        when: format!(
            "{} to {}",
            attendance::local_label(session.starts_at.get(), &zone),
            attendance::local_parts(session.ends_at.get(), &zone)
                .map(|p| p.2)
                .unwrap_or_default()
        ),
        code: session.checkin_code.clone().unwrap_or_default(),
        medication_management: session.kind
            == openiop_core::session_kind::SessionKind::MedicationManagement.as_str(),
        group_note: crate::api::notes::is_group_session(&session.kind)
            && openiop_core::access::decide(
                caller.role,
                openiop_core::access::Action::WriteGroupNote,
                crate::api::facilitation(caller, session.facilitator_id),
            )
            .is_allowed(),
        lines: lines
            .into_iter()
            .map(|l| Line {
                patient_id: l.patient_id,
                name: format!("{}, {}", l.family_name, l.given_name),
                status: l.status.clone().unwrap_or_default(),
                check_in: hhmm(l.check_in),
                check_out: hhmm(l.check_out),
                minutes: l.minutes.map(|m| m.to_string()).unwrap_or_default(),
                reason: l.absence_reason.unwrap_or_default(),
                corrected: l.marks > 1,
            })
            .collect(),
        walk_ins,
        statuses: STATUSES,
        errors,
        message,
    })
}

/// `GET /sessions/{id}`: the roster sheet.
pub async fn roster(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, id).await?;
    Ok(render(
        &roster_page(&state, &caller, &session, Vec::new(), String::new()).await?,
    ))
}

/// `POST /sessions/{id}/all-present`
pub async fn all_present(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, id).await?;
    let n = api_attendance::mark_all_present(&state, &caller, &session).await?;
    let message = format!("{n} marked present.");
    Ok(render(
        &roster_page(&state, &caller, &session, Vec::new(), message).await?,
    ))
}

/// `POST /sessions/{id}/marks`: one line of the roster (a correction keeps the history), or
/// a walk-in.
pub async fn mark(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
    form: FormData,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, id).await?;
    let zone = zone_of(&state, &caller, session.track_id).await?;
    let outcome = async {
        let patient = open_patient(
            &state,
            &caller,
            form.get("patient_id")
                .parse()
                .map_err(|_| ApiError::NotFound)?,
            Part::Attendance,
            Access::Write,
            "attendance.mark",
        )
        .await
        .map_err(|e| match e {
            ApiError::NotFound => {
                openiop_core::Invalid::one("patient_id", "choose a patient").into()
            }
            other => other,
        })?;
        let mut check = Check::new();
        let start = session.starts_at.get();
        let check_in = api_attendance::local_time_on(
            &mut check,
            "check_in",
            start,
            &zone,
            form.get("check_in"),
        );
        let check_out = api_attendance::local_time_on(
            &mut check,
            "check_out",
            start,
            &zone,
            form.get("check_out"),
        );
        check.finish(|| Some(()))?;
        let body = api_attendance::line_body(
            patient.id,
            form.get("status"),
            check_in,
            check_out,
            form.optional("absence_reason"),
        );
        let mark =
            crate::api::sessions::check_mark(&caller, &session, patient.id, &body, state.now())?;
        crate::api::sessions::record_marks(&state, &caller, &session, std::slice::from_ref(&mark))
            .await?;
        Ok::<_, ApiError>(format!(
            "Saved: {}, {} minutes.",
            mark.status.replace('_', " "),
            mark.minutes
        ))
    }
    .await;
    let page = match outcome {
        Ok(message) => roster_page(&state, &caller, &session, Vec::new(), message).await?,
        Err(ApiError::Invalid(invalid)) => {
            roster_page(&state, &caller, &session, invalid.0, String::new()).await?
        }
        Err(other) => return Err(other.into()),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckInPage {
    chrome: Chrome,
    outcome: &'static str,
    message: &'static str,
}

/// `GET /check-in`: the front-desk screen. It lists nobody: a patient types the code shown
/// in the room, their family name and birth date.
pub async fn check_in(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    require(
        &state,
        &caller,
        Action::ManageSchedule,
        "attendance.self_check_in",
    )
    .await?;
    Ok(render(&CheckInPage {
        chrome: Chrome::of(&caller),
        outcome: "",
        message: "",
    }))
}

/// `POST /check-in`
pub async fn check_in_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    require(
        &state,
        &caller,
        Action::ManageSchedule,
        "attendance.self_check_in",
    )
    .await?;
    let body = CheckInBody {
        code: form.get("code").to_owned(),
        family_name: form.get("family_name").to_owned(),
        birth_date: form.get("birth_date").to_owned(),
    };
    let done = api_attendance::self_check_in(&state, &caller, &body).await?;
    Ok(render(&CheckInPage {
        chrome: Chrome::of(&caller),
        outcome: if done.is_some() { "ok" } else { "refused" },
        message: if done.is_some() {
            "You are checked in. Welcome; please take a seat."
        } else {
            api_attendance::CHECK_IN_REFUSED
        },
    }))
}

pub struct AttentionRow {
    pub patient_id: Uuid,
    pub name: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "program.html")]
struct ProgramPage {
    chrome: Chrome,
    week: String,
    previous: String,
    next: String,
    below: Vec<AttentionRow>,
    missed: Vec<AttentionRow>,
    by_track: Vec<(String, u32, u32, String)>,
    by_kind: Vec<(String, u32, u32, String)>,
}

/// Names for the attention lists (one query).
pub async fn names(
    state: &AppState,
    caller: &Caller,
    ids: &[Uuid],
) -> Result<std::collections::BTreeMap<Uuid, String>, ApiError> {
    let mut conn = state.store.read().await?;
    let found = store_patients::find_patients(&mut conn.db(), caller.organization_id, ids).await?;
    Ok(found
        .into_iter()
        .map(|p| (p.id, format!("{} {}", p.given_name, p.family_name)))
        .collect())
}

/// `GET /program?week=`: the program view of attendance.
pub async fn program(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    ApiQuery(param): ApiQuery<WeekParam>,
) -> PageResult {
    require(
        &state,
        &caller,
        Action::ReadConfiguration,
        "program.attendance",
    )
    .await?;
    let view = api_attendance::program_view(&state, &caller, param.week.as_deref()).await?;
    let mut ids: Vec<Uuid> = view.below_target.iter().map(|b| b.patient_id).collect();
    ids.extend(view.missed_two_in_a_row.iter().copied());
    let names = names(&state, &caller, &ids).await?;
    crate::api::audit_named(
        &state,
        &caller,
        "program.attendance",
        "program/attendance",
        &ids,
    )
    .await?;
    let zone = home_zone(&state, &caller).await?;
    let week =
        attendance::parse_week(&view.week, &zone).ok_or(ApiError::Internal("week".into()))?;
    let (previous, next) = neighbours(&week, &zone);
    let name = |p: &Uuid| names.get(p).cloned().unwrap_or_default();
    let rates = |v: &[api_attendance::GroupRate]| {
        v.iter()
            .map(|g| {
                (
                    g.group.replace('_', " "),
                    g.marked,
                    g.no_shows,
                    format!("{:.0} %", g.rate * 100.0),
                )
            })
            .collect()
    };
    Ok(render(&ProgramPage {
        chrome: Chrome::of(&caller),
        below: view
            .below_target
            .iter()
            .map(|b| AttentionRow {
                patient_id: b.patient_id,
                name: name(&b.patient_id),
                detail: format!(
                    "{:.1} h of {:.1} h, {} of {} days",
                    b.hours, b.target_hours, b.days, b.min_days
                ),
            })
            .collect(),
        missed: view
            .missed_two_in_a_row
            .iter()
            .map(|p| AttentionRow {
                patient_id: *p,
                name: name(p),
                detail: "missed the last two sessions".into(),
            })
            .collect(),
        by_track: rates(&view.no_shows_by_track),
        by_kind: rates(&view.no_shows_by_kind),
        week: view.week,
        previous,
        next,
    }))
}

#[derive(Template)]
#[template(path = "build.html")]
struct BuildPage {
    chrome: Chrome,
    plan: crate::api::week::WeekPlan,
    rows: Vec<BuildRow>,
    pins: Vec<String>,
    errors: Vec<openiop_core::FieldError>,
    applied: bool,
}

pub struct BuildRow {
    pub patient_id: Uuid,
    pub name: String,
    pub summary: String,
    pub met: bool,
    pub reason: String,
    pub assigned: Vec<(String, String)>,
    pub others: Vec<(String, String)>,
    /// Forbids made earlier for this patient, carried to the next preview.
    pub kept_forbids: Vec<String>,
}

fn pairs(values: Vec<String>) -> Vec<(String, String)> {
    values
        .into_iter()
        .filter_map(|v| {
            let (p, s) = v.split_once(':')?;
            Some((p.to_owned(), s.to_owned()))
        })
        .collect()
}

async fn build_page(
    state: &AppState,
    caller: &Caller,
    week: &str,
    form: Option<&FormData>,
    apply: bool,
) -> PageResult {
    require(state, caller, Action::ManageSchedule, "schedule.preview").await?;
    let pins = form.map(|f| f.all("pin")).unwrap_or_default();
    let pins: Vec<String> = pins.into_iter().filter(|p| !p.is_empty()).collect();
    let forbids = form.map(|f| f.all("forbid")).unwrap_or_default();
    let body = crate::api::week::BuildBody {
        pinned: pairs(pins.clone()),
        forbidden: pairs(forbids.clone()),
    };
    let (plan, errors) = match crate::api::week::plan_week(state, caller, week, &body, apply).await
    {
        Ok(plan) => (plan, Vec::new()),
        Err(ApiError::Invalid(invalid)) => {
            let empty = crate::api::week::BuildBody::default();
            (
                crate::api::week::plan_week(state, caller, week, &empty, false).await?,
                invalid.0,
            )
        }
        Err(other) => return Err(other.into()),
    };
    let title: std::collections::BTreeMap<Uuid, String> = plan
        .sessions
        .iter()
        .map(|s| (s.id, format!("{} {}", s.when, s.title)))
        .collect();
    let rows = plan
        .patients
        .iter()
        .map(|p| BuildRow {
            patient_id: p.patient_id,
            name: p.name.clone(),
            summary: format!(
                "{:.1} h over {} days (target {:.1} h over {})",
                p.hours, p.days, p.target_hours, p.min_days
            ),
            met: p.met,
            reason: p.reason.clone().unwrap_or_default(),
            assigned: p
                .sessions
                .iter()
                .map(|s| {
                    (
                        format!("{}:{s}", p.patient_id),
                        title.get(s).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            others: plan
                .sessions
                .iter()
                .filter(|s| !p.sessions.contains(&s.id))
                .map(|s| {
                    (
                        format!("{}:{}", p.patient_id, s.id),
                        format!("{} {}", s.when, s.title),
                    )
                })
                .collect(),
            kept_forbids: forbids
                .iter()
                .filter(|f| f.starts_with(&p.patient_id.to_string()))
                .cloned()
                .collect(),
        })
        .collect();
    Ok(render(&BuildPage {
        chrome: Chrome::of(caller),
        rows,
        pins,
        errors,
        applied: apply,
        plan,
    }))
}

/// The week after the current one, in the organization's zone.
async fn next_week(state: &AppState, caller: &Caller) -> Result<String, ApiError> {
    let zone = home_zone(state, caller).await?;
    attendance::week_containing(state.now() + time::Duration::days(7), &zone)
        .map(|w| w.name)
        .ok_or(ApiError::Internal("week".into()))
}

/// `GET /schedule/build?week=`: "build next week": the preview.
pub async fn build(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    ApiQuery(param): ApiQuery<WeekParam>,
) -> PageResult {
    let week = match param.week.filter(|w| !w.is_empty()) {
        Some(w) => w,
        None => next_week(&state, &caller).await?,
    };
    build_page(&state, &caller, &week, None, false).await
}

/// `POST /schedule/build`: preview again with the staff's pins and forbids.
pub async fn build_preview(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let week = form.get("week").to_owned();
    build_page(&state, &caller, &week, Some(&form), false).await
}

/// `POST /schedule/build/apply`: enroll the previewed assignments.
pub async fn build_apply(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let week = form.get("week").to_owned();
    build_page(&state, &caller, &week, Some(&form), true).await
}

/// One row of the plan form (blank rows for new steps).
#[derive(Default)]
pub struct StepRow {
    pub n: usize,
    pub from_week: String,
    pub phase: &'static str,
    pub level: &'static str,
    pub hours: String,
    pub min_days: String,
}

#[derive(Template)]
#[template(path = "patient_schedule.html")]
struct PatientSchedulePage {
    chrome: Chrome,
    patient_id: Uuid,
    name: String,
    episode_id: Option<Uuid>,
    this_week: Option<crate::api::program::WeekIntensity>,
    last_week: Option<crate::api::program::WeekIntensity>,
    upcoming: Vec<SessionRow>,
    windows: Vec<(usize, &'static str, String, String)>,
    steps: Vec<StepRow>,
    floor_reason: String,
    phases: [(&'static str, &'static str); 4],
    needed: Vec<String>,
    clinicians: Vec<(Uuid, String)>,
    feeds: Vec<(Uuid, bool)>,
    new_feed_url: String,
    can_write: bool,
    errors: Vec<openiop_core::FieldError>,
    message: String,
}

const PHASES: [(&str, &str); 4] = [
    ("engagement", "Engagement"),
    ("early_recovery", "Early recovery"),
    ("maintenance", "Maintenance"),
    ("community_integration", "Community integration"),
];

const DAY_LABELS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

async fn patient_schedule_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    errors: Vec<openiop_core::FieldError>,
    message: String,
) -> Result<PatientSchedulePage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Schedule,
        Access::Read,
        "schedule.read",
    )
    .await?;
    let org = caller.organization_id;
    let context = crate::api::program::episode_context(state, org, patient.id)
        .await
        .ok();
    let zone = match &context {
        Some((_, _, z)) => z.clone(),
        None => home_zone(state, caller).await?,
    };
    let (this_week, last_week) = if context.is_some() {
        let last = attendance::week_containing(state.now() - time::Duration::days(7), &zone)
            .map(|w| w.name);
        (
            crate::api::program::week_intensity(state, org, patient.id, None)
                .await
                .ok(),
            match last {
                Some(w) => crate::api::program::week_intensity(state, org, patient.id, Some(&w))
                    .await
                    .ok(),
                None => None,
            },
        )
    } else {
        (None, None)
    };
    let now = state.now();
    let mut conn = state.store.read().await?;
    let upcoming = sessions::sessions_in(
        &mut conn.db(),
        sessions::Whose::Patient(patient.id),
        Instant::new(now - time::Duration::hours(12)),
        Instant::new(now + time::Duration::days(14)),
    )
    .await?;
    let stored_windows = openiop_store::schedule::availability(&mut conn.db(), patient.id).await?;
    let plan = match &context {
        Some((episode, _, _)) => {
            openiop_store::schedule::current_plan(&mut conn.db(), episode.id).await?
        }
        None => None,
    };
    let feeds =
        openiop_store::schedule::active_feeds_of_patient(&mut conn.db(), patient.id).await?;
    let users = openiop_store::auth::list_users(&mut conn.db(), org).await?;
    drop(conn);
    // Two rows per weekday; stored windows fill them in order.
    let mut windows = Vec::new();
    for (day, label) in DAY_LABELS.iter().enumerate() {
        let mine: Vec<_> = stored_windows
            .iter()
            .filter(|w| usize::try_from(w.weekday).ok() == Some(day))
            .collect();
        for slot in 0..2 {
            let (a, b) = mine
                .get(slot)
                .map(|w| {
                    (
                        format!("{:02}:{:02}", w.start_minute / 60, w.start_minute % 60),
                        format!("{:02}:{:02}", w.end_minute / 60, w.end_minute % 60),
                    )
                })
                .unwrap_or_default();
            windows.push((day, *label, a, b));
        }
    }
    let stored_steps = plan.as_ref().map(|p| p.steps()).transpose()?;
    let mut steps: Vec<StepRow> = stored_steps
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let phase = openiop_core::intensity::Phase::parse(&s.phase)?;
            Some(StepRow {
                n: 0,
                from_week: s.from_week.to_string(),
                phase: phase.as_str(),
                level: match s.level.as_deref() {
                    Some("op") => "op",
                    Some("php") => "php",
                    Some("iop") => "iop",
                    _ => "",
                },
                hours: format!("{}", s.target_hours),
                min_days: s.min_days.to_string(),
            })
        })
        .collect();
    steps.truncate(4);
    while steps.len() < 4 {
        steps.push(StepRow::default());
    }
    for (n, step) in steps.iter_mut().enumerate() {
        step.n = n;
    }
    let needed = if context.is_some() {
        crate::api::program::topics_needed(state, org, patient.id)
            .await
            .map(|n| n.needed.into_iter().map(|t| t.title).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let can_write = openiop_core::access::decide(
        caller.role,
        Action::Record(Part::Schedule, Access::Write),
        openiop_core::access::Relationship::CareTeam,
    )
    .is_allowed();
    Ok(PatientSchedulePage {
        chrome: Chrome::of(caller),
        patient_id: patient.id,
        name: format!("{} {}", patient.given_name, patient.family_name),
        episode_id: context.as_ref().map(|(e, _, _)| e.id),
        this_week,
        last_week,
        upcoming: upcoming
            .into_iter()
            .map(|s| session_row(s, &zone))
            .collect(),
        windows,
        steps,
        floor_reason: plan.and_then(|p| p.floor_reason).unwrap_or_default(),
        phases: PHASES,
        needed,
        clinicians: users
            .into_iter()
            .filter(|u| {
                u.active
                    && openiop_core::access::may(
                        u.role,
                        openiop_core::access::Action::HoldAppointments,
                    )
            })
            .map(|u| (u.id, u.username))
            .collect(),
        feeds: feeds.into_iter().map(|f| (f.id, f.full_titles)).collect(),
        new_feed_url: String::new(),
        can_write,
        errors,
        message,
    })
}

/// Renders the page after a form: the message on success, the field errors (422) otherwise.
async fn after_form<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    outcome: Result<T, ApiError>,
    message: impl FnOnce(T) -> String,
) -> PageResult {
    match outcome {
        Ok(value) => Ok(render(
            &patient_schedule_page(state, caller, id, Vec::new(), message(value)).await?,
        )),
        Err(ApiError::Invalid(invalid)) | Err(ApiError::DoubleBooked(invalid)) => {
            let page = patient_schedule_page(state, caller, id, invalid.0, String::new()).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /patients/{id}/schedule`: hours, sessions, availability, plan, topics, calendar.
pub async fn patient_schedule(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(
        &patient_schedule_page(&state, &caller, id, Vec::new(), String::new()).await?,
    ))
}

/// `POST /patients/{id}/availability` (form): rows `day{n}`, `start{n}`, `end{n}`.
pub async fn availability_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let mut windows = Vec::new();
    for n in 0..14 {
        let start = form.get(&format!("start{n}")).trim().to_owned();
        let end = form.get(&format!("end{n}")).trim().to_owned();
        if start.is_empty() && end.is_empty() {
            continue;
        }
        windows.push(crate::api::program::WindowJson {
            day: form.get(&format!("day{n}")).to_owned(),
            start,
            end,
        });
    }
    let body = crate::api::program::AvailabilityBody { windows };
    let outcome = crate::api::program::set_availability(&state, &caller, id, &body).await;
    after_form(&state, &caller, id, outcome, |a| {
        format!("Availability saved: {} windows.", a.windows.len())
    })
    .await
}

/// `POST /patients/{id}/episodes/{episode_id}/intensity-plan` (form): up to four steps.
pub async fn plan_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
    form: FormData,
) -> PageResult {
    let mut steps = Vec::new();
    let mut check = Check::new();
    for n in 0..4 {
        let week = form.get(&format!("from_week{n}")).trim().to_owned();
        if week.is_empty() {
            continue;
        }
        let parsed = (
            week.parse::<u32>().ok(),
            form.get(&format!("target_hours{n}"))
                .trim()
                .parse::<f64>()
                .ok(),
            form.get(&format!("min_days{n}")).trim().parse::<u8>().ok(),
        );
        let (Some(from_week), Some(target_hours), Some(min_days)) = parsed else {
            check.fail(
                &format!("steps[{n}]"),
                "needs a week, hours and days as numbers",
            );
            continue;
        };
        steps.push(openiop_core::intensity::StepDoc {
            from_week,
            phase: form.get(&format!("phase{n}")).to_owned(),
            level: form.optional(&format!("level{n}")),
            target_hours,
            min_days,
        });
    }
    let outcome = match check.finish(|| Some(())) {
        Err(invalid) => Err(ApiError::Invalid(invalid)),
        Ok(()) => {
            let body = crate::api::program::PlanBody {
                steps,
                floor_reason: form.optional("floor_reason"),
            };
            crate::api::program::set_plan(&state, &caller, id, episode_id, &body).await
        }
    };
    after_form(&state, &caller, id, outcome, |p| {
        format!("Intensity plan saved ({} steps).", p.steps.len())
    })
    .await
}

/// `POST /patients/{id}/appointments` (form): local date and time in the site's zone.
pub async fn appointment_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let zone = match crate::api::program::episode_context(&state, caller.organization_id, id.uuid())
        .await
    {
        Ok((_, _, z)) => z,
        Err(_) => home_zone(&state, &caller).await?,
    };
    let starts = openiop_core::program::local_to_instant(&zone, form.get("at"));
    let minutes: i64 = form.get("minutes").trim().parse().unwrap_or(0);
    let fmt = |t: time::OffsetDateTime| crate::times::rfc3339(Instant::new(t));
    let body = crate::api::sessions::AppointmentBody {
        patient_id: id.to_string(),
        clinician_id: form.get("clinician_id").to_owned(),
        kind: form.get("kind").to_owned(),
        starts_at: starts.map(fmt).unwrap_or_else(|| form.get("at").to_owned()),
        ends_at: starts
            .map(|s| fmt(s + time::Duration::minutes(minutes)))
            .unwrap_or_default(),
        room_id: form.optional("room_id"),
        video_url: form.optional("video_url"),
        title: form.optional("title"),
    };
    let outcome = crate::api::sessions::book_appointment(&state, &caller, &body).await;
    after_form(&state, &caller, id, outcome, |s| {
        format!(
            "Booked: {} on {}.",
            s.title,
            attendance::local_label(s.starts_at.get(), &zone)
        )
    })
    .await
}

/// `POST /patients/{id}/calendar-feeds` (form): shows the secret address once.
pub async fn feed_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = crate::api::calendar::FeedBody {
        full_titles: form.get("full_titles") == "yes",
    };
    match crate::api::calendar::create_patient_feed(&state, &caller, id, &body).await {
        Ok(feed) => {
            let mut page =
                patient_schedule_page(&state, &caller, id, Vec::new(), String::new()).await?;
            page.new_feed_url = feed.url;
            Ok(render(&page))
        }
        other => after_form(&state, &caller, id, other, |_| String::new()).await,
    }
}

/// `POST /calendar-feeds/{id}/revoke` (form)
pub async fn feed_revoke(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<CalendarFeedId>,
) -> PageResult {
    let patient = crate::api::calendar::revoke(&state, &caller, id).await?;
    match patient {
        Some(p) => {
            let p = PatientId::from_uuid(p);
            Ok(render(
                &patient_schedule_page(
                    &state,
                    &caller,
                    p,
                    Vec::new(),
                    "Calendar link revoked.".into(),
                )
                .await?,
            ))
        }
        None => Ok(axum::response::Redirect::to("/").into_response()),
    }
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
    let fmt = |t: time::OffsetDateTime| crate::times::rfc3339(Instant::new(t));
    let body = crate::api::sessions::SessionBody {
        track_id: form.get("track_id").to_owned(),
        kind: form.get("kind").to_owned(),
        title: form.get("title").to_owned(),
        starts_at: starts.map(fmt).unwrap_or_else(|| form.get("at").to_owned()),
        ends_at: starts
            .map(|s| fmt(s + time::Duration::minutes(minutes)))
            .unwrap_or_default(),
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
