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
// Long: every rule of every instrument's scoring in one place (total, bands, subscales,
// skip logic, flags), so that no instrument is scored by a rule the others do not see.
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

mod catalog;

static CATALOG: LazyLock<Vec<Instrument>> = LazyLock::new(catalog::build);

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
