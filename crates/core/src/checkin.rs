//! The daily check-in: mood and craving on 0-10 scales, whether the person used and what, and
//! a note. Recorded by staff now (by the patient in the portal later); a second check-in for
//! the same date corrects the first (both kept, the newest counts).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::validate::{FieldError, Invalid, parse_date};

/// Longest note.
const MAX_NOTE: usize = 2_000;
/// Most substances named in one check-in.
const MAX_SUBSTANCES: usize = 10;

/// A check-in as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInInput {
    /// The local date it is about (`YYYY-MM-DD`); today when missing.
    #[serde(default)]
    pub on: Option<String>,
    pub mood: i64,
    pub craving: i64,
    pub used: bool,
    /// What was used, when `used`.
    #[serde(default)]
    pub substances: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A checked check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub on: Date,
    pub mood: u8,
    pub craving: u8,
    pub used: bool,
    pub substances: Vec<String>,
    pub note: Option<String>,
}

impl CheckInInput {
    /// Checks every field at once: scales 0 to 10, a date that is not in the future, substances
    /// only (and at least one) when `used`, a note of at most 2,000 characters.
    pub fn checked(&self, today: Date) -> Result<CheckIn, Invalid> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let on = match self.on.as_deref() {
            None => Some(today),
            Some(text) => match parse_date(text) {
                Some(d) if d <= today => Some(d),
                Some(_) => {
                    fail("on", "cannot be in the future".into());
                    None
                }
                None => {
                    fail("on", "must be a date YYYY-MM-DD".into());
                    None
                }
            },
        };
        let scale = |value: i64| u8::try_from(value).ok().filter(|v| *v <= 10);
        let mood = scale(self.mood);
        if mood.is_none() {
            fail("mood", "must be from 0 to 10".into());
        }
        let craving = scale(self.craving);
        if craving.is_none() {
            fail("craving", "must be from 0 to 10".into());
        }
        let substances: Vec<String> = self
            .substances
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if !self.used && !substances.is_empty() {
            fail("substances", "only when used is true".into());
        }
        if self.used && substances.is_empty() {
            fail(
                "substances",
                "name at least one substance when used is true".into(),
            );
        }
        if substances.len() > MAX_SUBSTANCES || substances.iter().any(|s| s.chars().count() > 100) {
            fail(
                "substances",
                format!("at most {MAX_SUBSTANCES} names of at most 100 characters"),
            );
        }
        let note = self
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
            fail("note", format!("must be at most {MAX_NOTE} characters"));
        }
        match (on, mood, craving) {
            (Some(on), Some(mood), Some(craving)) if errors.is_empty() => Ok(CheckIn {
                on,
                mood,
                craving,
                used: self.used,
                substances,
                note,
            }),
            _ => Err(Invalid(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CheckInInput {
        CheckInInput {
            on: None,
            mood: 6,
            craving: 3,
            used: false,
            substances: vec![],
            note: Some("  Slept well ".into()),
        }
    }

    fn fields(i: &CheckInInput) -> Vec<String> {
        let today = parse_date("2026-11-29").unwrap();
        i.checked(today)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_check_in_defaults_to_today_and_is_tidied() {
        let today = parse_date("2026-11-29").unwrap();
        let c = input().checked(today).unwrap();
        assert_eq!((c.on, c.mood, c.craving), (today, 6, 3));
        assert_eq!(c.note.as_deref(), Some("Slept well"));
    }

    #[test]
    fn scales_dates_and_substances_are_checked_together() {
        let bad = CheckInInput {
            on: Some("2026-11-30".into()),
            mood: 11,
            craving: -1,
            used: false,
            substances: vec!["alcohol".into()],
            note: None,
        };
        assert_eq!(fields(&bad), ["on", "mood", "craving", "substances"]);
        let used = CheckInInput {
            used: true,
            ..input()
        };
        assert_eq!(fields(&used), ["substances"]);
        let ok = CheckInInput {
            used: true,
            substances: vec![" alcohol ".into()],
            on: Some("2026-11-28".into()),
            ..input()
        };
        let c = ok.checked(parse_date("2026-11-29").unwrap()).unwrap();
        assert_eq!(c.substances, ["alcohol"]);
        for edge in [0, 10] {
            let i = CheckInInput {
                mood: edge,
                craving: edge,
                ..input()
            };
            assert!(i.checked(parse_date("2026-11-29").unwrap()).is_ok());
        }
    }
}
