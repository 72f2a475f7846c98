//! Written consent to disclose under 42 CFR Part 2 (§2.31, 2024 rule): every element checked
//! before a consent can be saved, the statements the rule requires written into it, who must
//! sign a minor's consent, and whether a consent is in force on a day.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::validate::{FieldError, Invalid, parse_date};

/// What a consent covers. SUD counseling notes and use in legal proceedings each need their
/// own consent; one TPO consent may cover all future treatment, payment and health care
/// operations.
pub const KINDS: [(&str, &str); 4] = [
    ("tpo", "Treatment, payment and health care operations"),
    ("specific", "A specific disclosure"),
    ("sud_counseling_notes", "SUD counseling notes"),
    ("legal_proceedings", "Use in legal proceedings"),
];

/// Who signs.
pub const SIGNER_ROLES: [&str; 3] = ["patient", "guardian", "authorized_representative"];

/// The statements §2.31 and §2.32 require; written into every consent.
pub const REDISCLOSURE: &str =
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records.";
pub const REVOCATION: &str = "You may revoke this consent in writing at any time, by giving or sending a signed \
    revocation to the program. Revocation does not undo a use or disclosure already made in reliance on this consent.";
pub const HIPAA_REDISCLOSURE: &str = "Records disclosed under this consent to a covered entity or business associate \
    for treatment, payment or health care operations may be further disclosed as the HIPAA regulations allow, \
    except for uses or disclosures in civil, criminal, administrative or legislative proceedings against you.";

/// One recipient, by name or class; an intermediary (an HIE, a research institution) is named
/// with its participants or a designation limited to those with a treating relationship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub name: String,
    #[serde(default)]
    pub intermediary: bool,
    #[serde(default)]
    pub participants: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// The name the signer typed (an e-signature).
    pub name: String,
    /// `patient`, `guardian` or `authorized_representative`.
    pub role: String,
    /// `YYYY-MM-DD`.
    pub signed_on: String,
}

/// A consent as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub kind: String,
    /// Who may disclose (the program, by name).
    pub disclosing_party: String,
    /// What information, described specifically.
    pub information: String,
    pub recipients: Vec<Recipient>,
    pub purpose: String,
    /// A date `YYYY-MM-DD`, an event ("discharge from the program"), or for TPO consents
    /// `end_of_treatment` or `none`.
    pub expires: String,
    /// The patient was told of the right to revoke in writing, how, and its exceptions.
    pub revocation_explained: bool,
    /// Whether treatment, payment, enrolment or eligibility is conditioned on signing.
    pub treatment_conditioned: bool,
    /// For TPO consents: a recipient is a covered entity or business associate.
    #[serde(default)]
    pub covered_entity_recipients: bool,
    pub signatures: Vec<Signature>,
    /// The parts of the record a disclosure under this consent may carry (see [`PARTS`]);
    /// `information` describes them in words.
    #[serde(default)]
    pub parts: Vec<String>,
}

/// Parts of the record a disclosure packet can carry. Progress notes and SUD counseling notes
/// are never put in a packet here.
pub const PARTS: [(&str, &str); 6] = [
    ("demographics", "Name, birth date and contact details"),
    ("diagnoses", "Coded diagnoses"),
    ("medications", "Medications, including MAT"),
    ("attendance", "Dates of attendance in the program"),
    ("treatment_plan", "The treatment plan in force"),
    ("assessments", "Screening and measurement results"),
];

/// How the packet and the accounting name a part of the record ("" for an unknown one).
pub fn part_label(part: &str) -> &'static str {
    PARTS
        .iter()
        .find(|(p, _)| *p == part)
        .map(|(_, label)| *label)
        .unwrap_or("")
}

/// The 2.32 notice every disclosure made with consent carries (the long statement).
pub const NOTICE_232: &str = "This record which has been disclosed to you is protected by federal confidentiality rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony that describes the information contained in this record, in any civil, criminal, administrative, or legislative proceedings by any Federal, State, or local authority, against the patient, unless authorized by the consent of the patient, except as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making any other use or disclosure of this record unless at least one of the following applies: further use or disclosure is expressly permitted by the written consent of the individual whose information is being disclosed in this record or as otherwise permitted by 42 CFR part 2; you are a covered entity or business associate and have received the record for treatment, payment, or health care operations, or as described in 42 CFR 2.32(a)(1)(iii); or the record is disclosed under 42 CFR 2.51. A general authorization for the release of medical or other information is NOT sufficient to meet the required elements of written consent to further use or redisclose the record (see 42 CFR 2.31).";

/// Checks a disclosure against its consent: the consent is in force on `day`, the recipient
/// is one it names, the purpose is its purpose, and every part is one it covers.
pub fn check_disclosure(
    consent: &Consent,
    in_force_today: bool,
    recipient: &str,
    purpose: &str,
    parts: &[String],
) -> Result<(), Invalid> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    if !in_force_today {
        fail(
            "consent_id",
            "this consent is revoked or expired: nothing may be disclosed under it",
        );
    }
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    if !consent.names(recipient) {
        fail("recipient", "is not a recipient this consent names");
    }
    if !same(&consent.purpose, purpose) {
        fail("purpose", "is not the purpose this consent gives");
    }
    if parts.is_empty() {
        fail("parts", "must name what is disclosed");
    }
    for (i, part) in parts.iter().enumerate() {
        if !PARTS.iter().any(|(p, _)| p == part) {
            fail(
                &format!("parts[{i}]"),
                "is not a part of the record a packet carries",
            );
        } else if !consent.parts.iter().any(|p| p == part) {
            fail(&format!("parts[{i}]"), "is not covered by this consent");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors))
    }
}

/// Who must sign for a minor, as the program's state requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MinorSigner {
    /// The minor alone (states where minors consent to SUD treatment themselves).
    #[default]
    Minor,
    Guardian,
    Both,
}

/// A checked consent, with the statements it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub kind: String,
    pub disclosing_party: String,
    pub information: String,
    pub recipients: Vec<Recipient>,
    pub purpose: String,
    pub expires: String,
    /// The expiry as a date, when it is one (stored in its own column).
    #[serde(skip, default)]
    pub expires_on: Option<Date>,
    pub treatment_conditioned: bool,
    pub signatures: Vec<Signature>,
    #[serde(default)]
    pub parts: Vec<String>,
    /// The latest signature's date (stored in its own column).
    #[serde(skip, default = "epoch")]
    pub signed_on: Date,
    pub statements: Vec<String>,
}

impl Consent {
    /// Whether the consent names `recipient` (by name, ignoring case and outer spaces).
    pub fn names(&self, recipient: &str) -> bool {
        self.recipients
            .iter()
            .any(|r| r.name.trim().eq_ignore_ascii_case(recipient.trim()))
    }
}

const MAX: usize = 2_000;

fn epoch() -> Date {
    Date::MIN
}

/// Checks every element of §2.31. `birth_date` decides whether the patient was a minor when
/// signing; `minor_signer` is the program's rule for minors.
// Long: one check per element of 42 CFR 2.31, in the regulation's order.
pub fn check(
    input: &ConsentInput,
    birth_date: Date,
    minor_signer: MinorSigner,
    today: Date,
) -> Result<Consent, Invalid> {
    let mut errors = Vec::new();
    let mut fail = |field: String, message: &str| {
        errors.push(FieldError {
            field,
            message: message.into(),
        })
    };
    let kind = KINDS
        .iter()
        .find(|(k, _)| *k == input.kind)
        .map(|(k, _)| *k);
    if kind.is_none() {
        fail(
            "kind".into(),
            "must be tpo, specific, sud_counseling_notes or legal_proceedings",
        );
    }
    let tpo = kind == Some("tpo");
    let text = |v: &str| {
        let v = v.trim();
        (!v.is_empty() && v.chars().count() <= MAX).then(|| v.to_owned())
    };
    let disclosing_party = text(&input.disclosing_party);
    if disclosing_party.is_none() {
        fail("disclosing_party".into(), "must name who may disclose");
    }
    let information = text(&input.information).filter(|i| i.chars().count() >= 10);
    if information.is_none() {
        fail(
            "information".into(),
            "must describe the information specifically (at least 10 characters)",
        );
    }
    if input.recipients.is_empty() {
        fail(
            "recipients".into(),
            "must name at least one recipient, by name or class",
        );
    }
    for (i, r) in input.recipients.iter().enumerate() {
        if text(&r.name).is_none() {
            fail(
                format!("recipients[{i}].name"),
                "must name the recipient or class",
            );
        }
        if r.intermediary && r.participants.as_deref().and_then(text).is_none() {
            fail(
                format!("recipients[{i}].participants"),
                "an intermediary is named with its participants, or those with a treating relationship",
            );
        }
    }
    let purpose = text(&input.purpose);
    if purpose.is_none() {
        fail("purpose".into(), "must state the purpose");
    }
    let expires = input.expires.trim().to_owned();
    let expires_on = parse_date(&expires);
    match expires.as_str() {
        "" => fail("expires".into(), "must give an expiry date or event"),
        "none" | "end_of_treatment" if !tpo => fail(
            "expires".into(),
            "only a TPO consent may run until the end of treatment or have no expiry",
        ),
        _ if expires_on.is_some_and(|d| d < today) => fail("expires".into(), "is already past"),
        _ => {}
    }
    for (i, part) in input.parts.iter().enumerate() {
        if !PARTS.iter().any(|(p, _)| p == part) {
            fail(
                format!("parts[{i}]"),
                "is not a part of the record (see the consent form)",
            );
        }
    }
    if !input.revocation_explained {
        fail(
            "revocation_explained".into(),
            "the right to revoke in writing, how, and its exceptions must be explained",
        );
    }
    // Signatures: names, roles and dates, then who must sign.
    let mut signed_on: Option<Date> = None;
    if input.signatures.is_empty() {
        fail("signatures".into(), "must be signed");
    }
    for (i, s) in input.signatures.iter().enumerate() {
        if text(&s.name).is_none() {
            fail(
                format!("signatures[{i}].name"),
                "must be the signer's typed name",
            );
        }
        if !SIGNER_ROLES.contains(&s.role.as_str()) {
            fail(
                format!("signatures[{i}].role"),
                "must be patient, guardian or authorized_representative",
            );
        }
        match parse_date(&s.signed_on) {
            Some(d) if d <= today => signed_on = Some(signed_on.map_or(d, |s: Date| s.max(d))),
            _ => fail(
                format!("signatures[{i}].signed_on"),
                "must be a date, not in the future",
            ),
        }
    }
    let roles: Vec<&str> = input.signatures.iter().map(|s| s.role.as_str()).collect();
    if let Some(on) = signed_on {
        let minor = on.year()
            - birth_date.year()
            - i32::from(
                (on.month() as u8, on.day()) < (birth_date.month() as u8, birth_date.day()),
            )
            < 18;
        let has = |r: &str| roles.contains(&r);
        let ok = if minor {
            match minor_signer {
                MinorSigner::Minor => has("patient"),
                MinorSigner::Guardian => has("guardian"),
                MinorSigner::Both => has("patient") && has("guardian"),
            }
        } else {
            has("patient") || has("authorized_representative")
        };
        if !ok {
            fail(
                "signatures".into(),
                if minor {
                    "a minor's consent is signed as the program's rule for minors requires"
                } else {
                    "must be signed by the patient or their authorized representative"
                },
            );
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors));
    }
    let (Some(kind), Some(disclosing_party), Some(information), Some(purpose), Some(signed_on)) =
        (kind, disclosing_party, information, purpose, signed_on)
    else {
        return Err(Invalid::one("", "incomplete consent"));
    };
    let mut statements = vec![REDISCLOSURE.to_owned(), REVOCATION.to_owned()];
    if tpo && input.covered_entity_recipients {
        statements.push(HIPAA_REDISCLOSURE.to_owned());
    }
    statements.push(if input.treatment_conditioned {
        "Treatment, payment, enrolment or eligibility is conditioned on signing this consent."
            .to_owned()
    } else {
        "Your treatment, payment, enrolment and eligibility do not depend on signing this consent."
            .to_owned()
    });
    Ok(Consent {
        kind: kind.to_owned(),
        parts: input.parts.clone(),
        disclosing_party,
        information,
        recipients: input.recipients.clone(),
        purpose,
        expires,
        expires_on,
        treatment_conditioned: input.treatment_conditioned,
        signatures: input.signatures.clone(),
        signed_on,
        statements,
    })
}

/// Whether a consent is in force on `day`: not revoked, and not past an expiry date (an event
/// expiry is ended by recording a revocation-like end).
pub fn in_force(expires_on: Option<Date>, revoked_on: Option<Date>, day: Date) -> bool {
    revoked_on.is_none_or(|r| day < r) && expires_on.is_none_or(|e| day <= e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_reads_as_one_paragraph() {
        assert!(!NOTICE_232.contains("  "));
        assert!(NOTICE_232.ends_with("(see 42 CFR 2.31)."));
    }

    fn d(t: &str) -> Date {
        parse_date(t).unwrap()
    }

    fn tpo() -> ConsentInput {
        ConsentInput {
            kind: "tpo".into(),
            disclosing_party: "Riverside IOP".into(),
            information: "Diagnoses, medications, attendance and treatment plan".into(),
            recipients: vec![Recipient {
                name: "My treating providers and health plans".into(),
                intermediary: false,
                participants: None,
            }],
            purpose: "Treatment, payment and health care operations".into(),
            expires: "end_of_treatment".into(),
            revocation_explained: true,
            treatment_conditioned: false,
            covered_entity_recipients: true,
            signatures: vec![Signature {
                name: "Ana Lopez".into(),
                role: "patient".into(),
                signed_on: "2026-11-20".into(),
            }],
            parts: vec!["diagnoses".into(), "medications".into()],
        }
    }

    #[test]
    fn a_disclosure_stays_within_its_consent() {
        let c = check(&tpo(), d("1990-01-01"), MinorSigner::Minor, d("2026-11-29")).unwrap();
        let parts = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(
            check_disclosure(
                &c,
                true,
                "my treating providers and health plans",
                &c.purpose,
                &parts(&["diagnoses"])
            )
            .is_ok()
        );
        let err = check_disclosure(
            &c,
            false,
            "A stranger",
            "Marketing",
            &parts(&["attendance", "psychotherapy"]),
        )
        .unwrap_err();
        let fields: Vec<String> = err.0.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["consent_id", "recipient", "purpose", "parts[0]", "parts[1]"]
        );
    }

    fn fields(e: Invalid) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_complete_tpo_consent_carries_every_statement() {
        let c = check(&tpo(), d("1990-01-01"), MinorSigner::Minor, d("2026-11-29")).unwrap();
        assert_eq!(c.kind, "tpo");
        assert!(c.statements.iter().any(|s| s.contains("HIPAA")));
        assert!(
            c.statements
                .iter()
                .any(|s| s.contains("revoke this consent in writing"))
        );
        assert!(c.statements[0].contains("prohibits unauthorized use or disclosure"));
        assert_eq!(c.signed_on, d("2026-11-20"));
    }

    #[test]
    fn a_consent_missing_an_element_cannot_be_saved() {
        let bad = ConsentInput {
            kind: "specific".into(),
            disclosing_party: " ".into(),
            information: "all".into(),
            recipients: vec![Recipient {
                name: "Regional HIE".into(),
                intermediary: true,
                participants: None,
            }],
            purpose: String::new(),
            expires: "none".into(),
            revocation_explained: false,
            signatures: vec![],
            ..tpo()
        };
        assert_eq!(
            fields(check(&bad, d("1990-01-01"), MinorSigner::Minor, d("2026-11-29")).unwrap_err()),
            [
                "disclosing_party",
                "information",
                "recipients[0].participants",
                "purpose",
                "expires",
                "revocation_explained",
                "signatures"
            ]
        );
    }

    #[test]
    fn minors_sign_as_the_program_rule_says() {
        let minor = d("2010-06-01");
        let today = d("2026-11-29");
        assert!(check(&tpo(), minor, MinorSigner::Minor, today).is_ok());
        assert_eq!(
            fields(check(&tpo(), minor, MinorSigner::Guardian, today).unwrap_err()),
            ["signatures"]
        );
        let mut both = tpo();
        both.signatures.push(Signature {
            name: "Rosa Lopez".into(),
            role: "guardian".into(),
            signed_on: "2026-11-20".into(),
        });
        assert!(check(&both, minor, MinorSigner::Both, today).is_ok());
        // An adult's guardian alone does not sign for them.
        let mut guardian_only = tpo();
        guardian_only.signatures[0].role = "guardian".into();
        assert!(check(&guardian_only, d("1990-01-01"), MinorSigner::Minor, today).is_err());
    }

    #[test]
    fn revocation_and_expiry_end_a_consent() {
        let day = d("2026-12-01");
        assert!(in_force(None, None, day));
        assert!(in_force(Some(day), None, day));
        assert!(!in_force(Some(d("2026-11-30")), None, day));
        assert!(!in_force(None, Some(day), day));
        assert!(in_force(None, Some(d("2026-12-02")), day));
    }
}
