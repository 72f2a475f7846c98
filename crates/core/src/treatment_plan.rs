//! The individualized treatment plan: problems (tied to the six ASAM dimensions and to coded
//! diagnoses), strengths, preferences, goals in the patient's own words, measurable objectives
//! with target dates, and interventions (modality, frequency, who is responsible); its
//! signatures and its review date.
//!
//! A plan is versioned: a version is a draft until someone signs it, and a version that carries
//! a signature is never edited again (editing starts the next version). It is in force once the
//! clinician and the patient have signed it (and the clinician's supervisor, where the program
//! requires co-signatures); its review falls due a set number of days later (30 by default).

use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use uuid::Uuid;

use crate::diagnosis::is_icd10cm;
use crate::placement::Dimension;
use crate::validate::{FieldError, Invalid, parse_date};

/// Days between reviews unless the program sets its own.
pub const DEFAULT_REVIEW_DAYS: u32 = 30;

/// Longest text of one statement.
const MAX_TEXT: usize = 4_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(default)]
    pub problems: Vec<Problem>,
    #[serde(default)]
    pub strengths: Vec<String>,
    #[serde(default)]
    pub preferences: Preferences,
}

/// What matters to how care is given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    #[serde(default)]
    pub culture: String,
    #[serde(default)]
    pub spirituality: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub other: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    pub statement: String,
    /// The ASAM dimensions the problem belongs to.
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// ICD-10-CM codes, as free text of the right shape (e.g. `F11.20`).
    #[serde(default)]
    pub diagnoses: Vec<String>,
    #[serde(default)]
    pub goals: Vec<Goal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// In the patient's own words.
    pub statement: String,
    #[serde(default)]
    pub objectives: Vec<Objective>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// Measurable: what will be observed, how often or how much.
    pub statement: String,
    /// `YYYY-MM-DD`.
    pub target_date: String,
    #[serde(default)]
    pub interventions: Vec<Intervention>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intervention {
    /// What is done, e.g. "CBT group", "individual MI session", "MAT review".
    pub modality: String,
    /// How often, e.g. "3 times a week".
    pub frequency: String,
    /// The staff member responsible.
    pub responsible_id: Uuid,
}

struct Checker {
    errors: Vec<FieldError>,
    complete: bool,
}

impl Checker {
    fn fail(&mut self, field: String, message: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    fn text(&mut self, field: String, value: &str, required: bool) -> String {
        let value = value.trim();
        if value.chars().count() > MAX_TEXT {
            self.fail(field, format!("must be at most {MAX_TEXT} characters"));
        } else if required && value.is_empty() {
            self.fail(field, "must not be empty");
        }
        value.to_owned()
    }

    fn need(&mut self, field: String, present: bool, what: &str) {
        if self.complete && !present {
            self.fail(field, format!("needs at least one {what} before signing"));
        }
    }
}

impl Plan {
    /// Checks the plan. Every statement given must be filled in; a plan to be signed (`complete`)
    /// needs at least one problem, each problem a goal, each goal an objective and each
    /// objective an intervention. Returns the plan with its texts trimmed.
    pub fn checked(&self, complete: bool) -> Result<Plan, Invalid> {
        let mut c = Checker {
            errors: Vec::new(),
            complete,
        };
        c.need("problems".into(), !self.problems.is_empty(), "problem");
        let mut problems = Vec::new();
        for (p, problem) in self.problems.iter().enumerate() {
            let at = format!("problems[{p}]");
            let statement = c.text(format!("{at}.statement"), &problem.statement, true);
            for (d, code) in problem.diagnoses.iter().enumerate() {
                if !is_icd10cm(code.trim()) {
                    c.fail(
                        format!("{at}.diagnoses[{d}]"),
                        "must be an ICD-10-CM code such as F11.20",
                    );
                }
            }
            c.need(format!("{at}.goals"), !problem.goals.is_empty(), "goal");
            let mut goals = Vec::new();
            for (g, goal) in problem.goals.iter().enumerate() {
                let at = format!("{at}.goals[{g}]");
                let statement = c.text(format!("{at}.statement"), &goal.statement, true);
                c.need(
                    format!("{at}.objectives"),
                    !goal.objectives.is_empty(),
                    "objective",
                );
                let mut objectives = Vec::new();
                for (o, objective) in goal.objectives.iter().enumerate() {
                    let at = format!("{at}.objectives[{o}]");
                    let statement = c.text(format!("{at}.statement"), &objective.statement, true);
                    if parse_date(objective.target_date.trim()).is_none() {
                        c.fail(format!("{at}.target_date"), "must be a date YYYY-MM-DD");
                    }
                    c.need(
                        format!("{at}.interventions"),
                        !objective.interventions.is_empty(),
                        "intervention",
                    );
                    let mut interventions = Vec::new();
                    for (i, intervention) in objective.interventions.iter().enumerate() {
                        let at = format!("{at}.interventions[{i}]");
                        interventions.push(Intervention {
                            modality: c.text(
                                format!("{at}.modality"),
                                &intervention.modality,
                                true,
                            ),
                            frequency: c.text(
                                format!("{at}.frequency"),
                                &intervention.frequency,
                                true,
                            ),
                            responsible_id: intervention.responsible_id,
                        });
                    }
                    objectives.push(Objective {
                        statement,
                        target_date: objective.target_date.trim().to_owned(),
                        interventions,
                    });
                }
                goals.push(Goal {
                    statement,
                    objectives,
                });
            }
            let mut dimensions = problem.dimensions.clone();
            dimensions.sort();
            dimensions.dedup();
            problems.push(Problem {
                statement,
                dimensions,
                diagnoses: problem
                    .diagnoses
                    .iter()
                    .map(|d| d.trim().to_owned())
                    .collect(),
                goals,
            });
        }
        let strengths = self
            .strengths
            .iter()
            .enumerate()
            .map(|(i, s)| c.text(format!("strengths[{i}]"), s, true))
            .collect();
        let p = &self.preferences;
        let preferences = Preferences {
            culture: c.text("preferences.culture".into(), &p.culture, false),
            spirituality: c.text("preferences.spirituality".into(), &p.spirituality, false),
            language: c.text("preferences.language".into(), &p.language, false),
            other: c.text("preferences.other".into(), &p.other, false),
        };
        if c.errors.is_empty() {
            Ok(Plan {
                problems,
                strengths,
                preferences,
            })
        } else {
            Err(Invalid(c.errors))
        }
    }

    /// Every staff member named as responsible for an intervention, once each.
    pub fn responsible(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self
            .problems
            .iter()
            .flat_map(|p| &p.goals)
            .flat_map(|g| &g.objectives)
            .flat_map(|o| &o.interventions)
            .map(|i| i.responsible_id)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The signatures a version carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signatures {
    pub clinician: bool,
    pub patient: bool,
    /// A supervisor's co-signature is required.
    pub cosigner_required: bool,
    pub cosigned: bool,
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// No signature yet: its author may still edit it.
    Draft,
    /// Signed by some, not yet all: locked, waiting for the rest.
    AwaitingSignatures,
    /// Signed by everyone required: in force (until a newer version is).
    Signed,
}

impl PlanStatus {
    pub fn of(s: Signatures) -> PlanStatus {
        if !s.clinician && !s.patient {
            PlanStatus::Draft
        } else if s.clinician && s.patient && (!s.cosigner_required || s.cosigned) {
            PlanStatus::Signed
        } else {
            PlanStatus::AwaitingSignatures
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::AwaitingSignatures => "awaiting_signatures",
            PlanStatus::Signed => "signed",
        }
    }
}

/// Whether saving changes edits this version or starts the next one: only a version nobody
/// has signed is edited in place.
pub fn edits_in_place(s: Signatures) -> bool {
    PlanStatus::of(s) == PlanStatus::Draft
}

/// When a plan signed in full on `signed_on` is due for review.
pub fn review_due(signed_on: Date, review_days: u32) -> Date {
    signed_on + Duration::days(i64::from(review_days))
}

/// Whether a review due on `due` is overdue on `today`.
pub fn review_overdue(due: Date, today: Date) -> bool {
    today > due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> Plan {
        Plan {
            problems: vec![Problem {
                statement: "Opioid use disorder with daily fentanyl use".into(),
                dimensions: vec![
                    Dimension::Relapse,
                    Dimension::Withdrawal,
                    Dimension::Relapse,
                ],
                diagnoses: vec![" F11.20".into()],
                goals: vec![Goal {
                    statement: "I want to be there for my kids".into(),
                    objectives: vec![Objective {
                        statement: "Attend 3 groups a week with negative tests for 4 weeks".into(),
                        target_date: "2026-12-31".into(),
                        interventions: vec![Intervention {
                            modality: "CBT group".into(),
                            frequency: "3 times a week".into(),
                            responsible_id: Uuid::from_u128(5),
                        }],
                    }],
                }],
            }],
            strengths: vec!["Supportive sister".into()],
            preferences: Preferences {
                language: "Spanish".into(),
                ..Preferences::default()
            },
        }
    }

    fn fields(err: Invalid) -> Vec<String> {
        err.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_complete_plan_is_accepted_and_tidied() {
        let plan = complete().checked(true).unwrap();
        let problem = &plan.problems[0];
        assert_eq!(problem.diagnoses, ["F11.20"]);
        assert_eq!(
            problem.dimensions,
            [Dimension::Withdrawal, Dimension::Relapse]
        );
        assert_eq!(plan.responsible(), [Uuid::from_u128(5)]);
    }

    #[test]
    fn a_draft_may_be_partial_a_signed_plan_may_not() {
        let mut plan = complete();
        plan.problems[0].goals[0].objectives[0]
            .interventions
            .clear();
        assert!(plan.checked(false).is_ok());
        assert_eq!(
            fields(plan.checked(true).unwrap_err()),
            ["problems[0].goals[0].objectives[0].interventions"]
        );
        assert_eq!(
            fields(Plan::default().checked(true).unwrap_err()),
            ["problems"]
        );
        assert!(Plan::default().checked(false).is_ok());
    }

    #[test]
    fn every_part_is_checked_and_named() {
        let mut plan = complete();
        plan.problems[0].diagnoses.push("opioids".into());
        plan.problems[0].goals[0].statement = " ".into();
        plan.problems[0].goals[0].objectives[0].target_date = "next month".into();
        plan.problems[0].goals[0].objectives[0].interventions[0].frequency = String::new();
        plan.strengths.push(String::new());
        assert_eq!(
            fields(plan.checked(false).unwrap_err()),
            [
                "problems[0].diagnoses[1]",
                "problems[0].goals[0].statement",
                "problems[0].goals[0].objectives[0].target_date",
                "problems[0].goals[0].objectives[0].interventions[0].frequency",
                "strengths[1]",
            ]
        );
    }

    #[test]
    fn signatures_lock_a_version_and_put_it_in_force() {
        let none = Signatures::default();
        assert_eq!(PlanStatus::of(none), PlanStatus::Draft);
        assert!(edits_in_place(none));
        let clinician = Signatures {
            clinician: true,
            ..none
        };
        assert_eq!(PlanStatus::of(clinician), PlanStatus::AwaitingSignatures);
        assert!(
            !edits_in_place(clinician),
            "a signed version is never edited"
        );
        let both = Signatures {
            patient: true,
            ..clinician
        };
        assert_eq!(PlanStatus::of(both), PlanStatus::Signed);
        let supervised = Signatures {
            cosigner_required: true,
            ..both
        };
        assert_eq!(PlanStatus::of(supervised), PlanStatus::AwaitingSignatures);
        assert_eq!(
            PlanStatus::of(Signatures {
                cosigned: true,
                ..supervised
            }),
            PlanStatus::Signed
        );
    }

    #[test]
    fn reviews_fall_due_after_the_set_days() {
        let signed = parse_date("2026-11-01").unwrap();
        let due = review_due(signed, DEFAULT_REVIEW_DAYS);
        assert_eq!(due, parse_date("2026-12-01").unwrap());
        assert!(!review_overdue(due, due));
        assert!(review_overdue(due, due.next_day().unwrap()));
    }
}
