//! `POST /api/v1/schedule/solve`: the schedule builder, pure (stores nothing).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use openiop_core::access::Action;
use openiop_core::schedule::{self, Patient, Problem, Session, Window};
use openiop_core::{FieldError, Invalid};
use serde::{Deserialize, Serialize};

use super::require;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::ApiJson;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    pub id: String,
    pub day: String,
    pub start: String,
    pub end: String,
    pub capacity: i64,
    pub track: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    pub day: String,
    pub start: String,
    pub end: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientBody {
    pub id: String,
    pub required_hours: f64,
    pub min_days: i64,
    pub max_hours: Option<f64>,
    pub tracks: Vec<String>,
    pub availability: Vec<WindowBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolveBody {
    pub sessions: Vec<SessionBody>,
    pub patients: Vec<PatientBody>,
    #[serde(default)]
    pub pinned: Vec<(String, String)>,
    #[serde(default)]
    pub forbidden: Vec<(String, String)>,
}

#[derive(Serialize)]
pub struct AssignmentJson {
    pub patient: String,
    pub sessions: Vec<String>,
    pub hours: f64,
    pub days: u8,
    pub met: bool,
}

#[derive(Serialize)]
pub struct SolveJson {
    pub assignments: Vec<AssignmentJson>,
    pub met_count: usize,
    pub shortfall_hours: f64,
}

/// Hours as whole minutes.
fn minutes(hours: f64) -> Option<u32> {
    (hours.is_finite() && (0.0..=168.0).contains(&hours)).then(|| (hours * 60.0).round() as u32)
}

/// Turns the request into a problem, reporting every invalid field.
pub fn problem_from(body: &SolveBody) -> Result<Problem, Invalid> {
    let mut errors = Vec::new();
    let mut fail = |field: String, message: &str| {
        errors.push(FieldError {
            field,
            message: message.into(),
        })
    };
    let times =
        |field: &str, day: &str, start: &str, end: &str, fail: &mut dyn FnMut(String, &str)| {
            let d = schedule::parse_day(day);
            if d.is_none() {
                fail(
                    format!("{field}.day"),
                    "must be one of mon, tue, wed, thu, fri, sat, sun",
                );
            }
            let s = schedule::parse_time(start);
            if s.is_none() {
                fail(
                    format!("{field}.start"),
                    "must be a time HH:MM from 00:00 to 23:59",
                );
            }
            let e = schedule::parse_time(end);
            if e.is_none() {
                fail(
                    format!("{field}.end"),
                    "must be a time HH:MM from 00:00 to 23:59",
                );
            }
            if let (Some(s), Some(e)) = (s, e)
                && e <= s
            {
                fail(
                    format!("{field}.end"),
                    "must be after start on the same day",
                );
            }
            match (d, s, e) {
                (Some(d), Some(s), Some(e)) if e > s => Some((d, s, e)),
                _ => None,
            }
        };
    let mut session_index: HashMap<&str, usize> = HashMap::new();
    let mut sessions = Vec::new();
    for (i, s) in body.sessions.iter().enumerate() {
        let field = format!("sessions[{i}]");
        if session_index.insert(s.id.as_str(), i).is_some() {
            fail(format!("{field}.id"), "is not unique among sessions");
        }
        if !(0..=10_000).contains(&s.capacity) {
            fail(
                format!("{field}.capacity"),
                "must be a whole number from 0 to 10000",
            );
        }
        if let Some((day, start, end)) = times(&field, &s.day, &s.start, &s.end, &mut fail) {
            sessions.push(Session {
                id: s.id.clone(),
                day,
                start,
                end,
                capacity: u32::try_from(s.capacity.max(0)).unwrap_or(0),
                track: s.track.clone(),
            });
        }
    }
    let mut patient_index: HashMap<&str, usize> = HashMap::new();
    let mut patients = Vec::new();
    for (i, p) in body.patients.iter().enumerate() {
        let field = format!("patients[{i}]");
        if patient_index.insert(p.id.as_str(), i).is_some() {
            fail(format!("{field}.id"), "is not unique among patients");
        }
        let required = minutes(p.required_hours);
        if required.is_none() {
            fail(
                format!("{field}.required_hours"),
                "must be a number of hours from 0 to 168",
            );
        }
        let max = match p.max_hours {
            Some(h) => {
                let m = minutes(h);
                if m.is_none() {
                    fail(
                        format!("{field}.max_hours"),
                        "must be a number of hours from 0 to 168",
                    );
                }
                m
            }
            None => None,
        };
        if !(0..=7).contains(&p.min_days) {
            fail(format!("{field}.min_days"), "must be from 0 to 7");
        }
        let mut availability = Vec::new();
        for (j, w) in p.availability.iter().enumerate() {
            if let Some((day, start, end)) = times(
                &format!("{field}.availability[{j}]"),
                &w.day,
                &w.start,
                &w.end,
                &mut fail,
            ) {
                availability.push(Window { day, start, end });
            }
        }
        patients.push(Patient {
            id: p.id.clone(),
            required_minutes: required.unwrap_or(0),
            min_days: u8::try_from(p.min_days.clamp(0, 7)).unwrap_or(0),
            max_minutes: max,
            tracks: p.tracks.clone(),
            availability,
        });
    }
    let pairs = |list: &[(String, String)],
                 name: &str,
                 fail: &mut dyn FnMut(String, &str)|
     -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, (p, s)) in list.iter().enumerate() {
            match (patient_index.get(p.as_str()), session_index.get(s.as_str())) {
                (Some(&p), Some(&s)) => out.push((p, s)),
                _ => fail(
                    format!("{name}[{i}]"),
                    "must name a patient and a session of this request",
                ),
            }
        }
        out
    };
    let pinned = pairs(&body.pinned, "pinned", &mut fail);
    let forbidden = pairs(&body.forbidden, "forbidden", &mut fail);
    if !errors.is_empty() {
        return Err(Invalid(errors));
    }
    let problem = Problem {
        sessions,
        patients,
        pinned,
        forbidden,
    };
    schedule::check_pins(&problem)?;
    Ok(problem)
}

/// Renders a solution in the contract's shape.
pub fn solution_json(problem: &Problem, solution: &schedule::Solution) -> SolveJson {
    let mut met_count = 0;
    let mut shortfall = 0u64;
    let assignments = problem
        .patients
        .iter()
        .enumerate()
        .map(|(p, patient)| {
            let chosen = &solution.sessions[p];
            let o = problem.outcome(p, chosen);
            met_count += usize::from(o.met);
            shortfall += u64::from(patient.required_minutes.saturating_sub(o.minutes));
            AssignmentJson {
                patient: patient.id.clone(),
                sessions: chosen
                    .iter()
                    .map(|&s| problem.sessions[s].id.clone())
                    .collect(),
                hours: f64::from(o.minutes) / 60.0,
                days: o.days,
                met: o.met,
            }
        })
        .collect();
    SolveJson {
        assignments,
        met_count,
        shortfall_hours: shortfall as f64 / 60.0,
    }
}

/// `POST /api/v1/schedule/solve` (every staff role).
pub async fn post_solve(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SolveBody>,
) -> ApiResult<Json<SolveJson>> {
    require(&state, &caller, Action::UseClinicalTools, "schedule.solve").await?;
    let problem = problem_from(&body)?;
    // The solver is CPU-bound: keep it off the async threads.
    let solved = tokio::task::spawn_blocking(move || {
        let solution = schedule::solve(&problem);
        solution_json(&problem, &solution)
    })
    .await
    .map_err(|e| crate::error::ApiError::caused("the solver", e))?;
    Ok(Json(solved))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::POST, "/api/v1/schedule/solve", "Build a week: assign patients to sessions (pure)", post(api::schedule::post_solve))
        .status(200)
        .returns("Schedule")
        .body(|| object(&["sessions", "patients"], json!({
            "sessions": {"type": "array", "items": object(&["id", "day", "start", "end", "capacity", "track"], json!({
                "id": string(), "day": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}, "end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                "capacity": {"type": "integer", "minimum": 0}, "track": string()}))},
            "patients": {"type": "array", "items": object(&["id", "required_hours", "min_days", "tracks", "availability"], json!({
                "id": string(), "required_hours": {"type": "number"}, "min_days": {"type": "integer", "minimum": 0, "maximum": 7},
                "max_hours": {"type": "number"}, "tracks": {"type": "array", "items": string()},
                "availability": {"type": "array", "items": object(&["day", "start", "end"], json!({
                    "day": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "start": string(), "end": string()}))}}))},
            "pinned": {"type": "array", "items": {"type": "array", "items": string(), "minItems": 2, "maxItems": 2}},
            "forbidden": {"type": "array", "items": {"type": "array", "items": string(), "minItems": 2, "maxItems": 2}}}))),
    ]
}
