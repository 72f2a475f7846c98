//! The safety plan and the relapse-prevention plan over HTTP on both databases.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::PASSWORD;

on_both!(
    care_plans_are_versioned_complete_and_shared_with_the_patient,
    |app| {
        let admin = app.admin().await;
        let patient = app.patient(&admin, "Safe", "Plan").await;
        let path = format!("/api/v1/patients/{patient}/safety-plan");
        assert_eq!(app.get(&path, &admin).await.0, StatusCode::NOT_FOUND);
        let plan = json!({"warning_signs": ["Not sleeping", ""], "internal_coping": ["Walk the dog"], "distractions": ["The library"],
        "help_contacts": [{"name": "Sister", "phone": "+1 555 0100"}], "professionals": [{"name": "Dr. Lee", "phone": "555 0199"}],
        "environment": ["Medications locked with my sister"], "reasons_for_living": ["My kids"]});
        let (status, saved) = app
            .call(Method::PUT, &path, Some(&admin), Some(plan.clone()))
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["version"], 1);
        assert_eq!(saved["plan"]["warning_signs"], json!(["Not sleeping"]));
        let phones: Vec<&str> = saved["plan"]["professionals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["phone"].as_str().unwrap())
            .collect();
        assert_eq!(phones, ["555 0199", "988"], "988 is always on the plan");
        let (_, again) = app
            .call(Method::PUT, &path, Some(&admin), Some(plan.clone()))
            .await;
        assert_eq!(again["version"], 2);
        let mut incomplete = plan.clone();
        incomplete["environment"] = json!([]);
        incomplete["help_contacts"] = json!([]);
        let (status, problem) = app
            .call(Method::PUT, &path, Some(&admin), Some(incomplete))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["help_contacts", "environment"]);
        assert_eq!(app.count("care_documents").await, 2);
        // The patient reads their own plan; the front desk does not.
        app.user(&admin, "safe.plan", "patient", Some(&patient))
            .await;
        let me = app.login("safe.plan", PASSWORD).await;
        let (status, mine) = app.get(&path, &me).await;
        assert_eq!(
            (status, mine["version"].clone()),
            (StatusCode::OK, json!(2))
        );
        assert_eq!(
            app.call(Method::PUT, &path, Some(&me), Some(plan)).await.0,
            StatusCode::FORBIDDEN
        );
        app.user(&admin, "desk", "front_desk", None).await;
        let desk = app.login("desk", PASSWORD).await;
        assert_eq!(app.get(&path, &desk).await.0, StatusCode::FORBIDDEN);

        let relapse = format!("/api/v1/patients/{patient}/relapse-prevention-plan");
        let body = json!({"trigger_people": [], "trigger_places": ["The bar on 5th"], "trigger_feelings": ["Lonely"], "trigger_times": ["Friday payday"],
        "warning_signs": ["Skipping groups"], "coping": ["Call my sponsor"], "support_contacts": [{"name": "Sponsor", "phone": "555 0101"}],
        "craving_plan": "Urge-surf for 20 minutes, then call"});
        let (status, saved) = app
            .call(Method::PUT, &relapse, Some(&admin), Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let mut empty = body;
        empty["trigger_places"] = json!([]);
        empty["trigger_feelings"] = json!([]);
        empty["trigger_times"] = json!([]);
        empty["craving_plan"] = json!("");
        let (status, problem) = app
            .call(Method::PUT, &relapse, Some(&admin), Some(empty))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
        assert!(
            app.audit_actions()
                .await
                .iter()
                .any(|e| e.event.action == "relapse_prevention.update")
        );
    }
);

on_both!(the_care_plans_page_saves_and_prints, |app| {
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Page", "Plans").await;
    let (cookie, csrf) = app.browser_session("admin", crate::support::ADMIN.1).await;
    let (status, _, html) = app
        .form(
            &format!("/patients/{patient}/safety-plan"),
            &cookie,
            &format!("csrf={csrf}&warning_signs=Not+sleeping%0D%0AIsolating&internal_coping=Walk&help_contacts=Sister%2C+555+0100&environment=Meds+locked+away&reasons_for_living=My+kids"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Safety plan saved.") && html.contains("Isolating") && html.contains("988")
    );
    let (status, _, html) = app
        .form(
            &format!("/patients/{patient}/relapse-prevention-plan"),
            &cookie,
            &format!("csrf={csrf}&coping=Call+sponsor&craving_plan="),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("craving_plan") && html.contains("trigger_people"));
    let (status, html) = app
        .page(&format!("/patients/{patient}/care-plans"), &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Version 1") && html.contains("No relapse-prevention plan yet."));
});
