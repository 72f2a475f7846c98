//! The two emergency paths over HTTP on both databases: broken glass (stated, time-limited,
//! audited, reviewed) and 2.51 medical-emergency disclosures (every element, reviewed).

use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

use crate::on_both;
use crate::support::PASSWORD;

on_both!(
    broken_glass_opens_a_chart_for_hours_and_is_reviewed,
    |app| {
        let admin = app.admin().await;
        app.user(&admin, "oncall", "clinician", None).await;
        app.user(&admin, "casey", "case_manager", None).await;
        let oncall = app.login("oncall", PASSWORD).await;
        let patient = app.patient(&admin, "Gil", "Glass").await;
        let chart = format!("/api/v1/patients/{patient}");
        let notes = format!("{chart}/notes");
        assert_eq!(app.get(&chart, &oncall).await.0, StatusCode::NOT_FOUND);
        let glass = format!("{chart}/emergency-access");
        let (status, problem) = app.post(&glass, &oncall, json!({"reason": "urgent"})).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an emergency must be stated"
        );
        assert_eq!(problem["errors"][0]["field"], "reason");
        assert_eq!(app.get(&chart, &oncall).await.0, StatusCode::NOT_FOUND);
        let casey = app.login("casey", PASSWORD).await;
        assert_eq!(
            app.post(
                &glass,
                &casey,
                json!({"reason": "Client collapsed in the lobby"})
            )
            .await
            .0,
            StatusCode::FORBIDDEN,
            "clinicians break the glass"
        );
        let (status, opened) = app
            .post(
                &glass,
                &oncall,
                json!({"reason": "Collapsed in the lobby; need medications and allergies"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{opened}");
        assert_eq!(app.get(&chart, &oncall).await.0, StatusCode::OK);
        assert_eq!(app.get(&notes, &oncall).await.0, StatusCode::OK);
        assert_eq!(
            app.post(
                &glass,
                &oncall,
                json!({"reason": "Collapsed in the lobby again"})
            )
            .await
            .0,
            StatusCode::CONFLICT,
            "already open"
        );
        // The opening waits for the admin's review, with the stated reason.
        let (status, queue) = app.get("/api/v1/emergency-access", &admin).await;
        assert_eq!(status, StatusCode::OK);
        let items = queue["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0]["reason"],
            "Collapsed in the lobby; need medications and allergies"
        );
        assert_eq!(
            app.get("/api/v1/emergency-access", &oncall).await.0,
            StatusCode::FORBIDDEN
        );
        let review = format!(
            "/api/v1/emergency-access/{}/review",
            items[0]["id"].as_str().unwrap()
        );
        assert_eq!(
            app.post(
                &review,
                &admin,
                json!({"note": "Appropriate: medical emergency"})
            )
            .await
            .0,
            StatusCode::NO_CONTENT
        );
        let (_, queue) = app.get("/api/v1/emergency-access", &admin).await;
        assert_eq!(queue["items"], json!([]));
        let (_, all) = app
            .get("/api/v1/emergency-access?unreviewed=false", &admin)
            .await;
        assert_eq!(
            all["items"][0]["review_note"],
            "Appropriate: medical emergency"
        );
        assert_eq!(
            app.post(&review, &admin, json!({"note": "again"})).await.0,
            StatusCode::NOT_FOUND,
            "reviewed once"
        );
        // Four hours later the chart closes again.
        app.clock.advance(Duration::hours(4) + Duration::minutes(1));
        let oncall = app.login("oncall", PASSWORD).await;
        assert_eq!(app.get(&chart, &oncall).await.0, StatusCode::NOT_FOUND);
        let actions: Vec<String> = app
            .audit_actions()
            .await
            .into_iter()
            .map(|e| e.event.action)
            .collect();
        assert!(actions.iter().any(|a| a == "break_glass.open"));
        assert!(actions.iter().any(|a| a == "break_glass.review"));
        assert!(app.verify_audit().await.is_ok());
    }
);

on_both!(a_251_disclosure_records_who_where_when_and_why, |app| {
    let admin = app.admin().await;
    let clinician_id = app.user(&admin, "treating", "clinician", None).await;
    let patient = app.patient(&admin, "Ona", "Disclosed").await;
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/patients/{patient}/care-team"),
        Some(&admin),
        Some(json!({"user_ids": [clinician_id]})),
    )
    .await;
    let clinician = app.login("treating", PASSWORD).await;
    let path = format!("/api/v1/patients/{patient}/emergency-disclosures");
    let (status, problem) = app
        .post(
            &path,
            &clinician,
            json!({"recipient_name": "", "recipient_facility": "Mercy ED",
            "nature_of_emergency": "OD", "information": "Meds"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["recipient_name", "nature_of_emergency"]);
    let (status, d) = app
        .post(&path, &clinician, json!({"recipient_name": "Dr. A. Osei", "recipient_facility": "Mercy Hospital ED",
            "nature_of_emergency": "Suspected opioid overdose, unresponsive", "information": "Buprenorphine 16 mg daily; no allergies"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["disclosed_by"], json!(clinician_id));
    let (_, list) = app.get(&path, &clinician).await;
    assert_eq!(list["items"][0]["recipient_facility"], "Mercy Hospital ED");
    app.user(&admin, "desk", "front_desk", None).await;
    let desk = app.login("desk", PASSWORD).await;
    assert_eq!(app.get(&path, &desk).await.0, StatusCode::FORBIDDEN);
    let (_, queue) = app.get("/api/v1/emergency-disclosures", &admin).await;
    let id = queue["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(
            &format!("/api/v1/emergency-disclosures/{id}/review"),
            &admin,
            json!({"note": "Bona fide emergency"})
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (_, queue) = app.get("/api/v1/emergency-disclosures", &admin).await;
    assert_eq!(queue["items"], json!([]));
    // The page form records one too, and the director's queue page lists it.
    let (cookie, csrf) = app.browser_session("treating", PASSWORD).await;
    let (status, _, html) = app
        .form(
            &format!("/patients/{patient}/emergency-disclosures"),
            &cookie,
            &format!("csrf={csrf}&recipient_name=Medic+12&recipient_facility=County+EMS&nature_of_emergency=Seizure+in+group+room&information=Medication+list"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("queued for the program director"));
    let (admin_cookie, _) = app.browser_session("admin", "Admin-Password-1").await;
    let (_, html) = app.page("/emergency", &admin_cookie).await;
    assert!(
        html.contains("County EMS") && html.contains("Ona Disclosed"),
        "{html}"
    );
});
