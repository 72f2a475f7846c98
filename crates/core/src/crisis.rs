//! Crisis events: what happened, how severe, what was done; whether it escalates to a review
//! of the level of care. An open crisis alert raised by an instrument is resolved by the event
//! that records the response to it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::validate::{FieldError, Invalid};

/// What kind of crisis.
pub const KINDS: [(&str, &str); 8] = [
    ("suicidal_ideation", "Suicidal thoughts"),
    ("suicide_attempt", "Suicide attempt or self-harm"),
    ("overdose", "Overdose"),
    ("return_to_use", "Return to use with risk"),
    ("withdrawal", "Severe withdrawal"),
    ("violence", "Violence or threat of violence"),
    ("medical", "Medical emergency"),
    ("other", "Other"),
];

/// How severe.
pub const SEVERITIES: [(&str, &str); 4] = [
    ("low", "Low"),
    ("moderate", "Moderate"),
    ("high", "High"),
    ("imminent", "Imminent danger"),
];

/// A crisis event as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisInput {
    pub kind: String,
    pub severity: String,
    pub description: String,
    /// What staff did (safety planning, 988, emergency referral, ...).
    pub actions_taken: String,
    /// When it happened (RFC 3339); now when missing.
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// An open crisis alert this event responds to (and resolves).
    #[serde(default)]
    pub alert_id: Option<String>,
    /// Open a review of the level of care toward a higher one.
    #[serde(default)]
    pub escalate: bool,
}

/// A checked crisis event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crisis {
    pub kind: &'static str,
    pub severity: &'static str,
    pub description: String,
    pub actions_taken: String,
    pub occurred_at: OffsetDateTime,
    pub escalate: bool,
}

const MAX_TEXT: usize = 4_000;

impl CrisisInput {
    /// Checks every field at once. Imminent danger always escalates: it cannot be recorded
    /// as handled at the current level of care.
    pub fn checked(&self, now: OffsetDateTime) -> Result<Crisis, Invalid> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            })
        };
        let kind = KINDS.iter().find(|(k, _)| *k == self.kind).map(|(k, _)| *k);
        if kind.is_none() {
            fail("kind", "is not a kind of crisis this program records");
        }
        let severity = SEVERITIES
            .iter()
            .find(|(s, _)| *s == self.severity)
            .map(|(s, _)| *s);
        if severity.is_none() {
            fail("severity", "must be low, moderate, high or imminent");
        }
        let text = |value: &str| {
            let v = value.trim();
            (!v.is_empty() && v.chars().count() <= MAX_TEXT).then(|| v.to_owned())
        };
        let description = text(&self.description);
        if description.is_none() {
            fail(
                "description",
                "must say what happened (up to 4,000 characters)",
            );
        }
        let actions_taken = text(&self.actions_taken);
        if actions_taken.is_none() {
            fail(
                "actions_taken",
                "must say what was done (up to 4,000 characters)",
            );
        }
        let occurred_at = match self.occurred_at.as_deref() {
            None => Some(now),
            Some(t) => {
                match OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
                    Ok(at) if at <= now => Some(at),
                    Ok(_) => {
                        fail("occurred_at", "cannot be in the future");
                        None
                    }
                    Err(_) => {
                        fail("occurred_at", "must be an RFC 3339 instant");
                        None
                    }
                }
            }
        };
        match (kind, severity, description, actions_taken, occurred_at) {
            (
                Some(kind),
                Some(severity),
                Some(description),
                Some(actions_taken),
                Some(occurred_at),
            ) if errors.is_empty() => Ok(Crisis {
                kind,
                severity,
                description,
                actions_taken,
                occurred_at,
                escalate: self.escalate || severity == "imminent",
            }),
            _ => Err(Invalid(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CrisisInput {
        CrisisInput {
            kind: "suicidal_ideation".into(),
            severity: "high".into(),
            description: "Reported thoughts of ending life, no plan".into(),
            actions_taken: "Safety plan reviewed; 988 given".into(),
            occurred_at: None,
            alert_id: None,
            escalate: false,
        }
    }

    #[test]
    fn a_crisis_is_checked_whole() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1000);
        let c = input().checked(now).unwrap();
        assert_eq!(
            (c.kind, c.severity, c.escalate),
            ("suicidal_ideation", "high", false)
        );
        assert_eq!(c.occurred_at, now);
        let bad = CrisisInput {
            kind: "bad day".into(),
            severity: "extreme".into(),
            description: " ".into(),
            actions_taken: String::new(),
            occurred_at: Some("2099-01-01T00:00:00Z".into()),
            ..input()
        };
        let fields: Vec<String> = bad
            .checked(now)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "kind",
                "severity",
                "description",
                "actions_taken",
                "occurred_at"
            ]
        );
    }

    #[test]
    fn imminent_danger_always_escalates() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1000);
        let c = CrisisInput {
            severity: "imminent".into(),
            ..input()
        }
        .checked(now)
        .unwrap();
        assert!(c.escalate);
    }
}
