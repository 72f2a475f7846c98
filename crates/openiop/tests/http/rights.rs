//! Patient rights and breach handling over HTTP on both databases: amendment requests with
//! the clinician's decision and the patient's disagreement; contacts (guardians included)
//! who receive nothing without a consent naming them; a suspected breach whose affected
//! patients come from the audit trail, its assessment, letters and log.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both;
use crate::support::PASSWORD;

on_both!(a_patient_asks_to_amend_and_a_clinician_decides, |app| {
    let admin = app.admin().await;
    let doc_id = app.user(&admin, "doc", "clinician", None).await;
    app.user(&admin, "casey", "case_manager", None).await;
    let patient = app.patient(&admin, "Amy", "Amending").await;
    app.call(
        Method::PUT,
        &format!("/api/v1/patients/{patient}/care-team"),
        Some(&admin),
        Some(json!({"user_ids": [doc_id]})),
    )
    .await;
    app.user(&admin, "amy", "patient", Some(&patient)).await;
    let amy = app.login("amy", PASSWORD).await;
    let doc = app.login("doc", PASSWORD).await;
    let path = format!("/api/v1/patients/{patient}/amendment-requests");
    let (status, problem) = app
        .post(
            &path,
            &amy,
            json!({"information": "", "requested_change": "x", "reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    assert_eq!(app.count("amendment_requests").await, 0);
    let ask = json!({"information": "The note of 3 November says I used on the weekend",
            "requested_change": "It should say I had cravings but did not use",
            "reason": "My test that Monday was negative"});
    let (status, first) = app.post(&path, &amy, ask.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "pending");
    assert!(first["due_on"].as_str().unwrap() > first["requested_at"].as_str().unwrap());
    let (_, second) = app.post(&path, &amy, ask).await;
    // Only clinicians decide; the patient cannot decide their own request.
    let decide = |r: &serde_json::Value| format!("{path}/{}/decision", r["id"].as_str().unwrap());
    let (status, _) = app
        .post(
            &decide(&first),
            &amy,
            json!({"decision": "accepted", "note": "self"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .post(
            &decide(&first),
            &doc,
            json!({"decision": "denied", "note": "No"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a denial needs its basis"
    );
    assert_eq!(problem["errors"][0]["field"], "basis");
    let (status, accepted) = app
        .post(
            &decide(&first),
            &doc,
            json!({"decision": "accepted",
                "note": "Addendum added to the 3 November note"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["decided_by"], doc_id.as_str());
    let (status, _) = app
        .post(
            &decide(&first),
            &doc,
            json!({"decision": "denied", "basis": "not_in_record", "note": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");
    let (status, denied) = app
        .post(
            &decide(&second),
            &doc,
            json!({"decision": "denied", "basis": "accurate_and_complete",
                "note": "The duplicate of a request already accepted"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        denied["basis_text"]
            .as_str()
            .unwrap()
            .contains("accurate and complete")
    );
    let disagree =
        |r: &serde_json::Value| format!("{path}/{}/disagreement", r["id"].as_str().unwrap());
    let (status, _) = app
        .post(&disagree(&first), &amy, json!({"statement": "I disagree"}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only a denial is disagreed with"
    );
    let (status, filed) = app
        .post(
            &disagree(&second),
            &amy,
            json!({"statement": "I want my own words kept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(filed["disagreement"], "I want my own words kept");
    let (status, list) = app.get(&path, &amy).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let cm = app.login("casey", PASSWORD).await;
    assert_eq!(
        app.get(&path, &cm).await.0,
        StatusCode::NOT_FOUND,
        "not on the care team"
    );
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|e| e.event.action)
        .filter(|a| a.starts_with("amendment."))
        .collect();
    for a in [
        "amendment.request",
        "amendment.decide",
        "amendment.disagree",
        "amendment.list",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
    // The request and its answers are part of the record the patient exports.
    let (_, export) = app
        .get(&format!("/api/v1/patients/{patient}/record-export"), &amy)
        .await;
    assert_eq!(export["amendment_requests"].as_array().unwrap().len(), 2);
});

on_both!(
    a_guardian_is_a_contact_who_receives_nothing_without_a_consent,
    |app| {
        let admin = app.admin().await;
        app.user(&admin, "bill", "billing", None).await;
        let patient = app.patient(&admin, "Tom", "Minor").await;
        let path = format!("/api/v1/patients/{patient}/contacts");
        let (status, problem) = app
            .post(
                &path,
                &admin,
                json!({"name": "Rosa Minor", "role": "boss", "phone": "call"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
        let (status, guardian) = app
            .post(
                &path,
                &admin,
                json!({"name": "Rosa Minor", "role": "guardian",
                "relationship": "mother", "phone": "(312) 555-0101"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{guardian}");
        assert_eq!(guardian["may_receive_information"], false);
        assert_eq!(guardian["consent_ids"], json!([]));
        let bill = app.login("bill", PASSWORD).await;
        assert_eq!(
            app.post(&path, &bill, json!({"name": "X", "role": "family"}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        // A consent naming her (signed by the patient) lets information reach her.
        let (status, consent) = app
            .post(
                &format!("/api/v1/patients/{patient}/part2-consents"),
                &admin,
                json!({"kind": "specific", "disclosing_party": "Riverside IOP",
                    "information": "Attendance and the treatment plan",
                    "recipients": [{"name": "Rosa Minor"}], "purpose": "To support my recovery",
                    "expires": "2027-06-01", "revocation_explained": true, "treatment_conditioned": false,
                    "signatures": [{"name": "Tom Minor", "role": "patient", "signed_on": "2026-11-20"}],
                    "parts": ["attendance"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{consent}");
        let (_, list) = app.get(&path, &admin).await;
        assert_eq!(list["items"][0]["may_receive_information"], true);
        assert_eq!(list["items"][0]["consent_ids"][0], consent["id"]);
        // Revoked: she receives nothing again.
        app.post(
            &format!(
                "/api/v1/patients/{patient}/part2-consents/{}/revoke",
                consent["id"].as_str().unwrap()
            ),
            &admin,
            json!({"note": "Signed revocation form"}),
        )
        .await;
        let (_, list) = app.get(&path, &admin).await;
        assert_eq!(list["items"][0]["may_receive_information"], false);
        let removed = app
            .call(
                Method::DELETE,
                &format!("{path}/{}", guardian["id"].as_str().unwrap()),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(removed.0, StatusCode::NO_CONTENT);
        let (_, list) = app.get(&path, &admin).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0);
        assert_eq!(app.count("patient_contacts").await, 1, "kept on record");
    }
);

on_both!(
    a_breach_names_the_patients_the_audit_trail_shows_were_reached,
    |app| {
        let admin = app.admin().await;
        let snoop_id = app.user(&admin, "snoop", "front_desk", None).await;
        let snoop = app.login("snoop", PASSWORD).await;
        let read = app.patient(&admin, "Rita", "Read").await;
        let also = app.patient(&admin, "Alan", "Also").await;
        app.patient(&admin, "Ned", "Never").await;
        let start = time::OffsetDateTime::now_utc() - time::Duration::seconds(5);
        for p in [&read, &also, &read] {
            assert_eq!(
                app.get(&format!("/api/v1/patients/{p}"), &snoop).await.0,
                StatusCode::OK
            );
        }
        let end = time::OffsetDateTime::now_utc() + time::Duration::seconds(5);
        let fmt = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let today = &fmt(time::OffsetDateTime::now_utc())[..10];
        let (status, problem) = app
            .post(
                "/api/v1/breaches",
                &admin,
                json!({"description": "x", "discovered_on": today,
                "window_from": fmt(end), "window_to": fmt(start)}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "window_to");
        let (status, breach) = app
            .post(
                "/api/v1/breaches",
                &admin,
                json!({
                "description": "A front-desk account looked up records it had no reason to open.",
                "discovered_on": today, "window_from": fmt(start), "window_to": fmt(end),
                "actor_user_id": snoop_id}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{breach}");
        assert_eq!(breach["status"], "suspected");
        assert_eq!(breach["affected_count"], 2, "{breach}");
        let id = breach["id"].as_str().unwrap();
        let (_, detail) = app.get(&format!("/api/v1/breaches/{id}"), &admin).await;
        let names: Vec<&str> = detail["affected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Alan Also", "Rita Read"]);
        assert_eq!(detail["affected"][1]["accesses"], 2);
        // No letters before the assessment confirms it.
        assert_eq!(
            app.get(&format!("/api/v1/breaches/{id}/letters"), &admin)
                .await
                .0,
            StatusCode::CONFLICT
        );
        let (status, problem) = app
            .post(
                &format!("/api/v1/breaches/{id}/assessment"),
                &admin,
                json!({"status": "confirmed", "assessment": "Viewed without a need"}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a letter needs its contents"
        );
        assert_eq!(problem["errors"].as_array().unwrap().len(), 4);
        let (status, confirmed) = app
            .post(
                &format!("/api/v1/breaches/{id}/assessment"),
                &admin,
                json!({
                "status": "confirmed", "assessment": "Names and demographics viewed without a need",
                "information_involved": "Your name, date of birth and phone number",
                "steps_for_patients": "Nothing needs doing; call us with any question",
                "mitigation": "The account was closed and staff retrained",
                "contact": "1-800-555-0100, privacy@riverside.example"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{confirmed}");
        assert_eq!(confirmed["hhs_report"]["route"], "annual_log");
        let letters = app
            .http
            .get(app.url(&format!("/api/v1/breaches/{id}/letters")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(letters.matches("class=\"letter\"").count(), 2);
        assert!(letters.contains("Dear Rita Read"));
        assert!(letters.contains("1-800-555-0100"));
        assert!(!letters.contains("Never"));
        let (status, sent) = app
            .post(
                &format!("/api/v1/breaches/{id}/letters-sent"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sent["notified"], 2);
        let (_, log) = app.get("/api/v1/breaches", &admin).await;
        assert_eq!(log["items"][0]["affected_count"], 2);
        assert_eq!(
            app.get("/api/v1/breaches", &snoop).await.0,
            StatusCode::FORBIDDEN
        );
        assert!(app.verify_audit().await.is_ok());
    }
);

on_both!(
    a_record_past_retention_is_disposed_of_with_a_certificate,
    |app| {
        let admin = app.admin().await;
        let org = {
            let mut conn = app.store.read().await.unwrap();
            openiop_store::organization::first_organization(&mut conn.db())
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let state = openiop_web::AppState::new(
            app.store.clone(),
            openiop_web::Config::default(),
            app.clock.clone(),
        );
        openiop_web::demo::load(&state, org, 8, 3, &|_, _| {})
            .await
            .unwrap()
            .unwrap();
        let (_, list) = app.get("/api/v1/patients?limit=100", &admin).await;
        let patients = list["items"].as_array().unwrap().clone();
        // The one disposed of has a full record: notes (a group note among them) and more.
        let mut chosen = None;
        for p in &patients {
            let id = p["id"].as_str().unwrap();
            let (_, notes) = app
                .get(&format!("/api/v1/patients/{id}/notes"), &admin)
                .await;
            if notes["items"].to_string().contains("\"group\"") {
                chosen = Some(p.clone());
                break;
            }
        }
        let chosen = chosen.expect("a demo patient with a group note");
        let gone = chosen["id"].as_str().unwrap().to_owned();
        let family = chosen["family_name"].as_str().unwrap().to_owned();
        let kept = patients
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .find(|id| *id != gone)
            .unwrap();
        assert!(
            app.count(&format!("group_notes WHERE body LIKE '%{gone}%'"))
                .await
                > 0,
            "their lines are in a group note"
        );
        let (_, before) = app.get("/api/v1/retention", &admin).await;
        assert!(
            !before["due"].to_string().contains(&gone),
            "open or recent records are not due"
        );
        // Their care ended in 2015: past seven years.
        app.exec(&format!(
            "UPDATE episodes SET status = 'discharged', admitted_on = '2014-09-01', discharged_on = '2015-01-10' \
             WHERE patient_id IN (SELECT id FROM patients WHERE family_name = '{family}')"
        ))
        .await;
        let rows_before: i64 = app.count("notes").await + app.count("attendance_marks").await;
        let (status, retention) = app.get("/api/v1/retention", &admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(retention["retention_years"], 7);
        assert_eq!(
            retention["due"][0]["patient_id"],
            gone.as_str(),
            "{retention}"
        );
        assert_eq!(retention["due"][0]["last_service_on"], "2015-01-10");
        let (status, _) = app
            .post(
                "/api/v1/retention/disposals",
                &admin,
                json!({"patient_ids": [gone, kept],
                "method": "Deleted", "approved_by": "Dana Privacy"}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "all or none: the second is not due"
        );
        let (status, problem) = app
            .post(
                "/api/v1/retention/disposals",
                &admin,
                json!({"patient_ids": [gone], "method": "", "approved_by": ""}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
        let (status, done) = app
            .post(
                "/api/v1/retention/disposals",
                &admin,
                json!({"patient_ids": [gone],
                "method": "Deleted from the database; backups expire within 35 days",
                "approved_by": "Dana Privacy, privacy officer"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        assert!(
            done["items"][0]["rows_deleted"].as_i64().unwrap() > 5,
            "{done}"
        );
        assert_eq!(
            app.get(&format!("/api/v1/patients/{gone}"), &admin).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&format!("/api/v1/patients/{kept}"), &admin).await.0,
            StatusCode::OK
        );
        assert!(app.count("notes").await + app.count("attendance_marks").await < rows_before);
        // Nothing of theirs is left anywhere, not even a line in a group note.
        for table in openiop_store::patients::MERGED_TABLES {
            let orphans = app
                .count(&format!("{table} WHERE patient_id IS NOT NULL AND patient_id NOT IN (SELECT id FROM patients)"))
                .await;
            assert_eq!(orphans, 0, "{table} keeps rows of the disposed patient");
        }
        assert_eq!(
            app.count(&format!("group_notes WHERE body LIKE '%{gone}%'"))
                .await,
            0
        );
        assert_eq!(
            app.count(&format!("patients WHERE family_name = '{family}'"))
                .await,
            0
        );
        let (_, certificates) = app.get("/api/v1/retention/disposals", &admin).await;
        assert_eq!(certificates["items"][0]["patient_id"], gone.as_str());
        assert_eq!(
            certificates["items"][0]["approved_by"],
            "Dana Privacy, privacy officer"
        );
        assert!(
            app.audit_actions()
                .await
                .iter()
                .any(|e| e.event.action == "record.dispose")
        );
        assert!(
            app.verify_audit().await.is_ok(),
            "the audit trail still verifies"
        );
    }
);

/// The privacy pages end to end, by form: consent, guardian contact, disclosure with its
/// packet and bundle, the patient's amendment request from the portal and its decision, and
/// the privacy office's breach log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_pages_work_by_form() {
    let app = crate::support::TestApp::start(crate::support::Backend::Sqlite).await;
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Pia", "Portal").await;
    app.user(&admin, "pia", "patient", Some(&patient)).await;
    let (staff, csrf) = app.browser_session("admin", "Admin-Password-1").await;
    let page = format!("/patients/{patient}/privacy");
    let (status, html) = app.page(&page, &staff).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"consent-form\"") && html.contains("id=\"contact-form\""));
    // A consent missing its elements comes back with every field named, nothing saved.
    let (status, _, html) = app
        .form(
            &format!("/patients/{patient}/part2-consents"),
            &staff,
            &format!("csrf={csrf}&kind=specific&signed_on=2026-11-20"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("<strong>recipients</strong>"), "{html}");
    assert_eq!(app.count("part2_consents").await, 0);
    let (status, _, html) = app
        .form(&format!("/patients/{patient}/part2-consents"), &staff, &format!(
            "csrf={csrf}&kind=specific&disclosing_party=Riverside+IOP&information=Attendance+dates\
             &parts=attendance&recipients=Rosa+Portal&purpose=To+support+my+recovery&expires=2027-06-01\
             &revocation_explained=yes&patient_signature=Pia+Portal&signed_on=2026-11-20"))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Consent recorded."));
    let (status, _, html) = app
        .form(
            &format!("/patients/{patient}/contacts"),
            &staff,
            &format!("csrf={csrf}&name=Rosa+Portal&role=guardian&relationship=mother"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("a consent names them"), "{html}");
    let (_, consents) = app
        .get(
            &format!("/api/v1/patients/{patient}/part2-consents"),
            &admin,
        )
        .await;
    let consent_id = consents["items"][0]["id"].as_str().unwrap();
    let (status, _, html) = app
        .form(&format!("/patients/{patient}/disclosures"), &staff, &format!(
            "csrf={csrf}&consent_id={consent_id}&recipient=Rosa+Portal&purpose=To+support+my+recovery&parts=attendance"))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"packet-link\"") && html.contains("id=\"bundle-link\""));
    assert!(html.contains("Rosa Portal"), "the accounting lists it");
    // The patient asks, from the portal, to amend; the admin (a clinician's rights) decides.
    let (mine, my_csrf) = app.browser_session("pia", crate::support::PASSWORD).await;
    let (status, html) = app.page(&page, &mine).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ask to amend your record"));
    assert!(
        !html.contains("id=\"consent-form\""),
        "patients do not record consents"
    );
    let (status, _, html) = app
        .form(
            &format!("/patients/{patient}/amendment-requests"),
            &mine,
            &format!(
                "csrf={my_csrf}&information=My+address&requested_change=12+Elm+St&reason=I+moved"
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("answers within 60 days"));
    let (_, requests) = app
        .get(
            &format!("/api/v1/patients/{patient}/amendment-requests"),
            &admin,
        )
        .await;
    let request = requests["items"][0]["id"].as_str().unwrap();
    let (status, _, html) = app
        .form(&format!("/patients/{patient}/amendment-requests/{request}/decision"), &staff, &format!(
            "csrf={csrf}&decision=denied&basis=accurate_and_complete&note=The+address+on+file+is+current"))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, html) = app.page(&page, &mine).await;
    assert!(html.contains("The record is accurate and complete"));
    assert!(
        html.contains("Statement of disagreement"),
        "the patient may disagree"
    );
    // The privacy office records a suspected breach.
    let (status, html) = app.page("/privacy", &staff).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No breach recorded."));
    assert_eq!(app.page("/privacy", &mine).await.0, StatusCode::FORBIDDEN);
    let (status, _, html) = app
        .form("/breaches", &staff, &format!(
            "csrf={csrf}&description=A+printed+roster+left+in+the+lobby&discovered_on=2026-11-20\
             &window_from=2026-11-19T08:00&window_to=2026-11-19T18:00"))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("A printed roster left in the lobby") && html.contains("suspected"));
    // The 2.51 form is part of the crisis page's body, not its title.
    let (_, crisis) = app
        .page(&format!("/patients/{patient}/crisis"), &staff)
        .await;
    let title = &crisis[crisis.find("<title>").unwrap()..crisis.find("</title>").unwrap()];
    assert!(!title.contains("<section"), "{title}");
    assert!(crisis.contains("id=\"disclosure-form\""));
    app.stop().await;
}
