//! The people around a patient: a guardian, an emergency contact, family, a support person.
//! A contact has a role but no access: nothing reaches a contact (a guardian included)
//! except through a disclosure under a Part 2 consent that names them, so a contact's entry
//! says which consents in force name them, and the chart says "no consent: share nothing".

use serde::{Deserialize, Serialize};

use crate::validate::{Check, Invalid};

/// The roles a contact may have.
pub const ROLES: [(&str, &str); 4] = [
    ("guardian", "Guardian or legal representative"),
    ("emergency", "Emergency contact"),
    ("family", "Family member"),
    ("support", "Support person (sponsor, peer, friend)"),
];

/// A contact as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    /// One of [`ROLES`].
    pub role: String,
    /// How they are related: "mother", "sponsor".
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub role: &'static str,
    pub relationship: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl ContactInput {
    pub fn checked(&self) -> Result<Contact, Invalid> {
        let mut check = Check::new();
        let name = check.text("name", &self.name, 200);
        let role = ROLES.iter().find(|(r, _)| *r == self.role).map(|(r, _)| *r);
        if role.is_none() {
            check.fail(
                "role",
                format!("must be one of {}", ROLES.map(|(r, _)| r).join(", ")),
            );
        }
        let relationship = check.optional_text("relationship", self.relationship.as_deref(), 100);
        let phone = check.optional_text("phone", self.phone.as_deref(), 40);
        if let Some(Some(p)) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if digits < 7
                || !p
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().x".contains(c))
            {
                check.fail("phone", "must be a phone number");
            }
        }
        let email = check.optional_text("email", self.email.as_deref(), 254);
        if let Some(Some(e)) = &email
            && !e
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        {
            check.fail("email", "must be an e-mail address");
        }
        check.finish(|| {
            Some(Contact {
                name: name?,
                role: role?,
                relationship: relationship?,
                phone: phone?,
                email: email?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(role: &str, phone: Option<&str>, email: Option<&str>) -> ContactInput {
        ContactInput {
            name: "Rosa Diaz".into(),
            role: role.into(),
            relationship: Some("mother".into()),
            phone: phone.map(Into::into),
            email: email.map(Into::into),
        }
    }

    #[test]
    fn a_contact_has_a_known_role_and_plausible_numbers() {
        assert_eq!(
            input("guardian", Some("(312) 555-0101"), None)
                .checked()
                .unwrap()
                .role,
            "guardian"
        );
        assert!(input("friend", None, None).checked().is_err());
        assert!(input("support", Some("call me"), None).checked().is_err());
        assert!(input("support", None, Some("rosa@")).checked().is_err());
        assert!(
            input("family", Some(" "), Some("rosa@example.org"))
                .checked()
                .unwrap()
                .phone
                .is_none()
        );
    }
}
