//! Diagnosis support: the DSM-5 substance use disorder criteria and ICD-10-CM codes.

use serde::Serialize;

/// The 11 DSM-5 criteria for a substance use disorder, in the manual's order (short labels).
pub const SUD_CRITERIA: [&str; 11] = [
    "Taken in larger amounts or over a longer period than intended",
    "Persistent desire or unsuccessful efforts to cut down or control use",
    "A great deal of time spent obtaining, using or recovering",
    "Craving, or a strong desire or urge to use",
    "Recurrent use resulting in failure to fulfil major obligations at work, school or home",
    "Continued use despite persistent social or interpersonal problems caused or worsened by it",
    "Important social, occupational or recreational activities given up or reduced",
    "Recurrent use in physically hazardous situations",
    "Continued use despite knowledge of a physical or psychological problem caused or worsened by it",
    "Tolerance",
    "Withdrawal",
];

/// Severity from the number of criteria met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SudSeverity {
    /// Fewer than two criteria: no disorder.
    None,
    Mild,
    Moderate,
    Severe,
}

impl SudSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            SudSeverity::None => "none",
            SudSeverity::Mild => "mild",
            SudSeverity::Moderate => "moderate",
            SudSeverity::Severe => "severe",
        }
    }
}

/// 2-3 criteria met: mild; 4-5: moderate; 6 or more: severe.
pub fn sud_severity(criteria_met: usize) -> SudSeverity {
    match criteria_met {
        0..=1 => SudSeverity::None,
        2..=3 => SudSeverity::Mild,
        4..=5 => SudSeverity::Moderate,
        _ => SudSeverity::Severe,
    }
}

/// Whether text is shaped like an ICD-10-CM code: a letter, two characters, and an optional
/// dot with one to four more (`F11.20`, `F10.239`, `Z79.891`). Letters are upper case.
pub fn is_icd10cm(code: &str) -> bool {
    let bytes = code.as_bytes();
    let (head, tail) = match code.split_once('.') {
        Some((h, t)) => (h.as_bytes(), Some(t.as_bytes())),
        None => (bytes, None),
    };
    let alnum = |b: &u8| b.is_ascii_digit() || b.is_ascii_uppercase();
    head.len() == 3
        && head[0].is_ascii_uppercase()
        && head[1].is_ascii_digit()
        && alnum(&head[2])
        && tail.is_none_or(|t| (1..=4).contains(&t.len()) && t.iter().all(alnum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_bands() {
        let expected = [
            "none", "none", "mild", "mild", "moderate", "moderate", "severe", "severe", "severe",
            "severe", "severe", "severe",
        ];
        for (met, band) in expected.iter().enumerate() {
            assert_eq!(sud_severity(met).as_str(), *band, "{met} criteria");
        }
    }

    #[test]
    fn icd10cm_codes_are_shaped_right() {
        for ok in ["F11.20", "F10.239", "Z79.891", "F41.1", "F32.A", "F17"] {
            assert!(is_icd10cm(ok), "{ok}");
        }
        for bad in [
            "f11.20",
            "F1.2",
            "11.20",
            "F11.",
            "F11.12345",
            "F11-20",
            "",
            "F11.2a",
        ] {
            assert!(!is_icd10cm(bad), "{bad}");
        }
    }
}
