//! A program's own clinical settings: instrument cut-offs and a placement policy that
//! replace the defaults for its patients. Stored as JSON on the program; checked here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::instrument::{self, Instrument};
use crate::placement::{self, Policy};
use crate::validate::{FieldError, Invalid};

/// The settings as sent and stored (JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsDoc {
    /// Per instrument code, one `[min, max]` per band, in the default bands' order.
    #[serde(default)]
    pub cutoffs: BTreeMap<String, Vec<(u32, u32)>>,
    /// A whole placement policy in the default file's format, or none for the default.
    #[serde(default)]
    pub placement_policy: Option<serde_json::Value>,
    /// The payer's billable-day thresholds (H0015-style: 180 minutes a day, 3 days a week).
    #[serde(default)]
    pub billable: Option<crate::intensity::BillableRule>,
    /// Whether notes (and treatment plans) of staff who have a supervisor need the
    /// supervisor's co-signature.
    #[serde(default)]
    pub cosignature_required: bool,
    /// Days from a treatment plan's signature to its review (30 unless set).
    #[serde(default)]
    pub plan_review_days: Option<u32>,
    /// Days between repeated measures, per instrument code (0: not scheduled); the defaults
    /// (PHQ-9 and GAD-7 every 30 days, the BAM every 7) apply to codes not named.
    #[serde(default)]
    pub measures: BTreeMap<String, u32>,
    /// Who signs a minor's Part 2 consent in the program's state.
    #[serde(default)]
    pub minor_consent: Option<crate::consent::MinorSigner>,
    /// Years a record is kept after the patient's last service (and after their 18th
    /// birthday), as the program's state requires; 7 unless set.
    #[serde(default)]
    pub retention_years: Option<u32>,
}

/// Checked settings, ready to use.
#[derive(Debug, Clone)]
pub struct Settings {
    pub instruments: BTreeMap<String, Instrument>,
    pub policy: Option<Policy>,
    pub billable: crate::intensity::BillableRule,
    pub cosignature_required: bool,
    pub plan_review_days: u32,
    /// Days between repeated measures per instrument (only scheduled ones, above 0).
    pub measures: BTreeMap<String, u32>,
    pub minor_consent: crate::consent::MinorSigner,
    pub retention_years: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            instruments: BTreeMap::new(),
            policy: None,
            billable: crate::intensity::BillableRule::default(),
            cosignature_required: false,
            plan_review_days: crate::treatment_plan::DEFAULT_REVIEW_DAYS,
            measures: crate::measures::default_cadence(),
            minor_consent: crate::consent::MinorSigner::default(),
            retention_years: crate::retention::DEFAULT_YEARS,
        }
    }
}

impl Settings {
    pub fn parse(doc: &SettingsDoc) -> Result<Settings, Invalid> {
        let mut errors = Vec::new();
        let mut instruments = BTreeMap::new();
        for (code, cutoffs) in &doc.cutoffs {
            let field = format!("cutoffs.{code}");
            match instrument::find(code) {
                None => errors.push(FieldError {
                    field,
                    message: "is not a known instrument".into(),
                }),
                Some(i) => match i.with_cutoffs(cutoffs, &field) {
                    Ok(adjusted) => {
                        instruments.insert(code.clone(), adjusted);
                    }
                    Err(Invalid(e)) => errors.extend(e),
                },
            }
        }
        let policy = match &doc.placement_policy {
            None => None,
            Some(value) => match Policy::from_json(&value.to_string()) {
                Ok(p) => Some(p),
                Err(why) => {
                    errors.push(FieldError {
                        field: "placement_policy".into(),
                        message: format!("is not a valid policy: {why}"),
                    });
                    None
                }
            },
        };
        let billable = doc.billable.unwrap_or_default();
        if let Err(Invalid(e)) = billable.check("billable") {
            errors.extend(e);
        }
        let plan_review_days = doc
            .plan_review_days
            .unwrap_or(crate::treatment_plan::DEFAULT_REVIEW_DAYS);
        if !(1..=365).contains(&plan_review_days) {
            errors.push(FieldError {
                field: "plan_review_days".into(),
                message: "must be from 1 to 365".into(),
            });
        }
        let retention_years = doc
            .retention_years
            .unwrap_or(crate::retention::DEFAULT_YEARS);
        if !crate::retention::YEARS.contains(&retention_years) {
            errors.push(FieldError {
                field: "retention_years".into(),
                message: format!(
                    "must be from {} to {}",
                    crate::retention::YEARS.start(),
                    crate::retention::YEARS.end()
                ),
            });
        }
        if let Err(Invalid(e)) = crate::measures::check_cadence(&doc.measures, "measures") {
            errors.extend(e);
        }
        let mut measures = crate::measures::default_cadence();
        measures.extend(doc.measures.iter().map(|(k, v)| (k.clone(), *v)));
        measures.retain(|_, days| *days > 0);
        if errors.is_empty() {
            Ok(Settings {
                retention_years,
                minor_consent: doc.minor_consent.unwrap_or_default(),
                measures,
                plan_review_days,
                instruments,
                policy,
                billable,
                cosignature_required: doc.cosignature_required,
            })
        } else {
            Err(Invalid(errors))
        }
    }

    /// The instrument as this program scores it.
    pub fn instrument(&self, code: &str) -> Option<&Instrument> {
        self.instruments
            .get(code)
            .or_else(|| instrument::find(code))
    }

    /// The placement policy this program uses.
    pub fn policy(&self) -> &Policy {
        self.policy
            .as_ref()
            .unwrap_or_else(|| placement::default_policy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_replace_defaults_and_report_bad_parts() {
        let doc: SettingsDoc =
            serde_json::from_str(r#"{"cutoffs": {"gad7": [[0, 3], [4, 9], [10, 14], [15, 21]]}}"#)
                .unwrap();
        let s = Settings::parse(&doc).unwrap();
        assert_eq!(s.instrument("gad7").unwrap().bands[1].min, 4);
        assert_eq!(
            s.instrument("phq9").unwrap().bands[1].min,
            5,
            "others keep the defaults"
        );
        assert_eq!(s.policy().version, "openiop-default-1");
        let bad: SettingsDoc = serde_json::from_str(
            r#"{"cutoffs": {"nope": [], "gad7": [[0, 21]]}, "placement_policy": {"edition": "x"}}"#,
        )
        .unwrap();
        let fields: Vec<_> = Settings::parse(&bad)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["cutoffs.gad7", "cutoffs.nope", "placement_policy"]);
    }

    #[test]
    fn a_program_policy_in_the_default_format_is_accepted() {
        let text = include_str!("../policy/asam3-default-v1.json")
            .replace("openiop-default-1", "riverside-2");
        let doc = SettingsDoc {
            placement_policy: Some(serde_json::from_str(&text).unwrap()),
            ..SettingsDoc::default()
        };
        assert_eq!(
            Settings::parse(&doc).unwrap().policy().version,
            "riverside-2"
        );
    }
}
