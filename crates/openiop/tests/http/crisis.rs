//! Crisis events over HTTP on both databases: the open alert resolved, the escalation to a
//! placement review closed by the next decision, the care team notified, and who may record.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::PASSWORD;

on_both!(
    a_crisis_resolves_its_alert_escalates_and_notifies_the_team,
    |app| {
        let admin = app.admin().await;
        let track = app.track(&admin, "Crisis IOP").await;
        let first_id = app.user(&admin, "first", "clinician", None).await;
        let second_id = app.user(&admin, "second", "clinician", None).await;
        let first = app.login("first", PASSWORD).await;
        let second = app.login("second", PASSWORD).await;
        let patient = app.patient(&admin, "Ray", "Crisis").await;
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/patients/{patient}/care-team"),
                Some(&admin),
                Some(json!({"user_ids": [first_id, second_id]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, episode) = app
            .post(
                &format!("/api/v1/patients/{patient}/episodes"),
                &admin,
                json!({"track_id": track, "admitted_on": "2026-11-02"}),
            )
            .await;
        let episode = episode["id"].as_str().unwrap().to_owned();
        let (_, assessment) = app
            .post(
                &format!("/api/v1/patients/{patient}/assessments"),
                &first,
                json!({"code": "phq9", "answers": [2, 2, 2, 1, 1, 2, 1, 0, 2]}),
            )
            .await;
        let alert = assessment["alert_id"]
            .as_str()
            .expect("a crisis alert")
            .to_owned();
        let path = format!("/api/v1/patients/{patient}/crisis-events");
        let body = json!({"kind": "suicidal_ideation", "severity": "high",
        "description": "Thoughts of not waking up; no plan", "actions_taken": "Safety plan updated; 988 given; sister called",
        "alert_id": alert, "escalate": true});

        // Bad input: every field named, nothing stored, the alert still open.
        let (status, problem) = app
            .post(
                &path,
                &first,
                json!({"kind": "bad", "severity": "high", "description": "", "actions_taken": "x",
            "alert_id": "nope"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(app.count("crisis_events").await, 0);
        let (status, problem) = app
            .post(
                &path,
                &first,
                json!({"kind": "other", "severity": "low", "description": "x", "actions_taken": "x",
            "alert_id": uuid::Uuid::now_v7()}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "alert_id");

        let (status, event) = app.post(&path, &first, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{event}");
        assert_eq!(event["notified"], 1, "the other member of the care team");
        assert!(event["placement_review_id"].is_string());
        assert_eq!(event["alert_id"], json!(alert));
        // The alert is resolved: it no longer waits on anyone's dashboard.
        let (_, open) = app.get("/api/v1/alerts", &first).await;
        assert!(
            open["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["id"] != json!(alert))
        );
        let (status, _) = app.post(&path, &first, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an alert is resolved once"
        );

        // The other clinician is notified; the author is not.
        let (_, theirs) = app.get("/api/v1/notifications", &second).await;
        let items = theirs["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0]["link"],
            json!(format!("/patients/{patient}/crisis"))
        );
        assert_eq!(items[0]["read"], false);
        let (_, mine) = app.get("/api/v1/notifications", &first).await;
        assert_eq!(mine["items"], json!([]));
        let read = format!(
            "/api/v1/notifications/{}/read",
            items[0]["id"].as_str().unwrap()
        );
        assert_eq!(
            app.post(&read, &first, Value::Null).await.0,
            StatusCode::NOT_FOUND,
            "not theirs"
        );
        assert_eq!(
            app.post(&read, &second, Value::Null).await.0,
            StatusCode::NO_CONTENT
        );
        let (_, theirs) = app.get("/api/v1/notifications", &second).await;
        assert_eq!(theirs["items"][0]["read"], true);

        // The placement review is open until the next placement decision on the episode.
        let (_, reviews) = app.get("/api/v1/placement-reviews", &second).await;
        assert_eq!(reviews["items"].as_array().unwrap().len(), 1);
        assert_eq!(reviews["items"][0]["episode_id"], json!(episode));
        let (status, decision) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes/{episode}/placements"),
            &first,
            json!({"age": 34, "dimensions": {"withdrawal": 0, "biomedical": 0, "emotional": 3, "readiness": 2, "relapse": 3, "environment": 2},
                "suicide_risk": "moderate", "factors": []}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{decision}");
        let (_, reviews) = app.get("/api/v1/placement-reviews", &second).await;
        assert_eq!(reviews["items"], json!([]));

        // Resolve once; the list shows it.
        let resolve = format!("{path}/{}/resolve", event["id"].as_str().unwrap());
        let (status, resolved) = app
            .post(
                &resolve,
                &second,
                json!({"resolution": "Stepped up to PHP; safe at home with sister"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{resolved}");
        assert!(resolved["resolved_at"].is_string());
        assert_eq!(
            app.post(&resolve, &second, json!({"resolution": "again"}))
                .await
                .0,
            StatusCode::CONFLICT
        );
        let (_, list) = app.get(&path, &first).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);

        // Imminent danger always escalates, so it needs an active episode.
        let nobody = app.patient(&admin, "No", "Episode").await;
        let (status, problem) = app
        .post(
            &format!("/api/v1/patients/{nobody}/crisis-events"),
            &admin,
            json!({"kind": "overdose", "severity": "imminent", "description": "Found unresponsive", "actions_taken": "Naloxone; 911"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "escalate");

        // The front desk records none and reads none.
        app.user(&admin, "desk", "front_desk", None).await;
        let desk = app.login("desk", PASSWORD).await;
        assert_eq!(app.get(&path, &desk).await.0, StatusCode::FORBIDDEN);
        let actions: Vec<String> = app
            .audit_actions()
            .await
            .into_iter()
            .map(|e| e.event.action)
            .collect();
        for expected in [
            "crisis.create",
            "placement_review.open",
            "alert.acknowledge",
            "placement_review.close",
            "crisis.resolve",
        ] {
            assert!(actions.iter().any(|a| a == expected), "{expected}");
        }
        assert!(app.verify_audit().await.is_ok());
    }
);

on_both!(the_crisis_page_records_and_the_dashboard_notifies, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Crisis IOP").await;
    let first_id = app.user(&admin, "first", "clinician", None).await;
    let second_id = app.user(&admin, "second", "clinician", None).await;
    let patient = app.patient(&admin, "Sky", "Paged").await;
    app.call(
        Method::PUT,
        &format!("/api/v1/patients/{patient}/care-team"),
        Some(&admin),
        Some(json!({"user_ids": [first_id, second_id]})),
    )
    .await;
    app.post(
        &format!("/api/v1/patients/{patient}/episodes"),
        &admin,
        json!({"track_id": track, "admitted_on": "2026-11-02"}),
    )
    .await;
    let (cookie, csrf) = app.browser_session("first", PASSWORD).await;
    let (status, html) = app
        .page(&format!("/patients/{patient}/crisis"), &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("988"));
    let (status, _, html) = app
        .form(
            &format!("/patients/{patient}/crisis-events"),
            &cookie,
            &format!("csrf={csrf}&kind=overdose&severity=high&description=Overdosed+at+home&actions_taken=Naloxone+by+partner%3B+ER&escalate=yes"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Recorded. 1 of the care team notified. A placement review is open."),
        "{html}"
    );
    let (other, _) = app.browser_session("second", PASSWORD).await;
    let (_, home) = app.page("/", &other).await;
    assert!(
        home.contains("Notifications") && home.contains("Paged, Sky"),
        "{home}"
    );
    assert!(home.contains("Placement reviews open"));
});

// A sub-resource id under another patient answered 409 (as if it existed there): it is
// unknown through that patient, 404, like any id the caller cannot reach that way.
on_both!(a_sub_resource_under_the_wrong_patient_is_not_found, |app| {
    let admin = app.admin().await;
    let one = app.patient(&admin, "Ona", "First").await;
    let two = app.patient(&admin, "Tor", "Second").await;
    let (status, event) = app
        .post(
            &format!("/api/v1/patients/{one}/crisis-events"),
            &admin,
            json!({"kind": "other", "severity": "low", "description": "Argument at home", "actions_taken": "Talked"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let event = event["id"].as_str().unwrap();
    let resolve =
        |patient: &str| format!("/api/v1/patients/{patient}/crisis-events/{event}/resolve");
    let body = json!({"resolution": "Calm again"});
    assert_eq!(
        app.post(&resolve(&two), &admin, body.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&resolve(&one), &admin, body.clone()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.post(&resolve(&one), &admin, body).await.0,
        StatusCode::CONFLICT
    );

    let consent = json!({"kind": "tpo", "disclosing_party": "Riverside IOP",
        "information": "Diagnoses and attendance", "recipients": [{"name": "My health plan"}], "purpose": "Payment",
        "expires": "none", "revocation_explained": true, "treatment_conditioned": false,
        "signatures": [{"name": "Ona First", "role": "patient", "signed_on": "2026-11-02"}]});
    let (status, consent) = app
        .post(
            &format!("/api/v1/patients/{one}/part2-consents"),
            &admin,
            consent,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{consent}");
    let consent = consent["id"].as_str().unwrap();
    let revoke =
        |patient: &str| format!("/api/v1/patients/{patient}/part2-consents/{consent}/revoke");
    let body = json!({"note": "Letter received"});
    assert_eq!(
        app.post(&revoke(&two), &admin, body.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&revoke(&one), &admin, body.clone()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.post(&revoke(&one), &admin, body).await.0,
        StatusCode::CONFLICT
    );
});
