//! What makes a new password acceptable, after NIST SP 800-63B-4 (3.1.1.2): at least 15
//! characters for a password that is the only factor, 12 for an account with a second
//! factor, no composition rules, and not one that is commonly used or expected. Refused:
//! a password from the common-password list, such a password with only digits or symbols
//! around it (`password2024!`), one character or one short run repeated (`aaaaaaaaaaaa`,
//! `abcabcabcabc`), a straight sequence (`123456789012`, `abcdefghijkl`), and the username or
//! the service's name with only digits or symbols around it.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::validate::Check;

/// The shortest password accepted anywhere: for an account with a second factor.
pub const PASSWORD_MIN: usize = 12;
/// The shortest password accepted as the only factor (every new account starts so).
pub const PASSWORD_MIN_SINGLE_FACTOR: usize = 15;

/// The shortest password an account may have, with or without a second factor.
pub fn minimum(second_factor: bool) -> usize {
    if second_factor {
        PASSWORD_MIN
    } else {
        PASSWORD_MIN_SINGLE_FACTOR
    }
}

/// Whether an existing password is too short for the account as it is now (checked at
/// login, when the password is known): the account is asked to change it.
pub fn needs_change(password: &str, second_factor: bool) -> bool {
    password.chars().count() < minimum(second_factor)
}
/// The longest: bounds the work one login can cause.
pub const PASSWORD_MAX: usize = 256;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| l.chars().count() >= 4)
        .collect()
});

/// The password without digits and symbols on either side, lowercased.
fn core_of(password: &str) -> String {
    password
        .trim_matches(|c: char| !c.is_alphabetic())
        .to_lowercase()
}

/// One short unit repeated to the whole length.
fn repeats(text: &[char]) -> bool {
    (1..=text.len() / 2).any(|unit| {
        text.len().is_multiple_of(unit) && text.chunks(unit).all(|c| c == &text[..unit])
    })
}

/// Characters each one step from the last (up or down), like `123456…` or `lkjihg…`.
fn sequence(text: &[char]) -> bool {
    let steps: Vec<i64> = text
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    let wraps = |s: &i64| *s == -9 || *s == 9; // 9-0 or 0-9 when a digit run wraps
    steps.iter().all(|s| *s == 1 || wraps(s)) || steps.iter().all(|s| *s == -1 || wraps(s))
}

/// Why a new password is refused, if it is, for an account with or without a second factor.
pub fn weakness(password: &str, username: Option<&str>, second_factor: bool) -> Option<String> {
    let length = password.chars().count();
    let min = minimum(second_factor);
    if length < min {
        return Some(if second_factor {
            format!("must be at least {min} characters")
        } else {
            format!(
                "must be at least {min} characters (at least {PASSWORD_MIN} once a second factor is set up)"
            )
        });
    }
    if length > PASSWORD_MAX {
        return Some(format!("must be at most {PASSWORD_MAX} characters"));
    }
    let lower: Vec<char> = password.to_lowercase().chars().collect();
    if repeats(&lower) || sequence(&lower) {
        return Some(
            "is a repeated or sequential pattern; choose something less predictable".into(),
        );
    }
    let lowered = password.to_lowercase();
    let core = core_of(password);
    if COMMON.contains(lowered.as_str()) || COMMON.contains(core.as_str()) {
        return Some("is one of the most commonly used passwords; choose another".into());
    }
    let context = ["openiop"]
        .into_iter()
        .chain(username.map(str::trim).filter(|u| u.chars().count() >= 3));
    for word in context {
        if core == word.to_lowercase() {
            return Some("must not be the username or the service's name".into());
        }
    }
    None
}

/// Checks a new password, reporting on `field`.
pub fn check_password(
    check: &mut Check,
    field: &str,
    password: &str,
    username: Option<&str>,
    second_factor: bool,
) -> bool {
    match weakness(password, username, second_factor) {
        Some(message) => {
            check.fail(field, message);
            false
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_factor_needs_fifteen_characters() {
        assert!(weakness("Staff-Pass-12", None, false).is_some());
        assert!(weakness("Staff-Pass-12", None, true).is_none());
        assert!(weakness("Staff-Password-1", None, false).is_none());
        assert!(needs_change("Twelve-chars", false));
        assert!(!needs_change("Twelve-chars", true));
        assert!(!needs_change("Fifteen-chars-1", false));
    }

    #[test]
    fn length_is_the_only_composition_rule() {
        assert!(weakness("eleven-char", None, false).is_some());
        assert!(weakness("all lowercase words here", None, false).is_none());
        assert!(weakness("Staff-Password-1", None, false).is_none());
        assert!(weakness(&"xy".repeat(PASSWORD_MAX), None, false).is_some());
    }

    #[test]
    fn common_passwords_are_refused_even_dressed_up() {
        for weak in [
            "1qaz2wsx3edc",
            "qwerty123456",
            "password1234",
            "Password2024!",
            "!!sunshine!!1",
            "123456qwerty",
            "Iloveyou12345",
        ] {
            assert!(weakness(weak, None, false).is_some(), "{weak}");
        }
    }

    #[test]
    fn patterns_and_context_are_refused() {
        for weak in [
            "aaaaaaaaaaaa",
            "abcabcabcabc",
            "123456789012",
            "abcdefghijklm",
            "987654321098",
        ] {
            assert!(weakness(weak, None, false).is_some(), "{weak}");
        }
        assert!(weakness("dr.kimberly-2026", Some("dr.kimberly"), false).is_some());
        assert!(weakness("OpenIOP-2026!!", None, false).is_some());
        assert!(weakness("kimberly reads at night", Some("kimberly"), false).is_none());
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(COMMON.len() > 9_000);
        assert!(COMMON.contains("password"));
    }
}
