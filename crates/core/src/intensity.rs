//! Each episode's intensity plan (target hours and days per week by phase, tapering over
//! time, with the level's floor), billable days, and the psychoeducation curriculum.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::program::{AgeGroup, Level};
use crate::validate::{FieldError, Invalid};

/// The phases of treatment, in order; the psychoeducation curriculum is ordered per phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Engagement,
    EarlyRecovery,
    Maintenance,
    CommunityIntegration,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Engagement,
        Phase::EarlyRecovery,
        Phase::Maintenance,
        Phase::CommunityIntegration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Engagement => "engagement",
            Phase::EarlyRecovery => "early_recovery",
            Phase::Maintenance => "maintenance",
            Phase::CommunityIntegration => "community_integration",
        }
    }

    pub fn parse(text: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Engagement => "Engagement",
            Phase::EarlyRecovery => "Early recovery",
            Phase::Maintenance => "Maintenance",
            Phase::CommunityIntegration => "Community integration",
        }
    }
}

/// One step of a plan as sent and stored (JSON): from `from_week` (1 = the week of admission)
/// until the next step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDoc {
    pub from_week: u32,
    pub phase: String,
    /// Defaults to the track's level; a step may step down (e.g. to `op`).
    #[serde(default)]
    pub level: Option<String>,
    pub target_hours: f64,
    pub min_days: u8,
}

/// A checked step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Step {
    pub from_week: u32,
    pub phase: Phase,
    pub level: Level,
    pub target_minutes: u32,
    pub min_days: u8,
}

/// A checked plan: steps in week order, the first from week 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Why a step is below its level's floor, when one is.
    pub floor_reason: Option<String>,
}

/// Where a week's targets come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetSource {
    /// The step of the episode's intensity plan in force that week.
    Plan,
    /// The track's own weekly targets (no plan, or no step yet).
    Track,
}

impl TargetSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetSource::Plan => "plan",
            TargetSource::Track => "track",
        }
    }
}

/// The targets in force for one week of an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyTargets {
    /// Attended minutes the week needs.
    pub minutes: u32,
    /// Days with attended minutes the week needs.
    pub min_days: u8,
    /// Week of the episode (1 = the admission week).
    pub episode_week: i64,
    pub phase: Option<Phase>,
    pub from: TargetSource,
}

impl WeeklyTargets {
    /// The targets of an episode's week: its plan's step for that week, else the track's.
    pub fn for_week(
        plan: Option<&Plan>,
        track_minutes: u32,
        track_min_days: u8,
        episode_week: i64,
    ) -> WeeklyTargets {
        match plan.and_then(|p| p.step_for(episode_week)) {
            Some(step) => WeeklyTargets {
                minutes: step.target_minutes,
                min_days: step.min_days,
                episode_week,
                phase: Some(step.phase),
                from: TargetSource::Plan,
            },
            None => WeeklyTargets {
                minutes: track_minutes,
                min_days: track_min_days,
                episode_week,
                phase: None,
                from: TargetSource::Track,
            },
        }
    }

    /// Whether a week met its targets: enough attended minutes in all, and enough days with
    /// attended minutes (`minutes_by_date`: attended minutes per local date).
    pub fn met(&self, minutes_by_date: &BTreeMap<String, u32>) -> bool {
        let total: u32 = minutes_by_date.values().sum();
        let days = minutes_by_date.values().filter(|m| **m > 0).count();
        total >= self.minutes && days >= usize::from(self.min_days)
    }
}

/// The weekly floor of a level for an age group, in minutes (IOP adults 9 h, adolescents
/// 6 h; PHP 20 h; OP has none).
pub fn floor_minutes(level: Level, age: AgeGroup) -> u32 {
    match level {
        Level::Op => 0,
        _ => level.weekly_minutes(age).0,
    }
}

impl Plan {
    /// Checks a plan for a track of `level` and `age`. A target under its level's floor needs
    /// a clinician's `floor_reason`.
    pub fn parse(
        steps: &[StepDoc],
        floor_reason: Option<&str>,
        level: Level,
        age: AgeGroup,
    ) -> Result<Plan, Invalid> {
        let mut errors = Vec::new();
        let mut fail = |field: String, message: String| errors.push(FieldError { field, message });
        let reason = floor_reason.map(str::trim).filter(|r| !r.is_empty());
        if steps.is_empty() {
            fail("steps".into(), "must have at least one step".into());
        }
        if steps.len() > 52 {
            fail("steps".into(), "at most 52 steps".into());
        }
        let mut out = Vec::new();
        let mut below_floor = false;
        for (i, s) in steps.iter().enumerate() {
            let at = |f: &str| format!("steps[{i}].{f}");
            if i == 0 && s.from_week != 1 {
                fail(at("from_week"), "the first step starts at week 1".into());
            }
            if i > 0 && s.from_week <= steps[i - 1].from_week {
                fail(
                    at("from_week"),
                    "must be after the previous step's week".into(),
                );
            }
            if s.from_week == 0 || s.from_week > 520 {
                fail(at("from_week"), "must be from 1 to 520".into());
            }
            let phase = Phase::parse(&s.phase);
            if phase.is_none() {
                fail(
                    at("phase"),
                    "must be engagement, early_recovery, maintenance or community_integration"
                        .into(),
                );
            }
            let step_level = match s.level.as_deref() {
                None => Some(level),
                Some(text) => Level::parse(text),
            };
            if step_level.is_none() {
                fail(at("level"), "must be op, iop or php".into());
            }
            if !s.target_hours.is_finite() || s.target_hours <= 0.0 || s.target_hours > 70.0 {
                fail(
                    at("target_hours"),
                    "must be more than 0 and at most 70".into(),
                );
            }
            if s.min_days > 7 {
                fail(at("min_days"), "must be from 0 to 7".into());
            }
            let (Some(phase), Some(step_level)) = (phase, step_level) else {
                continue;
            };
            let target_minutes = (s.target_hours * 60.0).round() as u32;
            let floor = floor_minutes(step_level, age);
            if target_minutes < floor {
                below_floor = true;
                if reason.is_none() {
                    fail(
                        at("target_hours"),
                        format!(
                            "is below the {} floor of {} h for {}; record floor_reason to go lower",
                            step_level.as_str().to_uppercase(),
                            floor / 60,
                            match age {
                                AgeGroup::Adult => "adults",
                                AgeGroup::Adolescent => "adolescents",
                            }
                        ),
                    );
                }
            }
            out.push(Step {
                from_week: s.from_week,
                phase,
                level: step_level,
                target_minutes,
                min_days: s.min_days,
            });
        }
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        Ok(Plan {
            steps: out,
            floor_reason: if below_floor {
                reason.map(str::to_owned)
            } else {
                None
            },
        })
    }

    /// The step in force in week `week` of the episode (1 = the week of admission).
    pub fn step_for(&self, week: i64) -> Option<&Step> {
        self.steps
            .iter()
            .rev()
            .find(|s| i64::from(s.from_week) <= week)
    }
}

/// The week of an episode a date falls in: 1 for the ISO week of admission, 0 or less before.
pub fn episode_week(admitted: time::Date, date: time::Date) -> i64 {
    let monday =
        |d: time::Date| d - time::Duration::days(i64::from(d.weekday().number_days_from_monday()));
    (monday(date) - monday(admitted)).whole_weeks() + 1
}

/// A payer's billable-day rule (H0015-style by default: a day counts at 180 attended minutes,
/// a week only with at least 3 such days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillableRule {
    pub day_minutes: u32,
    pub days_per_week: u8,
}

impl Default for BillableRule {
    fn default() -> Self {
        BillableRule {
            day_minutes: 180,
            days_per_week: 3,
        }
    }
}

impl BillableRule {
    pub fn check(&self, field: &str) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if !(1..=1440).contains(&self.day_minutes) {
            errors.push(FieldError {
                field: format!("{field}.day_minutes"),
                message: "must be from 1 to 1440".into(),
            });
        }
        if !(1..=7).contains(&self.days_per_week) {
            errors.push(FieldError {
                field: format!("{field}.days_per_week"),
                message: "must be from 1 to 7".into(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(errors))
        }
    }
}

/// A week's billable days under a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Billable {
    /// Local dates (YYYY-MM-DD) whose attended minutes reach the day threshold.
    pub days: Vec<String>,
    /// Whether the week counts (enough billable days); when it does not, no day bills.
    pub week_counts: bool,
}

pub fn billable(rule: BillableRule, minutes_by_date: &BTreeMap<String, u32>) -> Billable {
    let days: Vec<String> = minutes_by_date
        .iter()
        .filter(|(_, m)| **m >= rule.day_minutes)
        .map(|(d, _)| d.clone())
        .collect();
    Billable {
        week_counts: days.len() >= usize::from(rule.days_per_week),
        days,
    }
}

/// A psychoeducation topic in the curriculum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub phase: Phase,
    pub position: u32,
    pub title: String,
}

/// The topics of the phases up to and including `phase` a patient has not attended yet, in
/// curriculum order (a patient who joins mid-cycle sees what they still need). Topics are
/// matched by title, case- and space-insensitively.
pub fn topics_needed<'a>(
    curriculum: &'a [Topic],
    phase: Phase,
    attended: &BTreeSet<String>,
) -> Vec<&'a Topic> {
    let attended: BTreeSet<String> = attended.iter().map(|t| topic_key(t)).collect();
    let mut out: Vec<&Topic> = curriculum
        .iter()
        .filter(|t| t.phase <= phase && !attended.contains(&topic_key(&t.title)))
        .collect();
    out.sort_by_key(|t| (t.phase, t.position));
    out
}

/// How topics are compared: lowercase, single spaces.
pub fn topic_key(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn step(from_week: u32, phase: &str, level: Option<&str>, hours: f64, days: u8) -> StepDoc {
        StepDoc {
            from_week,
            phase: phase.into(),
            level: level.map(Into::into),
            target_hours: hours,
            min_days: days,
        }
    }

    fn tapering() -> Vec<StepDoc> {
        vec![
            step(1, "engagement", None, 12.0, 4),
            step(5, "early_recovery", None, 9.0, 3),
            step(9, "maintenance", Some("op"), 3.0, 1),
        ]
    }

    #[test]
    fn tapering_plan_steps_down_to_op() {
        let plan = Plan::parse(&tapering(), None, Level::Iop, AgeGroup::Adult).unwrap();
        assert_eq!(plan.step_for(1).unwrap().target_minutes, 720);
        assert_eq!(plan.step_for(4).unwrap().min_days, 4);
        assert_eq!(plan.step_for(5).unwrap().target_minutes, 540);
        assert_eq!(plan.step_for(12).unwrap().level, Level::Op);
        assert!(plan.step_for(0).is_none());
        assert_eq!(plan.floor_reason, None);
    }

    #[test]
    fn below_the_floor_needs_a_reason() {
        let steps = vec![step(1, "engagement", None, 6.0, 3)];
        let err = Plan::parse(&steps, None, Level::Iop, AgeGroup::Adult).unwrap_err();
        assert_eq!(err.0[0].field, "steps[0].target_hours");
        assert!(err.0[0].message.contains("9 h"), "{}", err.0[0].message);
        // Adolescents' IOP floor is 6 h.
        assert!(Plan::parse(&steps, None, Level::Iop, AgeGroup::Adolescent).is_ok());
        let plan = Plan::parse(
            &steps,
            Some("works nights; agreed with the team"),
            Level::Iop,
            AgeGroup::Adult,
        )
        .unwrap();
        assert!(plan.floor_reason.is_some());
        let php = vec![step(1, "engagement", None, 15.0, 5)];
        assert!(Plan::parse(&php, None, Level::Php, AgeGroup::Adult).is_err());
        // A blank reason is no reason.
        assert!(Plan::parse(&steps, Some("  "), Level::Iop, AgeGroup::Adult).is_err());
    }

    #[test]
    fn steps_must_be_ordered_from_week_one() {
        let steps = vec![
            step(2, "engagement", None, 9.0, 3),
            step(2, "bogus", Some("x"), 0.0, 9),
        ];
        let err = Plan::parse(&steps, None, Level::Iop, AgeGroup::Adult).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "steps[0].from_week",
                "steps[1].from_week",
                "steps[1].phase",
                "steps[1].level",
                "steps[1].target_hours",
                "steps[1].min_days"
            ]
        );
        assert!(Plan::parse(&[], None, Level::Iop, AgeGroup::Adult).is_err());
    }

    #[test]
    fn episode_weeks_count_from_the_admission_week() {
        // 2026-11-25 is a Wednesday.
        assert_eq!(
            episode_week(date!(2026 - 11 - 25), date!(2026 - 11 - 23)),
            1
        );
        assert_eq!(
            episode_week(date!(2026 - 11 - 25), date!(2026 - 11 - 29)),
            1
        );
        assert_eq!(
            episode_week(date!(2026 - 11 - 25), date!(2026 - 11 - 30)),
            2
        );
        assert_eq!(
            episode_week(date!(2026 - 11 - 25), date!(2026 - 11 - 16)),
            0
        );
        assert_eq!(episode_week(date!(2026 - 12 - 28), date!(2027 - 1 - 4)), 2);
    }

    #[test]
    fn a_week_meets_its_targets_in_minutes_and_in_days() {
        let targets = WeeklyTargets::for_week(None, 540, 3, 2);
        assert_eq!(targets.from, TargetSource::Track);
        let week = |days: &[(&str, u32)]| -> BTreeMap<String, u32> {
            days.iter().map(|(d, m)| ((*d).to_owned(), *m)).collect()
        };
        assert!(targets.met(&week(&[
            ("2026-12-07", 180),
            ("2026-12-08", 180),
            ("2026-12-09", 180)
        ])));
        // Enough minutes on too few days, and enough days with too few minutes.
        assert!(!targets.met(&week(&[("2026-12-07", 300), ("2026-12-08", 300)])));
        assert!(!targets.met(&week(&[
            ("2026-12-07", 60),
            ("2026-12-08", 60),
            ("2026-12-09", 60)
        ])));
        assert!(!targets.met(&week(&[
            ("2026-12-07", 540),
            ("2026-12-08", 0),
            ("2026-12-09", 0)
        ])));
        assert!(!targets.met(&BTreeMap::new()));
    }

    #[test]
    fn billable_days_need_the_day_and_week_thresholds() {
        let rule = BillableRule::default();
        let mut m = BTreeMap::new();
        m.insert("2026-11-23".to_owned(), 180);
        m.insert("2026-11-24".to_owned(), 179);
        m.insert("2026-11-25".to_owned(), 240);
        let b = billable(rule, &m);
        assert_eq!(b.days, ["2026-11-23", "2026-11-25"]);
        assert!(!b.week_counts);
        m.insert("2026-11-26".to_owned(), 180);
        assert!(billable(rule, &m).week_counts);
        let lenient = BillableRule {
            day_minutes: 120,
            days_per_week: 2,
        };
        assert_eq!(billable(lenient, &m).days.len(), 4);
        assert!(
            BillableRule {
                day_minutes: 0,
                days_per_week: 8
            }
            .check("billable")
            .is_err()
        );
    }

    #[test]
    fn a_patient_joining_mid_cycle_sees_what_they_still_need() {
        let topic = |phase, position, title: &str| Topic {
            phase,
            position,
            title: title.into(),
        };
        let curriculum = vec![
            topic(Phase::EarlyRecovery, 1, "Triggers and cravings"),
            topic(Phase::Engagement, 2, "The disease model"),
            topic(Phase::Engagement, 1, "Welcome and goals"),
            topic(Phase::Maintenance, 1, "Relapse warning signs"),
        ];
        let attended: BTreeSet<String> = ["  welcome AND goals ".to_owned()].into();
        let needed = topics_needed(&curriculum, Phase::EarlyRecovery, &attended);
        let titles: Vec<&str> = needed.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["The disease model", "Triggers and cravings"]);
    }
}
