//! The schedule builder: which patients go to which sessions of a week.
//!
//! Hard rules: a session goes to a patient only if it lies entirely inside one of the
//! patient's availability windows on that day and its track is one of the patient's; no
//! session over capacity; no two overlapping sessions for one patient (touching is fine);
//! at most `max_hours`; every pin kept; no forbidden pair. Objective, in order: the most
//! patients who meet their week (hours and distinct days), then the least total shortfall.
//!
//! The solver is deterministic and pure. It builds several solutions (one per patient
//! ordering, each followed by a repair pass that moves met patients to free seats for
//! unmet ones, and a final fill that lowers shortfall), compares them with the plain greedy
//! baseline, and returns the best: never worse than the greedy.

use std::collections::BTreeSet;

use crate::validate::{FieldError, Invalid};

mod state;

use state::State;

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub day: u8,
    /// Minutes since local midnight.
    pub start: u16,
    pub end: u16,
    pub capacity: u32,
    pub track: String,
}

impl Session {
    pub fn minutes(&self) -> u32 {
        u32::from(self.end - self.start)
    }

    fn overlaps(&self, other: &Session) -> bool {
        self.day == other.day && self.start < other.end && other.start < self.end
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub day: u8,
    pub start: u16,
    pub end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub id: String,
    pub required_minutes: u32,
    pub min_days: u8,
    pub max_minutes: Option<u32>,
    pub tracks: Vec<String>,
    pub availability: Vec<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub sessions: Vec<Session>,
    pub patients: Vec<Patient>,
    /// (patient index, session index)
    pub pinned: Vec<(usize, usize)>,
    pub forbidden: Vec<(usize, usize)>,
}

/// A solution: for each patient (in input order), the sessions they attend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    pub sessions: Vec<Vec<usize>>,
}

/// How a patient's week turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub minutes: u32,
    pub days: u8,
    pub met: bool,
}

/// `HH:MM` (00:00 to 23:59) as minutes since midnight.
pub fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

pub fn parse_day(text: &str) -> Option<u8> {
    DAYS.iter().position(|d| *d == text).map(|p| p as u8)
}

impl Problem {
    /// Whether a session may go to a patient at all (availability, track, not forbidden).
    pub fn eligible(&self, p: usize, s: usize) -> bool {
        let patient = &self.patients[p];
        let session = &self.sessions[s];
        patient.tracks.contains(&session.track)
            && patient
                .availability
                .iter()
                .any(|w| w.day == session.day && w.start <= session.start && session.end <= w.end)
            && !self.forbidden.contains(&(p, s))
    }

    pub fn outcome(&self, p: usize, chosen: &[usize]) -> Outcome {
        let minutes: u32 = chosen.iter().map(|s| self.sessions[*s].minutes()).sum();
        let days = chosen
            .iter()
            .map(|s| self.sessions[*s].day)
            .collect::<BTreeSet<_>>()
            .len() as u8;
        let patient = &self.patients[p];
        Outcome {
            minutes,
            days,
            met: minutes >= patient.required_minutes && days >= patient.min_days,
        }
    }

    fn max_minutes(&self, p: usize) -> u32 {
        self.patients[p].max_minutes.unwrap_or(u32::MAX)
    }

    /// Checks every hard rule; the first break found, if any, as a message.
    pub fn violation(&self, solution: &Solution) -> Option<String> {
        let mut load = vec![0u32; self.sessions.len()];
        for (p, chosen) in solution.sessions.iter().enumerate() {
            for (i, &s) in chosen.iter().enumerate() {
                if !self.eligible(p, s) {
                    return Some(format!("patient {p} is not eligible for session {s}"));
                }
                load[s] += 1;
                if chosen[..i]
                    .iter()
                    .any(|&o| o == s || self.sessions[o].overlaps(&self.sessions[s]))
                {
                    return Some(format!("patient {p} has overlapping sessions"));
                }
            }
            if self.outcome(p, chosen).minutes > self.max_minutes(p) {
                return Some(format!("patient {p} is over max_hours"));
            }
        }
        if let Some(s) = (0..self.sessions.len()).find(|&s| load[s] > self.sessions[s].capacity) {
            return Some(format!("session {s} is over capacity"));
        }
        self.pinned
            .iter()
            .find(|(p, s)| !solution.sessions[*p].contains(s))
            .map(|(p, s)| format!("pin ({p}, {s}) not kept"))
    }

    /// Why a patient falls short in a solution, in words staff can act on; `None` when met.
    pub fn shortfall_reason(&self, p: usize, chosen: &[usize]) -> Option<String> {
        let outcome = self.outcome(p, chosen);
        if outcome.met {
            return None;
        }
        let patient = &self.patients[p];
        let hours = |m: u32| format!("{} h", (f64::from(m) / 6.0).round() / 10.0);
        if patient.availability.is_empty() {
            return Some("no availability entered".into());
        }
        let eligible: Vec<usize> = (0..self.sessions.len())
            .filter(|&s| self.eligible(p, s))
            .collect();
        if eligible.is_empty() {
            return Some("no session of their tracks falls inside their availability".into());
        }
        // The most one person could attend: per day, the longest set of non-overlapping
        // eligible sessions (earliest end first is optimal per day for count, and a fair
        // bound for minutes here).
        let mut reachable = 0u32;
        let mut days = BTreeSet::new();
        for day in 0..7u8 {
            let mut today: Vec<&Session> = eligible
                .iter()
                .map(|&s| &self.sessions[s])
                .filter(|s| s.day == day)
                .collect();
            today.sort_by_key(|s| (s.end, s.start));
            let mut free_from = 0u16;
            for s in today {
                if s.start >= free_from {
                    reachable += s.minutes();
                    free_from = s.end;
                    days.insert(day);
                }
            }
        }
        if let Some(max) = patient.max_minutes
            && max < patient.required_minutes
        {
            return Some(format!(
                "their maximum of {} is below the target of {}",
                hours(max),
                hours(patient.required_minutes)
            ));
        }
        if reachable < patient.required_minutes {
            return Some(format!(
                "only {} of sessions fall inside their availability (target {})",
                hours(reachable),
                hours(patient.required_minutes)
            ));
        }
        if days.len() < usize::from(patient.min_days) {
            return Some(format!(
                "sessions fall inside their availability on only {} day(s) (needs {})",
                days.len(),
                patient.min_days
            ));
        }
        Some(format!(
            "the sessions that fit their availability are full (got {} of {})",
            hours(outcome.minutes),
            hours(patient.required_minutes)
        ))
    }

    /// `(met_count, shortfall_minutes)`: the objective.
    pub fn score(&self, solution: &Solution) -> (usize, u64) {
        let mut met = 0;
        let mut shortfall = 0u64;
        for (p, chosen) in solution.sessions.iter().enumerate() {
            let o = self.outcome(p, chosen);
            if o.met {
                met += 1;
            }
            shortfall += u64::from(self.patients[p].required_minutes.saturating_sub(o.minutes));
        }
        (met, shortfall)
    }

    fn better(&self, a: &Solution, b: &Solution) -> bool {
        let (am, as_) = self.score(a);
        let (bm, bs) = self.score(b);
        am > bm || (am == bm && as_ < bs)
    }
}

/// Checks pins against the hard rules before solving; names the first bad pin.
pub fn check_pins(problem: &Problem) -> Result<(), Invalid> {
    let mut errors = Vec::new();
    let mut per_patient: Vec<Vec<usize>> = vec![Vec::new(); problem.patients.len()];
    let mut load = vec![0u32; problem.sessions.len()];
    for (i, &(p, s)) in problem.pinned.iter().enumerate() {
        let field = format!("pinned[{i}]");
        if !problem.eligible(p, s) {
            errors.push(FieldError {
                field,
                message:
                    "the session is outside the patient's availability or tracks, or forbidden"
                        .into(),
            });
            continue;
        }
        if per_patient[p]
            .iter()
            .any(|&o| o == s || problem.sessions[o].overlaps(&problem.sessions[s]))
        {
            errors.push(FieldError {
                field,
                message: "overlaps another pinned session of the patient".into(),
            });
            continue;
        }
        per_patient[p].push(s);
        load[s] += 1;
        if load[s] > problem.sessions[s].capacity {
            errors.push(FieldError {
                field: field.clone(),
                message: "puts the session over capacity".into(),
            });
        }
        if problem.outcome(p, &per_patient[p]).minutes > problem.max_minutes(p) {
            errors.push(FieldError {
                field,
                message: "puts the patient over max_hours".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors))
    }
}

/// The plain greedy baseline: patients in input order, each given their longest eligible
/// sessions first while they fit (and while the patient is not yet met).
pub fn greedy(problem: &Problem) -> Solution {
    let eligible = eligibility(problem);
    let mut state = State::new(problem, &eligible);
    for (p, list) in eligible.iter().enumerate() {
        let mut options = list.clone();
        options.sort_by_key(|&s| (std::cmp::Reverse(problem.sessions[s].minutes()), s));
        for s in options {
            if state.met(p) {
                break;
            }
            if state.has_seat(s) && state.fits(p, s, None) {
                state.add(p, s);
            }
        }
    }
    state.solution()
}

fn eligibility(problem: &Problem) -> Vec<Vec<usize>> {
    (0..problem.patients.len())
        .map(|p| {
            (0..problem.sessions.len())
                .filter(|&s| problem.eligible(p, s))
                .collect()
        })
        .collect()
}

/// One constructive run: patients in `order` each get their cheapest week, then unmet
/// patients are repaired by freeing seats, then the short are topped up.
fn construct(
    problem: &Problem,
    eligible: &[Vec<usize>],
    demand: &[f64],
    pressure: &[f64],
    order: &[usize],
    dynamic: bool,
) -> Solution {
    let mut state = State::new(problem, eligible);
    let mut unmet = Vec::new();
    let mut waiting = demand.to_vec();
    for &p in order {
        let current: Vec<f64> = if dynamic {
            waiting
                .iter()
                .zip(&problem.sessions)
                .enumerate()
                .map(|(s, (d, session))| {
                    let free = session.capacity.saturating_sub(state.load[s]).max(1);
                    d / f64::from(free)
                })
                .collect()
        } else {
            pressure.to_vec()
        };
        if !state.satisfy(p, &current) {
            unmet.push(p);
        }
        for &s in &eligible[p] {
            waiting[s] -= 1.0;
        }
    }
    // Repair: free seats in the full sessions an unmet patient's best week needs.
    for _round in 0..3 {
        let before = unmet.len();
        unmet.retain(|&p| !(state.satisfy(p, pressure) || state.repair(p, pressure)));
        if unmet.len() == before {
            break;
        }
    }
    state.fill();
    state.solution()
}

/// Solves a problem whose pins passed [`check_pins`].
pub fn solve(problem: &Problem) -> Solution {
    let eligible = eligibility(problem);
    // Demand per seat: how many patients could use each session, over its capacity.
    let mut demand = vec![0f64; problem.sessions.len()];
    for list in &eligible {
        for &s in list {
            demand[s] += 1.0;
        }
    }
    let pressure: Vec<f64> = demand
        .iter()
        .zip(&problem.sessions)
        .map(|(d, s)| d / f64::from(s.capacity.max(1)))
        .collect();
    // Patient orderings: hardest first (least eligible slack), then input order, then
    // smallest requirement first.
    let slack = |p: usize| -> i64 {
        let available: u32 = eligible[p]
            .iter()
            .map(|&s| problem.sessions[s].minutes())
            .sum();
        i64::from(available) - i64::from(problem.patients[p].required_minutes)
    };
    let n = problem.patients.len();
    let mut orders: Vec<Vec<usize>> = Vec::new();
    let mut hardest: Vec<usize> = (0..n).collect();
    hardest.sort_by_key(|&p| (slack(p), p));
    orders.push(hardest);
    orders.push((0..n).collect());
    let mut smallest: Vec<usize> = (0..n).collect();
    smallest.sort_by_key(|&p| (problem.patients[p].required_minutes, slack(p), p));
    orders.push(smallest);
    let mut best = greedy(problem);
    // Each ordering runs twice: with the static pressure, and with a dynamic one that only
    // counts the patients still waiting for a week (seats they cannot use any more are cheap).
    let runs: Vec<(Vec<usize>, bool)> = orders
        .into_iter()
        .flat_map(|o| [(o.clone(), false), (o, true)])
        .collect();
    for (order, dynamic) in runs {
        let candidate = construct(problem, &eligible, &demand, &pressure, &order, dynamic);
        if problem.violation(&candidate).is_none() && problem.better(&candidate, &best) {
            best = candidate;
        }
    }
    // Ejection search where a week is small enough to afford it well inside a second.
    if n * problem.sessions.len() <= 5_000 {
        let improved = improve(problem, &eligible, &pressure, &best);
        if problem.violation(&improved).is_none() && problem.better(&improved, &best) {
            best = improved;
        }
    }
    best
}

/// Local search on a finished week: ejection. A met patient who holds seats that unmet
/// patients' best weeks need gives them up; the move is kept only when it meets more
/// patients than it costs (the ejected one may find another week). Rounds repeat while
/// they gain.
fn improve(
    problem: &Problem,
    eligible: &[Vec<usize>],
    pressure: &[f64],
    start: &Solution,
) -> Solution {
    let mut state = State::new(problem, eligible);
    for (p, chosen) in start.sessions.iter().enumerate() {
        for &s in chosen {
            if !state.chosen[p].contains(&s) {
                state.add(p, s);
            }
        }
    }
    // The short keep only their pins while seats are redistributed.
    let strip = |state: &mut State<'_>, p: usize| {
        for s in state.chosen[p].clone() {
            if !state.pinned[p].contains(&s) {
                state.remove(p, s);
            }
        }
    };
    for p in 0..problem.patients.len() {
        if !state.met(p) {
            strip(&mut state, p);
        }
    }
    for _round in 0..6 {
        let unmet: Vec<usize> = (0..problem.patients.len())
            .filter(|&p| !state.met(p))
            .collect();
        if unmet.is_empty() {
            break;
        }
        let mut wanted = vec![0u32; problem.sessions.len()];
        for &p in &unmet {
            if let Some(target) = state.target_set(p, pressure) {
                for s in target {
                    if !state.has_seat(s) {
                        wanted[s] += 1;
                    }
                }
            }
        }
        let mut candidates: Vec<(u32, usize)> = (0..problem.patients.len())
            .filter(|&q| state.met(q))
            .map(|q| {
                let score = state.chosen[q]
                    .iter()
                    .filter(|s| !state.pinned[q].contains(s))
                    .map(|&s| wanted[s])
                    .sum();
                (score, q)
            })
            .filter(|(score, _)| *score > 0)
            .collect();
        candidates.sort_by_key(|&(score, q)| (std::cmp::Reverse(score), q));
        candidates.truncate(24);
        let mut gained_any = false;
        for (_, q) in candidates {
            if !state.met(q) {
                continue;
            }
            let snapshot = (state.chosen.clone(), state.load.clone());
            strip(&mut state, q);
            let mut newly = 0usize;
            for &p in &unmet {
                if state.met(p) || state.satisfy(p, pressure) || state.repair(p, pressure) {
                    newly += 1;
                } else {
                    strip(&mut state, p);
                }
            }
            if !(state.met(q) || state.satisfy(q, pressure) || state.repair(q, pressure)) {
                strip(&mut state, q);
                // q is lost: the move must meet at least two others.
                if newly >= 2 {
                    gained_any = true;
                    break;
                }
            } else if newly >= 1 {
                gained_any = true;
                break;
            }
            state.chosen = snapshot.0;
            state.load = snapshot.1;
        }
        if !gained_any {
            break;
        }
    }
    state.fill();
    state.solution()
}

#[cfg(test)]
mod tests;
