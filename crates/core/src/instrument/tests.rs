use proptest::prelude::*;

use super::*;

fn inst(code: &str) -> &'static Instrument {
    find(code).unwrap()
}

fn run(code: &str, answers: &[i64]) -> Score {
    score(inst(code), answers, None).unwrap()
}

fn fields(code: &str, answers: &[i64], sex: Option<&str>) -> Vec<String> {
    score(inst(code), answers, sex)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.field)
        .collect()
}

/// Answers (allowed points per item) summing to `total`, if any exist.
fn answers_for(instrument: &Instrument, total: u32) -> Option<Vec<i64>> {
    fn go(items: &[Item], total: u32, out: &mut Vec<i64>) -> bool {
        let Some((first, rest)) = items.split_first() else {
            return total == 0;
        };
        for c in first.choices.iter().rev() {
            if u32::from(c.points) <= total {
                out.push(i64::from(c.points));
                if go(rest, total - u32::from(c.points), out) {
                    return true;
                }
                out.pop();
            }
        }
        false
    }
    let mut out = Vec::new();
    go(&instrument.items, total, &mut out).then_some(out)
}

#[test]
fn the_catalog_has_every_instrument_with_its_item_count() {
    let counts: Vec<(&str, usize)> = catalog().iter().map(|i| (i.code, i.items.len())).collect();
    assert_eq!(
        counts,
        [
            ("phq9", 9),
            ("gad7", 7),
            ("audit", 10),
            ("auditc", 3),
            ("dast10", 10),
            ("cssrs", 7),
            ("ciwaar", 10),
            ("cows", 11),
            ("bam", 17)
        ]
    );
}

#[test]
fn bands_tile_the_whole_range_of_totals() {
    for i in catalog().iter().filter(|i| i.banding == Banding::ByTotal) {
        assert_eq!(i.bands.first().unwrap().min, 0, "{}", i.code);
        assert_eq!(i.bands.last().unwrap().max, i.max_total(), "{}", i.code);
        for pair in i.bands.windows(2) {
            assert_eq!(pair[0].max + 1, pair[1].min, "{}", i.code);
        }
    }
    assert_eq!(inst("phq9").max_total(), 27);
    assert_eq!(inst("gad7").max_total(), 21);
    assert_eq!(inst("audit").max_total(), 40);
    assert_eq!(inst("ciwaar").max_total(), 67);
    assert_eq!(inst("cows").max_total(), 48);
}

/// Every band boundary of every summed instrument: the lowest and highest total of each band.
// Long: a table of every band boundary of every summed instrument.
#[test]
fn every_band_boundary() {
    let expected: &[(&str, &[(u32, &str)])] = &[
        (
            "phq9",
            &[
                (0, "minimal"),
                (4, "minimal"),
                (5, "mild"),
                (9, "mild"),
                (10, "moderate"),
                (14, "moderate"),
                (15, "moderately_severe"),
                (19, "moderately_severe"),
                (20, "severe"),
                (27, "severe"),
            ],
        ),
        (
            "gad7",
            &[
                (0, "minimal"),
                (4, "minimal"),
                (5, "mild"),
                (9, "mild"),
                (10, "moderate"),
                (14, "moderate"),
                (15, "severe"),
                (21, "severe"),
            ],
        ),
        (
            "audit",
            &[
                (0, "low_risk"),
                (7, "low_risk"),
                (8, "hazardous"),
                (15, "hazardous"),
                (16, "harmful"),
                (19, "harmful"),
                (20, "possible_dependence"),
                (40, "possible_dependence"),
            ],
        ),
        (
            "ciwaar",
            &[
                (0, "mild"),
                (9, "mild"),
                (10, "moderate"),
                (18, "moderate"),
                (19, "severe"),
                (67, "severe"),
            ],
        ),
        (
            "cows",
            &[
                (0, "none"),
                (4, "none"),
                (5, "mild"),
                (12, "mild"),
                (13, "moderate"),
                (24, "moderate"),
                (25, "moderately_severe"),
                (36, "moderately_severe"),
                (37, "severe"),
                (48, "severe"),
            ],
        ),
    ];
    for (code, cases) in expected {
        for (total, band) in *cases {
            let answers =
                answers_for(inst(code), *total).unwrap_or_else(|| panic!("{code} total {total}"));
            let s = run(code, &answers);
            assert_eq!(
                (s.total.unwrap(), s.band.unwrap()),
                (*total, *band),
                "{code} {answers:?}"
            );
        }
    }
}

#[test]
fn gad7_example_from_the_contract() {
    let s = run("gad7", &[1, 1, 1, 1, 1, 0, 0]);
    assert_eq!(
        (s.total.unwrap(), s.band.unwrap(), s.flags.len()),
        (5, "mild", 0)
    );
}

#[test]
fn phq9_item_9_flags_whatever_the_total() {
    assert_eq!(
        run("phq9", &[0, 0, 0, 0, 0, 0, 0, 0, 1]).flags,
        ["suicidal_ideation"]
    );
    assert_eq!(
        run("phq9", &[0, 0, 0, 0, 0, 0, 0, 0, 1]).band.unwrap(),
        "minimal"
    );
    assert!(run("phq9", &[3, 3, 3, 3, 3, 3, 3, 3, 0]).flags.is_empty());
}

#[test]
fn audit_items_9_and_10_take_only_0_2_4_and_items_4_to_6_flag() {
    assert_eq!(
        fields("audit", &[0, 0, 0, 0, 0, 0, 0, 0, 1, 3], None),
        ["answers[8]", "answers[9]"]
    );
    assert!(
        run("audit", &[4, 4, 4, 0, 0, 0, 4, 4, 4, 4])
            .flags
            .is_empty()
    );
    for i in 3..6 {
        let mut a = vec![0; 10];
        a[i] = 1;
        assert_eq!(
            run("audit", &a).flags,
            ["dependence_symptoms"],
            "item {}",
            i + 1
        );
    }
}

#[test]
fn auditc_cutoff_depends_on_sex() {
    let s = |answers: &[i64], sex: &str| score(inst("auditc"), answers, Some(sex)).unwrap();
    assert_eq!(s(&[1, 1, 1], "male").band.unwrap(), "negative");
    assert_eq!(s(&[2, 1, 1], "male").band.unwrap(), "positive");
    for sex in ["female", "other", "unknown"] {
        assert_eq!(s(&[1, 1, 0], sex).band.unwrap(), "negative");
        assert_eq!(s(&[1, 1, 1], sex).band.unwrap(), "positive");
    }
    assert!(s(&[4, 3, 0], "male").flags.is_empty());
    assert_eq!(s(&[4, 4, 0], "female").flags, ["high_risk"]);
    assert_eq!(fields("auditc", &[1, 1, 1], None), ["sex"]);
    assert_eq!(fields("auditc", &[1, 1, 1], Some("man")), ["sex"]);
}

#[test]
fn dast10_reverses_item_3_and_bands_at_every_boundary() {
    let yes = |count: usize| {
        let mut a = vec![0i64; 10];
        a[2] = 1; // "able to stop": yes scores 0
        for slot in [0, 1, 3, 4, 5, 6, 7, 8, 9].iter().take(count) {
            a[*slot] = 1;
        }
        a
    };
    for (count, band) in [
        (0, "none"),
        (1, "low"),
        (2, "low"),
        (3, "moderate"),
        (5, "moderate"),
        (6, "substantial"),
        (8, "substantial"),
        (9, "severe"),
    ] {
        assert_eq!(
            run("dast10", &yes(count)).band.unwrap(),
            band,
            "{count} yes"
        );
        assert_eq!(run("dast10", &yes(count)).total.unwrap(), count as u32);
    }
    let mut all = vec![1i64; 10];
    all[2] = 0;
    assert_eq!(
        (
            run("dast10", &all).total.unwrap(),
            run("dast10", &all).band.unwrap()
        ),
        (10, "severe")
    );
    assert_eq!(
        run("dast10", &[0; 10]).total.unwrap(),
        1,
        "never able to stop counts"
    );
}

#[test]
fn cssrs_bands_flags_and_skip_logic() {
    let s = |a: [i64; 7]| run("cssrs", &a);
    assert_eq!(s([0; 7]).band.unwrap(), "none");
    assert!(s([0; 7]).flags.is_empty());
    assert_eq!(s([1, 0, 0, 0, 0, 0, 0]).band.unwrap(), "low");
    let low = s([1, 1, 0, 0, 0, 0, 0]);
    assert_eq!(
        (low.band.unwrap(), low.total.unwrap(), low.flags.clone()),
        ("low", 2, vec!["suicidal_ideation"])
    );
    assert_eq!(s([1, 1, 1, 0, 0, 0, 0]).band.unwrap(), "moderate");
    assert_eq!(s([0, 0, 0, 0, 0, 1, 0]).band.unwrap(), "moderate");
    assert_eq!(s([0, 0, 0, 0, 0, 1, 0]).flags, ["suicide_risk_moderate"]);
    assert_eq!(s([1, 1, 0, 1, 0, 0, 0]).band.unwrap(), "high");
    assert_eq!(s([1, 1, 0, 0, 1, 0, 0]).band.unwrap(), "high");
    let recent = s([0, 0, 0, 0, 0, 1, 1]);
    assert_eq!(
        (recent.band.unwrap(), recent.total.unwrap()),
        ("high", 1),
        "item 7 is not counted in the total"
    );
    assert_eq!(recent.flags, ["suicide_risk_high"]);
    let all = s([1, 1, 1, 1, 1, 1, 1]);
    assert_eq!((all.band.unwrap(), all.total.unwrap()), ("high", 6));
    assert_eq!(all.flags, ["suicide_risk_high", "suicidal_ideation"]);
    assert_eq!(
        fields("cssrs", &[1, 0, 1, 1, 1, 0, 0], None),
        ["answers[2]", "answers[3]", "answers[4]"]
    );
    assert_eq!(
        fields("cssrs", &[0, 0, 0, 0, 0, 0, 1], None),
        ["answers[6]"]
    );
}

#[test]
fn cows_accepts_only_printed_points() {
    assert_eq!(
        fields("cows", &[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], None),
        ["answers[0]"]
    );
    assert_eq!(
        fields("cows", &[0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1], None),
        ["answers[2]", "answers[10]"]
    );
    assert_eq!(
        run("cows", &[4, 4, 5, 5, 4, 4, 5, 4, 4, 4, 5])
            .total
            .unwrap(),
        48
    );
}

#[test]
fn count_and_range_errors_name_their_fields() {
    assert_eq!(fields("gad7", &[1, 1, 1], None), ["answers"]);
    assert_eq!(fields("gad7", &[1, 1, 1, 1, 1, 0, 9], None), ["answers[6]"]);
    assert_eq!(
        fields("gad7", &[-1, 1, 1, 1, 1, 0, 4], None),
        ["answers[0]", "answers[6]"]
    );
    assert_eq!(
        fields("ciwaar", &[7, 7, 7, 7, 7, 7, 7, 7, 7, 5], None),
        ["answers[9]"]
    );
    // `sex` is read only by AUDIT-C.
    assert!(score(inst("phq9"), &[0; 9], Some("nonsense")).is_ok());
}

fn valid_answers() -> impl Strategy<Value = (&'static Instrument, Vec<i64>)> {
    (0..catalog().len()).prop_flat_map(|i| {
        let instrument = &catalog()[i];
        let per_item: Vec<_> = instrument
            .items
            .iter()
            .map(|item| {
                proptest::sample::select(
                    item.choices
                        .iter()
                        .map(|c| i64::from(c.points))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        (Just(instrument), per_item)
    })
}

proptest! {
    /// Any valid answers: the total is in range and the band is the one its total falls in.
    #[test]
    fn totals_and_bands_are_consistent((instrument, answers) in valid_answers(), male in any::<bool>()) {
        let sex = if male { "male" } else { "female" };
        match score(instrument, &answers, Some(sex)) {
            Ok(s) => {
                let total = s.total.unwrap_or(0);
                prop_assert_eq!(s.total.is_none(), instrument.total == Total::None);
                prop_assert!(total <= instrument.max_total());
                match instrument.banding {
                    Banding::ByTotal => {
                        let band = instrument.bands.iter().find(|b| (b.min..=b.max).contains(&total)).map(|b| b.code);
                        prop_assert_eq!(s.band, band);
                    }
                    Banding::SexCutoff { male: m, other } => {
                        let cut = if male { m } else { other };
                        prop_assert_eq!(s.band, Some(if total >= cut { "positive" } else { "negative" }));
                    }
                    Banding::Cssrs => prop_assert!(["none", "low", "moderate", "high"].contains(&s.band.unwrap_or(""))),
                    Banding::None => prop_assert_eq!(s.band, None),
                }
                for sub in &instrument.subscales {
                    let sum: u32 = sub.items.iter().map(|&i| u32::try_from(answers[i]).unwrap()).sum();
                    prop_assert_eq!(s.subscales.get(sub.code), Some(&sum));
                }
            }
            // Only skip logic (C-SSRS) and the BAM's heavy-drinking rule refuse allowed points.
            Err(_) => prop_assert!(["cssrs", "bam"].contains(&instrument.code)),
        }
    }

    /// Any value outside an item's points is refused on that item.
    #[test]
    fn out_of_range_values_name_the_item((instrument, mut answers) in valid_answers(), slot in any::<prop::sample::Index>(), bad in 8i64..1000) {
        let i = slot.index(answers.len());
        answers[i] = bad;
        let err = score(instrument, &answers, Some("male")).unwrap_err();
        let expected = format!("answers[{i}]");
        prop_assert!(err.0.iter().any(|e| e.field == expected));
    }
}

#[test]
fn bam_has_subscales_and_no_total() {
    // Items in order: 1 health, 2 sleep, 3 mood, 4 alcohol, 5 heavy drinking, 6 drugs,
    // 7 drug details, 8 craving, 9 confidence, 10 meetings, 11 risky situations,
    // 12 spirituality, 13 work/school, 14 income, 15 family problems, 16 sober support,
    // 17 satisfaction.
    let answers = [2, 1, 3, 1, 0, 2, 4, 3, 4, 3, 1, 2, 4, 4, 2, 4, 3];
    let s = run("bam", &answers);
    assert_eq!(s.total, None);
    assert_eq!(s.band, None);
    assert_eq!(s.subscales.get("use"), Some(&3), "items 4, 5, 6");
    assert_eq!(
        s.subscales.get("risk"),
        Some(&(2 + 1 + 3 + 3 + 1 + 2)),
        "items 1, 2, 3, 8, 11, 15"
    );
    assert_eq!(
        s.subscales.get("protective"),
        Some(&(4 + 3 + 2 + 4 + 4 + 4)),
        "items 9, 10, 12, 13, 14, 16"
    );
    assert_eq!(s.subscales.len(), 3);
    assert_eq!(s.flags, ["substance_use", "risk_elevated"]);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["total"], serde_json::Value::Null);
    assert_eq!(json["subscales"]["protective"], 21);
}

#[test]
fn bam_item_7_and_item_17_are_not_scored() {
    let base = [0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 4, 4, 4, 0, 4, 0];
    let mut details = base;
    details[6] = 4;
    details[16] = 4;
    assert_eq!(run("bam", &base).subscales, run("bam", &details).subscales);
    assert!(
        run("bam", &base).flags.is_empty(),
        "no use, no risk, protected"
    );
}

#[test]
fn bam_flags_at_their_cut_offs() {
    let flags = |answers: [i64; 17]| run("bam", &answers).flags;
    // Risk 12 (items 1, 2, 3 at 4), protection 13 (4+4+4+1 on items 9, 10, 12, 13).
    let risk = [4, 4, 4, 0, 0, 0, 0, 0, 4, 4, 0, 4, 1, 0, 0, 0, 0];
    assert_eq!(flags(risk), ["risk_elevated"]);
    let mut lower = risk;
    lower[0] = 3;
    assert!(flags(lower).is_empty(), "risk 11");
    let mut unprotected = lower;
    unprotected[12] = 0;
    assert_eq!(flags(unprotected), ["protection_low"], "protection 12");
}

#[test]
fn bam_refuses_what_the_form_cannot_say() {
    // Income is asked yes (4) or no (0).
    assert_eq!(
        fields(
            "bam",
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0],
            None
        ),
        ["answers[13]"]
    );
    // More heavy-drinking days than drinking days.
    assert_eq!(
        fields(
            "bam",
            &[0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            None
        ),
        ["answers[4]"]
    );
    assert_eq!(fields("bam", &[0; 16], None), ["answers"]);
}
