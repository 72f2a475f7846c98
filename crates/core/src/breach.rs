//! Breach handling (HIPAA 45 CFR 164.400-414, which the 2024 Part 2 rule applies to Part 2
//! records): a suspected breach is recorded with the window and account involved; the audit
//! trail names the patients reached; a risk assessment confirms it or rules it out; a
//! confirmed breach gets a letter to each affected patient with the contents 164.404(c)
//! requires, no later than 60 days after discovery, and HHS is told on the schedule that the
//! number of people affected sets.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::validate::{Check, Invalid};

/// Letters go out without unreasonable delay and within 60 days of discovery (164.404(b)).
pub const NOTIFY_WITHIN: Duration = Duration::days(60);

/// At or above this many people, HHS and the media are told at the same time as the patients
/// (164.406, 164.408(b)); below it, the breach goes in the annual log to HHS (164.408(c)).
pub const LARGE_BREACH: usize = 500;

const MAX_TEXT: usize = 4_000;

/// A suspected breach as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspicionInput {
    /// What happened, as known.
    pub description: String,
    /// When the program learned of it (`YYYY-MM-DD`).
    pub discovered_on: String,
    /// The window in which the information may have been reached (RFC 3339 instants).
    pub window_from: String,
    pub window_to: String,
    /// The account involved, when one is (its accesses in the window are the ones counted).
    #[serde(default)]
    pub actor_user_id: Option<String>,
}

/// A checked suspicion (the account is resolved by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspicion {
    pub description: String,
    pub discovered_on: Date,
    pub window_from: OffsetDateTime,
    pub window_to: OffsetDateTime,
}

fn instant(check: &mut Check, field: &str, text: &str) -> Option<OffsetDateTime> {
    let parsed = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok();
    if parsed.is_none() {
        check.fail(field, "must be an RFC 3339 date-time");
    }
    parsed
}

impl SuspicionInput {
    pub fn checked(&self, today: Date, now: OffsetDateTime) -> Result<Suspicion, Invalid> {
        let mut check = Check::new();
        let description = check.text("description", &self.description, MAX_TEXT);
        let discovered_on = check.date("discovered_on", &self.discovered_on);
        if discovered_on.is_some_and(|d| d > today) {
            check.fail("discovered_on", "must not be in the future");
        }
        let from = instant(&mut check, "window_from", &self.window_from);
        let to = instant(&mut check, "window_to", &self.window_to);
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                check.fail("window_to", "must be after window_from");
            }
            if f > now {
                check.fail("window_from", "must not be in the future");
            }
            if t - f > Duration::days(3 * 366) {
                check.fail("window_to", "a window may span at most three years");
            }
        }
        check.finish(|| {
            Some(Suspicion {
                description: description?,
                discovered_on: discovered_on?,
                window_from: from?,
                window_to: to?,
            })
        })
    }
}

/// The outcome of the risk assessment (164.402(2): a low probability of compromise, shown
/// by the four factors, means it is not a breach).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Suspected,
    Confirmed,
    NotABreach,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Suspected => "suspected",
            Status::Confirmed => "confirmed",
            Status::NotABreach => "not_a_breach",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [Status::Suspected, Status::Confirmed, Status::NotABreach]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The risk assessment as sent: its finding and, for a confirmed breach, what every letter
/// must say (164.404(c)(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `confirmed` or `not_a_breach`.
    pub status: String,
    /// The four-factor assessment: the information, who received it, whether it was actually
    /// viewed, how far the risk was mitigated.
    pub assessment: String,
    /// The kinds of information involved (letters: 164.404(c)(1)(B)).
    #[serde(default)]
    pub information_involved: Option<String>,
    /// What patients should do to protect themselves ((C)).
    #[serde(default)]
    pub steps_for_patients: Option<String>,
    /// What the program is doing to investigate, mitigate and prevent ((D)).
    #[serde(default)]
    pub mitigation: Option<String>,
    /// How to reach the program: a toll-free number, e-mail, web site or postal address ((E)).
    #[serde(default)]
    pub contact: Option<String>,
}

/// A checked assessment, stored as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub status: Status,
    pub assessment: String,
    pub information_involved: Option<String>,
    pub steps_for_patients: Option<String>,
    pub mitigation: Option<String>,
    pub contact: Option<String>,
}

impl AssessmentInput {
    pub fn checked(&self) -> Result<Assessment, Invalid> {
        let mut check = Check::new();
        let status = match Status::parse(&self.status) {
            Some(s @ (Status::Confirmed | Status::NotABreach)) => Some(s),
            _ => {
                check.fail("status", "must be confirmed or not_a_breach");
                None
            }
        };
        let assessment = check.text("assessment", &self.assessment, MAX_TEXT);
        let confirmed = status == Some(Status::Confirmed);
        let mut letter_part = |field: &str, value: &Option<String>| {
            if confirmed {
                check
                    .text(field, value.as_deref().unwrap_or(""), MAX_TEXT)
                    .map(Some)
            } else {
                check.optional_text(field, value.as_deref(), MAX_TEXT)
            }
        };
        let information_involved = letter_part("information_involved", &self.information_involved);
        let steps_for_patients = letter_part("steps_for_patients", &self.steps_for_patients);
        let mitigation = letter_part("mitigation", &self.mitigation);
        let contact = letter_part("contact", &self.contact);
        check.finish(|| {
            Some(Assessment {
                status: status?,
                assessment: assessment?,
                information_involved: information_involved?,
                steps_for_patients: steps_for_patients?,
                mitigation: mitigation?,
                contact: contact?,
            })
        })
    }
}

/// When the letters are due.
pub fn notify_by(discovered_on: Date) -> Date {
    discovered_on.saturating_add(NOTIFY_WITHIN)
}

/// When and how HHS must be told of a confirmed breach affecting `affected` people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HhsReport {
    /// `with_notices` (500 or more: with the letters, and the media told too) or `annual_log`.
    pub route: &'static str,
    pub due_on: Date,
    pub media_notice: bool,
}

pub fn hhs_report(affected: usize, discovered_on: Date) -> HhsReport {
    if affected >= LARGE_BREACH {
        HhsReport {
            route: "with_notices",
            due_on: notify_by(discovered_on),
            media_notice: true,
        }
    } else {
        // Within 60 days of the end of the calendar year of discovery: 1 March, or 29
        // February in a leap year.
        let year_end = Date::from_calendar_date(discovered_on.year(), Month::December, 31)
            .unwrap_or(discovered_on);
        HhsReport {
            route: "annual_log",
            due_on: year_end.saturating_add(Duration::days(60)),
            media_notice: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn suspicion(from: &str, to: &str) -> SuspicionInput {
        SuspicionInput {
            description: "A laptop with an open session was left in the group room".into(),
            discovered_on: "2026-11-20".into(),
            window_from: from.into(),
            window_to: to.into(),
            actor_user_id: None,
        }
    }

    #[test]
    fn a_window_runs_forwards_and_not_from_the_future() {
        let now = datetime!(2026-11-29 12:00 UTC);
        let today = date!(2026 - 11 - 29);
        assert!(
            suspicion("2026-11-19T08:00:00Z", "2026-11-19T18:00:00Z")
                .checked(today, now)
                .is_ok()
        );
        let err = suspicion("2026-11-19T18:00:00Z", "2026-11-19T08:00:00Z")
            .checked(today, now)
            .unwrap_err();
        assert_eq!(err.0[0].field, "window_to");
        assert!(
            suspicion("2026-12-19T08:00:00Z", "2026-12-20T08:00:00Z")
                .checked(today, now)
                .is_err()
        );
        assert!(
            suspicion("yesterday", "2026-11-19T08:00:00Z")
                .checked(today, now)
                .is_err()
        );
    }

    #[test]
    fn a_confirmed_breach_needs_everything_a_letter_says() {
        let mut input = AssessmentInput {
            status: "confirmed".into(),
            assessment: "Names and group schedules were viewed".into(),
            information_involved: Some("Names, schedules".into()),
            steps_for_patients: None,
            mitigation: Some("Sessions now time out after 15 minutes".into()),
            contact: Some("1-800-555-0100".into()),
        };
        let err = input.checked().unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].field, "steps_for_patients");
        input.steps_for_patients = Some("Nothing needs doing; call us with questions".into());
        assert_eq!(input.checked().unwrap().status, Status::Confirmed);
        input.status = "not_a_breach".into();
        input.contact = None;
        assert_eq!(input.checked().unwrap().status, Status::NotABreach);
        input.status = "suspected".into();
        assert!(input.checked().is_err());
    }

    #[test]
    fn hhs_hears_with_the_letters_from_500_people_and_in_the_annual_log_below() {
        let large = hhs_report(500, date!(2026 - 11 - 20));
        assert_eq!(
            (large.route, large.due_on),
            ("with_notices", date!(2027 - 01 - 19))
        );
        assert!(large.media_notice);
        let small = hhs_report(499, date!(2026 - 11 - 20));
        assert_eq!(
            (small.route, small.due_on),
            ("annual_log", date!(2027 - 03 - 01))
        );
        assert_eq!(
            hhs_report(3, date!(2027 - 06 - 01)).due_on,
            date!(2028 - 02 - 29)
        );
    }
}
