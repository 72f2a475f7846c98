//! The instruments themselves: each one's items with the points printed on its published
//! form, its default bands, flag rules and terms of use. [`build`] is one long table by
//! design: an instrument reads top to bottom as its form does, and splitting it would scatter
//! a form across functions.

use super::*;

const FREQUENCY: &[Choice] = &[
    Choice {
        points: 0,
        label: "Not at all",
    },
    Choice {
        points: 1,
        label: "Several days",
    },
    Choice {
        points: 2,
        label: "More than half the days",
    },
    Choice {
        points: 3,
        label: "Nearly every day",
    },
];
const YES_NO: &[Choice] = &[
    Choice {
        points: 0,
        label: "No",
    },
    Choice {
        points: 1,
        label: "Yes",
    },
];
const AUDIT_FREQ: &[Choice] = &[
    Choice {
        points: 0,
        label: "Never",
    },
    Choice {
        points: 1,
        label: "Less than monthly / monthly or less",
    },
    Choice {
        points: 2,
        label: "Monthly / 2-4 times a month",
    },
    Choice {
        points: 3,
        label: "Weekly / 2-3 times a week",
    },
    Choice {
        points: 4,
        label: "Daily or almost daily / 4+ times a week",
    },
];
const AUDIT_DRINKS: &[Choice] = &[
    Choice {
        points: 0,
        label: "1 or 2",
    },
    Choice {
        points: 1,
        label: "3 or 4",
    },
    Choice {
        points: 2,
        label: "5 or 6",
    },
    Choice {
        points: 3,
        label: "7 to 9",
    },
    Choice {
        points: 4,
        label: "10 or more",
    },
];
const AUDIT_HARM: &[Choice] = &[
    Choice {
        points: 0,
        label: "No",
    },
    Choice {
        points: 2,
        label: "Yes, but not in the last year",
    },
    Choice {
        points: 4,
        label: "Yes, during the last year",
    },
];

const fn scale(max: u8) -> &'static [Choice] {
    match max {
        4 => &[
            Choice {
                points: 0,
                label: "0",
            },
            Choice {
                points: 1,
                label: "1",
            },
            Choice {
                points: 2,
                label: "2",
            },
            Choice {
                points: 3,
                label: "3",
            },
            Choice {
                points: 4,
                label: "4",
            },
        ],
        _ => &[
            Choice {
                points: 0,
                label: "0",
            },
            Choice {
                points: 1,
                label: "1",
            },
            Choice {
                points: 2,
                label: "2",
            },
            Choice {
                points: 3,
                label: "3",
            },
            Choice {
                points: 4,
                label: "4",
            },
            Choice {
                points: 5,
                label: "5",
            },
            Choice {
                points: 6,
                label: "6",
            },
            Choice {
                points: 7,
                label: "7",
            },
        ],
    }
}

macro_rules! points {
    ($($p:expr),*) => {
        &[$(Choice { points: $p, label: stringify!($p) }),*]
    };
}

fn item(label: &'static str, wording: Option<&'static str>, choices: &'static [Choice]) -> Item {
    Item {
        label,
        wording,
        choices,
    }
}

fn bands(list: &[(u32, u32, &'static str)]) -> Vec<Band> {
    list.iter()
        .map(|&(min, max, code)| Band { min, max, code })
        .collect()
}

const PFIZER: &str = "PHQ and GAD-7 instruments: developed by Drs. Robert L. Spitzer, Janet B.W. Williams, \
Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission required to reproduce, \
translate, display or distribute. Full wording shown.";

/// BAM answers that count days in the past 30, as the VA form's intervals.
const BAM_DAYS: &[Choice] = &[
    Choice {
        points: 0,
        label: "0 days",
    },
    Choice {
        points: 1,
        label: "1-3 days",
    },
    Choice {
        points: 2,
        label: "4-8 days",
    },
    Choice {
        points: 3,
        label: "9-15 days",
    },
    Choice {
        points: 4,
        label: "16-30 days",
    },
];
const BAM_EXTENT: &[Choice] = &[
    Choice {
        points: 0,
        label: "Not at all",
    },
    Choice {
        points: 1,
        label: "Slightly",
    },
    Choice {
        points: 2,
        label: "Moderately",
    },
    Choice {
        points: 3,
        label: "Considerably",
    },
    Choice {
        points: 4,
        label: "Extremely",
    },
];
const BAM_HEALTH: &[Choice] = &[
    Choice {
        points: 0,
        label: "Excellent",
    },
    Choice {
        points: 1,
        label: "Very good",
    },
    Choice {
        points: 2,
        label: "Good",
    },
    Choice {
        points: 3,
        label: "Fair",
    },
    Choice {
        points: 4,
        label: "Poor",
    },
];
const BAM_INCOME: &[Choice] = &[
    Choice {
        points: 0,
        label: "No",
    },
    Choice {
        points: 4,
        label: "Yes",
    },
];

/// The Brief Addiction Monitor: 17 items, past 30 days (VA, public domain), scored as in the
/// VA manual: day counts as intervals 0-4, subscales only.
// Long: the BAM's seventeen items, as printed on the form, with their choices.
fn bam() -> Instrument {
    let days = |label, wording| item(label, Some(wording), BAM_DAYS);
    let extent = |label, wording| item(label, Some(wording), BAM_EXTENT);
    Instrument {
        code: "bam",
        name: "BAM (Brief Addiction Monitor)",
        stem: Some("In the past 30 days:"),
        items: vec![
            item(
                "Physical health",
                Some("In the past 30 days, would you say your physical health has been:"),
                BAM_HEALTH,
            ),
            days(
                "Sleep",
                "In the past 30 days, how many nights did you have trouble falling asleep or staying asleep?",
            ),
            days(
                "Mood",
                "In the past 30 days, how many days have you felt depressed, anxious, angry or very upset throughout most of the day?",
            ),
            days(
                "Any alcohol",
                "In the past 30 days, how many days did you drink ANY alcohol?",
            ),
            days(
                "Heavy drinking",
                "In the past 30 days, how many days did you have at least 5 drinks (if you are a man) or at least 4 drinks (if you are a woman)? [One drink is considered one shot of hard liquor (1.5 oz.) or 12-ounce can/bottle of beer or 5-ounce glass of wine.]",
            ),
            days(
                "Any drugs",
                "In the past 30 days, how many days did you use any illegal/street drugs or abuse any prescription medications?",
            ),
            days(
                "Drug details (7A-7G, not scored)",
                "In the past 30 days, how many days did you use any of the following drugs: marijuana (cannabis, pot, weed); sedatives/tranquilizers (e.g. benzos, Valium, Xanax, Ativan, Ambien, barbs, Phenobarbital, downers, etc.); cocaine/crack; other stimulants (e.g. amphetamine, methamphetamine, Dexedrine, Ritalin, Adderall, speed, crystal meth, ice, etc.); opiates (e.g. heroin, morphine, Dilaudid, Demerol, Oxycontin, oxy, codeine (Tylenol 2,3,4), Percocet, Vicodin, Fentanyl, etc.); inhalants (glues, adhesives, nail polish or paint thinner, etc.); other drugs (steroids, non-prescription sleep/diet pills, Benadryl, Ephedra, other over-the-counter/unknown medications)? Record the most days of any one of them.",
            ),
            extent(
                "Craving",
                "In the past 30 days, how much were you bothered by cravings or urges to drink alcohol or use drugs?",
            ),
            extent(
                "Confidence",
                "How confident are you in your ability to be completely abstinent (clean) from alcohol and drugs in the next 30 days?",
            ),
            days(
                "Self-help meetings",
                "In the past 30 days, how many days did you attend self-help meetings like AA or NA to support your recovery?",
            ),
            days(
                "Risky situations",
                "In the past 30 days, how many days were you in any situations or with any people that might put you at an increased risk for using alcohol or drugs (i.e., around risky \"people, places or things\")?",
            ),
            extent(
                "Religion or spirituality",
                "Does your religion or spirituality help support your recovery?",
            ),
            days(
                "Work, school or volunteering",
                "In the past 30 days, how many days did you spend much of the time at work, school, or doing volunteer work?",
            ),
            item(
                "Enough income",
                Some(
                    "Do you have enough income (from legal sources) to pay for necessities such as housing, transportation, food and clothing for yourself and your dependents?",
                ),
                BAM_INCOME,
            ),
            extent(
                "Family or social problems",
                "In the past 30 days, how much have you been bothered by arguments or problems getting along with any family members or friends?",
            ),
            days(
                "Sober support",
                "In the past 30 days, how many days were you in contact or spent time with any family members or friends who are supportive of your recovery?",
            ),
            extent(
                "Satisfaction with progress",
                "How satisfied are you with your progress toward achieving your recovery goals?",
            ),
        ],
        total: Total::None,
        banding: Banding::None,
        bands: vec![],
        subscales: vec![
            Subscale {
                code: "use",
                items: &[3, 4, 5],
            },
            Subscale {
                code: "risk",
                items: &[0, 1, 2, 7, 10, 14],
            },
            Subscale {
                code: "protective",
                items: &[8, 9, 11, 12, 13, 15],
            },
        ],
        // Cut-offs of the Likert (interval) form as used in practice: any use, risk 12 or
        // more, protection 12 or less. The manual asks clinicians to read items first.
        flags: vec![
            FlagRule::SubscaleAtLeast {
                subscale: "use",
                min: 1,
                flag: "substance_use",
            },
            FlagRule::SubscaleAtLeast {
                subscale: "risk",
                min: 12,
                flag: "risk_elevated",
            },
            FlagRule::SubscaleAtMost {
                subscale: "protective",
                max: 12,
                flag: "protection_low",
            },
        ],
        consistency: vec![Consistency::AtMost {
            item: 4,
            bound: 3,
            message: "heavy-drinking days cannot exceed the days with any alcohol (item 4)",
        }],
        needs_sex: false,
        licence: "Brief Addiction Monitor: developed by the VA (Cacciola et al. 2013; VISN 4 MIRECC and \
                  Philadelphia CESATE), a work of the US federal government, public domain. Full wording shown.",
        loinc_total: None,
    }
}

// Long: a table of the instruments, each read top to bottom as its published form is.
pub(super) fn build() -> Vec<Instrument> {
    let phq = [
        ("Interest", "Little interest or pleasure in doing things"),
        ("Mood", "Feeling down, depressed, or hopeless"),
        (
            "Sleep",
            "Trouble falling or staying asleep, or sleeping too much",
        ),
        ("Energy", "Feeling tired or having little energy"),
        ("Appetite", "Poor appetite or overeating"),
        (
            "Self-worth",
            "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
        ),
        (
            "Concentration",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
        ),
        (
            "Movement",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite - being so fidgety or restless that you have been moving around a lot more than usual",
        ),
        (
            "Self-harm thoughts",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
    ];
    let gad = [
        ("Nervousness", "Feeling nervous, anxious or on edge"),
        (
            "Uncontrolled worry",
            "Not being able to stop or control worrying",
        ),
        (
            "Excessive worry",
            "Worrying too much about different things",
        ),
        ("Relaxing", "Trouble relaxing"),
        (
            "Restlessness",
            "Being so restless that it is hard to sit still",
        ),
        ("Irritability", "Becoming easily annoyed or irritable"),
        ("Fear", "Feeling afraid as if something awful might happen"),
    ];
    let audit_items = vec![
        item("How often a drink containing alcohol", None, AUDIT_FREQ),
        item("Drinks on a typical drinking day", None, AUDIT_DRINKS),
        item(
            "How often six or more drinks on one occasion",
            None,
            AUDIT_FREQ,
        ),
        item("Unable to stop drinking once started", None, AUDIT_FREQ),
        item(
            "Failed to do what was expected because of drinking",
            None,
            AUDIT_FREQ,
        ),
        item("Needed a first drink in the morning", None, AUDIT_FREQ),
        item("Guilt or remorse after drinking", None, AUDIT_FREQ),
        item("Unable to remember the night before", None, AUDIT_FREQ),
        item(
            "Injury to self or others because of drinking",
            None,
            AUDIT_HARM,
        ),
        item("Others concerned about the drinking", None, AUDIT_HARM),
    ];
    vec![
        Instrument {
            code: "phq9",
            name: "PHQ-9 (Patient Health Questionnaire)",
            stem: Some(
                "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
            ),
            items: phq
                .iter()
                .map(|(l, w)| item(l, Some(w), FREQUENCY))
                .collect(),
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 4, "minimal"),
                (5, 9, "mild"),
                (10, 14, "moderate"),
                (15, 19, "moderately_severe"),
                (20, 27, "severe"),
            ]),
            subscales: vec![],
            flags: vec![FlagRule::AnyItemPositive {
                items: &[8],
                flag: "suicidal_ideation",
            }],
            consistency: vec![],
            needs_sex: false,
            licence: PFIZER,
            loinc_total: Some("44261-6"),
        },
        Instrument {
            code: "gad7",
            name: "GAD-7 (Generalized Anxiety Disorder)",
            stem: Some(
                "Over the last 2 weeks, how often have you been bothered by the following problems?",
            ),
            items: gad
                .iter()
                .map(|(l, w)| item(l, Some(w), FREQUENCY))
                .collect(),
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 4, "minimal"),
                (5, 9, "mild"),
                (10, 14, "moderate"),
                (15, 21, "severe"),
            ]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: PFIZER,
            loinc_total: Some("70274-6"),
        },
        Instrument {
            code: "audit",
            name: "AUDIT (Alcohol Use Disorders Identification Test)",
            stem: None,
            items: audit_items.clone(),
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 7, "low_risk"),
                (8, 15, "hazardous"),
                (16, 19, "harmful"),
                (20, 40, "possible_dependence"),
            ]),
            subscales: vec![],
            flags: vec![FlagRule::AnyItemPositive {
                items: &[3, 4, 5],
                flag: "dependence_symptoms",
            }],
            consistency: vec![],
            needs_sex: false,
            licence: "World Health Organization (c). Free for clinical use; sources conflict on commercial use \
                      (one implementer records non-commercial only). Short item labels shown; administer with the WHO form.",
            loinc_total: Some("75624-7"),
        },
        Instrument {
            code: "auditc",
            name: "AUDIT-C (AUDIT consumption items)",
            stem: None,
            items: audit_items[..3].to_vec(),
            total: Total::Sum,
            banding: Banding::SexCutoff { male: 4, other: 3 },
            bands: vec![],
            subscales: vec![],
            flags: vec![FlagRule::TotalAtLeast {
                min: 8,
                flag: "high_risk",
            }],
            consistency: vec![],
            needs_sex: true,
            licence: "Derived from the WHO AUDIT (Bush 1998; Bradley 2003). Short item labels shown, as for AUDIT.",
            loinc_total: Some("75626-2"),
        },
        Instrument {
            code: "dast10",
            name: "DAST-10 (Drug Abuse Screening Test)",
            stem: Some("In the past 12 months (drugs other than alcohol and tobacco):"),
            items: vec![
                item(
                    "Used drugs other than those required for medical reasons",
                    None,
                    YES_NO,
                ),
                item("Used more than one drug at a time", None, YES_NO),
                item(
                    "Always able to stop using drugs when wanted (a no scores 1)",
                    None,
                    YES_NO,
                ),
                item(
                    "Had blackouts or flashbacks as a result of drug use",
                    None,
                    YES_NO,
                ),
                item("Felt bad or guilty about drug use", None, YES_NO),
                item(
                    "Spouse or parents complained about involvement with drugs",
                    None,
                    YES_NO,
                ),
                item("Neglected family because of drug use", None, YES_NO),
                item(
                    "Engaged in illegal activities to obtain drugs",
                    None,
                    YES_NO,
                ),
                item(
                    "Withdrawal symptoms when stopped taking drugs",
                    None,
                    YES_NO,
                ),
                item("Medical problems as a result of drug use", None, YES_NO),
            ],
            total: Total::Yes {
                reversed: &[2],
                counted: 10,
            },
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 0, "none"),
                (1, 2, "low"),
                (3, 5, "moderate"),
                (6, 8, "substantial"),
                (9, 10, "severe"),
            ]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: "(c) Harvey A. Skinner, 1982; generally free for clinical and non-commercial use (unconfirmed). \
                      Short item labels shown.",
            loinc_total: None,
        },
        Instrument {
            code: "cssrs",
            name: "C-SSRS screener (Columbia Suicide Severity Rating Scale)",
            stem: Some("In the past month:"),
            items: vec![
                item("Wished to be dead or not wake up", None, YES_NO),
                item("Actual thoughts of killing oneself", None, YES_NO),
                item(
                    "Thought about how (method, no plan or intent)",
                    None,
                    YES_NO,
                ),
                item("Some intention of acting on the thoughts", None, YES_NO),
                item("Worked out details of a plan, with intent", None, YES_NO),
                item(
                    "Ever done, started or prepared to do anything to end one's life",
                    None,
                    YES_NO,
                ),
                item("That behaviour was within the past 3 months", None, YES_NO),
            ],
            total: Total::Yes {
                reversed: &[],
                counted: 6,
            },
            banding: Banding::Cssrs,
            bands: vec![],
            subscales: vec![],
            flags: vec![
                FlagRule::BandIs {
                    band: "high",
                    flag: "suicide_risk_high",
                },
                FlagRule::BandIs {
                    band: "moderate",
                    flag: "suicide_risk_moderate",
                },
                FlagRule::AnyItemPositive {
                    items: &[1],
                    flag: "suicidal_ideation",
                },
            ],
            consistency: (2..5)
                .map(|item| Consistency::Forbids {
                    when_item: 1,
                    when_points: 0,
                    item,
                    forbidden: 1,
                    message: "is not asked when item 2 (suicidal thoughts) is no",
                })
                .chain(std::iter::once(Consistency::Forbids {
                    when_item: 5,
                    when_points: 0,
                    item: 6,
                    forbidden: 1,
                    message: "can only be yes when item 6 (suicidal behaviour) is yes",
                }))
                .collect(),
            needs_sex: false,
            licence: "Columbia Lighthouse Project: free for community and clinical use; software that embeds it may \
                      need permission (unconfirmed). Short item labels shown; use the published screener wording.",
            loinc_total: None,
        },
        Instrument {
            code: "ciwaar",
            name: "CIWA-Ar (alcohol withdrawal)",
            stem: None,
            items: vec![
                item("Nausea and vomiting", None, scale(7)),
                item("Tremor", None, scale(7)),
                item("Paroxysmal sweats", None, scale(7)),
                item("Anxiety", None, scale(7)),
                item("Agitation", None, scale(7)),
                item("Tactile disturbances", None, scale(7)),
                item("Auditory disturbances", None, scale(7)),
                item("Visual disturbances", None, scale(7)),
                item("Headache, fullness in head", None, scale(7)),
                item("Orientation and clouding of sensorium", None, scale(4)),
            ],
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[(0, 9, "mild"), (10, 18, "moderate"), (19, 67, "severe")]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: "Sullivan et al. 1989; not copyrighted (unconfirmed). Clinician-rated; short labels with points.",
            loinc_total: None,
        },
        Instrument {
            code: "cows",
            name: "COWS (Clinical Opiate Withdrawal Scale)",
            stem: None,
            items: vec![
                item("Resting pulse rate", None, points!(0, 1, 2, 4)),
                item("Sweating", None, points!(0, 1, 2, 3, 4)),
                item("Restlessness", None, points!(0, 1, 3, 5)),
                item("Pupil size", None, points!(0, 1, 2, 5)),
                item("Bone or joint aches", None, points!(0, 1, 2, 4)),
                item("Runny nose or tearing", None, points!(0, 1, 2, 4)),
                item("GI upset", None, points!(0, 1, 2, 3, 5)),
                item("Tremor", None, points!(0, 1, 2, 4)),
                item("Yawning", None, points!(0, 1, 2, 4)),
                item("Anxiety or irritability", None, points!(0, 1, 2, 4)),
                item("Gooseflesh skin", None, points!(0, 3, 5)),
            ],
            total: Total::Sum,
            banding: Banding::ByTotal,
            bands: bands(&[
                (0, 4, "none"),
                (5, 12, "mild"),
                (13, 24, "moderate"),
                (25, 36, "moderately_severe"),
                (37, 48, "severe"),
            ]),
            subscales: vec![],
            flags: vec![],
            consistency: vec![],
            needs_sex: false,
            licence: "Wesson & Ling 2003, reproduced in SAMHSA material; free (unconfirmed). Clinician-rated; short \
                      labels with points.",
            loinc_total: None,
        },
        bam(),
    ]
}
