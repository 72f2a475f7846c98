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
