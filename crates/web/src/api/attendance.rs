//! The roster sheet (everyone enrolled, mark all present, then adjust), self check-in at the
//! front desk with a per-session code, and the program view (below target, missed twice in a
//! row, no-show rates).

use crate::ids::Ids;
use openiop_core::access::decide;
use openiop_core::id::SessionId;
use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use openiop_core::access::{Access, Action, Part};
use openiop_core::attendance::{self, NoShows, Status};
use openiop_core::validate::Check;
use openiop_core::{FieldError, Invalid};
use openiop_store::patients::{self as store_patients, Reach};
use openiop_store::sessions::{self, Mark, RosterLine, Session};
use openiop_store::{Instant, organization, schedule as schedule_store};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::sessions::{AttendanceBody, record_marks};
use super::{permitted_patients, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};
use crate::times::rfc3339;

/// A session's roster is for admins, the front desk and the session's facilitator.
pub async fn open_roster(state: &AppState, caller: &Caller, id: SessionId) -> ApiResult<Session> {
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    let session = sessions::find_session(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let allowed = decide(
        caller.role,
        Action::RunSession,
        super::facilitation(caller, session.facilitator_id),
    )
    .is_allowed();
    if !allowed {
        require(state, caller, Action::Configure, "roster.read").await?;
    }
    Ok(session)
}

#[derive(Serialize)]
pub struct RosterLineJson {
    pub patient_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub status: Option<String>,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    pub minutes: Option<i32>,
    pub absence_reason: Option<String>,
    /// The mark was corrected at least once (every mark is kept).
    pub corrected: bool,
}

#[derive(Serialize)]
pub struct RosterJson {
    pub session_id: Uuid,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub items: Vec<RosterLineJson>,
}

/// Reads a roster, writing one audit event per patient shown.
pub async fn roster(
    state: &AppState,
    caller: &Caller,
    session: &Session,
) -> ApiResult<Vec<RosterLine>> {
    let mut conn = state.store.read().await?;
    let mut lines =
        sessions::list_roster(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    let ids: Vec<Uuid> = lines.iter().map(|l| l.patient_id).collect();
    let permitted = permitted_patients(state, caller, Part::Attendance, Access::Read, &ids).await?;
    lines.retain(|l| permitted.contains(&l.patient_id));
    let now = state.now();
    let events = lines
        .iter()
        .map(|l| {
            EventBuilder::for_caller(caller)
                .action("roster.read", format!("sessions/{}", session.id))
                .patient(l.patient_id)
                .build(now)
        })
        .collect();
    state.store.record(events).await?;
    Ok(lines)
}

fn roster_json(session: &Session, lines: Vec<RosterLine>) -> RosterJson {
    RosterJson {
        session_id: session.id,
        title: session.title.clone(),
        starts_at: rfc3339(session.starts_at),
        ends_at: rfc3339(session.ends_at),
        items: lines
            .into_iter()
            .map(|l| RosterLineJson {
                patient_id: l.patient_id,
                given_name: l.given_name,
                family_name: l.family_name,
                status: l.status,
                check_in: l.check_in.map(rfc3339),
                check_out: l.check_out.map(rfc3339),
                minutes: l.minutes,
                absence_reason: l.absence_reason,
                corrected: l.marks > 1,
            })
            .collect(),
    }
}

/// `GET /api/v1/sessions/{id}/roster`
pub async fn get_roster(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
) -> ApiResult<Json<RosterJson>> {
    let session = open_roster(&state, &caller, id).await?;
    let lines = roster(&state, &caller, &session).await?;
    Ok(Json(roster_json(&session, lines)))
}

/// Marks everyone enrolled who has no mark yet as present (one transaction); returns how
/// many were marked.
pub async fn mark_all_present(
    state: &AppState,
    caller: &Caller,
    session: &Session,
) -> ApiResult<usize> {
    let mut conn = state.store.read().await?;
    let lines = sessions::list_roster(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    let ids: Vec<Uuid> = lines.iter().map(|l| l.patient_id).collect();
    let permitted =
        permitted_patients(state, caller, Part::Attendance, Access::Write, &ids).await?;
    let now = state.now();
    let marks: Vec<Mark> = lines
        .iter()
        .filter(|l| l.status.is_none() && permitted.contains(&l.patient_id))
        .map(|l| Mark {
            session_id: session.id,
            patient_id: l.patient_id,
            status: Status::Present.as_str().to_owned(),
            check_in: None,
            check_out: None,
            minutes: i32::try_from(attendance::attended_minutes(
                Status::Present,
                session.starts_at.get(),
                session.ends_at.get(),
                None,
                None,
            ))
            .unwrap_or(0),
            recorded_by: caller.user_id,
            recorded_at: Instant::new(now),
            absence_reason: None,
        })
        .collect();
    record_marks(state, caller, session, &marks).await?;
    Ok(marks.len())
}

/// `POST /api/v1/sessions/{id}/attendance/all-present`: everyone enrolled and not yet
/// marked is marked present; marks already made stay. Returns the roster.
pub async fn post_all_present(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
) -> ApiResult<Json<RosterJson>> {
    let session = open_roster(&state, &caller, id).await?;
    mark_all_present(&state, &caller, &session).await?;
    let lines = roster(&state, &caller, &session).await?;
    Ok(Json(roster_json(&session, lines)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInBody {
    pub code: String,
    pub family_name: String,
    pub birth_date: String,
}

/// What the front-desk screen says: the same words whatever went wrong, so the screen
/// reveals nothing about who is enrolled.
pub const CHECK_IN_REFUSED: &str = "We could not check you in. Please see the front desk.";

/// Self check-in: the session whose code was typed (starting within the next hour, or under
/// way), and an enrolled patient with that family name and birth date. Arriving more than
/// 10 minutes after the start is `late`, with the check-in time. Returns the session's title
/// on success, `None` on any refusal (nothing is stored then).
pub async fn self_check_in(
    state: &AppState,
    caller: &Caller,
    body: &CheckInBody,
) -> ApiResult<Option<Session>> {
    let now = state.now();
    let code: String = body
        .code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let Some(birth) = openiop_core::validate::parse_date(body.birth_date.trim()) else {
        return Ok(None);
    };
    if code.is_empty() || code.len() > 12 {
        return Ok(None);
    }
    let mut conn = state.store.read().await?;
    let session = sessions::find_session_by_code(
        &mut conn.db(),
        caller.organization_id,
        &code,
        Instant::new(now - time::Duration::hours(12)),
        Instant::new(now + time::Duration::hours(1)),
    )
    .await?
    .filter(|s| s.ends_at.get() > now);
    let Some(session) = session else {
        return Ok(None);
    };
    let lines = sessions::list_roster(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    let family = openiop_core::patient::fold(body.family_name.trim());
    let Some(line) = lines
        .iter()
        .find(|l| l.birth_date == birth && openiop_core::patient::fold(&l.family_name) == family)
    else {
        return Ok(None);
    };
    if line
        .status
        .as_deref()
        .and_then(Status::parse)
        .is_some_and(Status::attended)
    {
        return Ok(Some(session));
    }
    let late = now > session.starts_at.get() + time::Duration::minutes(10);
    let status = if late { Status::Late } else { Status::Present };
    let check_in = late.then_some(now);
    let mark = Mark {
        session_id: session.id,
        patient_id: line.patient_id,
        status: status.as_str().to_owned(),
        check_in: check_in.map(Instant::new),
        check_out: None,
        minutes: i32::try_from(attendance::attended_minutes(
            status,
            session.starts_at.get(),
            session.ends_at.get(),
            check_in,
            None,
        ))
        .unwrap_or(0),
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
        absence_reason: None,
    };
    record_marks(state, caller, &session, &[mark]).await?;
    Ok(Some(session))
}

/// `POST /api/v1/check-in` (the front-desk screen's account): `{code, family_name,
/// birth_date}` -> 200 `{"checked_in": true}`, or 422 with the same words whatever was wrong.
pub async fn post_check_in(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CheckInBody>,
) -> ApiResult<Json<serde_json::Value>> {
    require(
        &state,
        &caller,
        Action::ManageSchedule,
        "attendance.self_check_in",
    )
    .await?;
    match self_check_in(&state, &caller, &body).await? {
        Some(_) => Ok(Json(serde_json::json!({"checked_in": true}))),
        None => Err(Invalid(vec![FieldError {
            field: "code".into(),
            message: CHECK_IN_REFUSED.into(),
        }])
        .into()),
    }
}

/// The program view of one week.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramView {
    pub week: String,
    pub below_target: Vec<BelowTarget>,
    pub missed_two_in_a_row: Vec<Uuid>,
    pub no_shows_by_track: Vec<GroupRate>,
    pub no_shows_by_kind: Vec<GroupRate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BelowTarget {
    pub patient_id: Uuid,
    pub hours: f64,
    pub target_hours: f64,
    pub days: usize,
    pub min_days: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupRate {
    pub group: String,
    pub marked: u32,
    pub no_shows: u32,
    pub rate: f64,
}

/// Computes the program view for the patients `caller` reaches, over an ISO week (`None`:
/// the last complete week). Zones are the sites'; the week's name is read in the
/// organization's first site's zone.
pub async fn program_view(
    state: &AppState,
    caller: &Caller,
    week: Option<&str>,
) -> ApiResult<ProgramView> {
    let org = caller.organization_id;
    // A read-only report: from the replica when one is configured.
    let mut conn = state.store.report_read().await?;
    let sites = organization::list_sites(&mut conn.db(), org).await?;
    let tracks = organization::list_tracks(&mut conn.db(), org).await?;
    let zone = sites
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_else(|| "UTC".into());
    let week = match week.filter(|w| !w.is_empty()) {
        Some(text) => attendance::parse_week(text, &zone)
            .ok_or_else(|| Invalid::one("week", "must be an ISO week such as 2026-W48"))?,
        None => attendance::week_containing(state.now() - time::Duration::days(7), &zone)
            .ok_or_else(crate::times::unplaced_week)?,
    };
    let episodes = store_patients::list_active_episodes(&mut conn.db(), org).await?;
    let reach = Reach::of(caller.role, caller.user_id, caller.patient_id);
    let visible: Option<BTreeSet<Uuid>> = match reach {
        Reach::Organization => None,
        _ => {
            let ids: Vec<Uuid> = episodes.iter().map(|e| e.patient_id).collect();
            let mut seen = BTreeSet::new();
            for id in ids {
                let rel = store_patients::find_relationship(
                    &mut conn.db(),
                    caller.organization_id,
                    caller.user_id,
                    caller.patient_id,
                    id,
                    Instant::new(state.now()),
                )
                .await?;
                if openiop_core::access::sees_patient(caller.role, rel) {
                    seen.insert(id);
                }
            }
            Some(seen)
        }
    };
    let sees = |p: &Uuid| visible.as_ref().is_none_or(|v| v.contains(p));
    let plans = schedule_store::list_current_intensity_plans(&mut conn.db(), org).await?;
    let week_marks = sessions::list_marks_between(
        &mut conn.db(),
        org,
        Instant::new(week.start),
        Instant::new(week.end),
    )
    .await?;
    // "Missed two in a row" looks back four weeks from now.
    let now = state.now();
    let recent = sessions::list_marks_between(
        &mut conn.db(),
        org,
        Instant::new(now - time::Duration::days(28)),
        Instant::new(now),
    )
    .await?;
    drop(conn);
    let track_of: BTreeMap<Uuid, &organization::Track> = tracks.iter().map(|t| (t.id, t)).collect();
    let zone_of_track = |track: Uuid| -> String {
        track_of
            .get(&track)
            .and_then(|t| sites.iter().find(|s| s.id == t.site_id))
            .map(|s| s.time_zone.clone())
            .unwrap_or_else(|| zone.clone())
    };
    // Minutes per patient per local date.
    let mut minutes: BTreeMap<Uuid, BTreeMap<String, u32>> = BTreeMap::new();
    for m in week_marks.iter().filter(|m| m.minutes > 0) {
        if let Some(date) = attendance::local_date(m.starts_at.get(), &zone_of_track(m.track_id)) {
            *minutes
                .entry(m.patient_id)
                .or_default()
                .entry(date)
                .or_default() += u32::try_from(m.minutes).unwrap_or(0);
        }
    }
    let mut below_target = Vec::new();
    for e in episodes.iter().filter(|e| sees(&e.patient_id)) {
        let Some(track) = track_of.get(&e.track_id) else {
            continue;
        };
        let plan = plans.iter().find(|p| p.episode_id == e.id);
        let targets = super::program::targets_from(plan, e, track, &week, &zone)?;
        if targets.episode_week < 1 {
            continue;
        }
        let (target, min_days) = (targets.minutes, targets.min_days);
        let none = BTreeMap::new();
        let days = minutes.get(&e.patient_id).unwrap_or(&none);
        let total: u32 = days.values().sum();
        let day_count = days.len();
        if !targets.met(days) {
            below_target.push(BelowTarget {
                patient_id: e.patient_id,
                hours: f64::from(total) / 60.0,
                target_hours: f64::from(target) / 60.0,
                days: day_count,
                min_days,
            });
        }
    }
    let recent_marks: Vec<(Uuid, OffsetDateTime, Status)> = recent
        .iter()
        .filter(|m| sees(&m.patient_id))
        .map(|m| Ok((m.patient_id, m.starts_at.get(), m.attendance()?)))
        .collect::<ApiResult<_>>()?;
    let missed = attendance::missed_in_a_row(&recent_marks, 2);
    let rates = |groups: BTreeMap<String, NoShows>| -> Vec<GroupRate> {
        groups
            .into_iter()
            .map(|(group, n)| GroupRate {
                group,
                marked: n.marked,
                no_shows: n.no_shows,
                rate: (n.rate() * 1000.0).round() / 1000.0,
            })
            .collect()
    };
    let visible_week = week_marks
        .iter()
        .filter(|m| sees(&m.patient_id))
        .map(|m| Ok((m, m.attendance()?)))
        .collect::<ApiResult<Vec<_>>>()?;
    let by_track = attendance::no_shows(visible_week.iter().map(|(m, status)| {
        (
            track_of
                .get(&m.track_id)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            *status,
        )
    }));
    let by_kind = attendance::no_shows(
        visible_week
            .iter()
            .map(|(m, status)| (m.kind.clone(), *status)),
    );
    Ok(ProgramView {
        week: week.name,
        below_target,
        missed_two_in_a_row: missed,
        no_shows_by_track: rates(by_track),
        no_shows_by_kind: rates(by_kind),
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WeekQuery {
    pub week: Option<String>,
}

/// `GET /api/v1/program/attendance?week=YYYY-Www` (staff): who is below target in the week
/// (default: the last complete week), who missed their last two sessions, no-show rates per
/// track and per kind of session; limited to the patients the caller reaches.
pub async fn get_program_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<WeekQuery>,
) -> ApiResult<Json<ProgramView>> {
    require(
        &state,
        &caller,
        Action::ReadConfiguration,
        "program.attendance",
    )
    .await?;
    let view = program_view(&state, &caller, query.week.as_deref()).await?;
    let mut patients: Vec<Uuid> = view.below_target.iter().map(|b| b.patient_id).collect();
    patients.extend(view.missed_two_in_a_row.iter().copied());
    super::audit_named(
        &state,
        &caller,
        "program.attendance",
        "program/attendance",
        &patients,
    )
    .await?;
    Ok(Json(view))
}

/// An attendance body for one roster line from the roster form.
pub fn line_body(
    patient_id: Uuid,
    status: &str,
    check_in: Option<String>,
    check_out: Option<String>,
    absence_reason: Option<String>,
) -> AttendanceBody {
    AttendanceBody {
        patient_id: patient_id.to_string(),
        status: status.to_owned(),
        check_in,
        check_out,
        absence_reason,
    }
}

/// A local `HH:MM` on the session's local date as an RFC 3339 instant, for the roster form.
pub fn local_time_on(
    check: &mut Check,
    field: &str,
    session_start: OffsetDateTime,
    zone: &str,
    hhmm: &str,
) -> Option<String> {
    let hhmm = hhmm.trim();
    if hhmm.is_empty() {
        return None;
    }
    let date = attendance::local_date(session_start, zone)?;
    match openiop_core::program::local_to_instant(zone, &format!("{date}T{hhmm}")) {
        Some(at) => Some(rfc3339(Instant::new(at))),
        None => {
            check.fail(field, "must be a time HH:MM");
            None
        }
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/sessions/{id}/roster", "A session's roster: everyone enrolled and their current mark", get(api::attendance::get_roster)).many_patients(),
    route(M::POST, "/api/v1/sessions/{id}/attendance/all-present", "Mark everyone enrolled and not yet marked present", post(api::attendance::post_all_present))
        .status(200).many_patients(),
    route(M::POST, "/api/v1/check-in", "Self check-in at the front-desk screen with a session's code", post(api::attendance::post_check_in))
        .status(200)
        .body(|| object(&["code", "family_name", "birth_date"], json!({"code": string(), "family_name": string(),
            "birth_date": {"type": "string", "format": "date"}}))),
    route(M::GET, "/api/v1/program/attendance", "Program view: below target, missed two in a row, no-show rates", get(api::attendance::get_program_view))
        .query(&[("week", "ISO week YYYY-Www (default: the last complete week)")]).many_patients(),
    ]
}
