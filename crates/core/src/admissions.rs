//! The admissions pipeline: from a first inquiry to an admission (or a referral elsewhere),
//! with the moves allowed between stages, the time-to-evaluation target, and the rule that
//! warns of likely duplicate patients.

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};

use crate::patient::fold;

/// A stage of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Inquiry,
    Contacted,
    Screening,
    EvaluationScheduled,
    Evaluated,
    Admitted,
    ReferredElsewhere,
    Declined,
    LostToContact,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Inquiry,
        Stage::Contacted,
        Stage::Screening,
        Stage::EvaluationScheduled,
        Stage::Evaluated,
        Stage::Admitted,
        Stage::ReferredElsewhere,
        Stage::Declined,
        Stage::LostToContact,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Inquiry => "inquiry",
            Stage::Contacted => "contacted",
            Stage::Screening => "screening",
            Stage::EvaluationScheduled => "evaluation_scheduled",
            Stage::Evaluated => "evaluated",
            Stage::Admitted => "admitted",
            Stage::ReferredElsewhere => "referred_elsewhere",
            Stage::Declined => "declined",
            Stage::LostToContact => "lost_to_contact",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Inquiry => "New inquiry",
            Stage::Contacted => "Contacted",
            Stage::Screening => "Screening",
            Stage::EvaluationScheduled => "Evaluation scheduled",
            Stage::Evaluated => "Evaluated",
            Stage::Admitted => "Admitted",
            Stage::ReferredElsewhere => "Referred elsewhere",
            Stage::Declined => "Declined",
            Stage::LostToContact => "Lost to contact",
        }
    }

    /// Whether the pipeline is over for this person (admitted or closed).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Stage::Admitted | Stage::ReferredElsewhere | Stage::Declined | Stage::LostToContact
        )
    }

    /// The stages a person can be moved to from here by hand. Admission is not among them:
    /// it happens by converting the inquiry into a patient and an episode.
    pub fn next(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Inquiry => &[
                Contacted,
                Screening,
                ReferredElsewhere,
                Declined,
                LostToContact,
            ],
            Contacted => &[
                Screening,
                EvaluationScheduled,
                ReferredElsewhere,
                Declined,
                LostToContact,
            ],
            Screening => &[
                EvaluationScheduled,
                Contacted,
                ReferredElsewhere,
                Declined,
                LostToContact,
            ],
            EvaluationScheduled => &[
                Evaluated,
                Screening,
                ReferredElsewhere,
                Declined,
                LostToContact,
            ],
            Evaluated => &[
                EvaluationScheduled,
                ReferredElsewhere,
                Declined,
                LostToContact,
            ],
            // Someone who comes back is contacted again.
            LostToContact | Declined => &[Contacted],
            ReferredElsewhere | Admitted => &[],
        }
    }

    pub fn can_move_to(self, to: Stage) -> bool {
        self.next().contains(&to)
    }

    /// Whether an inquiry in this stage may be converted into an admission.
    pub fn can_admit(self) -> bool {
        matches!(
            self,
            Stage::Screening | Stage::EvaluationScheduled | Stage::Evaluated
        )
    }
}

/// Programs aim to evaluate within 48 hours of first contact.
pub const EVALUATION_TARGET: Duration = Duration::hours(48);

/// Time from first contact to evaluation, and whether it met the target.
pub fn time_to_evaluation(
    first_contact: OffsetDateTime,
    evaluated: OffsetDateTime,
) -> (Duration, bool) {
    let took = evaluated - first_contact;
    (took, took <= EVALUATION_TARGET)
}

/// A person as the duplicate check sees them.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub birth_date: Date,
}

/// Whether two records likely describe the same person: the same birth date and a similar
/// name (same names in any case or accents folded, a small typo, swapped given and family
/// names, or the same family name and the same first initial).
pub fn likely_duplicate(a: Person<'_>, b: Person<'_>) -> bool {
    if a.birth_date != b.birth_date {
        return false;
    }
    let (ag, af) = (fold(a.given_name), fold(a.family_name));
    let (bg, bf) = (fold(b.given_name), fold(b.family_name));
    let close = |x: &str, y: &str| {
        edit_distance(x, y)
            <= if x.chars().count().min(y.chars().count()) >= 5 {
                2
            } else {
                1
            }
    };
    (close(&ag, &bg) && close(&af, &bf))
        || (close(&ag, &bf) && close(&af, &bg))
        || (af == bf && ag.chars().next() == bg.chars().next())
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

/// The documents a patient acknowledges at admission (42 CFR 2.22 requires the written
/// summary of confidentiality protections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    TreatmentConsent,
    PatientRights,
    ConfidentialityNotice,
}

impl ConsentKind {
    pub const ALL: [ConsentKind; 3] = [
        ConsentKind::TreatmentConsent,
        ConsentKind::PatientRights,
        ConsentKind::ConfidentialityNotice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentKind::TreatmentConsent => "treatment_consent",
            ConsentKind::PatientRights => "patient_rights",
            ConsentKind::ConfidentialityNotice => "confidentiality_notice",
        }
    }

    pub fn parse(text: &str) -> Option<ConsentKind> {
        ConsentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ConsentKind::TreatmentConsent => "Consent to treatment",
            ConsentKind::PatientRights => "Patient-rights notice",
            ConsentKind::ConfidentialityNotice => {
                "Summary of confidentiality protections (42 CFR 2.22)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn p<'a>(given: &'a str, family: &'a str) -> Person<'a> {
        Person {
            given_name: given,
            family_name: family,
            birth_date: date!(1990 - 05 - 06),
        }
    }

    #[test]
    fn moves_follow_the_pipeline() {
        assert!(Stage::Inquiry.can_move_to(Stage::Contacted));
        assert!(Stage::EvaluationScheduled.can_move_to(Stage::Evaluated));
        assert!(
            !Stage::Inquiry.can_move_to(Stage::Evaluated),
            "no evaluation without scheduling"
        );
        assert!(
            !Stage::Evaluated.can_move_to(Stage::Admitted),
            "admission is a conversion, not a move"
        );
        assert!(Stage::LostToContact.can_move_to(Stage::Contacted));
        assert!(Stage::Admitted.next().is_empty());
        for s in Stage::ALL {
            assert!(!s.can_move_to(s), "{s:?} to itself");
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        assert!(
            Stage::Evaluated.can_admit()
                && !Stage::Inquiry.can_admit()
                && !Stage::Declined.can_admit()
        );
    }

    #[test]
    fn evaluation_within_48_hours_meets_the_target() {
        let first = datetime!(2026-11-02 09:00 UTC);
        assert_eq!(
            time_to_evaluation(first, datetime!(2026-11-04 09:00 UTC)),
            (Duration::hours(48), true)
        );
        assert!(!time_to_evaluation(first, datetime!(2026-11-04 09:01 UTC)).1);
    }

    #[test]
    fn duplicates_need_the_same_birth_date_and_a_similar_name() {
        assert!(likely_duplicate(p("Ana", "Ruiz"), p("ana", "RUIZ")));
        assert!(
            likely_duplicate(p("Élodie", "Marchand"), p("Elodie", "Marchand")),
            "one accent is a small typo"
        );
        assert!(likely_duplicate(
            p("Jonathan", "Smith"),
            p("Jonathon", "Smith")
        ));
        assert!(
            likely_duplicate(p("Ruiz", "Ana"), p("Ana", "Ruiz")),
            "swapped names"
        );
        assert!(
            likely_duplicate(p("Kate", "Okafor"), p("Katherine", "Okafor")),
            "same family, same initial"
        );
        assert!(!likely_duplicate(p("Ana", "Ruiz"), p("Bea", "Ruiz")));
        assert!(!likely_duplicate(p("Ana", "Ruiz"), p("Ana", "Cruz-Lopez")));
        let other_day = Person {
            birth_date: date!(1990 - 05 - 07),
            ..p("Ana", "Ruiz")
        };
        assert!(!likely_duplicate(p("Ana", "Ruiz"), other_day));
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("zoë", "zoe"), 1);
    }
}
