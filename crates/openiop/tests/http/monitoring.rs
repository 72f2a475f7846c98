//! Medications and drug testing over HTTP on both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::PASSWORD;

fn result<'a>(test: &'a Value, analyte: &str) -> &'a Value {
    test["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["analyte"] == analyte)
        .unwrap()
}

on_both!(results_are_read_against_the_medication_list, |app| {
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Mo", "Nitor").await;
    let meds = format!("/api/v1/patients/{patient}/medications");
    let (status, bup) = app
        .post(&meds, &admin, json!({"name": "Buprenorphine/naloxone", "dose": "16/4 mg daily", "started_on": "2026-11-02", "naloxone_on_hand": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bup}");
    assert_eq!(
        (bup["mat"].clone(), bup["naloxone_on_hand"].clone()),
        (json!(true), json!(true))
    );
    let (_, ssri) = app
        .post(
            &meds,
            &admin,
            json!({"name": "Sertraline", "dose": "50 mg", "started_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(ssri["mat"], false);
    let (status, problem) = app
        .post(
            &meds,
            &admin,
            json!({"name": "", "dose": "x", "started_on": "someday"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let tests = format!("/api/v1/patients/{patient}/drug-tests");
    // A lab test: the prescribed buprenorphine and its metabolite are expected; fentanyl is not.
    let (status, lab) = app
        .post(&tests, &admin, json!({"specimen": "urine", "observed": true, "collected_at": "2026-11-16T09:00:00-06:00", "source": "lab",
            "results": [{"analyte": "buprenorphine", "outcome": "positive"}, {"analyte": "norbuprenorphine", "outcome": "positive"},
                        {"analyte": "fentanyl", "outcome": "positive", "level": "12 ng/mL"}]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{lab}");
    assert_eq!(result(&lab, "buprenorphine")["flag"], Value::Null);
    assert_eq!(result(&lab, "norbuprenorphine")["flag"], Value::Null);
    assert_eq!(result(&lab, "fentanyl")["flag"], "unexpected_positive");
    assert_eq!(result(&lab, "fentanyl")["counts_as_use"], true);
    // A point-of-care cocaine positive is presumptive: it waits for a lab or a clinician.
    let (_, poc) = app
        .post(&tests, &admin, json!({"specimen": "oral_fluid", "observed": false, "collected_at": "2026-11-20T09:00:00-06:00",
            "source": "point_of_care", "results": [{"analyte": "cocaine", "outcome": "positive"}, {"analyte": "buprenorphine", "outcome": "negative"},
            {"analyte": "norbuprenorphine", "outcome": "negative"}]}))
        .await;
    assert_eq!(result(&poc, "cocaine")["presumptive"], true);
    assert_eq!(result(&poc, "cocaine")["counts_as_use"], false);
    assert_eq!(
        result(&poc, "buprenorphine")["flag"],
        "expected_medication_missing"
    );
    assert_eq!(
        result(&poc, "norbuprenorphine")["flag"],
        Value::Null,
        "flagged once, on the parent drug"
    );
    let (_, list) = app.get(&tests, &admin).await;
    assert_eq!(list["last_use_at"], lab["collected_at"]);
    let review = |test: &Value, analyte: &str, body: Value| {
        let path = format!(
            "{tests}/{}/results/{analyte}/review",
            test["id"].as_str().unwrap()
        );
        let token = admin.clone();
        async move { app.post(&path, &token, body).await }
    };
    let (status, reviewed) = review(&poc, "cocaine", json!({"review": "confirmed"})).await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");
    assert_eq!(result(&reviewed, "cocaine")["counts_as_use"], true);
    let (_, list) = app.get(&tests, &admin).await;
    assert_eq!(
        list["last_use_at"], poc["collected_at"],
        "the confirmed use moves the date"
    );
    // A false positive needs a reason, and then no longer counts.
    let (status, problem) = review(&poc, "cocaine", json!({"review": "false_positive"})).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("reason"))
    );
    let (_, reviewed) = review(
        &poc,
        "cocaine",
        json!({"review": "false_positive", "reason": "Lab GC-MS negative"}),
    )
    .await;
    assert_eq!(result(&reviewed, "cocaine")["counts_as_use"], false);
    let (_, list) = app.get(&tests, &admin).await;
    assert_eq!(list["last_use_at"], lab["collected_at"]);
    assert_eq!(
        review(&poc, "thc", json!({"review": "confirmed"})).await.0,
        StatusCode::NOT_FOUND
    );
    // After the medication stops, its negative is no longer flagged.
    let (status, stopped) = app
        .post(
            &format!("{meds}/{}/stop", bup["id"].as_str().unwrap()),
            &admin,
            json!({"stopped_on": "2026-11-21", "adherence_note": "Tapered off"}),
        )
        .await;
    assert_eq!(
        (status, stopped["stopped_on"].clone()),
        (StatusCode::OK, json!("2026-11-21"))
    );
    let (_, after) = app
        .post(&tests, &admin, json!({"specimen": "urine", "observed": true, "collected_at": "2026-11-23T09:00:00-06:00", "source": "lab",
            "results": [{"analyte": "buprenorphine", "outcome": "negative"}]}))
        .await;
    assert_eq!(result(&after, "buprenorphine")["flag"], Value::Null);
    // Bad input changes nothing.
    let before = app.count("drug_tests").await;
    let (status, problem) = app
        .post(&tests, &admin, json!({"specimen": "hair", "observed": true, "collected_at": "2099-01-01T00:00:00Z", "source": "lab",
            "results": [{"analyte": "unobtainium", "outcome": "maybe"}]}))
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
            "specimen",
            "collected_at",
            "results[0].analyte",
            "results[0].outcome"
        ]
    );
    assert_eq!(app.count("drug_tests").await, before);
    // Results are for the clinical team: not the front desk.
    app.user(&admin, "desk", "front_desk", None).await;
    let desk = app.login("desk", PASSWORD).await;
    assert_eq!(app.get(&tests, &desk).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&meds, &desk).await.0, StatusCode::FORBIDDEN);
});

on_both!(the_random_testing_draw_is_recorded_and_repeatable, |app| {
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Ran", "Dom").await;
    let path = format!("/api/v1/patients/{patient}/testing-draws");
    let (status, draw) = app
        .post(&path, &admin, json!({"week": "2026-W49", "count": 2, "days": ["mon", "tue", "wed", "thu", "fri", "sat"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draw}");
    let seed = u64::try_from(draw["seed"].as_i64().unwrap()).unwrap();
    let expected: Vec<&str> = openiop_core::monitoring::draw_days(seed, &[0, 1, 2, 3, 4, 5], 2)
        .into_iter()
        .map(|d| openiop_core::schedule::DAYS[usize::from(d)])
        .collect();
    assert_eq!(
        draw["days"],
        json!(expected),
        "anyone can repeat the draw from its seed"
    );
    let (status, again) = app.post(&path, &admin, json!({"week": "2026-W49"})).await;
    assert_eq!(
        (status, again["seed"].clone()),
        (StatusCode::OK, draw["seed"].clone())
    );
    let (status, _) = app.post(&path, &admin, json!({"week": "2026-W60"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|e| e.event.action == "testing_draw.create")
    );
});

on_both!(the_monitoring_page_records_and_reviews, |app| {
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Page", "Tests").await;
    let (cookie, csrf) = app.browser_session("admin", crate::support::ADMIN.1).await;
    let form = |path: String, body: &'static str| {
        let cookie = cookie.clone();
        let csrf = csrf.clone();
        async move {
            app.form(&path, &cookie, &format!("csrf={csrf}&{body}"))
                .await
        }
    };
    let (status, _, html) = form(
        format!("/patients/{patient}/medications"),
        "name=Methadone&dose=80+mg+daily&started_on=2026-11-02&naloxone_on_hand=yes",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Added Methadone.") && html.contains("MAT"));
    let (status, _, html) = form(
        format!("/patients/{patient}/drug-tests"),
        "specimen=urine&observed=yes&collected_at=2026-11-20T09%3A00&source=point_of_care&analyte0=methadone&outcome0=positive&analyte1=eddp&outcome1=positive&analyte2=fentanyl&outcome2=positive",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Recorded; some results are flagged."));
    assert!(
        html.contains("No confirmed use recorded."),
        "presumptive until reviewed"
    );
    let (_, tests) = app
        .get(&format!("/api/v1/patients/{patient}/drug-tests"), &admin)
        .await;
    let test = tests["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _, html) = form(
        format!("/patients/{patient}/drug-tests/{test}/review"),
        "analyte=fentanyl&review=confirmed",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Last confirmed use: 2026-11-20"), "{html}");
    let (status, _, html) = form(
        format!("/patients/{patient}/drug-tests"),
        "specimen=urine&collected_at=&source=lab",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("collected_at"));
    let (status, _, html) = form(
        format!("/patients/{patient}/testing-draws"),
        "week=2026-W50",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Testing days for 2026-W50"));
});
