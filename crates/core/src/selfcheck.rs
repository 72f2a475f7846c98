//! "Is an IOP right for me?": the public self-check's plain-language answers, mapped to the
//! placement question so the same policy answers both, and the answers that mean danger.

use std::collections::BTreeSet;

use crate::placement::{Factor, PlacementInput, SuicideRisk};

/// One choice of a self-check question: the stored value and its translation key.
pub type Choice = (&'static str, &'static str);

/// A question: its key (the form field), its translation key, and its choices.
pub struct Question {
    pub key: &'static str,
    pub text: &'static str,
    pub choices: &'static [Choice],
}

/// The questions, in the order they are asked. Text lives in the translation table under
/// the keys given here.
pub const QUESTIONS: &[Question] = &[
    Question {
        key: "withdrawal",
        text: "sc.q.withdrawal",
        choices: &[
            ("none", "sc.a.withdrawal.none"),
            ("mild", "sc.a.withdrawal.mild"),
            ("strong", "sc.a.withdrawal.strong"),
            ("severe", "sc.a.withdrawal.severe"),
        ],
    },
    Question {
        key: "health",
        text: "sc.q.health",
        choices: &[
            ("well", "sc.a.health.well"),
            ("managed", "sc.a.health.managed"),
            ("frequent", "sc.a.health.frequent"),
            ("urgent", "sc.a.health.urgent"),
        ],
    },
    Question {
        key: "mood",
        text: "sc.q.mood",
        choices: &[
            ("fine", "sc.a.mood.fine"),
            ("some", "sc.a.mood.some"),
            ("a_lot", "sc.a.mood.a_lot"),
            ("cannot_cope", "sc.a.mood.cannot_cope"),
        ],
    },
    Question {
        key: "self_harm",
        text: "sc.q.self_harm",
        choices: &[
            ("never", "sc.a.self_harm.never"),
            ("past", "sc.a.self_harm.past"),
            ("sometimes", "sc.a.self_harm.sometimes"),
            ("plan", "sc.a.self_harm.plan"),
        ],
    },
    Question {
        key: "readiness",
        text: "sc.q.readiness",
        choices: &[
            ("very", "sc.a.readiness.very"),
            ("somewhat", "sc.a.readiness.somewhat"),
            ("unsure", "sc.a.readiness.unsure"),
            ("not_ready", "sc.a.readiness.not_ready"),
        ],
    },
    Question {
        key: "control",
        text: "sc.q.control",
        choices: &[
            ("in_control", "sc.a.control.in_control"),
            ("sometimes", "sc.a.control.sometimes"),
            ("often", "sc.a.control.often"),
            ("cannot_stop", "sc.a.control.cannot_stop"),
        ],
    },
    Question {
        key: "relapses",
        text: "sc.q.relapses",
        choices: &[
            ("never_treated", "sc.a.relapses.never_treated"),
            ("stayed_sober", "sc.a.relapses.stayed_sober"),
            ("once", "sc.a.relapses.once"),
            ("several", "sc.a.relapses.several"),
        ],
    },
    Question {
        key: "past_treatment",
        text: "sc.q.past_treatment",
        choices: &[
            ("none", "sc.a.past_treatment.none"),
            ("outpatient", "sc.a.past_treatment.outpatient"),
            ("just_finished", "sc.a.past_treatment.just_finished"),
        ],
    },
    Question {
        key: "duration",
        text: "sc.q.duration",
        choices: &[
            ("under_1", "sc.a.duration.under_1"),
            ("1_to_5", "sc.a.duration.1_to_5"),
            ("over_5", "sc.a.duration.over_5"),
        ],
    },
    Question {
        key: "home",
        text: "sc.q.home",
        choices: &[
            ("supportive", "sc.a.home.supportive"),
            ("stressful", "sc.a.home.stressful"),
            ("conflict", "sc.a.home.conflict"),
            ("unsafe", "sc.a.home.unsafe"),
        ],
    },
    Question {
        key: "sober_living",
        text: "sc.q.sober_living",
        choices: &[("no", "sc.a.no"), ("yes", "sc.a.yes")],
    },
    Question {
        key: "court",
        text: "sc.q.court",
        choices: &[("no", "sc.a.no"), ("yes", "sc.a.yes")],
    },
    Question {
        key: "commitments",
        text: "sc.q.commitments",
        choices: &[
            ("none", "sc.a.commitments.none"),
            ("work", "sc.a.commitments.work"),
            ("school", "sc.a.commitments.school"),
            ("children", "sc.a.commitments.children"),
        ],
    },
];

/// The substances asked about (multiple choice).
pub const SUBSTANCES: &[Choice] = &[
    ("alcohol", "sc.s.alcohol"),
    ("opioids", "sc.s.opioids"),
    ("stimulants", "sc.s.stimulants"),
    ("cannabis", "sc.s.cannabis"),
    ("sedatives", "sc.s.sedatives"),
    ("other", "sc.s.other"),
];

/// Answers to the self-check, by question key; unanswered questions take the calmest choice.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub age: Option<u8>,
    pub substances: BTreeSet<String>,
    pub choices: Vec<(String, String)>,
}

impl Answers {
    fn get(&self, key: &str) -> &str {
        self.choices
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Whether every answer names a real choice.
    pub fn invalid_keys(&self) -> Vec<&'static str> {
        let mut bad = Vec::new();
        for q in QUESTIONS {
            let v = self.get(q.key);
            if !v.is_empty() && !q.choices.iter().any(|(c, _)| *c == v) {
                bad.push(q.key);
            }
        }
        if self
            .substances
            .iter()
            .any(|s| !SUBSTANCES.iter().any(|(c, _)| c == s))
        {
            bad.push("substances");
        }
        bad
    }
}

/// What makes the page show 988 and emergency guidance before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Danger {
    /// Thoughts of suicide now, or a plan.
    SelfHarm,
    /// Past seizures, hallucinations or confusion when stopping.
    SevereWithdrawal,
    /// A medical problem needing urgent care.
    UrgentHealth,
}

pub fn dangers(a: &Answers) -> Vec<Danger> {
    let mut out = Vec::new();
    if matches!(a.get("self_harm"), "sometimes" | "plan") {
        out.push(Danger::SelfHarm);
    }
    if a.get("withdrawal") == "severe" {
        out.push(Danger::SevereWithdrawal);
    }
    if a.get("health") == "urgent" {
        out.push(Danger::UrgentHealth);
    }
    out
}

fn rating(value: &str, scale: &[&str]) -> u8 {
    scale
        .iter()
        .position(|v| *v == value)
        .map(|p| p as u8)
        .unwrap_or(0)
}

/// Maps plain answers to the placement question (ratings 0..=4 per ASAM dimension).
pub fn to_placement(a: &Answers) -> PlacementInput {
    let withdrawal = match a.get("withdrawal") {
        "mild" => 1,
        "strong" => 2,
        "severe" => 3,
        _ => 0,
    };
    let biomedical = match a.get("health") {
        "managed" => 1,
        "frequent" => 3,
        "urgent" => 4,
        _ => 0,
    };
    let emotional = rating(a.get("mood"), &["fine", "some", "a_lot", "cannot_cope"]);
    let readiness = rating(
        a.get("readiness"),
        &["very", "somewhat", "unsure", "not_ready"],
    );
    let relapse = match a.get("control") {
        "sometimes" => 1,
        "often" => 2,
        "cannot_stop" => 3,
        _ => 0,
    };
    let environment = match a.get("home") {
        "stressful" => 1,
        "conflict" => 2,
        "unsafe" => 3,
        _ => 0,
    };
    let suicide_risk = match a.get("self_harm") {
        "past" => SuicideRisk::Low,
        "sometimes" => SuicideRisk::Moderate,
        "plan" => SuicideRisk::High,
        _ => SuicideRisk::None,
    };
    let mut factors = BTreeSet::new();
    if a.substances.contains("opioids") {
        factors.insert(Factor::OpioidUse);
    }
    if a.get("duration") == "over_5" {
        factors.insert(Factor::HeavyUseHistory);
    }
    if emotional >= 2 {
        factors.insert(Factor::CoOccurring);
    }
    if a.get("relapses") == "several" {
        factors.insert(Factor::RepeatedRelapse);
    }
    if a.get("past_treatment") == "outpatient" && matches!(a.get("relapses"), "once" | "several") {
        factors.insert(Factor::FailedLowerLevel);
    }
    if a.get("past_treatment") == "just_finished" {
        factors.insert(Factor::SteppingDown);
    }
    if a.get("court") == "yes" {
        factors.insert(Factor::LegalOrderResidential);
    }
    if a.get("sober_living") == "yes" {
        factors.insert(Factor::SoberLivingAvailable);
    }
    PlacementInput {
        age: a.age.unwrap_or(30),
        dimensions: [
            withdrawal,
            biomedical,
            emotional,
            readiness,
            relapse,
            environment,
        ],
        suicide_risk,
        factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::{CareLevel, default_policy};

    fn answers(pairs: &[(&str, &str)], substances: &[&str]) -> Answers {
        Answers {
            age: Some(35),
            substances: substances.iter().map(|s| s.to_string()).collect(),
            choices: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn level(a: &Answers) -> CareLevel {
        default_policy().recommend(&to_placement(a)).level
    }

    #[test]
    fn calm_answers_suggest_outpatient() {
        assert_eq!(level(&answers(&[], &["alcohol"])), CareLevel::Op);
    }

    #[test]
    fn typical_iop_answers_suggest_iop() {
        let a = answers(
            &[
                ("control", "often"),
                ("mood", "some"),
                ("commitments", "work"),
            ],
            &["opioids"],
        );
        assert_eq!(level(&a), CareLevel::Iop);
        assert!(dangers(&a).is_empty());
    }

    #[test]
    fn danger_answers_are_recognised_and_lead_to_acute_care() {
        let a = answers(&[("self_harm", "plan")], &["alcohol"]);
        assert_eq!(dangers(&a), [Danger::SelfHarm]);
        assert_eq!(level(&a), CareLevel::Inpatient);
        let w = answers(&[("withdrawal", "severe")], &["alcohol"]);
        assert_eq!(dangers(&w), [Danger::SevereWithdrawal]);
        assert_eq!(level(&w), CareLevel::WithdrawalManagement);
        assert_eq!(
            dangers(&answers(&[("health", "urgent")], &[])),
            [Danger::UrgentHealth]
        );
        assert!(dangers(&answers(&[("self_harm", "past")], &[])).is_empty());
    }

    #[test]
    fn a_safe_place_to_live_changes_residential_to_iop() {
        let unsafe_home = answers(&[("home", "unsafe")], &["stimulants"]);
        assert_eq!(level(&unsafe_home), CareLevel::Residential);
        let with_sober_living = answers(
            &[("home", "unsafe"), ("sober_living", "yes")],
            &["stimulants"],
        );
        assert_eq!(level(&with_sober_living), CareLevel::Iop);
    }

    #[test]
    fn unknown_answers_are_named() {
        let a = answers(&[("mood", "ecstatic")], &["tea"]);
        assert_eq!(a.invalid_keys(), ["mood", "substances"]);
        assert!(
            answers(&[("mood", "some")], &["alcohol"])
                .invalid_keys()
                .is_empty()
        );
    }
}
