//! Sessions, enrollments, attendance and weekly intensity over HTTP, on both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{PASSWORD, TestApp};

async fn session(app: &TestApp, admin: &str, track: &str, day: u32, capacity: u32) -> String {
    let body = json!({"track_id": track, "kind": "group_therapy", "title": "Evening group",
        "starts_at": format!("2026-11-{day:02}T18:00:00-06:00"), "ends_at": format!("2026-11-{day:02}T21:00:00-06:00"), "capacity": capacity});
    let (status, created) = app.post("/api/v1/sessions", admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

on_both!(attendance_counts_hours_toward_the_week, |app| {
    let admin = app.admin().await;
    let track = app.chicago_track(&admin).await;
    let patient = app.patient(&admin, "Ivy", "Hours").await;
    app.post(
        &format!("/api/v1/patients/{patient}/episodes"),
        &admin,
        json!({"track_id": track, "admitted_on": "2026-11-02"}),
    )
    .await;
    // Monday, Tuesday and Wednesday evenings of 2026-W48, and the Sunday night of the week.
    let mon = session(app, &admin, &track, 23, 1).await;
    let tue = session(app, &admin, &track, 24, 10).await;
    let wed = session(app, &admin, &track, 25, 10).await;
    let other = app.patient(&admin, "Full", "Session").await;
    assert_eq!(
        app.post(
            &format!("/api/v1/sessions/{mon}/enrollments"),
            &admin,
            json!({"patient_id": patient})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (status, problem) = app
        .post(
            &format!("/api/v1/sessions/{mon}/enrollments"),
            &admin,
            json!({"patient_id": other}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "capacity 1: {problem}"
    );
    let mark = |s: &str, body: Value| {
        let path = format!("/api/v1/sessions/{s}/attendance");
        let token = admin.clone();
        async move { app.post(&path, &token, body).await }
    };
    let (status, m) = mark(
        &mon,
        json!({"patient_id": patient, "status": "late", "check_in": "2026-11-23T18:30:00-06:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["minutes"], 150);
    // Correcting a mark keeps history; the newest counts.
    let (_, m) = mark(&mon, json!({"patient_id": patient, "status": "present"})).await;
    assert_eq!(m["minutes"], 180);
    assert_eq!(app.count("attendance_marks").await, 2);
    mark(&tue, json!({"patient_id": patient, "status": "left_early", "check_out": "2026-11-24T20:00:00-06:00"})).await;
    mark(
        &wed,
        json!({"patient_id": patient, "status": "absent_excused"}),
    )
    .await;
    let (status, week) = app
        .get(
            &format!("/api/v1/patients/{patient}/intensity?week=2026-W48"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{week}");
    assert_eq!(
        week,
        json!({"week": "2026-W48", "hours": 5.0, "target_hours": 9.0, "days": 2, "min_days": 3, "met": false})
    );
    // The walk-in on Wednesday makes up the hours and the day.
    mark(&wed, json!({"patient_id": patient, "status": "present"})).await;
    let thu = session(app, &admin, &track, 26, 10).await;
    mark(&thu, json!({"patient_id": patient, "status": "present"})).await;
    let (_, week) = app
        .get(
            &format!("/api/v1/patients/{patient}/intensity?week=2026-W48"),
            &admin,
        )
        .await;
    assert_eq!(
        (
            week["hours"].clone(),
            week["days"].clone(),
            week["met"].clone()
        ),
        (json!(11.0), json!(4), json!(true))
    );
    let (_, next) = app
        .get(
            &format!("/api/v1/patients/{patient}/intensity?week=2026-W49"),
            &admin,
        )
        .await;
    assert_eq!(next["hours"], 0.0);
    // Bad input.
    let (status, problem) = mark(&tue, json!({"patient_id": patient, "status": "asleep"})).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("status"))
    );
    let (status, _) = app
        .get(
            &format!("/api/v1/patients/{patient}/intensity?week=2026-W54"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = json!({"track_id": track, "kind": "karaoke", "title": "", "starts_at": "2026-11-23T18:00:00", "ends_at": "2026-11-23T17:00:00-06:00", "capacity": 0});
    let (status, problem) = app.post("/api/v1/sessions", &admin, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["title", "kind", "starts_at", "capacity"]);
    assert_eq!(
        app.post(
            &format!("/api/v1/sessions/{}/attendance", uuid::Uuid::now_v7()),
            &admin,
            json!({"patient_id": patient, "status": "present"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
});

on_both!(facilitators_see_the_members_of_their_groups, |app| {
    let admin = app.admin().await;
    let track = app.chicago_track(&admin).await;
    let facilitator = app.user(&admin, "group.lead", "clinician", None).await;
    let lead = app.login("group.lead", PASSWORD).await;
    let patient = app.patient(&admin, "Group", "Member").await;
    assert_eq!(
        app.get(&format!("/api/v1/patients/{patient}"), &lead)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let body = json!({"track_id": track, "kind": "group_therapy", "title": "DBT skills", "starts_at": "2026-11-23T18:00:00-06:00",
        "ends_at": "2026-11-23T21:00:00-06:00", "capacity": 10, "facilitator_id": facilitator});
    let s = app.post("/api/v1/sessions", &admin, body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/sessions/{s}/enrollments"),
        &admin,
        json!({"patient_id": patient}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/patients/{patient}"), &lead)
            .await
            .0,
        StatusCode::OK,
        "the facilitator now reaches the member"
    );
    let (_, list) = app.get("/api/v1/patients?q=member", &lead).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.user(&admin, "case.mgr", "case_manager", None).await;
    let cm = app.login("case.mgr", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/api/v1/patients/{patient}"), &cm).await.0,
        StatusCode::NOT_FOUND
    );
});

on_both!(
    a_monday_group_is_dated_at_18_local_across_the_dst_change,
    |app| {
        let admin = app.admin().await;
        let track = app.chicago_track(&admin).await;
        let body = json!({"track_id": track, "kind": "group_therapy", "title": "Monday CBT", "weekday": "mon", "start": "18:00", "minutes": 180, "capacity": 12});
        let (status, template) = app.post("/api/v1/session-templates", &admin, body).await;
        assert_eq!(status, StatusCode::CREATED, "{template}");
        let path = format!(
            "/api/v1/session-templates/{}/expand",
            template["id"].as_str().unwrap()
        );
        let (status, dated) = app
            .post(
                &path,
                &admin,
                json!({"from": "2026-10-26", "to": "2026-11-09"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{dated}");
        let starts: Vec<String> = dated["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["starts_at"].as_str().unwrap().to_owned())
            .collect();
        // 18:00 CDT (23:00 UTC) before the change on 2026-11-01, 18:00 CST (00:00 UTC) after.
        assert_eq!(
            starts,
            [
                "2026-10-26T23:00:00Z",
                "2026-11-03T00:00:00Z",
                "2026-11-10T00:00:00Z"
            ]
        );
        let (_, again) = app
            .post(
                &path,
                &admin,
                json!({"from": "2026-10-26", "to": "2026-11-16"}),
            )
            .await;
        assert_eq!(
            again["items"].as_array().unwrap().len(),
            1,
            "only the new Monday is added"
        );
        let (status, problem) = app
            .post(
                &path,
                &admin,
                json!({"from": "2026-01-01", "to": "2026-12-31"}),
            )
            .await;
        assert_eq!(
            (status, problem["errors"][0]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("to"))
        );
        let bad = json!({"track_id": track, "kind": "group_therapy", "title": "x", "weekday": "funday", "start": "25:00", "minutes": 0, "capacity": 12});
        let (status, problem) = app.post("/api/v1/session-templates", &admin, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<_> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["weekday", "start", "minutes"]);
    }
);
