//! Part 2 consents over HTTP on both databases: every element of 2.31 or 422, the statements
//! written in, minors signing as the program's rule says, revocation kept on record.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::PASSWORD;

fn tpo(signers: Value) -> Value {
    json!({"kind": "tpo", "disclosing_party": "Riverside IOP",
        "information": "Diagnoses, medications, attendance and the treatment plan",
        "recipients": [{"name": "My treating providers and health plans"},
                       {"name": "Keystone HIE", "intermediary": true, "participants": "Members with a treating relationship"}],
        "purpose": "Treatment, payment and health care operations", "expires": "end_of_treatment",
        "revocation_explained": true, "treatment_conditioned": false, "covered_entity_recipients": true,
        "signatures": signers})
}

on_both!(
    a_part2_consent_needs_every_element_and_can_be_revoked,
    |app| {
        let admin = app.admin().await;
        app.user(&admin, "desk", "front_desk", None).await;
        app.user(&admin, "bill", "billing", None).await;
        let desk = app.login("desk", PASSWORD).await;
        let bill = app.login("bill", PASSWORD).await;
        let patient = app.patient(&admin, "Ana", "Consenting").await;
        let path = format!("/api/v1/patients/{patient}/part2-consents");
        let (status, problem) = app
        .post(&path, &desk, json!({"kind": "specific", "disclosing_party": "Riverside IOP", "information": "records",
            "recipients": [], "purpose": "", "expires": "none", "revocation_explained": false,
            "treatment_conditioned": false, "signatures": []}))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "information",
                "recipients",
                "purpose",
                "expires",
                "revocation_explained",
                "signatures"
            ]
        );
        assert_eq!(
            app.count("part2_consents").await,
            0,
            "a consent missing an element is not saved"
        );
        let signed =
            json!([{"name": "Ana Consenting", "role": "patient", "signed_on": "2026-11-20"}]);
        let (status, consent) = app.post(&path, &desk, tpo(signed)).await;
        assert_eq!(status, StatusCode::CREATED, "{consent}");
        assert_eq!(consent["status"], "active");
        let statements = consent["consent"]["statements"].to_string();
        assert!(statements.contains("42 CFR part 2 prohibits unauthorized use or disclosure"));
        assert!(statements.contains("HIPAA"));
        assert!(statements.contains("do not depend on signing"));
        assert_eq!(
            app.post(&path, &bill, tpo(json!([]))).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&path, &bill).await.0,
            StatusCode::OK,
            "billing reads consents"
        );
        // Revoked in writing: kept, no longer in force.
        let revoke = format!("{path}/{}/revoke", consent["id"].as_str().unwrap());
        let (status, revoked) = app
            .post(
                &revoke,
                &desk,
                json!({"note": "Signed letter received at the front desk"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{revoked}");
        assert_eq!(revoked["status"], "revoked");
        assert_eq!(
            app.post(&revoke, &desk, json!({"note": "again"})).await.0,
            StatusCode::CONFLICT
        );
        let (_, list) = app.get(&path, &desk).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert_eq!(
            list["items"][0]["revocation_note"],
            "Signed letter received at the front desk"
        );
        // A minor in a program where a guardian must sign too.
        let program = app.get("/api/v1/programs", &admin).await.1["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/programs/{program}/settings"),
                Some(&admin),
                Some(json!({"minor_consent": "both"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let track = app.track(&admin, "Teen IOP").await;
        let (_, teen) = app
            .post(
                "/api/v1/patients",
                &admin,
                json!({"given_name": "Teo", "family_name": "Young", "birth_date": "2011-03-01"}),
            )
            .await;
        let teen = teen["id"].as_str().unwrap().to_owned();
        app.post(
            &format!("/api/v1/patients/{teen}/episodes"),
            &admin,
            json!({"track_id": track, "admitted_on": "2026-11-02"}),
        )
        .await;
        let teen_path = format!("/api/v1/patients/{teen}/part2-consents");
        let alone = json!([{"name": "Teo Young", "role": "patient", "signed_on": "2026-11-20"}]);
        let (status, problem) = app.post(&teen_path, &desk, tpo(alone)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "signatures");
        let both = json!([{"name": "Teo Young", "role": "patient", "signed_on": "2026-11-20"},
                      {"name": "Rosa Young", "role": "guardian", "signed_on": "2026-11-20"}]);
        assert_eq!(
            app.post(&teen_path, &desk, tpo(both)).await.0,
            StatusCode::CREATED
        );
        assert!(
            app.audit_actions()
                .await
                .iter()
                .any(|e| e.event.action == "part2_consent.revoke")
        );
    }
);
