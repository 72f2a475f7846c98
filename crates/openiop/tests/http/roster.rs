//! The roster sheet, self check-in and the program view over HTTP, on both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{PASSWORD, TestApp};

async fn admitted(app: &TestApp, admin: &str, track: &str, given: &str, family: &str) -> String {
    let patient = app.patient(admin, given, family).await;
    app.post(
        &format!("/api/v1/patients/{patient}/episodes"),
        admin,
        json!({"track_id": track, "admitted_on": "2026-11-02"}),
    )
    .await;
    patient
}

/// A 3-hour evening group on a day of November 2026 (local Chicago time).
async fn group(
    app: &TestApp,
    admin: &str,
    track: &str,
    day: u32,
    facilitator: Option<&str>,
) -> Value {
    let body = json!({"track_id": track, "kind": "group_therapy", "title": "Evening group",
        "starts_at": format!("2026-11-{day:02}T18:00:00-06:00"), "ends_at": format!("2026-11-{day:02}T21:00:00-06:00"),
        "capacity": 10, "facilitator_id": facilitator});
    let (status, created) = app.post("/api/v1/sessions", admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn enroll(app: &TestApp, admin: &str, session: &str, patient: &str) {
    let (status, body) = app
        .post(
            &format!("/api/v1/sessions/{session}/enrollments"),
            admin,
            json!({"patient_id": patient}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

on_both!(the_roster_marks_all_present_then_adjusts, |app| {
    let admin = app.admin().await;
    let track = app.chicago_track(&admin).await;
    let lead = app.user(&admin, "group.lead", "clinician", None).await;
    let session = group(app, &admin, &track, 23, Some(&lead)).await;
    let id = session["id"].as_str().unwrap();
    let ann = admitted(app, &admin, &track, "Ann", "Alder").await;
    let bo = admitted(app, &admin, &track, "Bo", "Birch").await;
    for p in [&ann, &bo] {
        enroll(app, &admin, id, p).await;
    }
    // Bo called in sick before the group.
    app.post(
        &format!("/api/v1/sessions/{id}/attendance"),
        &admin,
        json!({"patient_id": bo, "status": "absent_excused", "absence_reason": "Sick child"}),
    )
    .await;
    let token = app.login("group.lead", PASSWORD).await;
    let (status, roster) = app
        .post(
            &format!("/api/v1/sessions/{id}/attendance/all-present"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{roster}");
    let line = |r: &Value, name: &str| {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["family_name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(line(&roster, "Alder")["status"], "present");
    assert_eq!(line(&roster, "Alder")["minutes"], 180);
    assert_eq!(
        line(&roster, "Birch")["status"],
        "absent_excused",
        "marks already made stay"
    );
    assert_eq!(line(&roster, "Birch")["absence_reason"], "Sick child");
    // Ann left at 20:15: the correction keeps the first mark.
    let (status, m) = app
        .post(
            &format!("/api/v1/sessions/{id}/attendance"),
            &token,
            json!({"patient_id": ann, "status": "left_early", "check_out": "2026-11-23T20:15:00-06:00"}),
        )
        .await;
    assert_eq!((status, m["minutes"].clone()), (StatusCode::OK, json!(135)));
    let (_, roster) = app
        .get(&format!("/api/v1/sessions/{id}/roster"), &token)
        .await;
    assert_eq!(line(&roster, "Alder")["corrected"], true);
    assert_eq!(app.count("attendance_marks").await, 3);
    // A reason belongs to absences only.
    let (status, problem) = app
        .post(
            &format!("/api/v1/sessions/{id}/attendance"),
            &token,
            json!({"patient_id": ann, "status": "present", "absence_reason": "n/a"}),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("absence_reason"))
    );
    // Another clinician may not read this roster.
    app.user(&admin, "other.dr", "clinician", None).await;
    let other = app.login("other.dr", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{id}/roster"), &other)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Reading the roster is audited per patient.
    let events = app.audit_actions().await;
    assert!(
        events
            .iter()
            .filter(|e| e.event.action == "roster.read")
            .count()
            >= 4
    );
});

on_both!(self_check_in_needs_the_code_and_reveals_nobody, |app| {
    let admin = app.admin().await;
    let track = app.chicago_track(&admin).await;
    let patient = admitted(app, &admin, &track, "Cleo", "Díaz").await;
    let other = admitted(app, &admin, &track, "Dev", "Elm").await;
    app.user(&admin, "kiosk", "front_desk", None).await;
    let kiosk = app.login("kiosk", PASSWORD).await;
    // A session starting in half an hour.
    let start = app.clock.now() + time::Duration::minutes(30);
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let body = json!({"track_id": track, "kind": "skills", "title": "Coping skills",
        "starts_at": fmt(start), "ends_at": fmt(start + time::Duration::hours(2)), "capacity": 10});
    let (_, session) = app.post("/api/v1/sessions", &admin, body).await;
    let id = session["id"].as_str().unwrap();
    let code = session["checkin_code"].as_str().unwrap().to_owned();
    enroll(app, &admin, id, &patient).await;
    let check_in = |code: String, family: &'static str, birth: &'static str| {
        let token = kiosk.clone();
        async move {
            app.post(
                "/api/v1/check-in",
                &token,
                json!({"code": code, "family_name": family, "birth_date": birth}),
            )
            .await
        }
    };
    // Wrong code, wrong birth date, someone not enrolled: the same words each time.
    let refusals = [
        check_in("XXXXXX".into(), "Díaz", "1988-03-14").await,
        check_in(code.clone(), "Díaz", "1990-01-01").await,
        check_in(code.clone(), "Elm", "1988-03-14").await,
    ];
    for (status, problem) in &refusals {
        assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem, &refusals[0].1);
    }
    assert_eq!(app.count("attendance_marks").await, 0);
    // On time (lower case and spaces forgiven; the name folded).
    let (status, ok) = check_in(format!(" {} ", code.to_lowercase()), "DÍAZ", "1988-03-14").await;
    assert_eq!((status, ok), (StatusCode::OK, json!({"checked_in": true})));
    let (_, roster) = app
        .get(&format!("/api/v1/sessions/{id}/roster"), &admin)
        .await;
    assert_eq!(roster["items"][0]["status"], "present");
    // Twice is harmless.
    check_in(code.clone(), "Díaz", "1988-03-14").await;
    assert_eq!(app.count("attendance_marks").await, 1);
    // Too early for tomorrow's code: a session more than an hour away does not open.
    let later = app.clock.now() + time::Duration::hours(26);
    let body = json!({"track_id": track, "kind": "skills", "title": "Tomorrow",
        "starts_at": fmt(later), "ends_at": fmt(later + time::Duration::hours(1)), "capacity": 10});
    let (_, tomorrow) = app.post("/api/v1/sessions", &admin, body).await;
    enroll(app, &admin, tomorrow["id"].as_str().unwrap(), &patient).await;
    let (status, _) = check_in(
        tomorrow["checkin_code"].as_str().unwrap().to_owned(),
        "Díaz",
        "1988-03-14",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Late: 40 minutes after the start.
    app.clock.advance(time::Duration::minutes(70));
    let (_, s2) = app
        .post(
            "/api/v1/sessions",
            &admin,
            json!({"track_id": track, "kind": "wellness", "title": "Yoga",
                "starts_at": fmt(app.clock.now() - time::Duration::minutes(40)),
                "ends_at": fmt(app.clock.now() + time::Duration::minutes(50)), "capacity": 10}),
        )
        .await;
    enroll(app, &admin, s2["id"].as_str().unwrap(), &other).await;
    let (status, _) = check_in(
        s2["checkin_code"].as_str().unwrap().to_owned(),
        "Elm",
        "1988-03-14",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, roster) = app
        .get(
            &format!("/api/v1/sessions/{}/roster", s2["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(roster["items"][0]["status"], "late");
    let minutes = roster["items"][0]["minutes"].as_i64().unwrap();
    assert!(
        (49..=50).contains(&minutes),
        "from the check-in to the end: {minutes}"
    );
    // The screen page lists nobody.
    let (cookie, _) = app.browser_session("kiosk", PASSWORD).await;
    let (status, html) = app.page("/check-in", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Díaz") && !html.contains("Elm"));
});

on_both!(the_program_view_finds_who_needs_attention, |app| {
    // Thursday of 2026-W48, after the week's three groups.
    let thursday = time::macros::datetime!(2026-11-26 12:00 UTC);
    app.clock.advance(thursday - app.clock.now());
    let admin = app.admin().await;
    let track = app.chicago_track(&admin).await;
    let steady = admitted(app, &admin, &track, "Sam", "Steady").await;
    let absent = admitted(app, &admin, &track, "Al", "Away").await;
    // Week 2026-W48: three groups; Steady attends all three, Away misses the last two.
    for (day, away) in [
        (23, "present"),
        (24, "absent_unexcused"),
        (25, "absent_excused"),
    ] {
        let s = group(app, &admin, &track, day, None).await;
        let id = s["id"].as_str().unwrap();
        for (p, status) in [(&steady, "present"), (&absent, away)] {
            app.post(
                &format!("/api/v1/sessions/{id}/attendance"),
                &admin,
                json!({"patient_id": p, "status": status}),
            )
            .await;
        }
    }
    let (status, view) = app
        .get("/api/v1/program/attendance?week=2026-W48", &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let below: Vec<&str> = view["below_target"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["patient_id"].as_str().unwrap())
        .collect();
    assert_eq!(below, [absent.as_str()]);
    assert_eq!(view["missed_two_in_a_row"], json!([absent]));
    assert_eq!(
        view["no_shows_by_track"],
        json!([{"group": "Evening IOP", "marked": 6, "no_shows": 1, "rate": 0.167}])
    );
    assert_eq!(view["no_shows_by_kind"][0]["group"], "group_therapy");
    // The dashboard says so too.
    let (cookie, _) = app.browser_session("admin", crate::support::ADMIN.1).await;
    let (_, html) = app.page("/", &cookie).await;
    assert!(html.contains("Attendance to follow up"), "{html}");
    assert!(html.contains("Al Away"));
    let (status, html) = app.page("/program?week=2026-W48", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("17 %"), "{html}");
});

on_both!(
    the_intensity_report_counts_each_patients_current_mark,
    |app| {
        let thursday = time::macros::datetime!(2026-11-26 12:00 UTC);
        app.clock.advance(thursday - app.clock.now());
        let admin = app.admin().await;
        let track = app.chicago_track(&admin).await;
        // 9 hours over 3 days is the track's target.
        let steady = admitted(app, &admin, &track, "Sam", "Steady").await;
        let fixed = admitted(app, &admin, &track, "Fay", "Fixed").await;
        let away = admitted(app, &admin, &track, "Al", "Away").await;
        let mut last = String::new();
        for day in [23, 24, 25] {
            let s = group(app, &admin, &track, day, None).await;
            last = s["id"].as_str().unwrap().to_owned();
            for (p, status) in [
                (&steady, "present"),
                (&fixed, "present"),
                (
                    &away,
                    if day == 23 {
                        "present"
                    } else {
                        "absent_unexcused"
                    },
                ),
            ] {
                let (status, body) = app
                    .post(
                        &format!("/api/v1/sessions/{last}/attendance"),
                        &admin,
                        json!({"patient_id": p, "status": status}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
        // Fixed's last mark is corrected to absent: only the newest mark counts (6 h, 2 days).
        let (status, _) = app
            .post(
                &format!("/api/v1/sessions/{last}/attendance"),
                &admin,
                json!({"patient_id": fixed, "status": "absent_unexcused"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, report) = app
            .get("/api/v1/reports/intensity?week=2026-W48", &admin)
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["week"], "2026-W48");
        assert_eq!(report["source"], "primary");
        assert_eq!(
            report["total"],
            json!({"active": 3, "measured": 3, "met": 1, "below_target": 2, "rate": 0.333})
        );
        assert_eq!(report["tracks"][0]["name"], "Evening IOP");
        assert_eq!(report["tracks"][0]["met"], 1);
        // The program view names the same two patients.
        let (_, view) = app
            .get("/api/v1/program/attendance?week=2026-W48", &admin)
            .await;
        assert_eq!(view["below_target"].as_array().unwrap().len(), 2);
        // Intensity plans replace the track's targets: Away's team agreed to 3 hours on one day
        // (met), Steady's plan asks 12 hours on four days (now below).
        for (patient, hours, days) in [(&away, 3, 1), (&steady, 12, 4)] {
            let (_, episodes) = app
                .get(&format!("/api/v1/patients/{patient}/episodes"), &admin)
                .await;
            let episode = episodes["items"][0]["id"].as_str().unwrap().to_owned();
            let plan = json!({"floor_reason": "Agreed with the team", "steps": [
            {"from_week": 1, "phase": "engagement", "level": if hours < 9 { "op" } else { "iop" },
             "target_hours": hours, "min_days": days}]});
            let (status, body) = app
                .call(
                    reqwest::Method::PUT,
                    &format!("/api/v1/patients/{patient}/episodes/{episode}/intensity-plan"),
                    Some(&admin),
                    Some(plan),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let (_, report) = app
            .get("/api/v1/reports/intensity?week=2026-W48", &admin)
            .await;
        assert_eq!(
            report["total"],
            json!({"active": 3, "measured": 3, "met": 1, "below_target": 2, "rate": 0.333})
        );
        let (_, view) = app
            .get("/api/v1/program/attendance?week=2026-W48", &admin)
            .await;
        let mut below: Vec<&str> = view["below_target"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["patient_id"].as_str().unwrap())
            .collect();
        below.sort_unstable();
        let mut expected = [steady.as_str(), fixed.as_str()];
        expected.sort_unstable();
        assert_eq!(below, expected);
        // Before their admission week nobody is measured; a bad week is a field error.
        let (_, before) = app
            .get("/api/v1/reports/intensity?week=2026-W44", &admin)
            .await;
        assert_eq!(
            before["total"],
            json!({"active": 3, "measured": 0, "met": 0, "below_target": 0, "rate": null})
        );
        let (status, bad) = app
            .get("/api/v1/reports/intensity?week=2026-W60", &admin)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        // Counts only, no patient named: reading the report writes no audit event.
        assert_eq!(
            app.count("audit_events WHERE action = 'report.intensity'")
                .await,
            0
        );
    }
);
