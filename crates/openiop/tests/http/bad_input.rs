//! Bad input gets a clear 4xx problem and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::TestApp;

async fn raw(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String, Value) {
    let resp = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ctype, resp.json().await.unwrap_or(Value::Null))
}

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

on_both!(bad_bodies_are_refused_and_change_nothing, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Day IOP").await;
    let patient = app.patient(&admin, "Kept", "Person").await;
    let patients_before = app.count("patients").await;
    let episodes_before = app.count("episodes").await;

    let (status, ctype, problem) = raw(
        app,
        &admin,
        "/api/v1/patients",
        "application/json",
        b"{\"given_name\": ".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(ctype.starts_with("application/problem+json"));
    assert_eq!(problem["status"], 400);
    assert!(problem["title"].is_string() && problem["detail"].is_string());

    let (status, _, _) = raw(
        app,
        &admin,
        "/api/v1/patients",
        "text/plain",
        b"given_name=A".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let big = format!("{{\"given_name\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let (status, _, problem) = raw(
        app,
        &admin,
        "/api/v1/patients",
        "application/json",
        big.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");

    let cases = [
        (
            json!({"given_name": 5, "family_name": "B", "birth_date": "1990-01-01"}),
            vec!["given_name"],
        ),
        (
            json!({"family_name": "B", "birth_date": "1990-01-01"}),
            vec!["given_name"],
        ),
        (
            json!({"given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "favourite_colour": "red"}),
            vec!["favourite_colour"],
        ),
        (
            json!({"given_name": "A", "family_name": "B", "birth_date": "2001-02-30"}),
            vec!["birth_date"],
        ),
        (
            json!({"given_name": "A", "family_name": "B", "birth_date": "01/02/2001"}),
            vec!["birth_date"],
        ),
        (
            json!({"given_name": "x".repeat(101), "family_name": " ", "birth_date": "3000-01-01"}),
            vec!["given_name", "family_name", "birth_date"],
        ),
        (
            json!({"given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "email": "nope"}),
            vec!["email"],
        ),
        (json!([1, 2]), vec![""]),
    ];
    for (body, expected) in cases {
        let (status, problem) = app.post("/api/v1/patients", &admin, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), expected, "{body}");
    }

    // Unknown ids: 404 in the path, 422 in the body.
    assert_eq!(
        app.get("/api/v1/patients/not-an-id", &admin).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/patients/{}", uuid::Uuid::now_v7()),
            &admin
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let episodes = format!("/api/v1/patients/{patient}/episodes");
    let (status, problem) = app
        .post(
            &episodes,
            &admin,
            json!({"track_id": uuid::Uuid::now_v7().to_string(), "admitted_on": "2026-01-01"}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["track_id".to_owned()]
        )
    );
    let (status, problem) = app
        .post(
            &episodes,
            &admin,
            json!({"track_id": track, "admitted_on": "1980-01-01"}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["admitted_on".to_owned()]
        )
    );
    let (status, problem) = app
        .post(
            &episodes,
            &admin,
            json!({"track_id": "x", "admitted_on": "2026-02-30"}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["track_id".to_owned(), "admitted_on".to_owned()]
        )
    );
    let (status, problem) = app.get("/api/v1/patients?limit=0", &admin).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["limit".to_owned()])
    );
    let (status, problem) = app.get("/api/v1/patients?cursor=zzz", &admin).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["cursor".to_owned()])
    );
    let (status, _) = app.get("/api/v1/patients?colour=red", &admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let team = format!("/api/v1/patients/{patient}/care-team");
    let (status, problem) = app
        .call(
            reqwest::Method::PUT,
            &team,
            Some(&admin),
            Some(json!({"user_ids": ["nope", uuid::Uuid::now_v7().to_string()]})),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["user_ids[0]".to_owned(), "user_ids[1]".to_owned()]
        )
    );
    let (status, _) = app.get("/api/v1/no-such-route", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(app.count("patients").await, patients_before);
    assert_eq!(app.count("episodes").await, episodes_before);
    assert_eq!(app.count("care_team_members").await, 0);
});

on_both!(health_and_the_openapi_document, |app| {
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let (status, doc) = app
        .call(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for route in openiop_web::routes::table().iter().filter(|r| r.is_api()) {
        let method = route.method.as_str().to_lowercase();
        assert!(
            doc["paths"][route.path][&method].is_object(),
            "{} {} missing from the document",
            route.method,
            route.path
        );
    }
    let (status, _) = app
        .call(reqwest::Method::GET, "/api/v1/patients", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});
