//! Field-level validation shared by every input the system accepts.
//!
//! Validation collects every problem at once (a clinic worker fixing a form wants all the
//! messages, not one per submit). A field is named by its JSON path, zero-based:
//! `answers[3]`, `dimensions.relapse`.

use serde::Serialize;
use time::Date;
use time::macros::format_description;

/// One problem with one field of an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An input that breaks a rule: every field problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

/// Collects field errors while an input is parsed into a domain value.
#[derive(Debug, Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// A required piece of text: trimmed, not empty, at most `max` characters, no control
    /// characters. Returns the trimmed text when valid.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> Option<String> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.fail(field, "is required");
            return None;
        }
        self.optional_text(field, Some(trimmed), max).flatten()
    }

    /// Optional text: absent or blank becomes `None`; present text is checked like [`Check::text`].
    /// The outer `Option` is `None` when the text was invalid.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<Option<String>> {
        let Some(trimmed) = value.map(str::trim).filter(|t| !t.is_empty()) else {
            return Some(None);
        };
        let length = trimmed.chars().count();
        if length > max {
            self.fail(
                field,
                format!("must be at most {max} characters (got {length})"),
            );
            return None;
        }
        if trimmed.chars().any(|c| c.is_control()) {
            self.fail(field, "must not contain control characters");
            return None;
        }
        Some(Some(trimmed.to_owned()))
    }

    /// A calendar date written `YYYY-MM-DD`.
    pub fn date(&mut self, field: &str, value: &str) -> Option<Date> {
        match parse_date(value) {
            Some(date) => Some(date),
            None => {
                self.fail(field, "must be a valid date written YYYY-MM-DD");
                None
            }
        }
    }

    /// Finishes the check: `Ok(value)` when no field failed.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Invalid> {
        if !self.errors.is_empty() {
            return Err(Invalid(self.errors));
        }
        // Every builder only returns None after recording an error, so this cannot be None
        // here; if a future builder forgets, report it rather than panic.
        value().ok_or_else(|| Invalid::one("", "invalid input"))
    }
}

/// Parses `YYYY-MM-DD` strictly (no other layout, real calendar dates only).
pub fn parse_date(value: &str) -> Option<Date> {
    let format = format_description!("[year]-[month]-[day]");
    if value.len() != 10 {
        return None;
    }
    Date::parse(value, &format).ok()
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    let format = format_description!("[year]-[month]-[day]");
    date.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2001-02-28").is_some());
        assert!(parse_date("2000-02-29").is_some());
        assert!(parse_date("2001-02-29").is_none());
        assert!(parse_date("2001-02-30").is_none());
        assert!(parse_date("2001-2-3").is_none());
        assert!(parse_date("20010203").is_none());
        assert!(parse_date("2001-02-03T00:00").is_none());
        assert!(parse_date("").is_none());
    }

    #[test]
    fn text_rules_collect_every_error() {
        let mut check = Check::new();
        assert_eq!(check.text("a", "  Ann ", 10), Some("Ann".to_owned()));
        assert_eq!(check.text("b", "   ", 10), None);
        assert_eq!(check.text("c", "abcdefghijk", 10), None);
        assert_eq!(check.text("d", "tab\there", 10), None);
        assert_eq!(check.optional_text("e", None, 3), Some(None));
        assert_eq!(check.optional_text("f", Some(" "), 3), Some(None));
        let errors = check.finish(|| Some(())).unwrap_err().0;
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["b", "c", "d"]);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let mut check = Check::new();
        assert!(check.text("name", "Zoë Ålström", 11).is_some());
        assert!(check.finish(|| Some(())).is_ok());
    }
}
