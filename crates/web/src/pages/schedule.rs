//! Schedule pages: the week's sessions, the roster sheet, the front-desk check-in screen and
//! the program view of attendance.

use askama::Template;
use axum::extract::{Path, Query, State};
use openiop_core::access::{Access, Action, Part};
use openiop_core::attendance;
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
    let found = sessions::sessions_between(
        &mut conn.db(),
        caller.organization_id,
        Instant::new(from),
        Instant::new(until + time::Duration::minutes(1)),
    )
    .await?;
    let mine_only = caller.role == openiop_core::access::Role::Clinician;
    Ok(found
        .into_iter()
        .filter(|s| !mine_only || s.facilitator_id == Some(caller.user_id))
        .map(|s| session_row(s, &zone))
        .collect())
}

/// `GET /sessions?week=`: the week's sessions with their check-in codes.
pub async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(param): Query<WeekParam>,
) -> PageResult {
    require(&state, &caller, Action::ManageSchedule, "session.list").await?;
    let zone = home_zone(&state, &caller).await?;
    let week = pick_week(param.week.as_deref(), &zone, state.now())?;
    let mut conn = state.store.read().await?;
    let found = sessions::sessions_between(
        &mut conn.db(),
        caller.organization_id,
        Instant::new(week.start),
        Instant::new(week.end),
    )
    .await?;
    drop(conn);
    let (previous, next) = neighbours(&week, &zone);
    Ok(render(&SessionsPage {
        chrome: Chrome::of(&caller),
        rows: found.into_iter().map(|s| session_row(s, &zone)).collect(),
        week: week.name,
        previous,
        next,
    }))
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
    let found =
        store_patients::find_patients(&mut conn.db(), caller.organization_id, &candidates).await?;
    drop(conn);
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
    Path(id): Path<String>,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, &id).await?;
    Ok(render(
        &roster_page(&state, &caller, &session, Vec::new(), String::new()).await?,
    ))
}

/// `POST /sessions/{id}/all-present`
pub async fn all_present(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, &id).await?;
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
    Path(id): Path<String>,
    form: FormData,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, &id).await?;
    let zone = zone_of(&state, &caller, session.track_id).await?;
    let outcome = async {
        let patient = open_patient(
            &state,
            &caller,
            form.get("patient_id"),
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
    Query(param): Query<WeekParam>,
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
    api_attendance::audit_shown(&state, &caller, "program/attendance", &ids).await?;
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
    Query(param): Query<WeekParam>,
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
