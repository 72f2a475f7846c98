//! A patient's request to amend their record (HIPAA 45 CFR 164.526, which Part 2 programs
//! that are covered entities follow): what to change and why, answered by a clinician within
//! 60 days. An accepted request says where the record was amended; a denial gives one of the
//! bases the rule allows and an explanation, and the patient may then file a statement of
//! disagreement, kept with the request.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::validate::{Check, Invalid};

/// How long the program has to act on a request (164.526(b)(2)).
pub const RESPONSE_WITHIN: Duration = Duration::days(60);

const MAX_TEXT: usize = 4_000;

/// The grounds on which 164.526(a)(2) lets a request be denied, with how a letter names them.
pub const DENIAL_BASES: [(&str, &str); 4] = [
    (
        "not_created_here",
        "The program did not create this information, and its originator is available to act on the request.",
    ),
    (
        "not_in_record",
        "The information is not part of the record the program keeps about you.",
    ),
    (
        "not_open_to_access",
        "The information is not available to you under the right of access.",
    ),
    (
        "accurate_and_complete",
        "The record is accurate and complete as it stands.",
    ),
];

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Accepted,
    Denied,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Accepted => "accepted",
            Status::Denied => "denied",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [Status::Pending, Status::Accepted, Status::Denied]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A request as sent by the patient (or by staff writing down the patient's request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// Which information: "the progress note of 3 March", "my address".
    pub information: String,
    /// The change asked for.
    pub requested_change: String,
    /// Why (the rule lets a program ask for a reason).
    pub reason: String,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub information: String,
    pub requested_change: String,
    pub reason: String,
}

impl RequestInput {
    pub fn checked(&self) -> Result<Request, Invalid> {
        let mut check = Check::new();
        let information = check.text("information", &self.information, MAX_TEXT);
        let requested_change = check.text("requested_change", &self.requested_change, MAX_TEXT);
        let reason = check.text("reason", &self.reason, MAX_TEXT);
        check.finish(|| {
            Some(Request {
                information: information?,
                requested_change: requested_change?,
                reason: reason?,
            })
        })
    }
}

/// The date by which the program must act on a request made on `requested_on`.
pub fn due_on(requested_on: Date) -> Date {
    requested_on.saturating_add(RESPONSE_WITHIN)
}

/// A clinician's decision as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `accepted` or `denied`.
    pub decision: String,
    /// For a denial: one of [`DENIAL_BASES`].
    #[serde(default)]
    pub basis: Option<String>,
    /// Accepted: where and how the record was amended. Denied: the explanation for the patient.
    pub note: String,
}

/// A checked decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub status: Status,
    pub basis: Option<&'static str>,
    pub note: String,
}

impl DecisionInput {
    pub fn checked(&self) -> Result<Decision, Invalid> {
        let mut check = Check::new();
        let status = match self.decision.as_str() {
            "accepted" => Some(Status::Accepted),
            "denied" => Some(Status::Denied),
            _ => {
                check.fail("decision", "must be accepted or denied");
                None
            }
        };
        let basis = match (status, self.basis.as_deref().map(str::trim)) {
            (Some(Status::Denied), Some(b)) => match DENIAL_BASES.iter().find(|(k, _)| *k == b) {
                Some((k, _)) => Some(Some(*k)),
                None => {
                    check.fail(
                        "basis",
                        format!("must be one of {}", DENIAL_BASES.map(|(k, _)| k).join(", ")),
                    );
                    None
                }
            },
            (Some(Status::Denied), None) => {
                check.fail("basis", "a denial must give its basis");
                None
            }
            (_, Some(b)) if !b.is_empty() => {
                check.fail("basis", "only a denial has a basis");
                None
            }
            _ => Some(None),
        };
        let note = check.text("note", &self.note, MAX_TEXT);
        check.finish(|| {
            Some(Decision {
                status: status?,
                basis: basis?,
                note: note?,
            })
        })
    }
}

/// The patient's statement of disagreement with a denial (164.526(d)(1)(ii)).
pub fn check_disagreement(statement: &str) -> Result<String, Invalid> {
    let mut check = Check::new();
    let statement = check.text("statement", statement, MAX_TEXT);
    check.finish(|| statement)
}

/// How a letter names a denial basis.
pub fn basis_label(basis: &str) -> Option<&'static str> {
    DENIAL_BASES
        .iter()
        .find(|(k, _)| *k == basis)
        .map(|(_, label)| *label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn decision(decision: &str, basis: Option<&str>, note: &str) -> Result<Decision, Invalid> {
        DecisionInput {
            decision: decision.into(),
            basis: basis.map(Into::into),
            note: note.into(),
        }
        .checked()
    }

    #[test]
    fn a_request_needs_what_how_and_why() {
        let err = RequestInput {
            information: " ".into(),
            requested_change: "x".into(),
            reason: "".into(),
        }
        .checked()
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["information", "reason"]);
    }

    #[test]
    fn the_program_has_sixty_days() {
        assert_eq!(due_on(date!(2026 - 11 - 29)), date!(2027 - 01 - 28));
    }

    #[test]
    fn a_denial_gives_an_allowed_basis_and_an_acceptance_none() {
        let ok = decision(
            "denied",
            Some("accurate_and_complete"),
            "Checked with the author",
        )
        .unwrap();
        assert_eq!(ok.status, Status::Denied);
        assert_eq!(ok.basis, Some("accurate_and_complete"));
        assert!(decision("denied", None, "no").is_err());
        assert!(decision("denied", Some("because"), "no").is_err());
        let accepted = decision("accepted", None, "Addendum on the 3 March note").unwrap();
        assert_eq!((accepted.status, accepted.basis), (Status::Accepted, None));
        assert!(decision("accepted", Some("not_in_record"), "x").is_err());
        assert!(decision("pending", None, "x").is_err());
        assert!(decision("accepted", None, "  ").is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in [Status::Pending, Status::Accepted, Status::Denied] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert!(basis_label("not_in_record").is_some());
        assert!(check_disagreement("").is_err());
    }
}
