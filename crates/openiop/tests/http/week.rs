//! "Build next week" over HTTP on both databases: the solver on stored sessions,
//! availability and targets; shortfall reasons; pins and forbids; apply enrolls.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestApp;

/// Three evening groups in 2026-W49 (Mon, Wed, Thu, 18:00-21:00 Chicago) and three
/// patients: evenings all week; Monday and Wednesday evenings only; no availability.
pub async fn week_setup(app: &TestApp, admin: &str) -> (Vec<String>, Vec<String>) {
    let track = app.chicago_track(admin).await;
    let mut sessions = Vec::new();
    for day in ["2026-11-30", "2026-12-02", "2026-12-03"] {
        let body = json!({"track_id": track, "kind": "group_therapy", "title": "Evening group",
            "starts_at": format!("{day}T18:00:00-06:00"), "ends_at": format!("{day}T21:00:00-06:00"), "capacity": 2});
        let (status, s) = app.post("/api/v1/sessions", admin, body).await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
        sessions.push(s["id"].as_str().unwrap().to_owned());
    }
    let evenings = |days: &[&str]| -> Value {
        json!({"windows": days.iter().map(|d| json!({"day": d, "start": "17:00", "end": "22:00"})).collect::<Vec<_>>()})
    };
    let mut patients = Vec::new();
    for (family, windows) in [
        (
            "Every",
            Some(evenings(&["mon", "tue", "wed", "thu", "fri"])),
        ),
        ("Twice", Some(evenings(&["mon", "wed"]))),
        ("Unknown", None),
    ] {
        let p = app.patient(admin, "Pat", family).await;
        app.post(
            &format!("/api/v1/patients/{p}/episodes"),
            admin,
            json!({"track_id": track, "admitted_on": "2026-11-02"}),
        )
        .await;
        if let Some(w) = windows {
            let (status, _) = app
                .call(
                    Method::PUT,
                    &format!("/api/v1/patients/{p}/availability"),
                    Some(admin),
                    Some(w),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        patients.push(p);
    }
    (sessions, patients)
}

fn row<'a>(plan: &'a Value, patient: &str) -> &'a Value {
    plan["patients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["patient_id"] == patient)
        .unwrap()
}

on_both!(building_a_week_previews_explains_and_applies, |app| {
    let admin = app.admin().await;
    let (sessions, patients) = week_setup(app, &admin).await;
    let (status, plan) = app
        .post("/api/v1/schedule/weeks/2026-W49/preview", &admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["met_count"], 1);
    assert_eq!(row(&plan, &patients[0])["met"], true);
    assert_eq!(
        row(&plan, &patients[0])["sessions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        row(&plan, &patients[1])["reason"],
        "only 6 h of sessions fall inside their availability (target 9 h)"
    );
    assert_eq!(row(&plan, &patients[1])["hours"], 6.0);
    assert_eq!(
        row(&plan, &patients[2])["reason"],
        "no availability entered"
    );
    assert_eq!(
        app.count("session_enrollments").await,
        0,
        "a preview stores nothing"
    );
    // Forbid Every's Thursday: Every falls short, and the reason says the seats were the
    // limit only if they were; here only two evenings remain.
    let forbid = json!({"forbidden": [[patients[0], sessions[2]]]});
    let (_, plan) = app
        .post("/api/v1/schedule/weeks/2026-W49/preview", &admin, forbid)
        .await;
    assert_eq!(row(&plan, &patients[0])["met"], false);
    assert!(
        !row(&plan, &patients[0])["sessions"]
            .as_array()
            .unwrap()
            .contains(&json!(sessions[2]))
    );
    // A pin outside the patient's availability is refused, naming it.
    let pin = json!({"pinned": [[patients[1], sessions[2]]]});
    let (status, problem) = app
        .post("/api/v1/schedule/weeks/2026-W49/preview", &admin, pin)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "pinned[0]");
    let (status, _) = app
        .post("/api/v1/schedule/weeks/2026-W99/preview", &admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Apply: 5 enrollments (3 + 2); applying again adds none.
    let (status, applied) = app
        .post("/api/v1/schedule/weeks/2026-W49/apply", &admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert_eq!(applied["enrolled"], 5);
    assert_eq!(app.count("session_enrollments").await, 5);
    let (_, again) = app
        .post("/api/v1/schedule/weeks/2026-W49/apply", &admin, json!({}))
        .await;
    assert_eq!(again["enrolled"], 0);
    assert_eq!(again["met_count"], 1, "existing enrollments stand as pins");
    let events = app.audit_actions().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event.action == "schedule.apply")
            .count(),
        2
    );
});
