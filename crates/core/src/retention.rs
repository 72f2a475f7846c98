//! Record retention: how long a closed record is kept, when it may be disposed of, and what
//! a disposal must state. A record is kept for the program's `retention_years` after the
//! patient's last service and, for a patient treated as a minor, after their 18th birthday,
//! whichever is later; a patient with an open episode, or named in a breach, is never due.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::validate::{Check, Invalid};

/// Kept seven years unless the program's state says otherwise.
pub const DEFAULT_YEARS: u32 = 7;

/// No program may keep records for less than HIPAA's six years of documentation.
pub const YEARS: std::ops::RangeInclusive<u32> = 6..=100;

fn add_years(date: Date, years: u32) -> Date {
    let year = date
        .year()
        .saturating_add(i32::try_from(years).unwrap_or(i32::MAX));
    Date::from_calendar_date(year, date.month(), date.day())
        // 29 February in a year that has none: the first of March.
        .or_else(|_| Date::from_calendar_date(year, Month::March, 1))
        .unwrap_or(Date::MAX)
}

/// The first day a record may be disposed of.
pub fn disposal_due(last_service: Date, birth_date: Date, years: u32) -> Date {
    let after_service = add_years(last_service, years);
    let after_majority = add_years(add_years(birth_date, 18), years);
    after_service.max(after_majority)
}

/// A disposal as an admin requests it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisposalInput {
    /// The patients whose records are disposed of.
    pub patient_ids: Vec<String>,
    /// How: "deleted from the database; backups expire by rotation within 35 days".
    pub method: String,
    /// Who approved it (the privacy officer's name), kept with the certificate.
    pub approved_by: String,
}

/// A checked disposal (ids are resolved by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposal {
    pub method: String,
    pub approved_by: String,
}

impl DisposalInput {
    pub fn checked(&self) -> Result<Disposal, Invalid> {
        let mut check = Check::new();
        if self.patient_ids.is_empty() || self.patient_ids.len() > 500 {
            check.fail("patient_ids", "must name 1 to 500 patients");
        }
        let method = check.text("method", &self.method, 2_000);
        let approved_by = check.text("approved_by", &self.approved_by, 200);
        check.finish(|| {
            Some(Disposal {
                method: method?,
                approved_by: approved_by?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn kept_after_the_last_service_or_after_majority_whichever_is_later() {
        let adult = date!(1980 - 05 - 01);
        assert_eq!(
            disposal_due(date!(2018 - 03 - 10), adult, 7),
            date!(2025 - 03 - 10)
        );
        // Treated at 15: kept 7 years after turning 18.
        let minor = date!(2003 - 06 - 15);
        assert_eq!(
            disposal_due(date!(2018 - 03 - 10), minor, 7),
            date!(2028 - 06 - 15)
        );
        assert_eq!(
            disposal_due(date!(2016 - 02 - 29), adult, 7),
            date!(2023 - 03 - 01)
        );
    }

    #[test]
    fn a_disposal_says_how_and_who_approved() {
        let input = DisposalInput {
            patient_ids: vec![],
            method: " ".into(),
            approved_by: "Dana Privacy".into(),
        };
        let err = input.checked().unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["patient_ids", "method"]);
    }
}
