//! Bad input gets a clear 4xx problem and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{ADMIN, TestApp};

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

// Control characters answered 500 on PostgreSQL (which cannot store NUL) and 401/422 on
// SQLite. Both databases now answer alike from one rule at the edge: 422 naming the field
// (401 at login), nothing stored; prose keeps its line breaks; names refuse bidirectional
// controls; a key given twice is refused.
on_both!(control_characters_are_refused_alike_everywhere, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Text IOP").await;
    let patient = app.patient(&admin, "Tex", "Tual").await;
    let patients = app.count("patients").await;
    // Login: a wrong credential like any other.
    for body in [
        json!({"username": "a\u{0}b", "password": "Whatever-pass-1"}),
        json!({"username": "admin", "password": "Admin\u{0}-Password-1"}),
    ] {
        let (status, _) = app
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = app
        .form("/login", "", "username=a%00b&password=whatever")
        .await;
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(status.is_client_error(), "{status}");
    // Searches and filters.
    for (path, field) in [
        ("/api/v1/patients?q=%00", "q"),
        ("/api/v1/patients?q=a%C2%85", "q"),
        ("/api/v1/inquiries?stage=%00", "stage"),
    ] {
        let (status, problem) = app.get(path, &admin).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{path}");
    }
    // Bodies: the field is named, nothing is stored.
    let cases = [
        (
            "/api/v1/patients".to_owned(),
            json!({"given_name": "Nul\u{0}", "family_name": "Byte", "birth_date": "1990-01-01"}),
            "given_name",
        ),
        (
            "/api/v1/patients".to_owned(),
            json!({"given_name": "Ann", "family_name": "gnp\u{202e}.exe", "birth_date": "1990-01-01"}),
            "family_name",
        ),
        (
            "/api/v1/patients".to_owned(),
            json!({"given_name": "\u{feff}Ann", "family_name": "Line", "birth_date": "1990-01-01"}),
            "given_name",
        ),
        (
            "/api/v1/patients".to_owned(),
            json!({"given_name": "Ann\nMarie", "family_name": "Line", "birth_date": "1990-01-01"}),
            "given_name",
        ),
        (
            format!("/api/v1/patients/{patient}/crisis-events"),
            json!({"kind": "other", "severity": "low", "description": "a\u{0}b", "actions_taken": "Talked"}),
            "description",
        ),
        (
            format!("/api/v1/patients/{patient}/check-ins"),
            json!({"mood": 5, "craving": 1, "used": false, "note": "\u{1b}[2J"}),
            "note",
        ),
        (
            "/api/v1/check-in".to_owned(),
            json!({"code": "AB\u{0}", "family_name": "Tual", "birth_date": "1988-03-14"}),
            "code",
        ),
        (
            format!("/api/v1/patients/{patient}/episodes"),
            json!({"track_id": track, "admitted_on": "2026-01-01", "extra": {"a\u{0}": 1}}),
            "extra.a\u{0}",
        ),
    ];
    for (path, body, field) in cases {
        let (status, problem) = app.post(&path, &admin, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{path}");
    }
    assert_eq!(app.count("patients").await, patients);
    assert_eq!(app.count("crisis_events").await, 0);
    assert_eq!(app.count("episodes").await, 0);
    // Prose keeps its line breaks, tabs and right-to-left marks.
    let (status, event) = app
        .post(
            &format!("/api/v1/patients/{patient}/crisis-events"),
            &admin,
            json!({"kind": "other", "severity": "low", "description": "Line one\r\n\tLine two \u{202b}שלום\u{202c}",
                "actions_taken": "Talked"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    // A key given twice: serde would keep the last one silently.
    let (status, _, problem) = raw(
        app,
        &admin,
        "/api/v1/patients",
        "application/json",
        br#"{"given_name": "A", "family_name": "Twice", "given_name": "B", "birth_date": "1990-01-01"}"#
            .to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["given_name"]);
    // Forms: a 422 page naming the field, nothing stored.
    let (cookie, csrf) = app.browser_session("admin", "Admin-Password-1").await;
    let (status, _, page) = app
        .form(
            "/patients",
            &cookie,
            &format!("csrf={csrf}&given_name=Nul%00&family_name=Form&birth_date=1990-01-01"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("given_name") || page.contains("control characters"));
    assert_eq!(app.count("patients").await, patients);
    // Pages' query strings pass the same rule.
    for path in [
        "/schedule/build?week=%00".to_owned(),
        format!("/patients/{patient}/assessments/new?code=phq9%00"),
        "/patients?q=%00".to_owned(),
        "/self-check?lang=%C2%85".to_owned(),
    ] {
        let (status, _) = app.page(&path, &cookie).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
});

// A path value that is not an id of its kind answers exactly as an unknown id: 404 (a
// problem for the API, the not-found page for pages), on every route that carries an id,
// before any body is read and with nothing changed. The typed-id extractors
// (`web::ids`) make this one rule instead of 56 hand-written parses.
on_both!(malformed_ids_in_every_path_answer_as_unknown_ones, |app| {
    let admin = app.admin().await;
    let (cookie, csrf) = app.browser_session(ADMIN.0, ADMIN.1).await;
    // Parameters that are not ids keep a well-formed value.
    let not_ids = [
        ("{code}", "phq9"),
        ("{phase}", "early"),
        ("{week}", "2026-12-07"),
        ("{file}", "app.css"),
        ("{secret}", "x"),
        ("{analyte}", "opiates"),
        ("{version}", "1"),
    ];
    let before = app.count("audit_events").await;
    let mut checked = 0;
    for route in openiop_web::routes::table() {
        let mut path = route.path.to_owned();
        for (p, v) in not_ids {
            path = path.replace(p, v);
        }
        if !path.contains('{') {
            continue;
        }
        let path = not_an_id_in_each(&path);
        let method = reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
        if route.is_api() {
            let body = (method != reqwest::Method::GET && method != reqwest::Method::DELETE)
                .then(|| json!({}));
            let (status, problem) = app.call(method.clone(), &path, Some(&admin), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {problem}");
            assert_eq!(problem["status"], 404, "{method} {path}: {problem}");
        } else if method == reqwest::Method::GET {
            let (status, html) = app.page(&path, &cookie).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
            assert!(
                html.contains("<!DOCTYPE html>") || html.contains("<!doctype html>"),
                "GET {path}"
            );
        } else {
            let (status, _, html) = app.form(&path, &cookie, &format!("csrf={csrf}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}");
            assert!(
                html.to_lowercase().contains("<!doctype html>"),
                "POST {path}"
            );
        }
        checked += 1;
    }
    assert!(checked > 150, "only {checked} routes carry an id");
    // Nothing was read or changed: no patient event was written.
    let events = app.audit_actions().await;
    assert!(
        events
            .iter()
            .skip(before as usize)
            .all(|e| e.event.patient_id.is_none()),
        "a malformed id named a patient"
    );
});

/// Every `{..}` left in a path becomes text that is not an id.
fn not_an_id_in_each(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e + 1)
            .unwrap_or(rest.len());
        out.push_str("not-an-id");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
