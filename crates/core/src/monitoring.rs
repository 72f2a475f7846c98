//! Drug and alcohol monitoring: analytes, the medications that explain a result, how each
//! result is flagged, and the seeded random draw of testing days.
//!
//! The rules, as the clinic reads them:
//! - a positive for a substance the patient is prescribed (or its metabolite) is expected and
//!   not flagged;
//! - a negative for a prescribed medication is flagged (possible non-adherence or diversion);
//! - any other positive is flagged;
//! - a presumptive (point-of-care) positive is marked as such and moves the patient's sobriety
//!   date only once a lab confirms it or a clinician reviews it; a clinician may mark a result
//!   a false positive with a reason.

use serde::Serialize;

/// An analyte a panel can test for, with the medications and metabolites that explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Analyte {
    pub code: &'static str,
    pub name: &'static str,
    /// Medication names (lowercase) whose use makes a positive expected.
    pub explained_by: &'static [&'static str],
}

/// Analytes known to the program (urine and oral fluid immunoassays, breath alcohol).
pub const ANALYTES: [Analyte; 16] = [
    Analyte {
        code: "alcohol",
        name: "Alcohol (ethanol)",
        explained_by: &[],
    },
    Analyte {
        code: "etg",
        name: "Ethyl glucuronide (alcohol metabolite)",
        explained_by: &[],
    },
    Analyte {
        code: "amphetamines",
        name: "Amphetamines",
        explained_by: &["amphetamine", "dextroamphetamine", "lisdexamfetamine"],
    },
    Analyte {
        code: "methamphetamine",
        name: "Methamphetamine",
        explained_by: &[],
    },
    Analyte {
        code: "benzodiazepines",
        name: "Benzodiazepines",
        explained_by: &[
            "alprazolam",
            "clonazepam",
            "diazepam",
            "lorazepam",
            "chlordiazepoxide",
        ],
    },
    Analyte {
        code: "buprenorphine",
        name: "Buprenorphine",
        explained_by: &["buprenorphine", "buprenorphine/naloxone"],
    },
    Analyte {
        code: "norbuprenorphine",
        name: "Norbuprenorphine (buprenorphine metabolite)",
        explained_by: &["buprenorphine", "buprenorphine/naloxone"],
    },
    Analyte {
        code: "cocaine",
        name: "Cocaine (benzoylecgonine)",
        explained_by: &[],
    },
    Analyte {
        code: "fentanyl",
        name: "Fentanyl",
        explained_by: &[],
    },
    Analyte {
        code: "methadone",
        name: "Methadone",
        explained_by: &["methadone"],
    },
    Analyte {
        code: "eddp",
        name: "EDDP (methadone metabolite)",
        explained_by: &["methadone"],
    },
    Analyte {
        code: "opiates",
        name: "Opiates (morphine, codeine)",
        explained_by: &["morphine", "codeine"],
    },
    Analyte {
        code: "oxycodone",
        name: "Oxycodone",
        explained_by: &["oxycodone"],
    },
    Analyte {
        code: "thc",
        name: "Cannabinoids (THC)",
        explained_by: &["dronabinol"],
    },
    Analyte {
        code: "naltrexone",
        name: "Naltrexone (6-beta-naltrexol)",
        explained_by: &["naltrexone"],
    },
    Analyte {
        code: "xylazine",
        name: "Xylazine",
        explained_by: &[],
    },
];

pub fn analyte(code: &str) -> Option<&'static Analyte> {
    ANALYTES.iter().find(|a| a.code == code)
}

/// Medications for addiction treatment, by the use disorder they treat.
pub const MAT: [(&str, &str); 6] = [
    ("buprenorphine", "opioid use disorder"),
    ("buprenorphine/naloxone", "opioid use disorder"),
    (
        "methadone",
        "opioid use disorder (dispensed by an opioid treatment program)",
    ),
    ("naltrexone", "opioid or alcohol use disorder"),
    ("acamprosate", "alcohol use disorder"),
    ("disulfiram", "alcohol use disorder"),
];

/// Whether a medication name is a MAT medication.
pub fn is_mat(name: &str) -> bool {
    let name = name.trim().to_lowercase();
    MAT.iter().any(|(m, _)| *m == name)
}

/// The analytes a medication list makes expected (a positive is explained).
pub fn expected_analytes(medications: &[String]) -> Vec<&'static str> {
    let meds: Vec<String> = medications
        .iter()
        .map(|m| m.trim().to_lowercase())
        .collect();
    ANALYTES
        .iter()
        .filter(|a| a.explained_by.iter().any(|e| meds.iter().any(|m| m == e)))
        .map(|a| a.code)
        .collect()
}

/// A result for one analyte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Negative,
    Positive,
    Invalid,
}

impl Outcome {
    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "negative" => Some(Outcome::Negative),
            "positive" => Some(Outcome::Positive),
            "invalid" => Some(Outcome::Invalid),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Negative => "negative",
            Outcome::Positive => "positive",
            Outcome::Invalid => "invalid",
        }
    }
}

/// Why a result needs a clinician's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A positive nothing on the medication list explains.
    UnexpectedPositive,
    /// A negative for a prescribed medication: possible non-adherence or diversion.
    ExpectedMedicationMissing,
    /// The specimen could not be read (dilute, adulterated, failed control).
    InvalidSpecimen,
}

impl Flag {
    pub fn parse(text: &str) -> Option<Flag> {
        [
            Flag::UnexpectedPositive,
            Flag::ExpectedMedicationMissing,
            Flag::InvalidSpecimen,
        ]
        .into_iter()
        .find(|f| f.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::UnexpectedPositive => "unexpected_positive",
            Flag::ExpectedMedicationMissing => "expected_medication_missing",
            Flag::InvalidSpecimen => "invalid_specimen",
        }
    }
}

/// How one analyte's result reads against what the medication list expects.
pub fn flag(analyte: &str, outcome: Outcome, expected: &[&str]) -> Option<Flag> {
    let is_expected = expected.contains(&analyte);
    match outcome {
        Outcome::Invalid => Some(Flag::InvalidSpecimen),
        Outcome::Positive if is_expected => None,
        Outcome::Positive => Some(Flag::UnexpectedPositive),
        Outcome::Negative if is_expected && !is_metabolite_only(analyte, expected) => {
            Some(Flag::ExpectedMedicationMissing)
        }
        Outcome::Negative => None,
    }
}

/// A metabolite's negative is not flagged on its own when the parent drug is also tested:
/// the parent's negative already says it. Metabolites here: norbuprenorphine, EDDP.
fn is_metabolite_only(analyte: &str, expected: &[&str]) -> bool {
    match analyte {
        "norbuprenorphine" => expected.contains(&"buprenorphine"),
        "eddp" => expected.contains(&"methadone"),
        _ => false,
    }
}

/// Whether a positive counts against the sobriety date: a lab result does at once; a
/// presumptive (point-of-care) one only once a lab confirms it or a clinician reviews it;
/// a result marked false positive never does; an expected positive never does.
pub fn counts_as_use(
    outcome: Outcome,
    flag: Option<Flag>,
    presumptive: bool,
    confirmed_or_reviewed: bool,
    false_positive: bool,
) -> bool {
    outcome == Outcome::Positive
        && flag == Some(Flag::UnexpectedPositive)
        && !false_positive
        && (!presumptive || confirmed_or_reviewed)
}

/// The random testing draw for one patient and week: `count` distinct weekdays (0 = Monday)
/// among `days`, from a seed that is recorded, so anyone can repeat the draw and get the
/// same days. SplitMix64, so the draw does not depend on a library's version.
pub fn draw_days(seed: u64, days: &[u8], count: usize) -> Vec<u8> {
    let mut pool: Vec<u8> = days.to_vec();
    pool.sort_unstable();
    pool.dedup();
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    // Fisher-Yates over the pool, keep the first `count`.
    for i in (1..pool.len()).rev() {
        let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
        pool.swap(i, j);
    }
    pool.truncate(count.min(pool.len()));
    pool.sort_unstable();
    pool
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn meds(list: &[&str]) -> Vec<String> {
        list.iter().map(|m| (*m).to_owned()).collect()
    }

    #[test]
    fn medications_explain_their_positives_and_metabolites() {
        let expected = expected_analytes(&meds(&["Buprenorphine/Naloxone", "sertraline"]));
        assert_eq!(expected, ["buprenorphine", "norbuprenorphine"]);
        assert_eq!(flag("buprenorphine", Outcome::Positive, &expected), None);
        assert_eq!(flag("norbuprenorphine", Outcome::Positive, &expected), None);
        assert_eq!(
            flag("fentanyl", Outcome::Positive, &expected),
            Some(Flag::UnexpectedPositive)
        );
        assert_eq!(flag("fentanyl", Outcome::Negative, &expected), None);
        let methadone = expected_analytes(&meds(&["methadone"]));
        assert_eq!(methadone, ["methadone", "eddp"]);
        assert_eq!(flag("eddp", Outcome::Positive, &methadone), None);
    }

    #[test]
    fn a_missing_medication_is_flagged_once() {
        let expected = expected_analytes(&meds(&["buprenorphine"]));
        assert_eq!(
            flag("buprenorphine", Outcome::Negative, &expected),
            Some(Flag::ExpectedMedicationMissing)
        );
        // The metabolite's negative does not flag a second time.
        assert_eq!(flag("norbuprenorphine", Outcome::Negative, &expected), None);
        assert_eq!(
            flag("thc", Outcome::Invalid, &expected),
            Some(Flag::InvalidSpecimen)
        );
    }

    #[test]
    fn presumptive_positives_wait_for_confirmation() {
        let unexpected = Some(Flag::UnexpectedPositive);
        assert!(counts_as_use(
            Outcome::Positive,
            unexpected,
            false,
            false,
            false
        ));
        assert!(!counts_as_use(
            Outcome::Positive,
            unexpected,
            true,
            false,
            false
        ));
        assert!(counts_as_use(
            Outcome::Positive,
            unexpected,
            true,
            true,
            false
        ));
        assert!(!counts_as_use(
            Outcome::Positive,
            unexpected,
            true,
            true,
            true
        ));
        assert!(!counts_as_use(Outcome::Positive, None, false, false, false));
        assert!(!counts_as_use(Outcome::Negative, None, false, true, false));
    }

    #[test]
    fn mat_medications() {
        assert!(is_mat(" Naltrexone"));
        assert!(is_mat("disulfiram"));
        assert!(!is_mat("sertraline"));
    }

    #[test]
    fn the_draw_is_repeatable() {
        let weekdays = [0, 1, 2, 3, 4];
        let a = draw_days(42, &weekdays, 2);
        assert_eq!(a, draw_days(42, &weekdays, 2));
        assert_eq!(a.len(), 2);
        assert_eq!(draw_days(7, &weekdays, 9).len(), 5);
        assert!(draw_days(7, &[], 2).is_empty());
    }

    proptest! {
        #[test]
        fn draws_are_distinct_days_from_the_pool(seed: u64, count in 0usize..8) {
            let pool = [0u8, 2, 3, 5];
            let days = draw_days(seed, &pool, count);
            prop_assert_eq!(days.len(), count.min(pool.len()));
            let mut sorted = days.clone();
            sorted.dedup();
            prop_assert_eq!(&sorted, &days);
            prop_assert!(days.iter().all(|d| pool.contains(d)));
        }

        #[test]
        fn every_day_can_be_drawn(start in 0u64..1000) {
            // Over 200 consecutive seeds, each weekday comes up.
            let mut seen = [false; 5];
            for seed in start..start + 200 {
                for d in draw_days(seed, &[0, 1, 2, 3, 4], 1) {
                    seen[usize::from(d)] = true;
                }
            }
            prop_assert!(seen.iter().all(|s| *s));
        }
    }
}
