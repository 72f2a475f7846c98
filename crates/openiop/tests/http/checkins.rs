//! Daily check-ins over HTTP on both databases: validation, corrections, the trend on the
//! chart, and who may record or read them.

use reqwest::StatusCode;
use serde_json::json;

use crate::on_both;
use crate::support::PASSWORD;

on_both!(daily_check_ins_are_recorded_corrected_and_charted, |app| {
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Cora", "Checked").await;
    let path = format!("/api/v1/patients/{patient}/check-ins");
    let today = time::OffsetDateTime::now_utc().date();
    let day = |back: i64| openiop_core::validate::format_date(today - time::Duration::days(back));
    let (status, problem) = app
        .post(
            &path,
            &admin,
            json!({"mood": 11, "craving": 3, "used": false, "substances": ["alcohol"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["mood", "substances"]);
    assert_eq!(app.count("check_ins").await, 0);
    for (back, mood, craving) in [(3, 3, 8), (2, 4, 7), (1, 6, 4)] {
        let (status, body) = app
            .post(
                &path,
                &admin,
                json!({"on": day(back), "mood": mood, "craving": craving, "used": false}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Yesterday is corrected: the newest check-in for a date counts, both are kept.
    let (_, corrected) = app
        .post(
            &path,
            &admin,
            json!({"on": day(1), "mood": 5, "craving": 6, "used": true, "substances": ["alcohol"], "note": "Two beers"}),
        )
        .await;
    assert_eq!(corrected["source"], "staff");
    assert_eq!(app.count("check_ins").await, 4);
    let (status, list) = app.get(&format!("{path}?days=7"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["on"], json!(day(1)));
    assert_eq!(
        (
            items[0]["mood"].clone(),
            items[0]["used"].clone(),
            items[0]["substances"].clone()
        ),
        (json!(5), json!(true), json!(["alcohol"]))
    );
    assert_eq!(
        app.get(&format!("{path}?days=0"), &admin).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The chart draws the trend; the monitoring page lists the days.
    let (cookie, _) = app.browser_session("admin", "Admin-Password-1").await;
    let (_, chart) = app.page(&format!("/patients/{patient}"), &cookie).await;
    assert!(chart.contains("Daily check-ins (mood and craving)"));
    assert!(chart.contains("Mood latest 5, Craving latest 6"), "{chart}");
    let (_, monitoring) = app
        .page(&format!("/patients/{patient}/monitoring"), &cookie)
        .await;
    assert!(monitoring.contains("yes: alcohol") && monitoring.contains("Two beers"));
    // Case managers and the front desk neither record nor read them.
    app.user(&admin, "desk", "front_desk", None).await;
    let desk = app.login("desk", PASSWORD).await;
    assert_eq!(app.get(&path, &desk).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(
            &path,
            &desk,
            json!({"mood": 5, "craving": 5, "used": false})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
});

on_both!(repeated_measures_fall_due_on_the_programs_cadence, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Measured IOP").await;
    let clinician_id = app.user(&admin, "measurer", "clinician", None).await;
    let patient = app.patient(&admin, "Mel", "Measured").await;
    let other = app.patient(&admin, "Nia", "Elsewhere").await;
    let admitted = openiop_core::validate::format_date(
        time::OffsetDateTime::now_utc().date() - time::Duration::days(10),
    );
    for p in [&patient, &other] {
        let (status, _) = app
            .post(
                &format!("/api/v1/patients/{p}/episodes"),
                &admin,
                json!({"track_id": track, "admitted_on": admitted}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&admin),
            Some(json!({"user_ids": [clinician_id]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let clinician = app.login("measurer", PASSWORD).await;
    let due = |list: &serde_json::Value, who: &str| -> Vec<String> {
        let mut codes: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["patient_id"] == who)
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect();
        codes.sort();
        codes
    };
    // Never measured since admission: every default measure is overdue.
    let (status, list) = app.get("/api/v1/measures/overdue", &clinician).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(due(&list, &patient), ["bam", "gad7", "phq9"]);
    assert!(
        due(&list, &other).is_empty(),
        "only the clinician's own patients"
    );
    let (_, all) = app.get("/api/v1/measures/overdue", &admin).await;
    assert_eq!(due(&all, &other), ["bam", "gad7", "phq9"]);

    let assess = format!("/api/v1/patients/{patient}/assessments");
    for (code, answers) in [
        ("phq9", json!([1, 1, 0, 0, 0, 0, 0, 0, 0])),
        ("gad7", json!([1, 1, 0, 0, 0, 0, 0])),
        (
            "bam",
            json!([1, 0, 0, 0, 0, 0, 0, 1, 4, 2, 0, 3, 4, 4, 0, 4, 3]),
        ),
    ] {
        let (status, body) = app
            .post(
                &assess,
                &clinician,
                json!({"code": code, "answers": answers}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, list) = app.get("/api/v1/measures/overdue", &clinician).await;
    assert!(due(&list, &patient).is_empty());
    // Eight days on, the weekly BAM is overdue; the monthly ones are not.
    app.clock.advance(time::Duration::days(8));
    let clinician = app.login("measurer", PASSWORD).await;
    let (_, list) = app.get("/api/v1/measures/overdue", &clinician).await;
    assert_eq!(due(&list, &patient), ["bam"]);
    let (cookie, _) = app.browser_session("measurer", PASSWORD).await;
    let (_, home) = app.page("/", &cookie).await;
    assert!(home.contains("Measures overdue") && home.contains("BAM (Brief Addiction Monitor)"));
    // A program may take a measure off its schedule.
    let admin = app.admin().await;
    let program = app.get("/api/v1/programs", &admin).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/programs/{program}/settings"),
            Some(&admin),
            Some(json!({"measures": {"bam": 0, "nope": 3}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/programs/{program}/settings"),
            Some(&admin),
            Some(json!({"measures": {"bam": 0}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.get("/api/v1/measures/overdue", &clinician).await;
    assert!(due(&list, &patient).is_empty());
});
