//! Operations over many patients at once (lists, searches, the week builder, marking
//! everyone present, group notes, the dashboard, the privacy office's lists): every route
//! the route table marks `many_patients` is run by a clinician who facilitates a group and
//! has a patient of their own, beside a patient they may not see. None may name that
//! patient, touch their record, or open their chart. The list of routes comes from the
//! router, so a new bulk route cannot escape this test.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::PASSWORD;

on_both!(bulk_operations_never_reach_a_patient_out_of_reach, |app| {
    let admin = app.admin().await;
    let (sessions, patients) = crate::week::week_setup(app, &admin).await;
    // Pat Every: the clinician's own; Pat Twice: out of their reach (and Pat Unknown too).
    let (mine, hidden) = (patients[0].clone(), patients[1].clone());
    let clinician_id = app.user(&admin, "bulk.clinician", "clinician", None).await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/patients/{mine}/care-team"),
            Some(&admin),
            Some(json!({"user_ids": [clinician_id]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let clinician = app.login("bulk.clinician", PASSWORD).await;
    let (cookie, csrf) = app.browser_session("bulk.clinician", PASSWORD).await;
    // The clinician's own group, with their patient in it.
    let track = app.get("/api/v1/tracks", &admin).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, group) = app
        .post(
            "/api/v1/sessions",
            &clinician,
            json!({"track_id": track, "kind": "group_therapy", "title": "Their group",
                "starts_at": "2026-11-23T18:00:00-06:00", "ends_at": "2026-11-23T21:00:00-06:00",
                "capacity": 10, "facilitator_id": clinician_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(
            &format!("/api/v1/sessions/{group}/enrollments"),
            &clinician,
            json!({"patient_id": mine}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The hidden patient has a record others' lists would show: a mark, an open alert.
    app.post(
        &format!("/api/v1/sessions/{}/enrollments", sessions[0]),
        &admin,
        json!({"patient_id": hidden}),
    )
    .await;
    app.post(
        &format!("/api/v1/sessions/{}/attendance", sessions[0]),
        &admin,
        json!({"patient_id": hidden, "status": "present"}),
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{hidden}/assessments"),
            &admin,
            json!({"code": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let enrollments_before = app.count("session_enrollments").await;

    let routes: Vec<(String, String)> = openiop_web::routes::table()
        .iter()
        .filter(|r| r.many_patients)
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let covered: BTreeSet<&str> = [
        "/api/v1/patients",
        "/api/v1/patients/duplicates",
        "/api/v1/schedule/weeks/{week}/preview",
        "/api/v1/schedule/weeks/{week}/apply",
        "/api/v1/sessions/{id}/roster",
        "/api/v1/sessions/{id}/attendance/all-present",
        "/api/v1/program/attendance",
        "/api/v1/measures/overdue",
        "/api/v1/notes/unsigned",
        "/api/v1/sessions/{id}/group-note",
        "/api/v1/sessions/{id}/group-note/sign",
        "/api/v1/notifications",
        "/api/v1/placement-reviews",
        "/api/v1/alerts",
        "/api/v1/emergency-access",
        "/api/v1/emergency-disclosures",
        "/api/v1/retention",
        "/api/v1/retention/disposals",
        "/api/v1/breaches",
        "/api/v1/breaches/{id}",
        "/api/v1/breaches/{id}/letters",
        "/",
        "/patients",
        "/sessions/{id}",
        "/sessions/{id}/all-present",
        "/sessions/{id}/group-note",
        "/schedule/build",
        "/schedule/build/apply",
        "/program",
        "/emergency",
        "/privacy",
        "/retention/disposals",
        "/breaches",
    ]
    .into_iter()
    .collect();
    let flagged: BTreeSet<&str> = routes.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(
        flagged, covered,
        "every route marked many_patients is exercised here (and no stale entry remains)"
    );
    let mut failures = Vec::new();
    for (method, path) in &routes {
        let concrete = path.replace("{id}", &group).replace("{week}", "2026-W48");
        let concrete = match path.as_str() {
            "/api/v1/patients" => "/api/v1/patients?q=pat".to_owned(),
            "/api/v1/patients/duplicates" => {
                "/api/v1/patients/duplicates?given_name=Pat&family_name=Twice&birth_date=1988-03-14"
                    .to_owned()
            }
            "/patients" => "/patients?q=pat".to_owned(),
            _ => concrete,
        };
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let request = if path.starts_with("/api/") {
            let req = app
                .http
                .request(method.clone(), app.url(&concrete))
                .bearer_auth(&clinician);
            if method == Method::GET {
                req
            } else {
                let body = match path.as_str() {
                    "/api/v1/sessions/{id}/group-note"
                    | "/api/v1/sessions/{id}/group-note/sign" => {
                        json!({"topic": "Coping", "entries": [{"patient_id": hidden, "observation": "x"}]})
                    }
                    "/api/v1/retention/disposals" => {
                        json!({"patient_ids": [hidden], "method": "Deleted", "approved_by": "Dana"})
                    }
                    "/api/v1/breaches" => {
                        json!({"description": "Laptop", "discovered_on": "2026-11-20",
                        "window_from": "2026-11-19T08:00:00Z", "window_to": "2026-11-19T18:00:00Z"})
                    }
                    _ => json!({}),
                };
                req.json(&body)
            }
        } else {
            let req = app
                .http
                .request(method.clone(), app.url(&concrete))
                .header("cookie", &cookie);
            if method == Method::GET {
                req
            } else {
                let fields = match path.as_str() {
                    "/schedule/build" | "/schedule/build/apply" => {
                        format!("week=2026-W48&pin={hidden}:{group}")
                    }
                    "/sessions/{id}/group-note" => {
                        format!("action=sign&topic=Coping&observation_{hidden}=x&plan_{hidden}=y")
                    }
                    "/retention/disposals" => {
                        format!("patient_ids={hidden}&method=Deleted&approved_by=Dana")
                    }
                    _ => String::new(),
                };
                req.header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("csrf={csrf}&{fields}"))
            }
        };
        let resp = request.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        // A form may echo the caller's own pin back; what must never appear is what only
        // the record tells: the hidden patient's name.
        let echoes_input = !path.starts_with("/api/") && method == Method::POST;
        if status.is_server_error()
            || text.contains("Pat Twice")
            || text.contains("Twice, Pat")
            || (!echoes_input && text.contains(&hidden))
        {
            failures.push(format!(
                "{method} {path}: {status} names the hidden patient or failed"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing was done to them, and their chart stays closed.
    assert_eq!(
        app.count(&format!(
            "attendance_marks WHERE patient_id = {}",
            crate::support::id_literal(app, &hidden)
        ))
        .await,
        1,
        "the hidden patient's marks are untouched"
    );
    assert_eq!(
        app.count(&format!(
            "session_enrollments WHERE patient_id = {}",
            crate::support::id_literal(app, &hidden)
        ))
        .await,
        1,
        "nobody enrolled the hidden patient"
    );
    assert!(app.count("session_enrollments").await >= enrollments_before);
    assert_eq!(
        app.get(&format!("/api/v1/patients/{hidden}"), &clinician)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The clinician's own patient was reached: marked present by "everyone present".
    assert_eq!(
        app.count(&format!(
            "attendance_marks WHERE patient_id = {}",
            crate::support::id_literal(app, &mine)
        ))
        .await,
        1
    );
});
