//! What text OpenIOP accepts from outside, whatever the field: the one rule every JSON body,
//! query string, form and multipart text field passes through at the edge.
//!
//! - C0 and C1 control characters (U+0000-U+001F, U+007F-U+009F) are refused everywhere,
//!   except TAB, LF and CR in multi-line fields. NUL in particular: PostgreSQL cannot store
//!   it in `text`, SQLite can, and the two databases must answer alike.
//! - In single-line fields (names, titles, codes, searches) bidirectional controls
//!   (U+202A-U+202E, U+2066-U+2069) and the byte-order mark U+FEFF are refused too: they make
//!   "exe.png" out of "gnp.exe" and two names that look alike differ.
//!
//! A field is single-line unless its name says it holds prose ([`is_multi_line`]): free text
//! (notes, narratives, descriptions, statements) may carry line breaks and right-to-left
//! marks written in Arabic or Hebrew.

/// Why a text was refused: the message a person reads beside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Control,
    LineBreak,
    Invisible,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Control => "must not contain control characters",
            Refusal::LineBreak => "must be a single line (no tabs or line breaks)",
            Refusal::Invisible => {
                "must not contain invisible formatting characters (bidirectional controls or U+FEFF)"
            }
        }
    }
}

/// Whether a character is a C0 or C1 control (TAB, LF and CR included).
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Bidirectional embedding, override and isolate controls, and the byte-order mark.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Field names (the last segment of a JSON path or a form field's name, without digits the
/// forms append to repeated rows) whose values are prose.
const MULTI_LINE: &[&str] = &[
    "actions_taken",
    "assessment",
    "behavior",
    "coping",
    "craving_plan",
    "current_medications",
    "data",
    "description",
    "detail",
    "distractions",
    "environment",
    "help_contacts",
    "information",
    "information_involved",
    "internal_coping",
    "intervention",
    "interventions",
    "medical_history",
    "message",
    "mitigation",
    "narrative",
    "nature_of_emergency",
    "note",
    "notes",
    "objective",
    "observation",
    "participation",
    "plan",
    "professionals",
    "reason",
    "reasons_for_living",
    "recipients",
    "requested_change",
    "resolution",
    "response",
    "statement",
    "steps_for_patients",
    "strengths",
    "subjective",
    "support_contacts",
    "text",
    "topics",
    "trigger_feelings",
    "trigger_people",
    "trigger_places",
    "trigger_times",
    "warning_signs",
];

/// The bare name of a field: `sections.data` -> `data`, `answers[3]` -> `answers`,
/// `entries[0].plan` -> `plan`, a form's `warning_signs2` -> `warning_signs`.
fn bare(field: &str) -> &str {
    let last = field.rsplit('.').next().unwrap_or(field);
    let last = last.split('[').next().unwrap_or(last);
    // A group note's form names one field per attendee: `plan_<patient id>`.
    let last = match last.rsplit_once('_') {
        Some((name, id)) if crate::id::parse_id(id).is_some() => name,
        _ => last,
    };
    last.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// Whether a field holds prose (line breaks and right-to-left marks allowed).
pub fn is_multi_line(field: &str) -> bool {
    MULTI_LINE.contains(&bare(field))
}

/// Checks one text value of `field`.
pub fn check(field: &str, value: &str) -> Result<(), Refusal> {
    let multi = is_multi_line(field);
    for c in value.chars() {
        if is_control(c) {
            if multi && matches!(c, '\t' | '\n' | '\r') {
                continue;
            }
            if matches!(c, '\t' | '\n' | '\r') {
                return Err(Refusal::LineBreak);
            }
            return Err(Refusal::Control);
        }
        if !multi && matches!(c, '\u{2028}' | '\u{2029}') {
            // Unicode's own line and paragraph separators: line breaks all the same.
            return Err(Refusal::LineBreak);
        }
        if !multi && is_invisible_format(c) {
            return Err(Refusal::Invisible);
        }
    }
    Ok(())
}

/// A file name as it may be stored and shown: bidirectional controls, U+FEFF and control
/// characters removed (a name cannot pretend to end in `.png`).
pub fn strip_invisible(name: &str) -> String {
    name.chars()
        .filter(|c| !is_control(*c) && !is_invisible_format(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn controls_are_refused_everywhere() {
        assert_eq!(check("family_name", "a\u{0}b"), Err(Refusal::Control));
        assert_eq!(check("description", "a\u{0}b"), Err(Refusal::Control));
        assert_eq!(check("q", "\u{85}"), Err(Refusal::Control));
        assert_eq!(check("note", "\u{7f}"), Err(Refusal::Control));
        assert_eq!(check("code", "\u{1b}[31m"), Err(Refusal::Control));
    }

    #[test]
    fn line_breaks_belong_to_prose_only() {
        assert_eq!(check("description", "one\r\ntwo\tthree"), Ok(()));
        assert_eq!(check("sections.data", "one\ntwo"), Ok(()));
        assert_eq!(check("entries[2].plan", "one\ntwo"), Ok(()));
        assert_eq!(check("given_name", "Ana\nMaria"), Err(Refusal::LineBreak));
        assert_eq!(check("username", "a\tb"), Err(Refusal::LineBreak));
        assert_eq!(check("given_name", "a\u{2028}b"), Err(Refusal::LineBreak));
        assert_eq!(check("narrative", "a\u{2029}b"), Ok(()));
    }

    #[test]
    fn invisible_formatting_is_refused_in_single_line_fields() {
        for c in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{feff}'] {
            let v = format!("gnp{c}.exe");
            assert_eq!(check("name", &v), Err(Refusal::Invisible), "{c:?}");
            assert_eq!(check("narrative", &v), Ok(()), "{c:?}");
        }
        // Neighbours of the ranges are ordinary text.
        assert_eq!(check("name", "\u{2065}\u{206a}\u{a0}José Ñúñez 李"), Ok(()));
    }

    #[test]
    fn file_names_lose_their_tricks() {
        assert_eq!(strip_invisible("photo\u{202e}gnp.exe"), "photognp.exe");
        assert_eq!(strip_invisible("a\u{0}b\u{feff}.pdf"), "ab.pdf");
    }

    #[test]
    fn bare_names() {
        assert_eq!(bare("warning_signs2"), "warning_signs");
        assert_eq!(bare("answers[3]"), "answers");
        assert_eq!(bare("a.b.c"), "c");
        assert_eq!(bare("plan_0193a3c2-0000-7000-8000-000000000002"), "plan");
        assert_eq!(bare("given_name"), "given_name");
    }

    proptest! {
        #[test]
        fn accepted_text_has_no_control_but_prose_breaks(field in "[a-z_]{1,12}", value in "\\PC*") {
            if check(&field, &value).is_ok() {
                let multi = is_multi_line(&field);
                prop_assert!(value.chars().all(|c| !is_control(c) || (multi && matches!(c, '\t' | '\n' | '\r'))));
                let single_line_ok = value
                    .chars()
                    .all(|c| !is_invisible_format(c) && c != '\u{2028}' && c != '\u{2029}');
                prop_assert!(multi || single_line_ok, "{:?}", value);
            }
        }

        #[test]
        fn stripped_names_always_pass(value in ".*") {
            prop_assert_eq!(check("name", &strip_invisible(&value)), Ok(()));
        }
    }
}
