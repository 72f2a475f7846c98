use proptest::prelude::*;

use super::*;

fn session(id: &str, day: u8, start: &str, end: &str, capacity: u32, track: &str) -> Session {
    Session {
        id: id.into(),
        day,
        start: parse_time(start).unwrap(),
        end: parse_time(end).unwrap(),
        capacity,
        track: track.into(),
    }
}

fn patient(
    id: &str,
    hours: u32,
    days: u8,
    tracks: &[&str],
    windows: &[(u8, &str, &str)],
) -> Patient {
    Patient {
        id: id.into(),
        required_minutes: hours * 60,
        min_days: days,
        max_minutes: None,
        tracks: tracks.iter().map(|t| t.to_string()).collect(),
        availability: windows
            .iter()
            .map(|(d, a, b)| Window {
                day: *d,
                start: parse_time(a).unwrap(),
                end: parse_time(b).unwrap(),
            })
            .collect(),
    }
}

#[test]
fn times_and_days_parse_strictly() {
    assert_eq!(parse_time("00:00"), Some(0));
    assert_eq!(parse_time("23:59"), Some(1439));
    for bad in ["24:00", "9:00", "09:60", "0900", "", "ab:cd"] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
    assert_eq!(parse_day("sun"), Some(6));
    assert_eq!(parse_day("Monday"), None);
}

#[test]
fn touching_sessions_both_fit_and_everyone_is_listed() {
    let problem = Problem {
        sessions: vec![
            session("a", 0, "18:00", "21:00", 1, "evening"),
            session("b", 0, "21:00", "22:00", 1, "evening"),
        ],
        patients: vec![
            patient("p", 4, 1, &["evening"], &[(0, "17:00", "22:00")]),
            patient("q", 3, 1, &["day"], &[]),
        ],
        pinned: vec![],
        forbidden: vec![],
    };
    let solution = solve(&problem);
    assert_eq!(solution.sessions, vec![vec![0, 1], vec![]]);
    assert_eq!(problem.score(&solution), (1, 180));
    assert!(problem.violation(&solution).is_none());
}

#[test]
fn a_session_must_fit_inside_one_window() {
    let problem = Problem {
        sessions: vec![session("a", 0, "17:00", "20:00", 5, "t")],
        patients: vec![patient(
            "p",
            3,
            1,
            &["t"],
            &[(0, "16:00", "18:00"), (0, "18:00", "21:00")],
        )],
        pinned: vec![],
        forbidden: vec![],
    };
    assert_eq!(
        solve(&problem).sessions,
        vec![Vec::<usize>::new()],
        "two windows that touch are not one window"
    );
}

#[test]
fn capacity_is_shared_to_meet_the_most_people() {
    // Two evening groups of 3 hours on three days; the greedy gives the first patient both
    // Monday groups' worth while others could only make Monday.
    let sessions = vec![
        session("mon", 0, "18:00", "21:00", 1, "t"),
        session("wed", 2, "18:00", "21:00", 1, "t"),
        session("thu", 3, "18:00", "21:00", 1, "t"),
        session("fri", 4, "18:00", "21:00", 1, "t"),
    ];
    let flexible = patient(
        "flexible",
        6,
        2,
        &["t"],
        &[
            (0, "17:00", "22:00"),
            (2, "17:00", "22:00"),
            (3, "17:00", "22:00"),
            (4, "17:00", "22:00"),
        ],
    );
    let narrow = patient(
        "narrow",
        6,
        2,
        &["t"],
        &[(0, "17:00", "22:00"), (2, "17:00", "22:00")],
    );
    let problem = Problem {
        sessions,
        patients: vec![flexible, narrow],
        pinned: vec![],
        forbidden: vec![],
    };
    let solution = solve(&problem);
    assert_eq!(problem.score(&solution).0, 2, "{solution:?}");
    assert!(problem.score(&greedy(&problem)).0 <= 2);
}

#[test]
fn pins_are_kept_and_checked() {
    let sessions = vec![
        session("a", 0, "18:00", "21:00", 1, "t"),
        session("b", 0, "19:00", "20:00", 1, "t"),
    ];
    let p = patient("p", 3, 1, &["t"], &[(0, "17:00", "22:00")]);
    let q = patient("q", 3, 1, &["t"], &[(0, "17:00", "22:00")]);
    let problem = Problem {
        sessions: sessions.clone(),
        patients: vec![p.clone(), q.clone()],
        pinned: vec![(1, 0)],
        forbidden: vec![],
    };
    assert!(check_pins(&problem).is_ok());
    let solution = solve(&problem);
    assert!(
        solution.sessions[1].contains(&0),
        "the pin wins the only seat"
    );
    // Overlapping pins, over-capacity pins and ineligible pins are refused.
    let bad = Problem {
        sessions: sessions.clone(),
        patients: vec![p.clone(), q.clone()],
        pinned: vec![(0, 0), (0, 1)],
        forbidden: vec![],
    };
    assert_eq!(check_pins(&bad).unwrap_err().0[0].field, "pinned[1]");
    let full = Problem {
        sessions: sessions.clone(),
        patients: vec![p.clone(), q.clone()],
        pinned: vec![(0, 0), (1, 0)],
        forbidden: vec![],
    };
    assert_eq!(check_pins(&full).unwrap_err().0[0].field, "pinned[1]");
    let forbidden = Problem {
        sessions,
        patients: vec![p, q],
        pinned: vec![(0, 0)],
        forbidden: vec![(0, 0)],
    };
    assert_eq!(check_pins(&forbidden).unwrap_err().0[0].field, "pinned[0]");
}

#[test]
fn max_hours_and_forbidden_pairs_hold() {
    let sessions = vec![
        session("a", 0, "09:00", "12:00", 5, "t"),
        session("b", 1, "09:00", "12:00", 5, "t"),
        session("c", 2, "09:00", "12:00", 5, "t"),
    ];
    let mut p = patient(
        "p",
        9,
        3,
        &["t"],
        &[
            (0, "08:00", "13:00"),
            (1, "08:00", "13:00"),
            (2, "08:00", "13:00"),
        ],
    );
    p.max_minutes = Some(6 * 60);
    let problem = Problem {
        sessions,
        patients: vec![p],
        pinned: vec![],
        forbidden: vec![(0, 2)],
    };
    let solution = solve(&problem);
    assert!(problem.violation(&solution).is_none());
    assert_eq!(solution.sessions[0], vec![0, 1]);
    assert_eq!(problem.score(&solution), (0, 180));
}

/// A random but realistic-ish instance: day, evening and weekend sessions; people who are
/// free in the day, in the evening, or in parts of both.
fn instance() -> impl Strategy<Value = Problem> {
    let sessions = proptest::collection::vec((0u8..7, 0usize..4, 1u32..6, 0usize..2), 1..14);
    let patients = proptest::collection::vec(
        (
            3u32..12,
            1u8..4,
            proptest::option::of(6u32..14),
            0usize..3,
            proptest::collection::vec((0u8..7, 0usize..3), 1..6),
        ),
        1..16,
    );
    (
        sessions,
        patients,
        proptest::collection::vec((0usize..16, 0usize..14), 0..3),
        proptest::collection::vec((0usize..16, 0usize..14), 0..4),
    )
        .prop_map(|(sessions, patients, pins, forbidden)| {
            let slots = [
                ("09:00", "12:00"),
                ("13:00", "15:00"),
                ("18:00", "21:00"),
                ("21:00", "22:00"),
            ];
            let tracks = ["day", "evening"];
            let sessions: Vec<Session> = sessions
                .into_iter()
                .enumerate()
                .map(|(i, (day, slot, cap, track))| {
                    session(
                        &format!("s{i}"),
                        day,
                        slots[slot].0,
                        slots[slot].1,
                        cap,
                        tracks[track],
                    )
                })
                .collect();
            let windows = [("08:00", "16:00"), ("17:00", "23:00"), ("08:00", "23:00")];
            let patients: Vec<Patient> = patients
                .into_iter()
                .enumerate()
                .map(|(i, (hours, days, max, which, wins))| {
                    let track_list: &[&str] = match which {
                        0 => &["day"],
                        1 => &["evening"],
                        _ => &["day", "evening"],
                    };
                    let mut p = patient(&format!("p{i}"), hours, days, track_list, &[]);
                    p.max_minutes = max.map(|m| m * 60);
                    p.availability = wins
                        .into_iter()
                        .map(|(d, w)| Window {
                            day: d,
                            start: parse_time(windows[w].0).unwrap(),
                            end: parse_time(windows[w].1).unwrap(),
                        })
                        .collect();
                    p
                })
                .collect();
            let n = (patients.len(), sessions.len());
            let forbidden: Vec<(usize, usize)> = forbidden
                .into_iter()
                .map(|(p, s)| (p % n.0, s % n.1))
                .collect();
            let mut problem = Problem {
                sessions,
                patients,
                pinned: Vec::new(),
                forbidden,
            };
            // Keep only the pins that pass the checks, one at a time.
            for (p, s) in pins {
                let mut trial = problem.clone();
                trial.pinned.push((p % n.0, s % n.1));
                if check_pins(&trial).is_ok() {
                    problem = trial;
                }
            }
            problem
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn no_hard_rule_is_ever_broken(problem in instance()) {
        let solution = solve(&problem);
        prop_assert_eq!(solution.sessions.len(), problem.patients.len());
        prop_assert_eq!(problem.violation(&solution), None);
        prop_assert_eq!(problem.violation(&greedy(&problem)), None);
    }

    #[test]
    fn never_worse_than_the_greedy(problem in instance()) {
        let (met, shortfall) = problem.score(&solve(&problem));
        let (gmet, gshort) = problem.score(&greedy(&problem));
        prop_assert!(met > gmet || (met == gmet && shortfall <= gshort), "{met}/{shortfall} vs greedy {gmet}/{gshort}");
    }

    #[test]
    fn the_same_input_gives_the_same_output(problem in instance()) {
        prop_assert_eq!(solve(&problem), solve(&problem));
    }
}

#[test]
fn shortfall_reasons_name_what_staff_can_change() {
    let session = |id: &str, day: u8, start: u16, end: u16, capacity: u32| Session {
        id: id.into(),
        day,
        start,
        end,
        capacity,
        track: "t".into(),
    };
    let patient = |windows: Vec<Window>, required: u32, min_days: u8| Patient {
        id: "p".into(),
        required_minutes: required,
        min_days,
        max_minutes: None,
        tracks: vec!["t".into()],
        availability: windows,
    };
    let evening = |day| Window {
        day,
        start: 17 * 60,
        end: 22 * 60,
    };
    let problem = Problem {
        sessions: vec![
            session("mon", 0, 18 * 60, 21 * 60, 1),
            session("wed", 2, 18 * 60, 21 * 60, 1),
            session("wed-day", 2, 9 * 60, 12 * 60, 1),
        ],
        patients: vec![
            patient(vec![], 540, 3),
            patient(vec![evening(0), evening(2)], 540, 3),
            patient(vec![evening(0), evening(2)], 360, 3),
            patient(vec![evening(0), evening(2)], 360, 2),
            patient(
                vec![Window {
                    day: 4,
                    start: 0,
                    end: 1439,
                }],
                180,
                1,
            ),
        ],
        pinned: vec![],
        forbidden: vec![],
    };
    let reason = |p: usize, chosen: &[usize]| problem.shortfall_reason(p, chosen);
    assert_eq!(reason(0, &[]).unwrap(), "no availability entered");
    assert_eq!(
        reason(1, &[]).unwrap(),
        "only 6 h of sessions fall inside their availability (target 9 h)"
    );
    assert!(
        reason(2, &[0, 1])
            .unwrap()
            .contains("only 2 day(s) (needs 3)")
    );
    assert_eq!(reason(3, &[0, 1]), None);
    assert!(reason(3, &[0]).unwrap().contains("full"));
    assert_eq!(
        reason(4, &[]).unwrap(),
        "no session of their tracks falls inside their availability"
    );
}
