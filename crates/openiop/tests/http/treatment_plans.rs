//! Treatment plans over HTTP on both databases: versions, signatures (clinician, patient in
//! the portal or in person, supervisor), immutability of signed versions, review dates and
//! overdue reviews, and who may read or write them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

use crate::on_both;
use crate::support::{PASSWORD, TestApp};

fn plan(responsible: &str, goal: &str) -> Value {
    json!({
        "problems": [{
            "statement": "Daily fentanyl use with two overdoses this year",
            "dimensions": ["relapse", "withdrawal"],
            "diagnoses": ["F11.20"],
            "goals": [{
                "statement": goal,
                "objectives": [{
                    "statement": "Attend 3 groups a week with negative tests for 4 weeks",
                    "target_date": "2027-01-15",
                    "interventions": [{"modality": "CBT group", "frequency": "3 times a week", "responsible_id": responsible}]
                }]
            }]
        }],
        "strengths": ["Supportive sister", "Steady job"],
        "preferences": {"language": "Spanish", "spirituality": "Catholic; wants a sponsor from church"}
    })
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

on_both!(a_plan_is_versioned_signed_by_both_and_reviewed, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Plan IOP").await;
    let clinician_id = app.user(&admin, "planner", "clinician", None).await;
    let case_id = app.user(&admin, "case", "case_manager", None).await;
    let clinician = app.login("planner", PASSWORD).await;
    let patient = app.patient(&admin, "Lena", "Planned").await;
    let (status, _) = put(
        app,
        &format!("/api/v1/patients/{patient}/care-team"),
        &admin,
        json!({"user_ids": [clinician_id, case_id]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.user(&admin, "lena", "patient", Some(&patient)).await;
    let (_, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &admin,
            json!({"track_id": track, "admitted_on": "2026-11-02"}),
        )
        .await;
    let base = format!(
        "/api/v1/patients/{patient}/episodes/{}/treatment-plan",
        episode["id"].as_str().unwrap()
    );
    assert_eq!(app.get(&base, &clinician).await.0, StatusCode::NOT_FOUND);

    // Bad parts are named and nothing is stored.
    let mut bad = plan(&clinician_id, "I want my kids back");
    bad["problems"][0]["diagnoses"] = json!(["opioids"]);
    bad["problems"][0]["goals"][0]["objectives"][0]["interventions"][0]["responsible_id"] =
        json!(uuid::Uuid::now_v7());
    let (status, problem) = put(app, &base, &clinician, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "problems[0].diagnoses[0]");
    assert_eq!(app.count("treatment_plans").await, 0);

    // A draft is edited in place.
    let (status, v1) = put(app, &base, &clinician, plan(&clinician_id, "Stay clean")).await;
    assert_eq!(status, StatusCode::OK, "{v1}");
    assert_eq!(
        (v1["version"].clone(), v1["status"].clone()),
        (json!(1), json!("draft"))
    );
    let (_, v1) = put(
        app,
        &base,
        &clinician,
        plan(&clinician_id, "I want my kids back"),
    )
    .await;
    assert_eq!(v1["version"], 1);
    assert_eq!(app.count("treatment_plans").await, 1);

    // Case managers read plans but do not write them; the front desk reads none.
    let case = app.login("case", PASSWORD).await;
    assert_eq!(app.get(&base, &case).await.0, StatusCode::OK);
    assert_eq!(
        put(app, &base, &case, plan(&clinician_id, "x")).await.0,
        StatusCode::FORBIDDEN
    );
    app.user(&admin, "desk", "front_desk", None).await;
    let desk = app.login("desk", PASSWORD).await;
    assert_eq!(app.get(&base, &desk).await.0, StatusCode::FORBIDDEN);

    // The clinician signs; the version is locked and editing starts version 2.
    let sign = format!("{base}/versions/1/sign");
    let (status, signed) = app
        .post(&sign, &clinician, json!({"as": "clinician"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "awaiting_signatures");
    assert_eq!(
        app.post(&sign, &clinician, json!({"as": "clinician"}))
            .await
            .0,
        StatusCode::CONFLICT,
        "once"
    );
    // The patient signs in the portal by typing their name; then it is in force.
    let lena = app.login("lena", PASSWORD).await;
    assert_eq!(app.get(&base, &lena).await.0, StatusCode::OK);
    assert_eq!(
        app.post(&sign, &lena, json!({"as": "clinician"})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, problem) = app.post(&sign, &lena, json!({"as": "patient"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "signature");
    let (status, in_force) = app
        .post(
            &sign,
            &lena,
            json!({"as": "patient", "signature": "Lena Planned"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{in_force}");
    assert_eq!(in_force["status"], "signed");
    assert_eq!(in_force["patient_signature"], "Lena Planned");
    let due = in_force["review_due_on"].as_str().unwrap().to_owned();
    let today = time::OffsetDateTime::now_utc().date();
    let expected = [
        today + Duration::days(30),
        today + Duration::days(29),
        today + Duration::days(31),
    ]
    .map(openiop_core::validate::format_date);
    assert!(expected.contains(&due), "due {due}: 30 days after signing");

    let (status, v2) = put(
        app,
        &base,
        &clinician,
        plan(&clinician_id, "Back at work by March"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (v2["version"].clone(), v2["status"].clone()),
        (json!(2), json!("draft"))
    );
    let (_, versions) = app.get(&format!("{base}/versions"), &clinician).await;
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1]["plan"]["problems"][0]["goals"][0]["statement"], "I want my kids back",
        "the signed version is unchanged"
    );
    // Only the newest version is signed.
    assert_eq!(
        app.post(&sign, &clinician, json!({"as": "clinician"}))
            .await
            .0,
        StatusCode::CONFLICT
    );

    // 31 days on, the review of version 1 is overdue on the dashboard.
    app.clock.advance(Duration::days(31));
    let (cookie, _) = app.browser_session("planner", PASSWORD).await;
    let (_, html) = app.page("/", &cookie).await;
    assert!(html.contains("Treatment plan reviews overdue"), "{html}");
    assert!(html.contains("Planned, Lena") || html.contains("Lena Planned"));
    let signed_v1 = app.audit_actions().await;
    assert!(
        signed_v1
            .iter()
            .any(|e| e.event.action == "treatment_plan.sign")
    );
});

on_both!(a_supervised_clinicians_plan_needs_the_co_signature, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Plan IOP").await;
    let clinician_id = app.user(&admin, "intern", "clinician", None).await;
    let supervisor_id = app.user(&admin, "lead", "clinician", None).await;
    let (status, _) = put(
        app,
        &format!("/api/v1/users/{clinician_id}/supervisor"),
        &admin,
        json!({"supervisor_id": supervisor_id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let program = app.get("/api/v1/programs", &admin).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, problem) = put(
        app,
        &format!("/api/v1/programs/{program}/settings"),
        &admin,
        json!({"cosignature_required": true, "plan_review_days": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "plan_review_days");
    let (status, _) = put(
        app,
        &format!("/api/v1/programs/{program}/settings"),
        &admin,
        json!({"cosignature_required": true, "plan_review_days": 14}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let patient = app.patient(&admin, "Omar", "Supervised").await;
    put(
        app,
        &format!("/api/v1/patients/{patient}/care-team"),
        &admin,
        json!({"user_ids": [clinician_id, supervisor_id]}),
    )
    .await;
    let (_, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &admin,
            json!({"track_id": track, "admitted_on": "2026-11-02"}),
        )
        .await;
    let base = format!(
        "/api/v1/patients/{patient}/episodes/{}/treatment-plan",
        episode["id"].as_str().unwrap()
    );
    let intern = app.login("intern", PASSWORD).await;
    let lead = app.login("lead", PASSWORD).await;
    // An incomplete plan cannot be signed.
    let mut partial = plan(&clinician_id, "Sleep through the night");
    partial["problems"][0]["goals"][0]["objectives"][0]["interventions"] = json!([]);
    put(app, &base, &intern, partial).await;
    let sign = format!("{base}/versions/1/sign");
    let (status, problem) = app.post(&sign, &intern, json!({"as": "clinician"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem["errors"][0]["field"],
        "problems[0].goals[0].objectives[0].interventions"
    );
    put(
        app,
        &base,
        &intern,
        plan(&clinician_id, "Sleep through the night"),
    )
    .await;
    let (_, signed) = app.post(&sign, &intern, json!({"as": "clinician"})).await;
    assert_eq!(signed["cosigner_id"], json!(supervisor_id));
    // The patient signs in person: staff record the typed name.
    let (_, both) = app
        .post(
            &sign,
            &intern,
            json!({"as": "patient", "signature": "Omar Supervised"}),
        )
        .await;
    assert_eq!(
        both["status"], "awaiting_signatures",
        "the supervisor has not co-signed"
    );
    assert_eq!(both["review_due_on"], Value::Null);
    let cosign = format!("{base}/versions/1/cosign");
    assert_eq!(
        app.post(&cosign, &intern, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, done) = app.post(&cosign, &lead, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "signed");
    assert!(done["review_due_on"].is_string());
});

on_both!(
    the_plan_page_grows_a_plan_and_takes_both_signatures,
    |app| {
        let admin = app.admin().await;
        let track = app.track(&admin, "Plan IOP").await;
        let clinician_id = app.user(&admin, "writer", "clinician", None).await;
        let patient = app.patient(&admin, "Ines", "Paged").await;
        put(
            app,
            &format!("/api/v1/patients/{patient}/care-team"),
            &admin,
            json!({"user_ids": [clinician_id]}),
        )
        .await;
        let (_, episode) = app
            .post(
                &format!("/api/v1/patients/{patient}/episodes"),
                &admin,
                json!({"track_id": track, "admitted_on": "2026-11-02"}),
            )
            .await;
        let page = format!(
            "/patients/{patient}/episodes/{}/treatment-plan",
            episode["id"].as_str().unwrap()
        );
        let (cookie, csrf) = app.browser_session("writer", PASSWORD).await;
        let (status, html) = app.page(&page, &cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("No treatment plan yet") && html.contains("p0_g0_o0_i0_modality"));
        // One problem, goal, objective and intervention; the empty slots are ignored.
        let form = format!(
            "csrf={csrf}&p0_statement=Alcohol+use+disorder&p0_dimensions=relapse&p0_dimensions=environment\
         &p0_diagnoses=F10.20&p0_g0_statement=Be+sober+for+my+daughter%27s+wedding\
         &p0_g0_o0_statement=No+drinking+days+for+8+weeks+by+breath+tests&p0_g0_o0_target_date=2027-02-01\
         &p0_g0_o0_i0_modality=Relapse+prevention+group&p0_g0_o0_i0_frequency=Twice+weekly\
         &p0_g0_o0_i0_responsible={clinician_id}&p0_g0_o1_statement=&p1_statement=&strengths=Loves+running\
         &language=English"
        );
        let (status, _, html) = app.form(&page, &cookie, &form).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("Saved as version 1 (draft)."));
        assert!(
            html.contains("Be sober for my daughter&#39;s wedding")
                || html.contains("Be sober for my daughter&#x27;s wedding")
        );
        assert!(html.contains("5. Relapse or continued-use potential; 6. Recovery environment"));
        // The editor now offers the next empty slots.
        assert!(html.contains("p1_statement") && html.contains("p0_g0_o0_i1_modality"));
        let sign = format!("{page}/sign");
        let (status, _, html) = app
            .form(
                &sign,
                &cookie,
                &format!("csrf={csrf}&version=1&as=clinician"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Signature recorded."));
        let (status, _, html) = app
            .form(
                &sign,
                &cookie,
                &format!("csrf={csrf}&version=1&as=patient&signature=Ines+Paged"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Signed in full: version 1 is in force"),
            "{html}"
        );
        let (_, versions) = app
            .get(
                &format!(
                    "/api/v1/patients/{patient}/episodes/{}/treatment-plan/versions",
                    episode["id"].as_str().unwrap()
                ),
                &admin,
            )
            .await;
        let v = &versions["items"][0];
        assert_eq!(v["plan"]["problems"].as_array().unwrap().len(), 1);
        assert_eq!(
            v["plan"]["problems"][0]["goals"][0]["objectives"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            v["plan"]["problems"][0]["dimensions"],
            json!(["relapse", "environment"])
        );
    }
);
