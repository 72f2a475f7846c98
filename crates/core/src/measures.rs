//! Measurement-based care: how often each patient is due for a repeated measure (PHQ-9, GAD-7
//! and the BAM by default), and when a measure is overdue.

use std::collections::BTreeMap;

use time::{Date, Duration};

use crate::validate::{FieldError, Invalid};

/// Days between administrations unless a program sets its own: PHQ-9 and GAD-7 monthly, the
/// BAM weekly (its IOP use).
pub const DEFAULT_CADENCE: [(&str, u32); 3] = [("phq9", 30), ("gad7", 30), ("bam", 7)];

/// The default cadence as a map.
pub fn default_cadence() -> BTreeMap<String, u32> {
    DEFAULT_CADENCE
        .iter()
        .map(|(code, days)| ((*code).to_owned(), *days))
        .collect()
}

/// Checks a program's cadence: known instruments, 0 (not scheduled) to 365 days.
pub fn check_cadence(cadence: &BTreeMap<String, u32>, field: &str) -> Result<(), Invalid> {
    let errors: Vec<FieldError> = cadence
        .iter()
        .filter_map(|(code, days)| {
            let message = if crate::instrument::find(code).is_none() {
                "is not a known instrument"
            } else if *days > 365 {
                "must be from 0 (not scheduled) to 365 days"
            } else {
                return None;
            };
            Some(FieldError {
                field: format!("{field}.{code}"),
                message: message.into(),
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors))
    }
}

/// When a measure is next due: `every_days` after the last administration, or on the day of
/// admission when it was never given in this episode (the baseline).
pub fn due_on(last: Option<Date>, admitted: Date, every_days: u32) -> Date {
    match last {
        Some(d) if d >= admitted => d + Duration::days(i64::from(every_days)),
        _ => admitted,
    }
}

/// Whether a measure due on `due` is overdue on `today` (the due day itself is not).
pub fn is_overdue(due: Date, today: Date) -> bool {
    today > due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_date;

    fn d(text: &str) -> Date {
        parse_date(text).unwrap()
    }

    #[test]
    fn the_baseline_is_due_at_admission_then_every_so_many_days() {
        let admitted = d("2026-11-02");
        assert_eq!(due_on(None, admitted, 7), admitted);
        assert_eq!(due_on(Some(d("2026-11-03")), admitted, 7), d("2026-11-10"));
        // A score from before this admission does not count for it.
        assert_eq!(due_on(Some(d("2026-10-01")), admitted, 30), admitted);
        assert!(!is_overdue(d("2026-11-10"), d("2026-11-10")));
        assert!(is_overdue(d("2026-11-10"), d("2026-11-11")));
    }

    #[test]
    fn a_program_cadence_names_known_instruments() {
        let mut cadence = default_cadence();
        assert!(check_cadence(&cadence, "measures").is_ok());
        cadence.insert("nope".into(), 7);
        cadence.insert("phq9".into(), 400);
        let fields: Vec<String> = check_cadence(&cadence, "measures")
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["measures.nope", "measures.phq9"]);
    }
}
