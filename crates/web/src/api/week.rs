//! "Build next week": the solver run on the program's own data. The week's dated sessions,
//! every patient with an active episode (their tracks, availability windows and the week's
//! targets from their intensity plan or track) and the staff's pins and forbids become a
//! `core::schedule::Problem`; the preview says who goes where and why someone falls short;
//! applying enrolls the assignments.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::{Path, State};
use openiop_core::access::{Access, Action, Part};
use openiop_core::attendance;
use openiop_core::schedule::{self, Patient, Problem, Window};
use openiop_core::validate::Check;
use openiop_store::patients as store_patients;
use openiop_store::sessions::{self, Session};
use openiop_store::{Instant, organization, schedule as schedule_store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::program::targets_from;
use super::{permitted_patients, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct BuildBody {
    /// `[patient_id, session_id]` pairs that must be kept.
    #[serde(default)]
    pub pinned: Vec<(String, String)>,
    /// `[patient_id, session_id]` pairs that must not be made.
    #[serde(default)]
    pub forbidden: Vec<(String, String)>,
}

#[derive(Serialize, Clone)]
pub struct PlannedPatient {
    pub patient_id: Uuid,
    pub name: String,
    pub sessions: Vec<Uuid>,
    pub hours: f64,
    pub days: u8,
    pub target_hours: f64,
    pub min_days: u8,
    pub met: bool,
    /// Why they fall short, in words staff can act on (`null` when met).
    pub reason: Option<String>,
}

#[derive(Serialize, Clone)]
pub struct PlannedSession {
    pub id: Uuid,
    pub title: String,
    /// Local `Mon 2026-11-30 18:00`.
    pub when: String,
    pub capacity: i32,
    pub assigned: usize,
}

#[derive(Serialize, Clone)]
pub struct WeekPlan {
    pub week: String,
    pub patients: Vec<PlannedPatient>,
    pub sessions: Vec<PlannedSession>,
    pub met_count: usize,
    pub shortfall_hours: f64,
    /// Enrollments made by applying (0 for a preview).
    pub enrolled: usize,
}

/// The week's problem and what is needed to read its answer.
struct Built {
    week: attendance::Week,
    problem: Problem,
    sessions: Vec<Session>,
    zone: String,
    patient_ids: Vec<Uuid>,
    names: BTreeMap<Uuid, String>,
    already: BTreeSet<(Uuid, Uuid)>,
}

fn pair_ids(check: &mut Check, field: &str, pairs: &[(String, String)]) -> Vec<(Uuid, Uuid)> {
    let mut out = Vec::new();
    for (i, (p, s)) in pairs.iter().enumerate() {
        match (openiop_core::id::parse_id(p), openiop_core::id::parse_id(s)) {
            (Some(p), Some(s)) => out.push((p, s)),
            _ => check.fail(&format!("{field}[{i}]"), "must be [patient_id, session_id]"),
        }
    }
    out
}

async fn build(
    state: &AppState,
    caller: &Caller,
    week_text: &str,
    body: &BuildBody,
) -> ApiResult<Built> {
    let org = caller.organization_id;
    let mut conn = state.store.read().await?;
    let sites = organization::list_sites(&mut conn.db(), org).await?;
    let tracks = organization::list_tracks(&mut conn.db(), org).await?;
    drop(conn);
    let zone = sites
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_else(|| "UTC".into());
    let mut check = Check::new();
    let week = attendance::parse_week(week_text, &zone);
    if week.is_none() {
        check.fail("week", "must be an ISO week such as 2026-W49");
    }
    let pins = pair_ids(&mut check, "pinned", &body.pinned);
    let forbids = pair_ids(&mut check, "forbidden", &body.forbidden);
    let week = check.finish(|| week)?;
    let zone_of_track = |track: Uuid| -> String {
        tracks
            .iter()
            .find(|t| t.id == track)
            .and_then(|t| sites.iter().find(|s| s.id == t.site_id))
            .map(|s| s.time_zone.clone())
            .unwrap_or_else(|| zone.clone())
    };
    let mut conn = state.store.read().await?;
    let dated = sessions::list_sessions_in(
        &mut conn.db(),
        sessions::Whose::Organization(org),
        Instant::new(week.start),
        Instant::new(week.end),
    )
    .await?;
    let census = store_patients::list_active_episodes(&mut conn.db(), org).await?;
    drop(conn);
    // Sessions as the solver sees them: local weekday and minutes in their site's zone.
    let mut kept: Vec<Session> = Vec::new();
    let mut problem_sessions = Vec::new();
    for s in dated {
        let z = zone_of_track(s.track_id);
        let (Some((wd, date, start)), Some((_, end_date, end))) = (
            attendance::local_parts(s.starts_at.get(), &z),
            attendance::local_parts(s.ends_at.get(), &z),
        ) else {
            continue;
        };
        let (Some(start), Some(end), Some(day)) = (
            schedule::parse_time(&start),
            schedule::parse_time(&end),
            schedule::parse_day(&wd.to_lowercase()),
        ) else {
            continue;
        };
        if date != end_date || end <= start {
            continue;
        }
        problem_sessions.push(schedule::Session {
            id: s.id.to_string(),
            day,
            start,
            end,
            capacity: u32::try_from(s.capacity).unwrap_or(0),
            track: s.track_id.to_string(),
        });
        kept.push(s);
    }
    // Patients: one per active episode (the newest if several). Plans, availability and
    // the week's enrollments are read once for the whole organization.
    let mut conn = state.store.read().await?;
    let plans = schedule_store::list_current_intensity_plans(&mut conn.db(), org).await?;
    let mut availability: BTreeMap<Uuid, Vec<Window>> = BTreeMap::new();
    for (patient, w) in
        schedule_store::list_availability_of_organization(&mut conn.db(), org).await?
    {
        if let (Ok(day), Ok(start), Ok(end)) = (
            u8::try_from(w.weekday),
            u16::try_from(w.start_minute),
            u16::try_from(w.end_minute),
        ) {
            availability
                .entry(patient)
                .or_default()
                .push(Window { day, start, end });
        }
    }
    let already: BTreeSet<(Uuid, Uuid)> = sessions::list_enrollments_between(
        &mut conn.db(),
        org,
        Instant::new(week.start),
        Instant::new(week.end),
    )
    .await?
    .into_iter()
    .collect();
    drop(conn);
    // Only the patients the caller may enroll by hand take part: the policy is asked for
    // each, as `POST /sessions/{id}/enrollments` asks it for one. The others are neither
    // named nor moved; their enrollments still hold their seats (below).
    let census_ids: Vec<Uuid> = census.iter().map(|e| e.patient_id).collect();
    let permitted =
        permitted_patients(state, caller, Part::Schedule, Access::Write, &census_ids).await?;
    let mut seen = BTreeSet::new();
    let mut patients = Vec::new();
    let mut patient_ids = Vec::new();
    for e in census.iter().rev() {
        if !permitted.contains(&e.patient_id) || !seen.insert(e.patient_id) {
            continue;
        }
        let Some(track) = tracks.iter().find(|t| t.id == e.track_id) else {
            continue;
        };
        let plan = plans.iter().find(|p| p.episode_id == e.id);
        let target = targets_from(plan, e, track, &week, &zone_of_track(track.id))?;
        patients.push(Patient {
            id: e.patient_id.to_string(),
            required_minutes: target.minutes,
            min_days: target.min_days,
            max_minutes: None,
            tracks: vec![track.id.to_string()],
            availability: availability.remove(&e.patient_id).unwrap_or_default(),
        });
        patient_ids.push(e.patient_id);
    }
    let mut conn = state.store.read().await?;
    let found = store_patients::find_patients(&mut conn.db(), org, &patient_ids).await?;
    drop(conn);
    let names = found
        .into_iter()
        .map(|p| (p.id, format!("{} {}", p.given_name, p.family_name)))
        .collect();
    // Existing enrollments stand: kept as pins where the rules allow, else they use a seat.
    let index_p: BTreeMap<Uuid, usize> = patient_ids
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i))
        .collect();
    let index_s: BTreeMap<Uuid, usize> = kept.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let mut problem = Problem {
        sessions: problem_sessions,
        patients,
        pinned: Vec::new(),
        forbidden: Vec::new(),
    };
    for (p, s) in &forbids {
        if let (Some(&pi), Some(&si)) = (index_p.get(p), index_s.get(s)) {
            problem.forbidden.push((pi, si));
        }
    }
    let mut check = Check::new();
    let mut wanted: Vec<(usize, usize, Option<usize>)> = Vec::new();
    for (p, s) in &already {
        match (index_p.get(p), index_s.get(s)) {
            (Some(&pi), Some(&si)) => wanted.push((pi, si, None)),
            // Someone outside this build (out of the caller's reach, or no longer active)
            // is booked: the seat is theirs.
            (None, Some(&si)) => {
                let cap = &mut problem.sessions[si].capacity;
                *cap = cap.saturating_sub(1);
            }
            _ => {}
        }
    }
    for (i, (p, s)) in pins.iter().enumerate() {
        match (index_p.get(p), index_s.get(s)) {
            (Some(&pi), Some(&si)) => wanted.push((pi, si, Some(i))),
            _ => check.fail(
                &format!("pinned[{i}]"),
                "must name a patient in the program and a session of the week",
            ),
        }
    }
    for (pi, si, from_request) in wanted {
        if problem.pinned.contains(&(pi, si)) {
            continue;
        }
        let ok = problem.eligible(pi, si)
            && !problem.pinned.iter().any(|&(p, o)| {
                p == pi && {
                    let (a, b) = (&problem.sessions[o], &problem.sessions[si]);
                    a.day == b.day && a.start < b.end && b.start < a.end
                }
            })
            && problem.pinned.iter().filter(|(_, o)| *o == si).count()
                < usize::try_from(problem.sessions[si].capacity).unwrap_or(0);
        if ok {
            problem.pinned.push((pi, si));
        } else if let Some(i) = from_request {
            check.fail(
                &format!("pinned[{i}]"),
                "breaks a rule: outside the patient's availability or track, overlapping another of their sessions, or the session is full",
            );
        } else {
            // Booked by hand outside the rules: it keeps its seat.
            let cap = &mut problem.sessions[si].capacity;
            *cap = cap.saturating_sub(1);
        }
    }
    check.finish(|| Some(()))?;
    Ok(Built {
        week,
        problem,
        sessions: kept,
        zone,
        patient_ids,
        names,
        already,
    })
}

fn plan_of(built: &Built, solution: &schedule::Solution, enrolled: usize) -> WeekPlan {
    let problem = &built.problem;
    let mut assigned = vec![0usize; problem.sessions.len()];
    let patients = built
        .patient_ids
        .iter()
        .enumerate()
        .map(|(pi, id)| {
            let chosen = &solution.sessions[pi];
            for &s in chosen {
                assigned[s] += 1;
            }
            let o = problem.outcome(pi, chosen);
            let p = &problem.patients[pi];
            PlannedPatient {
                patient_id: *id,
                name: built.names.get(id).cloned().unwrap_or_default(),
                sessions: chosen.iter().map(|&s| built.sessions[s].id).collect(),
                hours: f64::from(o.minutes) / 60.0,
                days: o.days,
                target_hours: f64::from(p.required_minutes) / 60.0,
                min_days: p.min_days,
                met: o.met,
                reason: problem.shortfall_reason(pi, chosen),
            }
        })
        .collect();
    let (met_count, shortfall) = problem.score(solution);
    WeekPlan {
        week: built.week.name.clone(),
        patients,
        sessions: built
            .sessions
            .iter()
            .enumerate()
            .map(|(i, s)| PlannedSession {
                id: s.id,
                title: s.title.clone(),
                when: attendance::local_label(s.starts_at.get(), &built.zone),
                capacity: s.capacity,
                assigned: assigned[i],
            })
            .collect(),
        met_count,
        shortfall_hours: shortfall as f64 / 60.0,
        enrolled,
    }
}

/// Solves the week; with `apply`, enrolls every assignment not already made (one
/// transaction, one audit event per patient enrolled).
pub async fn plan_week(
    state: &AppState,
    caller: &Caller,
    week: &str,
    body: &BuildBody,
    apply: bool,
) -> ApiResult<WeekPlan> {
    let built = build(state, caller, week, body).await?;
    let solution = schedule::solve(&built.problem);
    if let Some(broken) = built.problem.violation(&solution) {
        return Err(ApiError::internal(format!(
            "the solver broke a rule: {broken}"
        )));
    }
    let now = state.now();
    let mut enrolled = 0;
    if apply {
        let mut tx = state.store.begin().await?;
        for (pi, chosen) in solution.sessions.iter().enumerate() {
            let patient = built.patient_ids[pi];
            let mut added = Vec::new();
            for &s in chosen {
                let session = built.sessions[s].id;
                if built.already.contains(&(patient, session)) {
                    continue;
                }
                if sessions::enroll(
                    &mut tx.db(),
                    caller.organization_id,
                    session,
                    patient,
                    Instant::new(now),
                )
                .await?
                {
                    added.push(session.to_string());
                }
            }
            if !added.is_empty() {
                enrolled += added.len();
                let event = EventBuilder::for_caller(caller)
                    .action(
                        "schedule.apply",
                        format!("schedule/weeks/{}", built.week.name),
                    )
                    .patient(patient)
                    .detail(format!("sessions={}", added.join(",")));
                tx.audit(event.build(now)).await?;
            }
        }
        tx.commit().await?;
    } else {
        let events = built
            .patient_ids
            .iter()
            .map(|p| {
                EventBuilder::for_caller(caller)
                    .action(
                        "schedule.preview",
                        format!("schedule/weeks/{}", built.week.name),
                    )
                    .patient(*p)
                    .build(now)
            })
            .collect();
        state.store.record(events).await?;
    }
    Ok(plan_of(&built, &solution, enrolled))
}

/// `POST /api/v1/schedule/weeks/{week}/preview`: who would go where, and why anyone falls
/// short. Stores nothing.
pub async fn post_preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(week): Path<String>,
    ApiJson(body): ApiJson<BuildBody>,
) -> ApiResult<Json<WeekPlan>> {
    require(&state, &caller, Action::ManageSchedule, "schedule.preview").await?;
    Ok(Json(plan_week(&state, &caller, &week, &body, false).await?))
}

/// `POST /api/v1/schedule/weeks/{week}/apply`: solves again (deterministically: the preview's
/// answer for the same data) and enrolls the assignments.
pub async fn post_apply(
    State(state): State<AppState>,
    caller: Caller,
    Path(week): Path<String>,
    ApiJson(body): ApiJson<BuildBody>,
) -> ApiResult<Json<WeekPlan>> {
    require(&state, &caller, Action::ManageSchedule, "schedule.apply").await?;
    Ok(Json(plan_week(&state, &caller, &week, &body, true).await?))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::POST, "/api/v1/schedule/weeks/{week}/preview", "Build a week from the program's data: preview (stores nothing)", post(api::week::post_preview))
        .status(200)
        .body(build_body).many_patients(),
    route(M::POST, "/api/v1/schedule/weeks/{week}/apply", "Build a week and enroll the assignments", post(api::week::post_apply))
        .status(200)
        .body(build_body).many_patients(),
    ]
}

fn build_body() -> serde_json::Value {
    use crate::routes::prelude::*;
    let pairs = || json!({"type": "array", "items": {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 2, "maxItems": 2}});
    object(&[], json!({"pinned": pairs(), "forbidden": pairs()}))
}
