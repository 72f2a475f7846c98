//! Level-of-care placement: decision support with reasons.
//!
//! The policy is data: a versioned JSON file (`policy/asam3-default-v1.json`) of groups of
//! conditions, supports, weekly hours and plain-language explanations, parsed once. A program
//! may supply its own policy in the same format (a 4th-edition policy is a new file, not new
//! code). [`recommend`] evaluates every condition: each that holds adds its code to the
//! reasons; the level is that of the first group (in order) with a condition that holds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::validate::{FieldError, Invalid};

/// Levels of care, from most to least intensive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareLevel {
    /// Acute care: an emergency evaluation for safety.
    Inpatient,
    WithdrawalManagement,
    Residential,
    Php,
    Iop,
    Op,
}

impl CareLevel {
    pub const ALL: [CareLevel; 6] = [
        CareLevel::Inpatient,
        CareLevel::WithdrawalManagement,
        CareLevel::Residential,
        CareLevel::Php,
        CareLevel::Iop,
        CareLevel::Op,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CareLevel::Inpatient => "inpatient",
            CareLevel::WithdrawalManagement => "withdrawal_management",
            CareLevel::Residential => "residential",
            CareLevel::Php => "php",
            CareLevel::Iop => "iop",
            CareLevel::Op => "op",
        }
    }

    pub fn parse(text: &str) -> Option<CareLevel> {
        CareLevel::ALL.into_iter().find(|l| l.as_str() == text)
    }

    /// Intensity rank: higher is more intensive.
    pub fn intensity(self) -> u8 {
        match self {
            CareLevel::Inpatient => 5,
            CareLevel::WithdrawalManagement => 4,
            CareLevel::Residential => 3,
            CareLevel::Php => 2,
            CareLevel::Iop => 1,
            CareLevel::Op => 0,
        }
    }
}

/// The six ASAM dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Withdrawal,
    Biomedical,
    Emotional,
    Readiness,
    Relapse,
    Environment,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Withdrawal,
        Dimension::Biomedical,
        Dimension::Emotional,
        Dimension::Readiness,
        Dimension::Relapse,
        Dimension::Environment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Withdrawal => "withdrawal",
            Dimension::Biomedical => "biomedical",
            Dimension::Emotional => "emotional",
            Dimension::Readiness => "readiness",
            Dimension::Relapse => "relapse",
            Dimension::Environment => "environment",
        }
    }

    /// How the dimension is named to people.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Withdrawal => "1. Intoxication and withdrawal",
            Dimension::Biomedical => "2. Biomedical conditions",
            Dimension::Emotional => "3. Emotional, behavioural or cognitive conditions",
            Dimension::Readiness => "4. Readiness to change",
            Dimension::Relapse => "5. Relapse or continued-use potential",
            Dimension::Environment => "6. Recovery environment",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Suicide risk, as the latest C-SSRS put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuicideRisk {
    None,
    Low,
    Moderate,
    High,
}

impl SuicideRisk {
    pub const ALL: [SuicideRisk; 4] = [
        SuicideRisk::None,
        SuicideRisk::Low,
        SuicideRisk::Moderate,
        SuicideRisk::High,
    ];

    pub fn parse(text: &str) -> Option<SuicideRisk> {
        match text {
            "none" => Some(SuicideRisk::None),
            "low" => Some(SuicideRisk::Low),
            "moderate" => Some(SuicideRisk::Moderate),
            "high" => Some(SuicideRisk::High),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SuicideRisk::None => "none",
            SuicideRisk::Low => "low",
            SuicideRisk::Moderate => "moderate",
            SuicideRisk::High => "high",
        }
    }

    /// The risk a C-SSRS band stands for.
    pub fn from_cssrs_band(band: &str) -> SuicideRisk {
        SuicideRisk::parse(band).unwrap_or(SuicideRisk::None)
    }
}

/// Facts about the person that shape placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    OpioidUse,
    HeavyUseHistory,
    CoOccurring,
    RepeatedRelapse,
    FailedLowerLevel,
    SteppingDown,
    LegalOrderResidential,
    SoberLivingAvailable,
}

impl Factor {
    pub const ALL: [Factor; 8] = [
        Factor::OpioidUse,
        Factor::HeavyUseHistory,
        Factor::CoOccurring,
        Factor::RepeatedRelapse,
        Factor::FailedLowerLevel,
        Factor::SteppingDown,
        Factor::LegalOrderResidential,
        Factor::SoberLivingAvailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Factor::OpioidUse => "opioid_use",
            Factor::HeavyUseHistory => "heavy_use_history",
            Factor::CoOccurring => "co_occurring",
            Factor::RepeatedRelapse => "repeated_relapse",
            Factor::FailedLowerLevel => "failed_lower_level",
            Factor::SteppingDown => "stepping_down",
            Factor::LegalOrderResidential => "legal_order_residential",
            Factor::SoberLivingAvailable => "sober_living_available",
        }
    }

    pub fn parse(text: &str) -> Option<Factor> {
        Factor::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// A validated placement question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementInput {
    pub age: u8,
    /// Ratings 0..=4 in [`Dimension::ALL`] order.
    pub dimensions: [u8; 6],
    pub suicide_risk: SuicideRisk,
    pub factors: BTreeSet<Factor>,
}

/// The placement question as typed (numbers not yet checked).
#[derive(Debug, Clone)]
pub struct PlacementForm<'a> {
    pub age: i64,
    /// Ratings in [`Dimension::ALL`] order.
    pub dimensions: [i64; 6],
    pub suicide_risk: &'a str,
    pub factors: &'a [String],
}

impl PlacementInput {
    pub fn parse(form: &PlacementForm<'_>) -> Result<PlacementInput, Invalid> {
        let mut errors = Vec::new();
        let mut fail = |field: String, message: &str| {
            errors.push(FieldError {
                field,
                message: message.into(),
            })
        };
        if !(0..=120).contains(&form.age) {
            fail(
                "age".into(),
                "must be a whole number of years from 0 to 120",
            );
        }
        for (dimension, value) in Dimension::ALL.iter().zip(form.dimensions) {
            if !(0..=4).contains(&value) {
                fail(
                    format!("dimensions.{}", dimension.as_str()),
                    "must be a rating from 0 to 4",
                );
            }
        }
        let risk = SuicideRisk::parse(form.suicide_risk);
        if risk.is_none() {
            fail("suicide_risk".into(), "must be none, low, moderate or high");
        }
        let mut factors = BTreeSet::new();
        for (i, text) in form.factors.iter().enumerate() {
            match Factor::parse(text) {
                Some(f) => {
                    factors.insert(f);
                }
                None => fail(format!("factors[{i}]"), "is not a known factor"),
            }
        }
        match (errors.is_empty(), risk) {
            (true, Some(suicide_risk)) => Ok(PlacementInput {
                age: u8::try_from(form.age).unwrap_or(0),
                dimensions: form.dimensions.map(|d| u8::try_from(d).unwrap_or(0)),
                suicide_risk,
                factors,
            }),
            _ => Err(Invalid(errors)),
        }
    }

    pub fn rating(&self, dimension: Dimension) -> u8 {
        self.dimensions[dimension.index()]
    }
}

/// A condition of the policy, evaluated on an input.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    SuicideRisk(Vec<SuicideRisk>),
    Dimension { name: Dimension, min: u8, max: u8 },
    Factor(Factor),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    pub fn holds(&self, input: &PlacementInput) -> bool {
        match self {
            Condition::SuicideRisk(risks) => risks.contains(&input.suicide_risk),
            Condition::Dimension { name, min, max } => (*min..=*max).contains(&input.rating(*name)),
            Condition::Factor(f) => input.factors.contains(f),
            Condition::All(all) => all.iter().all(|c| c.holds(input)),
            Condition::Any(any) => any.iter().any(|c| c.holds(input)),
            Condition::Not(c) => !c.holds(input),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub code: String,
    pub when: Condition,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub level: CareLevel,
    pub conditions: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    pub level: CareLevel,
    pub code: String,
}

/// Weekly hours of a level for an age group (`max` absent: no upper bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    pub min: u32,
    pub max: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursByAge {
    pub adult: Hours,
    pub adolescent: Hours,
}

/// A placement policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub edition: String,
    pub version: String,
    pub adolescent_below_age: u8,
    pub groups: Vec<Group>,
    pub fallback: Fallback,
    pub supports: Vec<Rule>,
    pub weekly_hours: BTreeMap<CareLevel, HoursByAge>,
    pub explanations: BTreeMap<String, String>,
}

/// The recommendation, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub level: CareLevel,
    pub reasons: Vec<String>,
    pub supports: Vec<String>,
    pub weekly_hours: Option<Hours>,
    pub explanations: BTreeMap<String, String>,
    pub policy: PolicyId,
}

/// Which policy made a recommendation (kept with every stored placement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyId {
    pub edition: String,
    pub version: String,
}

impl Policy {
    /// Parses a policy and checks that every code has an explanation.
    pub fn from_json(text: &str) -> Result<Policy, String> {
        let policy: Policy = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let codes = policy
            .groups
            .iter()
            .flat_map(|g| g.conditions.iter().map(|r| &r.code))
            .chain(policy.supports.iter().map(|r| &r.code))
            .chain(std::iter::once(&policy.fallback.code));
        for code in codes {
            if !policy.explanations.contains_key(code) {
                return Err(format!("no explanation for {code}"));
            }
        }
        Ok(policy)
    }

    /// Evaluates the policy.
    pub fn recommend(&self, input: &PlacementInput) -> Recommendation {
        let mut reasons = Vec::new();
        let mut level = None;
        for group in &self.groups {
            for rule in &group.conditions {
                if rule.when.holds(input) {
                    if !reasons.contains(&rule.code) {
                        reasons.push(rule.code.clone());
                    }
                    level.get_or_insert(group.level);
                }
            }
        }
        let level = match level {
            Some(level) => level,
            None => {
                reasons.push(self.fallback.code.clone());
                self.fallback.level
            }
        };
        let supports: Vec<String> = self
            .supports
            .iter()
            .filter(|r| r.when.holds(input))
            .map(|r| r.code.clone())
            .collect();
        let adolescent = input.age < self.adolescent_below_age;
        let weekly_hours = self
            .weekly_hours
            .get(&level)
            .map(|h| if adolescent { h.adolescent } else { h.adult });
        let explanations = reasons
            .iter()
            .chain(&supports)
            .map(|code| {
                (
                    code.clone(),
                    self.explanations.get(code).cloned().unwrap_or_default(),
                )
            })
            .collect();
        Recommendation {
            level,
            reasons,
            supports,
            weekly_hours,
            explanations,
            policy: PolicyId {
                edition: self.edition.clone(),
                version: self.version.clone(),
            },
        }
    }
}

const DEFAULT_POLICY: &str = include_str!("../policy/asam3-default-v1.json");

static DEFAULT: LazyLock<Policy> = LazyLock::new(|| match Policy::from_json(DEFAULT_POLICY) {
    Ok(policy) => policy,
    // The file ships with the binary and is checked by a unit test; a broken build of it
    // must not start silently with no policy.
    Err(err) => panic!("the default placement policy is invalid: {err}"),
});

/// The default policy (ASAM 3rd-edition dimensions, OpenIOP default version 1).
pub fn default_policy() -> &'static Policy {
    &DEFAULT
}

#[cfg(test)]
mod tests;
