//! Patients: what a valid registration is, and how names are matched.

use time::Date;

use crate::validate::{Check, Invalid};

/// Longest name part we accept (generous: some family names are long).
pub const NAME_MAX: usize = 100;
const CONTACT_MAX: usize = 200;

/// A registration as typed by a person, before any rule is applied.
#[derive(Debug, Clone, Default)]
pub struct PatientForm<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub birth_date: &'a str,
    pub preferred_name: Option<&'a str>,
    pub pronouns: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// A patient registration that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPatient {
    pub given_name: String,
    pub family_name: String,
    pub birth_date: Date,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl NewPatient {
    /// Parses a registration; `today` bounds the birth date (no one is born tomorrow, and no
    /// one alive was born before 1900).
    pub fn parse(form: &PatientForm<'_>, today: Date) -> Result<NewPatient, Invalid> {
        let mut check = Check::new();
        let given_name = check.text("given_name", form.given_name, NAME_MAX);
        let family_name = check.text("family_name", form.family_name, NAME_MAX);
        let birth_date = check.date("birth_date", form.birth_date);
        if let Some(date) = birth_date {
            if date > today {
                check.fail("birth_date", "must not be in the future");
            } else if date.year() < 1900 {
                check.fail("birth_date", "must be in 1900 or later");
            }
        }
        let preferred_name = check.optional_text("preferred_name", form.preferred_name, NAME_MAX);
        let pronouns = check.optional_text("pronouns", form.pronouns, 40);
        let phone = check.optional_text("phone", form.phone, 40);
        if let Some(Some(phone)) = &phone
            && (!phone.chars().any(|c| c.is_ascii_digit())
                || phone
                    .chars()
                    .any(|c| !(c.is_ascii_digit() || " +-().x".contains(c))))
        {
            check.fail(
                "phone",
                "must be a phone number (digits, spaces, + - ( ) .)",
            );
        }
        let email = check.optional_text("email", form.email, CONTACT_MAX);
        if let Some(Some(email)) = &email
            && !looks_like_email(email)
        {
            check.fail(
                "email",
                "must be an e-mail address such as name@example.org",
            );
        }
        check.finish(|| {
            Some(NewPatient {
                given_name: given_name?,
                family_name: family_name?,
                birth_date: birth_date?,
                preferred_name: preferred_name?,
                pronouns: pronouns?,
                phone: phone?,
                email: email?,
            })
        })
    }

    /// The key names are matched and sorted on.
    pub fn name_key(&self) -> String {
        name_key(&self.family_name, &self.given_name)
    }
}

fn looks_like_email(text: &str) -> bool {
    let mut parts = text.splitn(2, '@');
    let (Some(local), Some(domain)) = (parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// Normalizes text for matching, identically on every database (done here rather than by
/// SQL `lower()`, which is ASCII-only in SQLite): format characters that do not show
/// (zero-width spaces and joiners, bidirectional controls, U+FEFF, soft hyphens) removed,
/// compatibility forms folded (NFKC: full-width `Ｍａｒｉａ` is `maria`), Unicode lowercase.
/// For matching only: names are stored as typed.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
    let folded: String = visible.nfkc().collect::<String>().to_lowercase();
    // Lowercasing can leave a compatibility form NFKC would change again (rare): fold until
    // it holds still, so folding twice is folding once.
    let mut folded: String = folded.nfkc().collect();
    for _ in 0..3 {
        let again: String = folded.to_lowercase().nfkc().collect();
        if again == folded {
            break;
        }
        folded = again;
    }
    folded.trim().to_owned()
}

/// Characters that change nothing a person sees in a name (Unicode format characters that
/// matter for matching).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// The stored matching and sorting key of a patient: `family given`, folded. A search for
/// a substring of either name is a substring search of this key.
pub fn name_key(family_name: &str, given_name: &str) -> String {
    format!("{}\u{1f}{}", fold(family_name), fold(given_name))
}

/// A person's age in whole years on a date.
pub fn age_on(birth_date: Date, on: Date) -> i32 {
    let mut age = on.year() - birth_date.year();
    if (on.month() as u8, on.day()) < (birth_date.month() as u8, birth_date.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 25);

    fn form<'a>(given: &'a str, family: &'a str, birth: &'a str) -> PatientForm<'a> {
        PatientForm {
            given_name: given,
            family_name: family,
            birth_date: birth,
            ..PatientForm::default()
        }
    }

    fn fields(result: Result<NewPatient, Invalid>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_plain_registration_parses() {
        let p = NewPatient::parse(&form(" Ana ", "Ruiz", "1990-04-01"), TODAY).unwrap();
        assert_eq!(p.given_name, "Ana");
        assert_eq!(p.birth_date, date!(1990 - 04 - 01));
        assert_eq!(p.name_key(), "ruiz\u{1f}ana");
    }

    #[test]
    fn every_bad_field_is_reported() {
        assert_eq!(
            fields(NewPatient::parse(&form("", "", "2001-02-30"), TODAY)),
            ["given_name", "family_name", "birth_date"]
        );
        assert_eq!(
            fields(NewPatient::parse(&form("A", "B", "2027-01-01"), TODAY)),
            ["birth_date"]
        );
        assert_eq!(
            fields(NewPatient::parse(&form("A", "B", "1899-12-31"), TODAY)),
            ["birth_date"]
        );
        let long = "x".repeat(NAME_MAX + 1);
        assert_eq!(
            fields(NewPatient::parse(&form(&long, "B", "1990-01-01"), TODAY)),
            ["given_name"]
        );
    }

    #[test]
    fn contacts_are_checked() {
        let mut f = form("A", "B", "1990-01-01");
        f.phone = Some("call me");
        f.email = Some("nobody");
        assert_eq!(fields(NewPatient::parse(&f, TODAY)), ["phone", "email"]);
        f.phone = Some("+1 (555) 010-0199");
        f.email = Some("a.b@example.org");
        assert!(NewPatient::parse(&f, TODAY).is_ok());
    }

    #[test]
    fn folding_is_unicode_aware() {
        assert_eq!(fold("ÉLODIE"), "élodie");
        // Full-width and zero-width variants match the plain name.
        assert_eq!(fold("Ｍａｒｉａ"), "maria");
        assert_eq!(fold("Ma\u{200b}ria"), "maria");
        assert_eq!(fold("\u{feff}Maria\u{2060}"), "maria");
        assert_eq!(fold("Mar\u{00ad}ia"), "maria");
        // Composed and decomposed accents are one name.
        assert_eq!(fold("Jose\u{301}"), fold("José"));
        assert_eq!(name_key("Øster", "ÅSA"), "øster\u{1f}åsa");
    }

    #[test]
    fn age_counts_birthdays() {
        assert_eq!(age_on(date!(2000 - 11 - 26), TODAY), 25);
        assert_eq!(age_on(date!(2000 - 11 - 25), TODAY), 26);
        assert_eq!(age_on(date!(2000 - 02 - 29), date!(2026 - 02 - 28)), 25);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A search for any piece of either name, typed in any case, finds the patient.
        #[test]
        fn every_substring_of_a_name_matches_its_key(
            given in "\\PC{1,20}",
            family in "\\PC{1,20}",
            start in 0..20usize,
            len in 1..20usize,
            upper in any::<bool>(),
        ) {
            let key = name_key(&family, &given);
            let source: Vec<char> = fold(&given).chars().collect();
            prop_assume!(!source.is_empty());
            let from = start % source.len();
            let to = (from + len).min(source.len());
            let piece: String = source[from..to].iter().collect();
            let typed = if upper { piece.to_uppercase() } else { piece.clone() };
            prop_assert!(key.contains(&fold(&typed)) || fold(&typed) != piece, "{typed:?} in {key:?}");
        }

        #[test]
        fn folding_is_idempotent(text in "\\PC{0,40}") {
            prop_assert_eq!(fold(&fold(&text)), fold(&text));
        }
    }
}
