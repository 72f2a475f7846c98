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

on_both!(
    records_go_out_only_under_a_consent_in_force_and_are_accounted_for,
    |app| {
        let admin = app.admin().await;
        let patient = app.patient(&admin, "Dee", "Disclosed").await;
        app.post(
        &format!("/api/v1/patients/{patient}/medications"),
        &admin,
        json!({"name": "Buprenorphine/naloxone", "dose": "16/4 mg daily", "started_on": "2026-11-02"}),
    )
    .await;
        let mut body =
            tpo(json!([{"name": "Dee Disclosed", "role": "patient", "signed_on": "2026-11-20"}]));
        body["parts"] = json!(["demographics", "medications"]);
        let (status, consent) = app
            .post(
                &format!("/api/v1/patients/{patient}/part2-consents"),
                &admin,
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{consent}");
        let consent_id = consent["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/patients/{patient}/disclosures");
        let (status, problem) = app
        .post(&path, &admin, json!({"consent_id": consent_id, "recipient": "A newspaper",
            "purpose": "Treatment, payment and health care operations", "parts": ["medications", "diagnoses"]}))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["recipient", "parts[1]"]);
        let (status, d) = app
        .post(&path, &admin, json!({"consent_id": consent_id, "recipient": "My treating providers and health plans",
            "purpose": "Treatment, payment and health care operations", "parts": ["medications"]}))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        // The packet carries the 2.32 notice, a copy of the consent, and only what was released.
        let resp = app
            .http
            .get(app.url(d["packet_url"].as_str().unwrap()))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let packet = resp.text().await.unwrap();
        assert!(packet.contains("42 CFR part 2") && packet.contains("Copy of the consent"));
        assert!(packet.contains("Buprenorphine/naloxone 16/4 mg daily"));
        assert!(!packet.contains("phone"), "demographics were not released");
        // The same disclosure as a FHIR R4 Bundle: labelled Part 2, notice and consent copy
        // included, only the released part's resources.
        let bundle_url = d["packet_url"]
            .as_str()
            .unwrap()
            .replace("/packet", "/bundle");
        let resp = app
            .http
            .get(app.url(&bundle_url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/fhir+json");
        let bundle: Value = resp.json().await.unwrap();
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "collection");
        assert!(
            bundle["meta"]["security"]
                .to_string()
                .contains("42CFRPart2")
        );
        let kinds: Vec<&str> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["resourceType"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "Patient",
                "Consent",
                "DocumentReference",
                "MedicationStatement"
            ]
        );
        let entries = bundle["entry"].as_array().unwrap();
        assert!(
            entries[0]["resource"].get("telecom").is_none(),
            "no contact details released"
        );
        assert_eq!(entries[1]["resource"]["id"], consent_id.as_str());
        // The stored consent keeps its signature date (its own column): the copy stated
        // the minimum date (-9999-01-01) before.
        assert_eq!(entries[1]["resource"]["dateTime"], "2026-11-20");
        let copy = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            entries[1]["resource"]["sourceAttachment"]["data"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let copy: Value = serde_json::from_slice(&copy).unwrap();
        assert_eq!(
            copy["purpose"],
            "Treatment, payment and health care operations"
        );
        assert!(
            entries[2]["resource"]["description"]
                .as_str()
                .unwrap()
                .contains("42 CFR part 2")
        );
        assert_eq!(entries[3]["resource"]["dosage"][0]["text"], "16/4 mg daily");
        assert!(
            entries
                .iter()
                .all(|e| e["resource"]["meta"]["security"].is_array())
        );
        // A 2.51 emergency disclosure shows in the accounting too.
        app.post(
        &format!("/api/v1/patients/{patient}/emergency-disclosures"),
        &admin,
        json!({"recipient_name": "Dr. Osei", "recipient_facility": "Mercy ED",
            "nature_of_emergency": "Unresponsive after overdose", "information": "Medication list"}),
    )
    .await;
        let pia = app.user(&admin, "dee", "patient", Some(&patient)).await;
        let _ = pia;
        let dee = app.login("dee", PASSWORD).await;
        let (status, accounting) = app
            .get(
                &format!("/api/v1/patients/{patient}/accounting-of-disclosures"),
                &dee,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "patients read their own accounting");
        let items = accounting["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["basis"], "medical_emergency");
        assert_eq!(items[1]["basis"], "consent");
        assert_eq!(items[1]["description"], "Medications, including MAT");
        // Revocation stops future disclosures; the past ones stay on record.
        app.post(
            &format!("/api/v1/patients/{patient}/part2-consents/{consent_id}/revoke"),
            &admin,
            json!({"note": "Patient's signed letter"}),
        )
        .await;
        let (status, problem) = app
        .post(&path, &admin, json!({"consent_id": consent_id, "recipient": "My treating providers and health plans",
            "purpose": "Treatment, payment and health care operations", "parts": ["medications"]}))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "consent_id");
        let (_, accounting) = app
            .get(
                &format!("/api/v1/patients/{patient}/accounting-of-disclosures"),
                &admin,
            )
            .await;
        assert_eq!(accounting["items"].as_array().unwrap().len(), 2);
    }
);

on_both!(
    a_patient_exports_their_whole_record_without_counseling_notes,
    |app| {
        let admin = app.admin().await;
        let clinician_id = app.user(&admin, "doc", "clinician", None).await;
        let patient = app.patient(&admin, "Eve", "Exported").await;
        app.call(
            Method::PUT,
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&admin),
            Some(json!({"user_ids": [clinician_id]})),
        )
        .await;
        let doc = app.login("doc", PASSWORD).await;
        app.post(
            &format!("/api/v1/patients/{patient}/check-ins"),
            &doc,
            json!({"mood": 7, "craving": 2, "used": false}),
        )
        .await;
        app.post(
            &format!("/api/v1/patients/{patient}/medications"),
            &doc,
            json!({"name": "Naltrexone", "dose": "50 mg daily", "started_on": "2026-11-02"}),
        )
        .await;
        app.post(
            &format!("/api/v1/patients/{patient}/counseling-notes"),
            &doc,
            json!({"text": "Private process note about transference"}),
        )
        .await;
        app.user(&admin, "eve", "patient", Some(&patient)).await;
        let eve = app.login("eve", PASSWORD).await;
        let path = format!("/api/v1/patients/{patient}/record-export");
        let (status, export) = app.get(&path, &eve).await;
        assert_eq!(status, StatusCode::OK, "{export}");
        assert_eq!(export["patient"]["family_name"], "Exported");
        assert_eq!(export["check_ins"].as_array().unwrap().len(), 1);
        assert_eq!(export["medications"][0]["name"], "Naltrexone");
        assert!(
            !export.to_string().contains("transference"),
            "counseling notes stay apart"
        );
        assert_eq!(
            app.get(&path, &doc).await.0,
            StatusCode::NOT_FOUND,
            "the care team uses the chart"
        );
        assert_eq!(app.get(&path, &admin).await.0, StatusCode::OK);
        assert!(
            app.audit_actions()
                .await
                .iter()
                .any(|e| e.event.action == "record.export")
        );
    }
);
