use proptest::prelude::*;

use super::*;

fn input(dims: [u8; 6], risk: SuicideRisk, factors: &[Factor]) -> PlacementInput {
    PlacementInput {
        age: 34,
        dimensions: dims,
        suicide_risk: risk,
        factors: factors.iter().copied().collect(),
    }
}

fn rec(dims: [u8; 6], risk: SuicideRisk, factors: &[Factor]) -> Recommendation {
    default_policy().recommend(&input(dims, risk, factors))
}

use Factor::*;
use SuicideRisk::{High, Low, Moderate, None as NoRisk};

// Dimension order: withdrawal, biomedical, emotional, readiness, relapse, environment.

/// Ratings, suicide risk, factors, then the level and the only reason expected.
type Vignette = ([u8; 6], SuicideRisk, Vec<Factor>, CareLevel, &'static str);

#[test]
fn the_default_policy_parses_and_explains_every_code() {
    let p = default_policy();
    assert_eq!(p.version, "openiop-default-1");
    assert_eq!(p.groups.len(), 5);
}

#[test]
fn no_elevated_risk_is_outpatient() {
    let r = rec([0; 6], NoRisk, &[]);
    assert_eq!(r.level, CareLevel::Op);
    assert_eq!(r.reasons, ["no_elevated_risk"]);
    assert!(r.supports.is_empty());
    assert_eq!(
        r.weekly_hours,
        Some(Hours {
            min: 1,
            max: Some(8)
        })
    );
    assert!(r.explanations["no_elevated_risk"].contains("outpatient"));
    assert_eq!(
        rec([1, 1, 1, 2, 1, 1], Low, &[SoberLivingAvailable]).level,
        CareLevel::Op
    );
}

/// Every condition, at its boundary, with the level and reason it gives on its own.
// Long: a table of cases, one per condition and boundary.
#[test]
fn vignettes_cover_every_condition_and_boundary() {
    let cases: Vec<Vignette> = vec![
        (
            [0; 6],
            High,
            vec![],
            CareLevel::Inpatient,
            "acute_suicide_risk",
        ),
        (
            [0, 4, 0, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::Inpatient,
            "acute_biomedical",
        ),
        (
            [0, 0, 4, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::Inpatient,
            "acute_psychiatric",
        ),
        (
            [3, 0, 0, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::WithdrawalManagement,
            "severe_withdrawal_risk",
        ),
        (
            [4, 0, 0, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::WithdrawalManagement,
            "severe_withdrawal_risk",
        ),
        (
            [0; 6],
            NoRisk,
            vec![LegalOrderResidential],
            CareLevel::Residential,
            "legal_order",
        ),
        (
            [0, 0, 0, 0, 4, 0],
            NoRisk,
            vec![],
            CareLevel::Residential,
            "uncontrolled_use",
        ),
        (
            [0, 0, 0, 0, 0, 3],
            NoRisk,
            vec![],
            CareLevel::Residential,
            "unsafe_environment",
        ),
        (
            [0, 0, 0, 0, 0, 4],
            NoRisk,
            vec![],
            CareLevel::Residential,
            "unsafe_environment",
        ),
        (
            [0; 6],
            Moderate,
            vec![],
            CareLevel::Php,
            "moderate_suicide_risk",
        ),
        (
            [0, 0, 3, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::Php,
            "psychiatric_instability",
        ),
        (
            [0, 3, 0, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::Php,
            "biomedical_complications",
        ),
        (
            [0; 6],
            NoRisk,
            vec![OpioidUse],
            CareLevel::Iop,
            "opioid_use",
        ),
        (
            [0; 6],
            NoRisk,
            vec![HeavyUseHistory],
            CareLevel::Iop,
            "heavy_use_history",
        ),
        (
            [0; 6],
            NoRisk,
            vec![CoOccurring],
            CareLevel::Iop,
            "co_occurring",
        ),
        (
            [0; 6],
            NoRisk,
            vec![RepeatedRelapse],
            CareLevel::Iop,
            "repeated_relapse",
        ),
        (
            [0; 6],
            NoRisk,
            vec![FailedLowerLevel],
            CareLevel::Iop,
            "failed_lower_level",
        ),
        (
            [0; 6],
            NoRisk,
            vec![SteppingDown],
            CareLevel::Iop,
            "stepping_down",
        ),
        (
            [0, 0, 0, 0, 2, 0],
            NoRisk,
            vec![],
            CareLevel::Iop,
            "relapse_risk",
        ),
        (
            [0, 0, 0, 0, 3, 0],
            NoRisk,
            vec![],
            CareLevel::Iop,
            "relapse_risk",
        ),
        (
            [2, 0, 0, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::Iop,
            "withdrawal_risk",
        ),
        (
            [0, 0, 2, 0, 0, 0],
            NoRisk,
            vec![],
            CareLevel::Iop,
            "emotional_risk",
        ),
        (
            [0, 0, 0, 0, 0, 2],
            NoRisk,
            vec![],
            CareLevel::Iop,
            "environment_risk",
        ),
        (
            [0, 0, 0, 0, 0, 3],
            NoRisk,
            vec![SoberLivingAvailable],
            CareLevel::Iop,
            "unsafe_environment_with_sober_living",
        ),
        (
            [0, 0, 0, 0, 0, 4],
            NoRisk,
            vec![SoberLivingAvailable],
            CareLevel::Iop,
            "unsafe_environment_with_sober_living",
        ),
    ];
    for (dims, risk, factors, level, reason) in cases {
        let r = rec(dims, risk, &factors);
        assert_eq!(r.level, level, "{reason}: {dims:?} {risk:?} {factors:?}");
        assert_eq!(r.reasons, [reason], "{dims:?} {risk:?} {factors:?}");
        assert!(!r.explanations[reason].is_empty());
    }
    // Just below each boundary, the condition does not hold.
    assert_eq!(rec([0, 0, 0, 0, 1, 0], NoRisk, &[]).level, CareLevel::Op);
    assert_eq!(rec([1, 0, 0, 0, 0, 0], NoRisk, &[]).level, CareLevel::Op);
    assert_eq!(rec([0, 2, 0, 0, 0, 0], NoRisk, &[]).level, CareLevel::Op);
    assert_eq!(rec([0, 0, 0, 0, 0, 1], NoRisk, &[]).level, CareLevel::Op);
    assert_eq!(rec([0; 6], Low, &[]).level, CareLevel::Op);
}

#[test]
fn reasons_come_from_every_group_in_order() {
    let r = rec([2, 0, 0, 0, 4, 0], High, &[OpioidUse, OpioidUse]);
    assert_eq!(r.level, CareLevel::Inpatient);
    assert_eq!(
        r.reasons,
        [
            "acute_suicide_risk",
            "uncontrolled_use",
            "opioid_use",
            "withdrawal_risk"
        ]
    );
    assert_eq!(
        r.supports,
        [
            "crisis_evaluation",
            "safety_plan",
            "mat_evaluation",
            "withdrawal_monitoring"
        ]
    );
    assert_eq!(r.weekly_hours, None);
    assert_eq!(r.explanations.len(), 8);
}

#[test]
fn supports_follow_their_rules() {
    let r = rec(
        [0, 0, 2, 3, 0, 3],
        Moderate,
        &[SoberLivingAvailable, CoOccurring],
    );
    assert_eq!(
        r.supports,
        [
            "safety_plan",
            "sober_living",
            "motivational_enhancement",
            "integrated_mental_health"
        ]
    );
    assert_eq!(
        rec([0, 0, 0, 2, 0, 0], NoRisk, &[]).supports,
        Vec::<String>::new()
    );
    assert_eq!(
        rec([0, 0, 0, 4, 0, 0], NoRisk, &[]).supports,
        ["motivational_enhancement"]
    );
}

#[test]
fn weekly_hours_depend_on_level_and_age() {
    let at = |age: u8, dims: [u8; 6]| {
        default_policy()
            .recommend(&PlacementInput {
                age,
                dimensions: dims,
                suicide_risk: NoRisk,
                factors: BTreeSet::new(),
            })
            .weekly_hours
    };
    assert_eq!(
        at(17, [0; 6]),
        Some(Hours {
            min: 1,
            max: Some(5)
        })
    );
    assert_eq!(
        at(18, [0; 6]),
        Some(Hours {
            min: 1,
            max: Some(8)
        })
    );
    assert_eq!(
        at(17, [0, 0, 0, 0, 2, 0]),
        Some(Hours {
            min: 6,
            max: Some(19)
        })
    );
    assert_eq!(
        at(40, [0, 0, 0, 0, 2, 0]),
        Some(Hours {
            min: 9,
            max: Some(19)
        })
    );
    assert_eq!(
        at(15, [0, 3, 0, 0, 0, 0]),
        Some(Hours { min: 20, max: None })
    );
    assert_eq!(at(40, [3, 0, 0, 0, 0, 0]), None);
}

#[test]
fn input_validation_names_every_field() {
    let factors = vec!["opioid_use".to_owned(), "astrology".to_owned()];
    let err = PlacementInput::parse(&PlacementForm {
        age: 121,
        dimensions: [0, 5, 0, -1, 0, 0],
        suicide_risk: "extreme",
        factors: &factors,
    })
    .unwrap_err();
    let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "age",
            "dimensions.biomedical",
            "dimensions.readiness",
            "suicide_risk",
            "factors[1]"
        ]
    );
    let ok = PlacementInput::parse(&PlacementForm {
        age: 0,
        dimensions: [4; 6],
        suicide_risk: "low",
        factors: &["co_occurring".to_owned(), "co_occurring".to_owned()],
    })
    .unwrap();
    assert_eq!(ok.factors.len(), 1, "repeated factors count once");
}

#[test]
fn a_policy_without_explanations_is_refused() {
    let broken = DEFAULT_POLICY.replace("\"no_elevated_risk\": \"", "\"renamed\": \"");
    assert!(
        Policy::from_json(&broken)
            .unwrap_err()
            .contains("no_elevated_risk")
    );
}

fn any_input() -> impl Strategy<Value = PlacementInput> {
    (
        0u8..=120,
        proptest::array::uniform6(0u8..=4),
        0usize..4,
        proptest::collection::btree_set(0usize..8, 0..4),
    )
        .prop_map(|(age, dimensions, risk, factors)| PlacementInput {
            age,
            dimensions,
            suicide_risk: SuicideRisk::ALL[risk],
            factors: factors.into_iter().map(|i| Factor::ALL[i]).collect(),
        })
}

proptest! {
    /// Raising any single dimension never lowers the level.
    #[test]
    fn raising_a_dimension_never_lowers_the_level(input in any_input(), which in 0usize..6) {
        prop_assume!(input.dimensions[which] < 4);
        let before = default_policy().recommend(&input).level;
        let mut raised = input.clone();
        raised.dimensions[which] += 1;
        let after = default_policy().recommend(&raised).level;
        prop_assert!(after.intensity() >= before.intensity(), "{before:?} -> {after:?} raising {which}");
    }

    /// Raising suicide risk never lowers the level either.
    #[test]
    fn raising_suicide_risk_never_lowers_the_level(input in any_input()) {
        let before = default_policy().recommend(&input).level;
        for risk in SuicideRisk::ALL.into_iter().filter(|r| *r > input.suicide_risk) {
            let raised = PlacementInput { suicide_risk: risk, ..input.clone() };
            prop_assert!(default_policy().recommend(&raised).level.intensity() >= before.intensity());
        }
    }

    /// Every recommendation explains each of its codes and has at least one reason.
    #[test]
    fn every_code_is_explained(input in any_input()) {
        let r = default_policy().recommend(&input);
        prop_assert!(!r.reasons.is_empty());
        for code in r.reasons.iter().chain(&r.supports) {
            prop_assert!(r.explanations.get(code).is_some_and(|s| !s.is_empty()));
        }
    }
}
