//! Screening and measurement instruments, scored exactly.
//!
//! Each instrument is data: its items (with the points printed on the published form), its
//! bands (cut-offs, which a program may adjust; these are the defaults), its flag rules, and
//! the terms under which its wording may be shown. One function, [`score`], scores them all.
//! Answers are points in item order; items count from 1 in prose and from 0 in error fields
//! (`answers[8]` is item 9).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;

use crate::validate::{FieldError, Invalid};

/// One answer choice: the printed points and a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub points: u8,
    pub label: &'static str,
}

/// One item of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// A short label, always shown.
    pub label: &'static str,
    /// The full published wording, only where the licence allows reproducing it.
    pub wording: Option<&'static str>,
    pub choices: &'static [Choice],
}

impl Item {
    pub fn allows(&self, points: i64) -> bool {
        self.choices.iter().any(|c| i64::from(c.points) == points)
    }
}

/// A band: totals from `min` to `max` inclusive carry `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Band {
    pub min: u32,
    pub max: u32,
    pub code: &'static str,
}

/// How the total is computed from the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Total {
    /// The sum of the points.
    Sum,
    /// The number of "yes" (1) answers, where the listed items (zero-based) count when
    /// answered "no" instead (reverse-scored), among the first `counted` items.
    Yes {
        reversed: &'static [usize],
        counted: usize,
    },
    /// No total: the instrument is read item by item and by its subscales (the BAM).
    None,
}

/// How the band is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banding {
    /// By total, from the instrument's bands.
    ByTotal,
    /// By total with a cut-off that depends on sex: `positive` at or above the cut-off.
    SexCutoff { male: u32, other: u32 },
    /// The C-SSRS screener's rule: the highest band whose items apply.
    Cssrs,
    /// No band (instruments without a total).
    None,
}

/// A subscale: the sum of the points of some items (zero-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscale {
    pub code: &'static str,
    pub items: &'static [usize],
}

/// When a flag is raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagRule {
    /// Any of these items (zero-based) scores above 0.
    AnyItemPositive {
        items: &'static [usize],
        flag: &'static str,
    },
    /// The total is at least `min`.
    TotalAtLeast { min: u32, flag: &'static str },
    /// The band is `band`.
    BandIs {
        band: &'static str,
        flag: &'static str,
    },
    /// A subscale is at least `min`.
    SubscaleAtLeast {
        subscale: &'static str,
        min: u32,
        flag: &'static str,
    },
    /// A subscale is at most `max` (for subscales where higher is better).
    SubscaleAtMost {
        subscale: &'static str,
        max: u32,
        flag: &'static str,
    },
}

/// A rule between answers, checked before scoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consistency {
    /// Skip logic (C-SSRS): when item `when_item` is `when_points`, item `item` must not be
    /// `forbidden`.
    Forbids {
        when_item: usize,
        when_points: u8,
        item: usize,
        forbidden: u8,
        message: &'static str,
    },
    /// Item `item` may not score above item `bound` (BAM: heavy-drinking days are drinking
    /// days).
    AtMost {
        item: usize,
        bound: usize,
        message: &'static str,
    },
}

impl Consistency {
    /// The item this rule reports on, when the answers break it.
    fn broken_by(&self, answers: &[i64]) -> Option<(usize, &'static str)> {
        match *self {
            Consistency::Forbids {
                when_item,
                when_points,
                item,
                forbidden,
                message,
            } => (answers.get(when_item) == Some(&i64::from(when_points))
                && answers.get(item) == Some(&i64::from(forbidden)))
            .then_some((item, message)),
            Consistency::AtMost {
                item,
                bound,
                message,
            } => match (answers.get(item), answers.get(bound)) {
                (Some(value), Some(limit)) if value > limit => Some((item, message)),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    pub code: &'static str,
    pub name: &'static str,
    /// The question stem shown above the items, if any.
    pub stem: Option<&'static str>,
    pub items: Vec<Item>,
    pub total: Total,
    pub banding: Banding,
    pub bands: Vec<Band>,
    /// Subscales reported beside (or, with [`Total::None`], instead of) the total.
    pub subscales: Vec<Subscale>,
    pub flags: Vec<FlagRule>,
    pub consistency: Vec<Consistency>,
    /// Whether `sex` is required.
    pub needs_sex: bool,
    /// The terms of use, as found, and why wording is or is not shown.
    pub licence: &'static str,
    /// LOINC code of the total score, where known (for FHIR export).
    pub loinc_total: Option<&'static str>,
}

/// The result of scoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub code: &'static str,
    /// `None` for instruments without a validated total (the BAM).
    pub total: Option<u32>,
    pub band: Option<&'static str>,
    pub flags: Vec<&'static str>,
    /// Subscale code -> sum, for instruments that have subscales.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub subscales: BTreeMap<&'static str, u32>,
}

/// Sex as AUDIT-C reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
    Other,
    Unknown,
}

impl Sex {
    pub fn parse(text: &str) -> Option<Sex> {
        match text {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            "other" => Some(Sex::Other),
            "unknown" => Some(Sex::Unknown),
            _ => None,
        }
    }
}

/// The flags that call for a crisis response.
/// How a stored score reads: its subscales (`"anxiety 4, depression 7"`) for instruments
/// scored by subscale, or else its total.
pub fn score_summary(total: i32, subscales: Option<&BTreeMap<String, u32>>) -> String {
    match subscales {
        Some(sums) => sums
            .iter()
            .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
            .collect::<Vec<_>>()
            .join(", "),
        None => total.to_string(),
    }
}

pub fn is_crisis_flag(flag: &str) -> bool {
    flag == "suicidal_ideation" || flag.starts_with("suicide_risk_")
}

/// Scores answers. Every problem is reported: the count (`answers`), each value outside its
/// item's points (`answers[i]`), skip-logic breaks, and a missing or unknown `sex` where
/// the instrument needs it.
pub fn score(
    instrument: &Instrument,
    answers: &[i64],
    sex: Option<&str>,
) -> Result<Score, Invalid> {
    let mut errors = Vec::new();
    let n = instrument.items.len();
    if answers.len() != n {
        errors.push(FieldError {
            field: "answers".into(),
            message: format!(
                "needs exactly {n} answers, one per item (got {})",
                answers.len()
            ),
        });
    }
    let sex = if instrument.needs_sex {
        match sex.map(Sex::parse) {
            Some(Some(s)) => Some(s),
            Some(None) => {
                errors.push(FieldError {
                    field: "sex".into(),
                    message: "must be male, female, other or unknown".into(),
                });
                None
            }
            None => {
                errors.push(FieldError {
                    field: "sex".into(),
                    message: "is required for this instrument".into(),
                });
                None
            }
        }
    } else {
        None
    };
    if !errors.iter().any(|e| e.field == "answers") {
        for (i, (item, &value)) in instrument.items.iter().zip(answers).enumerate() {
            if !item.allows(value) {
                let allowed: Vec<String> =
                    item.choices.iter().map(|c| c.points.to_string()).collect();
                errors.push(FieldError {
                    field: format!("answers[{i}]"),
                    message: format!("must be one of {}", allowed.join(", ")),
                });
            }
        }
        for (item, message) in instrument
            .consistency
            .iter()
            .filter_map(|rule| rule.broken_by(answers))
        {
            errors.push(FieldError {
                field: format!("answers[{item}]"),
                message: message.into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors));
    }
    // Values are now known to be small non-negative points.
    let points: Vec<u32> = answers
        .iter()
        .map(|&a| u32::try_from(a).unwrap_or(0))
        .collect();
    let total = match &instrument.total {
        Total::None => None,
        Total::Sum => Some(points.iter().sum()),
        Total::Yes { reversed, counted } => Some(
            points
                .iter()
                .take(*counted)
                .enumerate()
                .filter(|(i, p)| {
                    if reversed.contains(i) {
                        **p == 0
                    } else {
                        **p == 1
                    }
                })
                .count() as u32,
        ),
    };
    let subscales: BTreeMap<&'static str, u32> = instrument
        .subscales
        .iter()
        .map(|s| {
            let sum = s.items.iter().filter_map(|&i| points.get(i)).sum();
            (s.code, sum)
        })
        .collect();
    let sum = total.unwrap_or(0);
    let band = match &instrument.banding {
        Banding::None => None,
        Banding::ByTotal => Some(by_total(&instrument.bands, sum)),
        Banding::SexCutoff { male, other } => {
            let cutoff = if sex == Some(Sex::Male) {
                *male
            } else {
                *other
            };
            Some(if sum >= cutoff {
                "positive"
            } else {
                "negative"
            })
        }
        Banding::Cssrs => Some(cssrs_band(&points)),
    };
    let subscale = |code: &str| subscales.get(code).copied();
    let mut flags = Vec::new();
    for rule in &instrument.flags {
        let (raised, flag) = match rule {
            FlagRule::AnyItemPositive { items, flag } => (
                items.iter().any(|&i| points.get(i).is_some_and(|p| *p > 0)),
                *flag,
            ),
            FlagRule::TotalAtLeast { min, flag } => (total.is_some_and(|t| t >= *min), *flag),
            FlagRule::BandIs { band: b, flag } => (band == Some(*b), *flag),
            FlagRule::SubscaleAtLeast {
                subscale: code,
                min,
                flag,
            } => (subscale(code).is_some_and(|v| v >= *min), *flag),
            FlagRule::SubscaleAtMost {
                subscale: code,
                max,
                flag,
            } => (subscale(code).is_some_and(|v| v <= *max), *flag),
        };
        if raised && !flags.contains(&flag) {
            flags.push(flag);
        }
    }
    Ok(Score {
        code: instrument.code,
        total,
        band,
        flags,
        subscales,
    })
}

fn by_total(bands: &[Band], total: u32) -> &'static str {
    bands
        .iter()
        .find(|b| (b.min..=b.max).contains(&total))
        .map(|b| b.code)
        .unwrap_or("unbanded")
}

/// C-SSRS screener: `high` for item 4 or 5, or behaviour (item 6) in the past 3 months
/// (item 7); `moderate` for item 3, or behaviour longer ago; `low` for items 1-2 only;
/// else `none`.
fn cssrs_band(p: &[u32]) -> &'static str {
    let yes = |i: usize| p.get(i).is_some_and(|v| *v == 1);
    if yes(3) || yes(4) || (yes(5) && yes(6)) {
        "high"
    } else if yes(2) || (yes(5) && !yes(6)) {
        "moderate"
    } else if yes(0) || yes(1) {
        "low"
    } else {
        "none"
    }
}

const FREQUENCY: &[Choice] = &[
    Choice {
        points: 0,
        label: "Not at all",
    },
    Choice {
        points: 1,
        label: "Several days",
    },
    Choice {
        points: 2,
        label: "More than half the days",
    },
    Choice {
        points: 3,
        label: "Nearly every day",
    },
];
const YES_NO: &[Choice] = &[
    Choice {
        points: 0,
        label: "No",
    },
    Choice {
        points: 1,
        label: "Yes",
    },
];
const AUDIT_FREQ: &[Choice] = &[
    Choice {
        points: 0,
        label: "Never",
    },
    Choice {
        points: 1,
        label: "Less than monthly / monthly or less",
    },
    Choice {
        points: 2,
        label: "Monthly / 2-4 times a month",
    },
    Choice {
        points: 3,
        label: "Weekly / 2-3 times a week",
    },
    Choice {
        points: 4,
        label: "Daily or almost daily / 4+ times a week",
    },
];
const AUDIT_DRINKS: &[Choice] = &[
    Choice {
        points: 0,
        label: "1 or 2",
    },
    Choice {
        points: 1,
        label: "3 or 4",
    },
    Choice {
        points: 2,
        label: "5 or 6",
    },
    Choice {
        points: 3,
        label: "7 to 9",
    },
    Choice {
        points: 4,
        label: "10 or more",
    },
];
const AUDIT_HARM: &[Choice] = &[
    Choice {
        points: 0,
        label: "No",
    },
    Choice {
        points: 2,
        label: "Yes, but not in the last year",
    },
    Choice {
        points: 4,
        label: "Yes, during the last year",
    },
];

const fn scale(max: u8) -> &'static [Choice] {
    match max {
        4 => &[
            Choice {
                points: 0,
                label: "0",
            },
            Choice {
                points: 1,
                label: "1",
            },
            Choice {
                points: 2,
                label: "2",
            },
            Choice {
                points: 3,
                label: "3",
            },
            Choice {
                points: 4,
                label: "4",
            },
        ],
        _ => &[
            Choice {
                points: 0,
                label: "0",
            },
            Choice {
                points: 1,
                label: "1",
            },
            Choice {
                points: 2,
                label: "2",
            },
            Choice {
                points: 3,
                label: "3",
            },
            Choice {
                points: 4,
                label: "4",
            },
            Choice {
                points: 5,
                label: "5",
            },
            Choice {
                points: 6,
                label: "6",
            },
            Choice {
                points: 7,
                label: "7",
            },
        ],
    }
}

macro_rules! points {
    ($($p:expr),*) => {
        &[$(Choice { points: $p, label: stringify!($p) }),*]
    };
}

fn item(label: &'static str, wording: Option<&'static str>, choices: &'static [Choice]) -> Item {
    Item {
        label,
        wording,
        choices,
    }
}

fn bands(list: &[(u32, u32, &'static str)]) -> Vec<Band> {
    list.iter()
        .map(|&(min, max, code)| Band { min, max, code })
        .collect()
}

const PFIZER: &str = "PHQ and GAD-7 instruments: developed by Drs. Robert L. Spitzer, Janet B.W. Williams, \
Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission required to reproduce, \
translate, display or distribute. Full wording shown.";

/// BAM answers that count days in the past 30, as the VA form's intervals.
const BAM_DAYS: &[Choice] = &[
    Choice {
        points: 0,
        label: "0 days",
    },
    Choice {
        points: 1,
        label: "1-3 days",
    },
    Choice {
        points: 2,
        label: "4-8 days",
    },
    Choice {
        points: 3,
        label: "9-15 days",
    },
    Choice {
        points: 4,
        label: "16-30 days",
    },
];
const BAM_EXTENT: &[Choice] = &[
    Choice {
        points: 0,
        label: "Not at all",
    },
    Choice {
        points: 1,
        label: "Slightly",
    },
    Choice {
        points: 2,
        label: "Moderately",
    },
    Choice {
        points: 3,
        label: "Considerably",
    },
    Choice {
        points: 4,
        label: "Extremely",
    },
];
const BAM_HEALTH: &[Choice] = &[
    Choice {
        points: 0,
        label: "Excellent",
    },
    Choice {
        points: 1,
        label: "Very good",
    },
    Choice {
        points: 2,
        label: "Good",
    },
    Choice {
        points: 3,
        label: "Fair",
    },
    Choice {
        points: 4,
        label: "Poor",
    },
];
const BAM_INCOME: &[Choice] = &[
    Choice {
        points: 0,
        label: "No",
    },
    Choice {
        points: 4,
        label: "Yes",
    },
];

/// The Brief Addiction Monitor: 17 items, past 30 days (VA, public domain), scored as in the
/// VA manual: day counts as intervals 0-4, subscales only.
fn bam() -> Instrument {
    let days = |label, wording| item(label, Some(wording), BAM_DAYS);
    let extent = |label, wording| item(label, Some(wording), BAM_EXTENT);
    Instrument {
        code: "bam",
        name: "BAM (Brief Addiction Monitor)",
        stem: Some("In the past 30 days:"),
        items: vec![
            item(
                "Physical health",
                Some("In the past 30 days, would you say your physical health has been:"),
                BAM_HEALTH,
            ),
            days(
                "Sleep",
                "In the past 30 days, how many nights did you have trouble falling asleep or staying asleep?",
            ),
            days(
                "Mood",
                "In the past 30 days, how many days have you felt depressed, anxious, angry or very upset throughout most of the day?",
            ),
            days(
                "Any alcohol",
                "In the past 30 days, how many days did you drink ANY alcohol?",
            ),
            days(
                "Heavy drinking",
                "In the past 30 days, how many days did you have at least 5 drinks (if you are a man) or at least 4 drinks (if you are a woman)? [One drink is considered one shot of hard liquor (1.5 oz.) or 12-ounce can/bottle of beer or 5-ounce glass of wine.]",
            ),
            days(
                "Any drugs",
                "In the past 30 days, how many days did you use any illegal/street drugs or abuse any prescription medications?",
            ),
            days(
                "Drug details (7A-7G, not scored)",
                "In the past 30 days, how many days did you use any of the following drugs: marijuana (cannabis, pot, weed); sedatives/tranquilizers (e.g. benzos, Valium, Xanax, Ativan, Ambien, barbs, Phenobarbital, downers, etc.); cocaine/crack; other stimulants (e.g. amphetamine, methamphetamine, Dexedrine, Ritalin, Adderall, speed, crystal meth, ice, etc.); opiates (e.g. heroin, morphine, Dilaudid, Demerol, Oxycontin, oxy, codeine (Tylenol 2,3,4), Percocet, Vicodin, Fentanyl, etc.); inhalants (glues, adhesives, nail polish or paint thinner, etc.); other drugs (steroids, non-prescription sleep/diet pills, Benadryl, Ephedra, other over-the-counter/unknown medications)? Record the most days of any one of them.",
            ),
            extent(
                "Craving",
                "In the past 30 days, how much were you bothered by cravings or urges to drink alcohol or use drugs?",
            ),
            extent(
                "Confidence",
                "How confident are you in your ability to be completely abstinent (clean) from alcohol and drugs in the next 30 days?",
            ),
            days(
                "Self-help meetings",
                "In the past 30 days, how many days did you attend self-help meetings like AA or NA to support your recovery?",
            ),
            days(
                "Risky situations",
                "In the past 30 days, how many days were you in any situations or with any people that might put you at an increased risk for using alcohol or drugs (i.e., around risky \"people, places or things\")?",
            ),
            extent(
                "Religion or spirituality",
                "Does your religion or spirituality help support your recovery?",
            ),
            days(
                "Work, school or volunteering",
                "In the past 30 days, how many days did you spend much of the time at work, school, or doing volunteer work?",
            ),
            item(
                "Enough income",
                Some(
                    "Do you have enough income (from legal sources) to pay for necessities such as housing, transportation, food and clothing for yourself and your dependents?",
                ),
                BAM_INCOME,
            ),
            extent(
                "Family or social problems",
                "In the past 30 days, how much have you been bothered by arguments or problems getting along with any family members or friends?",
            ),
            days(
                "Sober support",
                "In the past 30 days, how many days were you in contact or spent time with any family members or friends who are supportive of your recovery?",
            ),
            extent(
                "Satisfaction with progress",
                "How satisfied are you with your progress toward achieving your recovery goals?",
            ),
        ],
        total: Total::None,
        banding: Banding::None,
        bands: vec![],
        subscales: vec![
            Subscale {
                code: "use",
                items: &[3, 4, 5],
            },
            Subscale {
                code: "risk",
                items: &[0, 1, 2, 7, 10, 14],
            },
            Subscale {
                code: "protective",
                items: &[8, 9, 11, 12, 13, 15],
            },
        ],
        // Cut-offs of the Likert (interval) form as used in practice: any use, risk 12 or
        // more, protection 12 or less. The manual asks clinicians to read items first.
        flags: vec![
            FlagRule::SubscaleAtLeast {
                subscale: "use",
                min: 1,
                flag: "substance_use",
            },
            FlagRule::SubscaleAtLeast {
                subscale: "risk",
                min: 12,
                flag: "risk_elevated",
            },
            FlagRule::SubscaleAtMost {
                subscale: "protective",
                max: 12,
                flag: "protection_low",
            },
        ],
        consistency: vec![Consistency::AtMost {
            item: 4,
            bound: 3,
            message: "heavy-drinking days cannot exceed the days with any alcohol (item 4)",
        }],
        needs_sex: false,
        licence: "Brief Addiction Monitor: developed by the VA (Cacciola et al. 2013; VISN 4 MIRECC and \
                  Philadelphia CESATE), a work of the US federal government, public domain. Full wording shown.",
        loinc_total: None,
    }
}

fn build() -> Vec<Instrument> {
    let phq = [
        ("Interest", "Little interest or pleasure in doing things"),
        ("Mood", "Feeling down, depressed, or hopeless"),
        (
            "Sleep",
            "Trouble falling or staying asleep, or sleeping too much",
        ),
        ("Energy", "Feeling tired or having little energy"),
        ("Appetite", "Poor appetite or overeating"),
        (
            "Self-worth",
            "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
        ),
        (
            "Concentration",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
        ),
        (
            "Movement",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite - being so fidgety or restless that you have been moving around a lot more than usual",
        ),
        (
            "Self-harm thoughts",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
    ];
    let gad = [
        ("Nervousness", "Feeling nervous, anxious or on edge"),
        (
            "Uncontrolled worry",
            "Not being able to stop or control worrying",
        ),
        (
            "Excessive worry",
            "Worrying too much about different things",
        ),
        ("Relaxing", "Trouble relaxing"),
        (
            "Restlessness",
            "Being so restless that it is hard to sit still",
        ),
        ("Irritability", "Becoming easily annoyed or irritable"),
        ("Fear", "Feeling afraid as if something awful might happen"),
    ];
    let audit_items = vec![
        item("How often a drink containing alcohol", None, AUDIT_FREQ),
        item("Drinks on a typical drinking day", None, AUDIT_DRINKS),
        item(
            "How often six or more drinks on one occasion",
            None,
            AUDIT_FREQ,
        ),
        item("Unable to stop drinking once started", None, AUDIT_FREQ),
        item(
            "Failed to do what was expected because of drinking",
            None,
            AUDIT_FREQ,
        ),
        item("Needed a first drink in the morning", None, AUDIT_FREQ),
        item("Guilt or remorse after drinking", None, AUDIT_FREQ),
        item("Unable to remember the night before", None, AUDIT_FREQ),
        item(
            "Injury to self or others because of drinking",
            None,
            AUDIT_HARM,
        ),
        item("Others concerned about the drinking", None, AUDIT_HARM),
    ];
    vec![
        Instrument {
            code: "phq9",
            name: "PHQ-9 (Patient Health Questionnaire)",
            stem: Some(
                "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
            ),
            items: phq
                .iter()
                .map(|(l, w)| item(l, Some(w), FREQUENCY))
                .collect(),
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 4, "minimal"),
                (5, 9, "mild"),
                (10, 14, "moderate"),
                (15, 19, "moderately_severe"),
                (20, 27, "severe"),
            ]),
            subscales: vec![],
            flags: vec![FlagRule::AnyItemPositive {
                items: &[8],
                flag: "suicidal_ideation",
            }],
            consistency: vec![],
            needs_sex: false,
            licence: PFIZER,
            loinc_total: Some("44261-6"),
        },
        Instrument {
            code: "gad7",
            name: "GAD-7 (Generalized Anxiety Disorder)",
            stem: Some(
                "Over the last 2 weeks, how often have you been bothered by the following problems?",
            ),
            items: gad
                .iter()
                .map(|(l, w)| item(l, Some(w), FREQUENCY))
                .collect(),
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 4, "minimal"),
                (5, 9, "mild"),
                (10, 14, "moderate"),
                (15, 21, "severe"),
            ]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: PFIZER,
            loinc_total: Some("70274-6"),
        },
        Instrument {
            code: "audit",
            name: "AUDIT (Alcohol Use Disorders Identification Test)",
            stem: None,
            items: audit_items.clone(),
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 7, "low_risk"),
                (8, 15, "hazardous"),
                (16, 19, "harmful"),
                (20, 40, "possible_dependence"),
            ]),
            subscales: vec![],
            flags: vec![FlagRule::AnyItemPositive {
                items: &[3, 4, 5],
                flag: "dependence_symptoms",
            }],
            consistency: vec![],
            needs_sex: false,
            licence: "World Health Organization (c). Free for clinical use; sources conflict on commercial use \
                      (one implementer records non-commercial only). Short item labels shown; administer with the WHO form.",
            loinc_total: Some("75624-7"),
        },
        Instrument {
            code: "auditc",
            name: "AUDIT-C (AUDIT consumption items)",
            stem: None,
            items: audit_items[..3].to_vec(),
            total: Total::Sum,
            banding: Banding::SexCutoff { male: 4, other: 3 },
            bands: vec![],
            subscales: vec![],
            flags: vec![FlagRule::TotalAtLeast {
                min: 8,
                flag: "high_risk",
            }],
            consistency: vec![],
            needs_sex: true,
            licence: "Derived from the WHO AUDIT (Bush 1998; Bradley 2003). Short item labels shown, as for AUDIT.",
            loinc_total: Some("75626-2"),
        },
        Instrument {
            code: "dast10",
            name: "DAST-10 (Drug Abuse Screening Test)",
            stem: Some("In the past 12 months (drugs other than alcohol and tobacco):"),
            items: vec![
                item(
                    "Used drugs other than those required for medical reasons",
                    None,
                    YES_NO,
                ),
                item("Used more than one drug at a time", None, YES_NO),
                item(
                    "Always able to stop using drugs when wanted (a no scores 1)",
                    None,
                    YES_NO,
                ),
                item(
                    "Had blackouts or flashbacks as a result of drug use",
                    None,
                    YES_NO,
                ),
                item("Felt bad or guilty about drug use", None, YES_NO),
                item(
                    "Spouse or parents complained about involvement with drugs",
                    None,
                    YES_NO,
                ),
                item("Neglected family because of drug use", None, YES_NO),
                item(
                    "Engaged in illegal activities to obtain drugs",
                    None,
                    YES_NO,
                ),
                item(
                    "Withdrawal symptoms when stopped taking drugs",
                    None,
                    YES_NO,
                ),
                item("Medical problems as a result of drug use", None, YES_NO),
            ],
            total: Total::Yes {
                reversed: &[2],
                counted: 10,
            },
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 0, "none"),
                (1, 2, "low"),
                (3, 5, "moderate"),
                (6, 8, "substantial"),
                (9, 10, "severe"),
            ]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: "(c) Harvey A. Skinner, 1982; generally free for clinical and non-commercial use (unconfirmed). \
                      Short item labels shown.",
            loinc_total: None,
        },
        Instrument {
            code: "cssrs",
            name: "C-SSRS screener (Columbia Suicide Severity Rating Scale)",
            stem: Some("In the past month:"),
            items: vec![
                item("Wished to be dead or not wake up", None, YES_NO),
                item("Actual thoughts of killing oneself", None, YES_NO),
                item(
                    "Thought about how (method, no plan or intent)",
                    None,
                    YES_NO,
                ),
                item("Some intention of acting on the thoughts", None, YES_NO),
                item("Worked out details of a plan, with intent", None, YES_NO),
                item(
                    "Ever done, started or prepared to do anything to end one's life",
                    None,
                    YES_NO,
                ),
                item("That behaviour was within the past 3 months", None, YES_NO),
            ],
            total: Total::Yes {
                reversed: &[],
                counted: 6,
            },
            banding: Banding::Cssrs,
            bands: vec![],
            subscales: vec![],
            flags: vec![
                FlagRule::BandIs {
                    band: "high",
                    flag: "suicide_risk_high",
                },
                FlagRule::BandIs {
                    band: "moderate",
                    flag: "suicide_risk_moderate",
                },
                FlagRule::AnyItemPositive {
                    items: &[1],
                    flag: "suicidal_ideation",
                },
            ],
            consistency: (2..5)
                .map(|item| Consistency::Forbids {
                    when_item: 1,
                    when_points: 0,
                    item,
                    forbidden: 1,
                    message: "is not asked when item 2 (suicidal thoughts) is no",
                })
                .chain(std::iter::once(Consistency::Forbids {
                    when_item: 5,
                    when_points: 0,
                    item: 6,
                    forbidden: 1,
                    message: "can only be yes when item 6 (suicidal behaviour) is yes",
                }))
                .collect(),
            needs_sex: false,
            licence: "Columbia Lighthouse Project: free for community and clinical use; software that embeds it may \
                      need permission (unconfirmed). Short item labels shown; use the published screener wording.",
            loinc_total: None,
        },
        Instrument {
            code: "ciwaar",
            name: "CIWA-Ar (alcohol withdrawal)",
            stem: None,
            items: vec![
                item("Nausea and vomiting", None, scale(7)),
                item("Tremor", None, scale(7)),
                item("Paroxysmal sweats", None, scale(7)),
                item("Anxiety", None, scale(7)),
                item("Agitation", None, scale(7)),
                item("Tactile disturbances", None, scale(7)),
                item("Auditory disturbances", None, scale(7)),
                item("Visual disturbances", None, scale(7)),
                item("Headache, fullness in head", None, scale(7)),
                item("Orientation and clouding of sensorium", None, scale(4)),
            ],
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[(0, 9, "mild"), (10, 18, "moderate"), (19, 67, "severe")]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: "Sullivan et al. 1989; not copyrighted (unconfirmed). Clinician-rated; short labels with points.",
            loinc_total: None,
        },
        Instrument {
            code: "cows",
            name: "COWS (Clinical Opiate Withdrawal Scale)",
            stem: None,
            items: vec![
                item("Resting pulse rate", None, points!(0, 1, 2, 4)),
                item("Sweating", None, points!(0, 1, 2, 3, 4)),
                item("Restlessness", None, points!(0, 1, 3, 5)),
                item("Pupil size", None, points!(0, 1, 2, 5)),
                item("Bone or joint aches", None, points!(0, 1, 2, 4)),
                item("Runny nose or tearing", None, points!(0, 1, 2, 4)),
                item("GI upset", None, points!(0, 1, 2, 3, 5)),
                item("Tremor", None, points!(0, 1, 2, 4)),
                item("Yawning", None, points!(0, 1, 2, 4)),
                item("Anxiety or irritability", None, points!(0, 1, 2, 4)),
                item("Gooseflesh skin", None, points!(0, 3, 5)),
            ],
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 4, "none"),
                (5, 12, "mild"),
                (13, 24, "moderate"),
                (25, 36, "moderately_severe"),
                (37, 48, "severe"),
            ]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: "Wesson & Ling 2003, reproduced in SAMHSA material; free (unconfirmed). Clinician-rated; short \
                      labels with points.",
            loinc_total: None,
        },
        bam(),
    ]
}

static CATALOG: LazyLock<Vec<Instrument>> = LazyLock::new(build);

/// Every instrument, in a stable order.
pub fn catalog() -> &'static [Instrument] {
    &CATALOG
}

/// The instrument with this code.
pub fn find(code: &str) -> Option<&'static Instrument> {
    CATALOG.iter().find(|i| i.code == code)
}

impl Instrument {
    /// The largest total the answers can reach.
    pub fn max_total(&self) -> u32 {
        match &self.total {
            Total::Sum => self
                .items
                .iter()
                .map(|i| u32::from(i.choices.iter().map(|c| c.points).max().unwrap_or(0)))
                .sum(),
            Total::Yes { counted, .. } => *counted as u32,
            Total::None => 0,
        }
    }
}

#[cfg(test)]
mod tests;

impl Instrument {
    /// This instrument with a program's own cut-offs: one `(min, max)` per default band, in
    /// order, keeping the band codes, tiling `0..=max_total` without gaps or overlaps.
    /// Instruments banded by rule rather than by total (AUDIT-C, C-SSRS) take none.
    pub fn with_cutoffs(&self, cutoffs: &[(u32, u32)], field: &str) -> Result<Instrument, Invalid> {
        let fail = |message: String| Invalid::one(field, message);
        if self.banding != Banding::ByTotal {
            return Err(fail(format!(
                "{} is banded by rule; its cut-offs cannot be changed",
                self.code
            )));
        }
        if cutoffs.len() != self.bands.len() {
            return Err(fail(format!(
                "{} needs {} bands",
                self.code,
                self.bands.len()
            )));
        }
        let mut expected_min = 0;
        for (min, max) in cutoffs {
            if *min != expected_min || max < min {
                return Err(fail(format!(
                    "bands of {} must run from 0 to {} without gaps or overlaps",
                    self.code,
                    self.max_total()
                )));
            }
            expected_min = max + 1;
        }
        if expected_min != self.max_total() + 1 {
            return Err(fail(format!(
                "the last band of {} must end at {}",
                self.code,
                self.max_total()
            )));
        }
        let bands = self
            .bands
            .iter()
            .zip(cutoffs)
            .map(|(b, (min, max))| Band {
                min: *min,
                max: *max,
                code: b.code,
            })
            .collect();
        Ok(Instrument {
            bands,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod cutoffs {
    use super::*;

    #[test]
    fn a_program_may_move_cut_offs_but_not_break_them() {
        let phq = find("phq9").unwrap();
        let stricter = phq
            .with_cutoffs(
                &[(0, 3), (4, 8), (9, 13), (14, 18), (19, 27)],
                "cutoffs.phq9",
            )
            .unwrap();
        assert_eq!(
            score(&stricter, &[1, 1, 1, 1, 0, 0, 0, 0, 0], None)
                .unwrap()
                .band,
            Some("mild")
        );
        assert_eq!(
            score(phq, &[1, 1, 1, 1, 0, 0, 0, 0, 0], None).unwrap().band,
            Some("minimal")
        );
        assert!(
            phq.with_cutoffs(&[(0, 3), (5, 8), (9, 13), (14, 18), (19, 27)], "x")
                .is_err(),
            "gap"
        );
        assert!(
            phq.with_cutoffs(&[(0, 3), (4, 8), (9, 13), (14, 18), (19, 26)], "x")
                .is_err(),
            "short"
        );
        assert!(phq.with_cutoffs(&[(0, 27)], "x").is_err(), "count");
        assert!(find("cssrs").unwrap().with_cutoffs(&[], "x").is_err());
    }
}
