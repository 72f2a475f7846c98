//! The two emergency paths, both audited and queued for an admin's review:
//! - internal break-the-glass: a clinician outside the care team states the emergency and
//!   opens the chart for a few hours;
//! - a medical-emergency disclosure to outside medical personnel (42 CFR 2.51): who received
//!   it and their facility, who disclosed, when, and the nature of the emergency.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::validate::{FieldError, Invalid};

/// How long broken glass keeps a chart open.
pub const ACCESS_FOR: Duration = Duration::hours(4);

/// The shortest statement of an emergency accepted: a few words, not a click-through.
const MIN_REASON: usize = 10;
const MAX_TEXT: usize = 2_000;

fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize) -> String {
    let v = value.trim();
    let n = v.chars().count();
    if n < min.max(1) || n > MAX_TEXT {
        errors.push(FieldError {
            field: field.into(),
            message: if min > 1 {
                format!("must state it in {min} to {MAX_TEXT} characters")
            } else {
                format!("must be 1 to {MAX_TEXT} characters")
            },
        });
    }
    v.to_owned()
}

/// Checks the emergency a clinician states to break the glass.
pub fn check_reason(reason: &str) -> Result<String, Invalid> {
    let mut errors = Vec::new();
    let reason = text(&mut errors, "reason", reason, MIN_REASON);
    if errors.is_empty() {
        Ok(reason)
    } else {
        Err(Invalid(errors))
    }
}

/// A 2.51 medical-emergency disclosure as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureInput {
    /// The medical personnel who received the information.
    pub recipient_name: String,
    pub recipient_facility: String,
    pub nature_of_emergency: String,
    /// What was disclosed.
    pub information: String,
    /// When (RFC 3339); now when missing.
    #[serde(default)]
    pub disclosed_at: Option<String>,
}

/// A checked 2.51 disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub recipient_name: String,
    pub recipient_facility: String,
    pub nature_of_emergency: String,
    pub information: String,
    pub disclosed_at: OffsetDateTime,
}

impl DisclosureInput {
    pub fn checked(&self, now: OffsetDateTime) -> Result<Disclosure, Invalid> {
        let mut errors = Vec::new();
        let recipient_name = text(&mut errors, "recipient_name", &self.recipient_name, 1);
        let recipient_facility = text(
            &mut errors,
            "recipient_facility",
            &self.recipient_facility,
            1,
        );
        let nature_of_emergency = text(
            &mut errors,
            "nature_of_emergency",
            &self.nature_of_emergency,
            MIN_REASON,
        );
        let information = text(&mut errors, "information", &self.information, 1);
        let disclosed_at = match self.disclosed_at.as_deref() {
            None => now,
            Some(t) => {
                match OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
                    Ok(at) if at <= now => at,
                    _ => {
                        errors.push(FieldError {
                            field: "disclosed_at".into(),
                            message: "must be an RFC 3339 instant, not in the future".into(),
                        });
                        now
                    }
                }
            }
        };
        if errors.is_empty() {
            Ok(Disclosure {
                recipient_name,
                recipient_facility,
                nature_of_emergency,
                information,
                disclosed_at,
            })
        } else {
            Err(Invalid(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emergency_must_be_stated() {
        assert!(check_reason("emergency").is_err(), "nine characters");
        assert!(check_reason("   ").is_err());
        assert_eq!(
            check_reason(" Found unresponsive in the lobby ").unwrap(),
            "Found unresponsive in the lobby"
        );
    }

    #[test]
    fn a_251_disclosure_records_every_element() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let input = DisclosureInput {
            recipient_name: "Dr. A. Osei".into(),
            recipient_facility: "Mercy Hospital ED".into(),
            nature_of_emergency: "Suspected opioid overdose, unresponsive".into(),
            information: "Current MAT (buprenorphine 16 mg), allergies".into(),
            disclosed_at: None,
        };
        assert_eq!(input.checked(now).unwrap().disclosed_at, now);
        let empty = DisclosureInput {
            recipient_name: String::new(),
            recipient_facility: String::new(),
            nature_of_emergency: "bad".into(),
            information: String::new(),
            disclosed_at: Some("tomorrow".into()),
        };
        let fields: Vec<String> = empty
            .checked(now)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "recipient_name",
                "recipient_facility",
                "nature_of_emergency",
                "information",
                "disclosed_at"
            ]
        );
    }
}
