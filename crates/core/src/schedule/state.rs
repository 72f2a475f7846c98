//! A solution under construction: who sits in which session, and the moves the solver makes
//! on it (add, remove, repair by freeing a seat, fill).

use super::*;

/// Mutable state of a solution under construction.
pub(super) struct State<'a> {
    pub(super) problem: &'a Problem,
    pub(super) chosen: Vec<Vec<usize>>,
    pub(super) load: Vec<u32>,
    pub(super) pinned: Vec<Vec<usize>>,
    pub(super) eligible: &'a [Vec<usize>],
}

impl<'a> State<'a> {
    pub(super) fn new(problem: &'a Problem, eligible: &'a [Vec<usize>]) -> State<'a> {
        let mut state = State {
            problem,
            chosen: vec![Vec::new(); problem.patients.len()],
            load: vec![0; problem.sessions.len()],
            pinned: vec![Vec::new(); problem.patients.len()],
            eligible,
        };
        for &(p, s) in &problem.pinned {
            state.pinned[p].push(s);
            state.add(p, s);
        }
        state
    }

    pub(super) fn add(&mut self, p: usize, s: usize) {
        self.chosen[p].push(s);
        self.load[s] += 1;
    }

    pub(super) fn remove(&mut self, p: usize, s: usize) {
        if let Some(i) = self.chosen[p].iter().position(|&x| x == s) {
            self.chosen[p].swap_remove(i);
            self.load[s] -= 1;
        }
    }

    pub(super) fn fits(&self, p: usize, s: usize, ignoring: Option<usize>) -> bool {
        let session = &self.problem.sessions[s];
        let mut minutes = session.minutes();
        for &o in &self.chosen[p] {
            if Some(o) == ignoring {
                continue;
            }
            if o == s || self.problem.sessions[o].overlaps(session) {
                return false;
            }
            minutes += self.problem.sessions[o].minutes();
        }
        minutes <= self.problem.max_minutes(p)
    }

    pub(super) fn has_seat(&self, s: usize) -> bool {
        self.load[s] < self.problem.sessions[s].capacity
    }

    pub(super) fn met(&self, p: usize) -> bool {
        self.problem.outcome(p, &self.chosen[p]).met
    }

    /// Tries to give `p` a set of sessions that meets the week, using the least contested
    /// seats. Keeps pins. Returns whether it succeeded (on failure, `p` keeps only pins).
    pub(super) fn satisfy(&mut self, p: usize, pressure: &[f64]) -> bool {
        // Start from the pins only.
        for s in self.chosen[p].clone() {
            if !self.pinned[p].contains(&s) {
                self.remove(p, s);
            }
        }
        if self.met(p) {
            return true;
        }
        let mut candidates: Vec<usize> = self.eligible[p]
            .iter()
            .copied()
            .filter(|&s| self.has_seat(s) && self.fits(p, s, None))
            .collect();
        // New days first when days are short, then low pressure per minute, then long.
        candidates.sort_by(|&a, &b| {
            let (sa, sb) = (&self.problem.sessions[a], &self.problem.sessions[b]);
            let ka = pressure[a] / f64::from(sa.minutes().max(1));
            let kb = pressure[b] / f64::from(sb.minutes().max(1));
            ka.partial_cmp(&kb)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(sb.minutes().cmp(&sa.minutes()))
                .then(a.cmp(&b))
        });
        let mut best: Option<(f64, Vec<usize>)> = None;
        let mut budget = 2000u32;
        let base = self.chosen[p].clone();
        self.search(
            p,
            &candidates,
            0,
            base,
            0.0,
            pressure,
            &mut best,
            &mut budget,
        );
        match best {
            Some((_, set)) => {
                for s in set {
                    if !self.chosen[p].contains(&s) {
                        self.add(p, s);
                    }
                }
                true
            }
            None => false,
        }
    }

    /// Depth-first search for the cheapest set that meets the week (bounded).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn search(
        &self,
        p: usize,
        candidates: &[usize],
        from: usize,
        current: Vec<usize>,
        cost: f64,
        pressure: &[f64],
        best: &mut Option<(f64, Vec<usize>)>,
        budget: &mut u32,
    ) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        if best.as_ref().is_some_and(|(c, _)| cost >= *c) {
            return;
        }
        if self.problem.outcome(p, &current).met {
            *best = Some((cost, current));
            return;
        }
        let max = self.problem.max_minutes(p);
        let minutes: u32 = current
            .iter()
            .map(|s| self.problem.sessions[*s].minutes())
            .sum();
        for i in from..candidates.len() {
            let s = candidates[i];
            let session = &self.problem.sessions[s];
            if minutes + session.minutes() > max
                || current
                    .iter()
                    .any(|&o| self.problem.sessions[o].overlaps(session))
            {
                continue;
            }
            let mut next = current.clone();
            next.push(s);
            self.search(
                p,
                candidates,
                i + 1,
                next,
                cost + pressure[s] + 0.001,
                pressure,
                best,
                budget,
            );
            if *budget == 0 {
                return;
            }
        }
    }

    /// Frees a seat in `s` for someone else by moving a met patient to other sessions that
    /// keep them met. Returns whether a seat was freed.
    pub(super) fn free_seat(&mut self, s: usize, pressure: &[f64]) -> bool {
        let holders: Vec<usize> = (0..self.chosen.len())
            .filter(|&q| self.chosen[q].contains(&s) && !self.pinned[q].contains(&s))
            .collect();
        for q in holders {
            let before = self.chosen[q].clone();
            self.remove(q, s);
            if self.met(q) {
                return true;
            }
            // Try one replacement session for q.
            let options: Vec<usize> = self.eligible[q]
                .iter()
                .copied()
                .filter(|&o| o != s && self.has_seat(o) && self.fits(q, o, None))
                .collect();
            for o in options {
                self.add(q, o);
                if self.met(q) {
                    return true;
                }
                self.remove(q, o);
            }
            // Or rebuild q's week without s.
            let mut blocked = pressure.to_vec();
            blocked[s] = f64::INFINITY;
            let snapshot = (self.chosen.clone(), self.load.clone());
            if self.satisfy_without(q, s, &blocked) {
                return true;
            }
            self.chosen = snapshot.0;
            self.load = snapshot.1;
            // Restore q.
            for x in self.chosen[q].clone() {
                self.remove(q, x);
            }
            for x in before {
                self.add(q, x);
            }
        }
        false
    }

    /// The cheapest set of sessions that would meet `p`'s week if seats could be freed:
    /// full sessions cost extra, so the set uses as few of them as it can.
    pub(super) fn target_set(&self, p: usize, pressure: &[f64]) -> Option<Vec<usize>> {
        let costs: Vec<f64> = pressure
            .iter()
            .enumerate()
            .map(|(s, c)| if self.has_seat(s) { *c } else { c + 100.0 })
            .collect();
        let mut candidates: Vec<usize> = self.eligible[p]
            .iter()
            .copied()
            .filter(|&s| !self.chosen[p].contains(&s) || self.pinned[p].contains(&s))
            .collect();
        candidates.sort_by(|&a, &b| {
            let (sa, sb) = (&self.problem.sessions[a], &self.problem.sessions[b]);
            (costs[a] / f64::from(sa.minutes().max(1)))
                .partial_cmp(&(costs[b] / f64::from(sb.minutes().max(1))))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        let mut best = None;
        let mut budget = 1500u32;
        self.search(
            p,
            &candidates,
            0,
            self.pinned[p].clone(),
            0.0,
            &costs,
            &mut best,
            &mut budget,
        );
        best.map(|(_, set)| set)
    }

    /// Meets `p` by freeing a seat in every full session of its target set (moving met
    /// patients elsewhere). All or nothing: on failure the state is as before.
    pub(super) fn repair(&mut self, p: usize, pressure: &[f64]) -> bool {
        let Some(target) = self.target_set(p, pressure) else {
            return false;
        };
        let snapshot = (self.chosen.clone(), self.load.clone());
        for s in self.chosen[p].clone() {
            if !self.pinned[p].contains(&s) {
                self.remove(p, s);
            }
        }
        for &s in &target {
            if self.chosen[p].contains(&s) {
                continue;
            }
            if !self.has_seat(s) && !self.free_seat(s, pressure) {
                self.chosen = snapshot.0;
                self.load = snapshot.1;
                return false;
            }
            if !self.fits(p, s, None) {
                self.chosen = snapshot.0;
                self.load = snapshot.1;
                return false;
            }
            self.add(p, s);
        }
        if self.met(p) {
            true
        } else {
            self.chosen = snapshot.0;
            self.load = snapshot.1;
            false
        }
    }

    pub(super) fn satisfy_without(&mut self, q: usize, s: usize, pressure: &[f64]) -> bool {
        let ok = self.satisfy(q, pressure);
        ok && !self.chosen[q].contains(&s)
    }

    /// Adds sessions to patients who are still short, to lower the shortfall.
    pub(super) fn fill(&mut self) {
        let n = self.chosen.len();
        for p in 0..n {
            if self.met(p) {
                continue;
            }
            let mut options: Vec<usize> = self.eligible[p].clone();
            options.sort_by_key(|&s| (std::cmp::Reverse(self.problem.sessions[s].minutes()), s));
            for s in options {
                let need = self.problem.patients[p]
                    .required_minutes
                    .saturating_sub(self.problem.outcome(p, &self.chosen[p]).minutes);
                if need == 0 && self.met(p) {
                    break;
                }
                if self.has_seat(s) && self.fits(p, s, None) {
                    self.add(p, s);
                }
            }
        }
    }

    pub(super) fn solution(&self) -> Solution {
        let mut sessions = self.chosen.clone();
        for list in &mut sessions {
            list.sort_unstable();
        }
        Solution { sessions }
    }
}
