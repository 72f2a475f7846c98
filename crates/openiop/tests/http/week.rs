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

// The outside test's critical finding: a clinician facilitating a session must not reach a
// patient outside their care team by building the week. Pins naming the patient are refused
// as for a patient who does not exist, the solver never moves them, the preview (API and
// page) never names them, and their chart stays closed.
on_both!(
    a_clinician_builds_the_week_of_their_own_patients_only,
    |app| {
        let admin = app.admin().await;
        let (_, patients) = week_setup(app, &admin).await;
        let hidden = patients[0].clone();
        let mine = patients[1].clone();
        let clinician_id = app.user(&admin, "w.clinician", "clinician", None).await;
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/patients/{mine}/care-team"),
                Some(&admin),
                Some(json!({"user_ids": [clinician_id]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let clinician = app.login("w.clinician", crate::support::PASSWORD).await;
        let track = app.get("/api/v1/tracks", &admin).await.1["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let body = json!({"track_id": track, "kind": "group_therapy", "title": "My group",
        "starts_at": "2026-12-01T18:00:00-06:00", "ends_at": "2026-12-01T21:00:00-06:00",
        "capacity": 10, "facilitator_id": clinician_id});
        let (status, session) = app.post("/api/v1/sessions", &clinician, body).await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        let session = session["id"].as_str().unwrap().to_owned();
        let chart = format!("/api/v1/patients/{hidden}");
        assert_eq!(app.get(&chart, &clinician).await.0, StatusCode::NOT_FOUND);

        // 1. Pinning the hidden patient into the clinician's own session: refused as for nobody.
        let pin = json!({"pinned": [[hidden, session]]});
        let nobody = json!({"pinned": [[uuid::Uuid::now_v7().to_string(), session]]});
        for path in [
            "/api/v1/schedule/weeks/2026-W49/apply",
            "/api/v1/schedule/weeks/2026-W49/preview",
        ] {
            let (status, problem) = app.post(path, &clinician, pin.clone()).await;
            let (nobody_status, nobody_problem) = app.post(path, &clinician, nobody.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}: {problem}"
            );
            assert_eq!(status, nobody_status);
            assert_eq!(problem["errors"], nobody_problem["errors"]);
        }
        // 2. The preview names only the clinician's patient.
        let (status, plan) = app
            .post(
                "/api/v1/schedule/weeks/2026-W49/preview",
                &clinician,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{plan}");
        let named: Vec<&str> = plan["patients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["patient_id"].as_str().unwrap())
            .collect();
        assert_eq!(named, [mine.as_str()]);
        assert!(!plan.to_string().contains(&hidden));
        assert!(!plan.to_string().contains("Pat Every"), "{plan}");
        // 3. Applying without pins moves only the clinician's patient.
        let (status, applied) = app
            .post(
                "/api/v1/schedule/weeks/2026-W49/apply",
                &clinician,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{applied}");
        assert!(!applied.to_string().contains(&hidden));
        // 4. The page runs the same code: a pin of the hidden patient is refused there too.
        let (cookie, csrf) = app
            .browser_session("w.clinician", crate::support::PASSWORD)
            .await;
        let form = format!("csrf={csrf}&week=2026-W49&pin={hidden}:{session}");
        let (status, _, page) = app.form("/schedule/build/apply", &cookie, &form).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("must name a patient in the program"),
            "{page}"
        );
        assert!(!page.contains("Pat Every") && !page.contains("Every, Pat"));
        let (_, page) = app.page("/schedule/build?week=2026-W49", &cookie).await;
        assert!(!page.contains(&hidden) && !page.contains("Pat Every"));
        assert!(
            page.contains("Pat Twice"),
            "the clinician's own patient is planned"
        );
        // The chart stays closed, the search does not find them, and nothing enrolled them.
        assert_eq!(app.get(&chart, &clinician).await.0, StatusCode::NOT_FOUND);
        let (_, found) = app.get("/api/v1/patients?q=every", &clinician).await;
        assert_eq!(found["items"], json!([]));
        let (_, roster) = app
            .get(&format!("/api/v1/sessions/{session}/roster"), &admin)
            .await;
        assert!(
            roster["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["patient_id"] != json!(hidden)),
            "{roster}"
        );
        // The admin's build still plans everyone.
        let (_, plan) = app
            .post("/api/v1/schedule/weeks/2026-W49/preview", &admin, json!({}))
            .await;
        assert_eq!(plan["patients"].as_array().unwrap().len(), 3);
    }
);
