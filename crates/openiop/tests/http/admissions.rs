//! The admissions pipeline over HTTP: moves, bookings, conversion with duplicate warnings,
//! consents, medical evaluation, diagnoses, and merges.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{PASSWORD, TestApp};

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn inquiry(app: &TestApp) -> String {
    let (status, body) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                ("contact", None, b"555-0101".to_vec()),
                ("name", None, b"Dana".to_vec()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    body["id"].as_str().unwrap().to_owned()
}

on_both!(an_inquiry_moves_through_the_pipeline_to_admission, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Evening IOP").await;
    app.user(&admin, "desk", "front_desk", None).await;
    let clin_id = app.user(&admin, "clin", "clinician", None).await;
    let desk = app.login("desk", PASSWORD).await;
    let id = inquiry(app).await;
    let base = format!("/api/v1/inquiries/{id}");

    let (status, moved) = app
        .post(
            &format!("{base}/moves"),
            &desk,
            json!({"to": "contacted", "note": "Left a voicemail, called back"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["stage"], "contacted");
    let (status, problem) = app
        .post(&format!("{base}/moves"), &desk, json!({"to": "evaluated"}))
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["to".to_owned()])
    );
    let (status, problem) = app
        .post(&format!("{base}/moves"), &desk, json!({"to": "admitted"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("admission form")
    );
    assert_eq!(
        app.post(&format!("{base}/moves"), &desk, json!({"to": "screening"}))
            .await
            .0,
        StatusCode::OK
    );

    let (status, assigned) = app
        .call(Method::PUT, &format!("{base}/assignment"), Some(&desk), Some(json!({"owner_id": clin_id, "next_step": "Book evaluation", "due_on": "2026-12-01"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    assert_eq!(
        (assigned["owner_id"].clone(), assigned["due_on"].clone()),
        (json!(clin_id), json!("2026-12-01"))
    );
    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("{base}/assignment"),
            Some(&desk),
            Some(json!({"owner_id": id, "due_on": "2026-13-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let (status, booked) = app
        .call(
            Method::PUT,
            &format!("{base}/evaluation"),
            Some(&desk),
            Some(json!({"at": "2026-12-01T10:00:00-06:00", "staff_id": clin_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{booked}");
    assert_eq!(booked["stage"], "evaluation_scheduled");
    app.clock.advance(time::Duration::hours(30));
    // Sessions end long before 30 hours: log in again, as the next shift would.
    let desk = app.login("desk", PASSWORD).await;
    assert_eq!(
        app.post(&format!("{base}/moves"), &desk, json!({"to": "evaluated"}))
            .await
            .0,
        StatusCode::OK
    );
    let (_, pipeline) = app.get(&format!("{base}/moves"), &desk).await;
    let stages: Vec<_> = pipeline["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to_stage"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        stages,
        [
            "inquiry",
            "contacted",
            "screening",
            "evaluation_scheduled",
            "evaluated"
        ]
    );
    assert_eq!(pipeline["evaluation_within_target"], true);
    assert!(pipeline["hours_to_evaluation"].as_f64().unwrap() >= 30.0);

    // Admission: every acknowledgement is required; bad input creates nothing.
    let new_patient =
        json!({"given_name": "Dana", "family_name": "Okafor", "birth_date": "1991-02-03"});
    let before = app.count("patients").await;
    let (status, problem) = app.post(&format!("{base}/admission"), &desk, json!({"patient": new_patient, "track_id": track, "admitted_on": "2026-12-01", "consents": {"treatment_consent": "2026-12-01"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&problem),
        ["consents.patient_rights", "consents.confidentiality_notice"]
    );
    let consents = json!({"treatment_consent": "2026-12-01", "patient_rights": "2026-12-01", "confidentiality_notice": "2026-12-01"});
    let (status, problem) = app.post(&format!("{base}/admission"), &desk, json!({"patient": new_patient, "track_id": id, "admitted_on": "2026-12-01", "consents": consents})).await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["track_id".to_owned()]
        )
    );
    assert_eq!(
        app.count("patients").await,
        before,
        "nothing created by a refused admission"
    );

    // A likely duplicate exists: warned, then linked instead of retyped.
    let existing = app
        .post(
            "/api/v1/patients",
            &desk,
            json!({"given_name": "DANA", "family_name": "Okafor", "birth_date": "1991-02-03"}),
        )
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, conflict) = app.post(&format!("{base}/admission"), &desk, json!({"patient": new_patient, "track_id": track, "admitted_on": "2026-12-01", "consents": consents})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["duplicates"][0]["id"], existing.as_str());
    let (_, dups) = app
        .get(
            "/api/v1/patients/duplicates?given_name=dana&family_name=okafor&birth_date=1991-02-03",
            &desk,
        )
        .await;
    assert_eq!(dups["items"].as_array().unwrap().len(), 1);
    let (status, admitted) = app.post(&format!("{base}/admission"), &desk, json!({"patient_id": existing, "track_id": track, "admitted_on": "2026-12-01", "consents": consents})).await;
    assert_eq!(status, StatusCode::CREATED, "{admitted}");
    assert_eq!(admitted["patient_id"], existing.as_str());
    assert_eq!(admitted["inquiry"]["stage"], "admitted");
    let (_, stored) = app
        .get(&format!("/api/v1/patients/{existing}/consents"), &desk)
        .await;
    let mut kinds: Vec<_> = stored["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "confidentiality_notice",
            "patient_rights",
            "treatment_consent"
        ]
    );
    let (_, episodes) = app
        .get(&format!("/api/v1/patients/{existing}/episodes"), &desk)
        .await;
    assert_eq!(episodes["items"][0]["id"], admitted["episode_id"]);
    assert_eq!(
        app.post(&format!("{base}/moves"), &desk, json!({"to": "contacted"}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "admitted is final"
    );
    let events = app.audit_actions().await;
    for action in [
        "inquiry.move",
        "inquiry.assign",
        "inquiry.evaluation.book",
        "inquiry.admit",
    ] {
        assert!(
            events.iter().any(|e| e.event.action == action),
            "{action} audited"
        );
    }
});

on_both!(duplicates_are_merged_keeping_every_record, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Day IOP").await;
    let clin_id = app.user(&admin, "clin", "clinician", None).await;
    let keep = app.patient(&admin, "Lee", "Park").await;
    let dup = app.patient(&admin, "Lea", "Park").await;
    app.call(
        Method::PUT,
        &format!("/api/v1/patients/{dup}/care-team"),
        Some(&admin),
        Some(json!({"user_ids": [clin_id]})),
    )
    .await;
    app.post(
        &format!("/api/v1/patients/{dup}/episodes"),
        &admin,
        json!({"track_id": track, "admitted_on": "2026-02-02"}),
    )
    .await;
    app.post(
        &format!("/api/v1/patients/{dup}/assessments"),
        &admin,
        json!({"code": "gad7", "answers": [1, 1, 1, 1, 1, 1, 1]}),
    )
    .await;
    // Everything recorded on the duplicate comes along: monitoring, check-ins, crisis events,
    // care documents (versions after the survivor's), and session bookings (once).
    app.post(
        &format!("/api/v1/patients/{dup}/medications"),
        &admin,
        json!({"name": "Naltrexone", "dose": "50 mg daily", "started_on": "2026-02-03"}),
    )
    .await;
    app.post(
        &format!("/api/v1/patients/{dup}/check-ins"),
        &admin,
        json!({"mood": 4, "craving": 6, "used": false}),
    )
    .await;
    app.post(
        &format!("/api/v1/patients/{dup}/crisis-events"),
        &admin,
        json!({"kind": "return_to_use", "severity": "low", "description": "One drink", "actions_taken": "Plan reviewed"}),
    )
    .await;
    let relapse_plan = |craving_plan: &str| {
        json!({"trigger_people": [], "trigger_places": ["Bars"], "trigger_feelings": [], "trigger_times": [],
            "warning_signs": [], "coping": ["Call sponsor"], "support_contacts": [], "craving_plan": craving_plan})
    };
    for (who, text) in [(&keep, "Survivor's plan"), (&dup, "Duplicate's plan")] {
        let (status, body) = app
            .call(
                Method::PUT,
                &format!("/api/v1/patients/{who}/relapse-prevention-plan"),
                Some(&admin),
                Some(relapse_plan(text)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, session) = app
        .post(
            "/api/v1/sessions",
            &admin,
            json!({"track_id": track, "kind": "skills", "title": "Skills", "starts_at": "2026-12-01T18:00:00Z",
                "ends_at": "2026-12-01T19:00:00Z", "capacity": 10}),
        )
        .await;
    let session = session["id"].as_str().unwrap().to_owned();
    for who in [&keep, &dup] {
        let (status, _) = app
            .post(
                &format!("/api/v1/sessions/{session}/enrollments"),
                &admin,
                json!({"patient_id": who}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let clin = app.login("clin", PASSWORD).await;
    assert_eq!(
        app.post(
            &format!("/api/v1/patients/{keep}/merge"),
            &clin,
            json!({"duplicate_id": dup})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, problem) = app
        .post(
            &format!("/api/v1/patients/{keep}/merge"),
            &admin,
            json!({"duplicate_id": keep}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["duplicate_id".to_owned()]
        )
    );
    let (status, merged) = app
        .post(
            &format!("/api/v1/patients/{keep}/merge"),
            &admin,
            json!({"duplicate_id": dup}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (_, episodes) = app
        .get(&format!("/api/v1/patients/{keep}/episodes"), &admin)
        .await;
    assert_eq!(episodes["items"].as_array().unwrap().len(), 1);
    let (_, assessments) = app
        .get(&format!("/api/v1/patients/{keep}/assessments"), &admin)
        .await;
    assert_eq!(assessments["items"].as_array().unwrap().len(), 1);
    for part in ["medications", "check-ins", "crisis-events"] {
        let (_, list) = app
            .get(&format!("/api/v1/patients/{keep}/{part}"), &admin)
            .await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{part}");
    }
    let (_, plan) = app
        .get(
            &format!("/api/v1/patients/{keep}/relapse-prevention-plan"),
            &admin,
        )
        .await;
    assert_eq!(
        (
            plan["version"].clone(),
            plan["plan"]["craving_plan"].clone()
        ),
        (json!(2), json!("Duplicate's plan")),
        "the duplicate's version follows the survivor's"
    );
    assert_eq!(app.count("care_documents").await, 2);
    let (_, roster) = app
        .get(&format!("/api/v1/sessions/{session}/roster"), &admin)
        .await;
    assert_eq!(roster["items"].as_array().unwrap().len(), 1, "booked once");
    assert_eq!(
        app.get(&format!("/api/v1/patients/{keep}"), &clin).await.0,
        StatusCode::OK,
        "the care team came along"
    );
    let (_, old) = app.get(&format!("/api/v1/patients/{dup}"), &admin).await;
    assert_eq!(
        old["merged_into"],
        keep.as_str(),
        "the merged record is kept and points to the survivor"
    );
    let (_, list) = app.get("/api/v1/patients?q=park", &admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let events = app.audit_actions().await;
    let merges: Vec<_> = events
        .iter()
        .filter(|e| e.event.action == "patient.merge" && e.event.outcome.as_str() == "allowed")
        .collect();
    assert_eq!(merges.len(), 2, "one event on each record");
    assert!(
        events.iter().any(
            |e| e.event.patient_id.map(|p| p.to_string()) == Some(dup.clone())
                && e.event.action == "patient.create"
        ),
        "the old trail stays"
    );
    assert!(app.verify_audit().await.is_ok());
});

on_both!(medical_evaluations_and_diagnoses, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Day IOP").await;
    app.user(&admin, "clin", "clinician", None).await;
    app.user(&admin, "bill", "billing", None).await;
    let clin = app.login("clin", PASSWORD).await;
    let bill = app.login("bill", PASSWORD).await;
    let patient = app.patient(&clin, "Med", "Eval").await;
    let (_, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &clin,
            json!({"track_id": track, "admitted_on": "2026-02-02"}),
        )
        .await;
    let episode = episode["id"].as_str().unwrap().to_owned();
    let (_, ciwa) = app
        .post(
            &format!("/api/v1/patients/{patient}/assessments"),
            &clin,
            json!({"code": "ciwaar", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}),
        )
        .await;
    let (_, gad) = app
        .post(
            &format!("/api/v1/patients/{patient}/assessments"),
            &clin,
            json!({"code": "gad7", "answers": [0, 0, 0, 0, 0, 0, 0]}),
        )
        .await;
    let path = format!("/api/v1/patients/{patient}/medical-evaluations");
    let (status, problem) = app
        .post(&path, &clin, json!({"vitals": {"systolic": 400, "pulse": 72, "temperature_c": 50.0}, "pregnancy": "maybe", "medically_cleared": false, "withdrawal_assessment_id": gad["id"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&problem),
        [
            "vitals.systolic",
            "vitals.temperature_c",
            "pregnancy",
            "withdrawal_assessment_id"
        ]
    );
    let (status, eval) = app
        .post(&path, &clin, json!({"vitals": {"systolic": 128, "diastolic": 82, "pulse": 96, "temperature_c": 37.2, "spo2": 98},
            "medical_history": "Hypertension", "current_medications": "Lisinopril 10 mg", "allergies": "Penicillin",
            "pregnancy": "not_applicable", "withdrawal_assessment_id": ciwa["id"], "medically_cleared": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{eval}");
    assert_eq!(eval["episode_id"], episode.as_str());
    assert_eq!(eval["vitals"]["pulse"], 96);
    assert_eq!(app.get(&path, &bill).await.0, StatusCode::FORBIDDEN);

    let dx = format!("/api/v1/patients/{patient}/episodes/{episode}/diagnoses");
    let (status, problem) = app
        .post(&dx, &clin, json!({"code": "opioids", "description": ""}))
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["code".to_owned(), "description".to_owned()]
        )
    );
    assert_eq!(app.post(&dx, &clin, json!({"code": "f11.20", "description": "Opioid use disorder, moderate", "primary": true})).await.0, StatusCode::CREATED);
    assert_eq!(
        app.post(
            &dx,
            &clin,
            json!({"code": "F41.1", "description": "Generalized anxiety disorder", "primary": true})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (status, list) = app.get(&dx, &bill).await;
    assert_eq!(status, StatusCode::OK, "billing reads coded diagnoses");
    let primary: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["primary"] == true)
        .map(|d| d["code"].clone())
        .collect();
    assert_eq!(primary, [json!("F41.1")], "one primary at a time");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "F11.20"),
        "codes are stored upper case"
    );
    assert_eq!(
        app.post(&dx, &bill, json!({"code": "F10.20", "description": "x"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, sev) = app.post("/api/v1/sud-severity", &clin, json!({"substance": "opioids", "criteria": [true, true, true, true, false, false, false, false, false, false, false]})).await;
    assert_eq!(
        (sev["criteria_met"].clone(), sev["severity"].clone()),
        (json!(4), json!("moderate"))
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_leaves_no_patient_table_behind() {
    let app = crate::support::TestApp::start(crate::support::Backend::Postgres).await;
    let mut conn = app.store.read().await.expect("conn");
    let tables: Vec<String> = openiop_store::on_db!(conn.db(), |c| {
        sqlx::query_scalar::<_, String>(
            "SELECT table_name::text FROM information_schema.columns \
             WHERE column_name = 'patient_id' AND table_schema = current_schema() ORDER BY table_name",
        )
        .fetch_all(&mut *c)
        .await
    })
    .expect("schema");
    drop(conn);
    // The audit trail is sealed: its events keep naming the record they were about; a
    // certificate of disposal names a record that no longer exists.
    let tables: Vec<String> = tables
        .into_iter()
        .filter(|t| t != "audit_events" && t != "disposals")
        .collect();
    assert_eq!(
        tables,
        openiop_store::patients::MERGED_TABLES,
        "every table holding patient data must be carried over by patients::merge"
    );
    app.stop().await;
}
