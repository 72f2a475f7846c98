//! Three app instances on one PostgreSQL behave as one: a session made on one works on the
//! others and ends everywhere; failed logins lock the account on every instance; an
//! idempotency key answers once whichever instance a repeat lands on; a scheduled job's
//! occurrence is claimed by one instance only.

use std::time::Duration;

use openiop_web::Config;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, Backend, PASSWORD, TestApp};

fn fast_jobs() -> Config {
    Config {
        job_every: Some(time::Duration::seconds(1)),
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behave_as_one() {
    let a = TestApp::start_with(Backend::Postgres, fast_jobs()).await;
    let b = a.another_instance(fast_jobs()).await;
    let c = a.another_instance(fast_jobs()).await;
    // A session made on A is valid on B and C; logging out on C ends it on A.
    let token = a.login(ADMIN.0, ADMIN.1).await;
    for app in [&a, &b, &c] {
        assert_eq!(app.get("/api/v1/auth/me", &token).await.0, StatusCode::OK);
    }
    let (status, _) = c.post("/api/v1/auth/logout", &token, json!({})).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(
        a.get("/api/v1/auth/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Failed logins spread over the three lock the account on all of them.
    let admin = b.login(ADMIN.0, ADMIN.1).await;
    a.user(&admin, "victim", "clinician", None).await;
    for (i, app) in [&a, &b, &c, &a, &b].into_iter().enumerate() {
        let (status, _, _) = app.login_full("victim", &format!("wrong-{i}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = c.login_full("victim", PASSWORD).await;
    assert_ne!(status, StatusCode::OK, "locked on every instance");

    // One idempotency key, three instances: one patient, the same answer each time.
    let body = json!({"given_name": "Ida", "family_name": "Once", "birth_date": "1990-01-01"});
    let send = |app: &TestApp, body: serde_json::Value| {
        app.http
            .post(app.url("/api/v1/patients"))
            .bearer_auth(&admin)
            .header("idempotency-key", "visit-2026-11-29-ida")
            .json(&body)
            .send()
    };
    let first = send(&a, body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.unwrap();
    for app in [&b, &c] {
        let again = send(app, body.clone()).await.unwrap();
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers()["idempotency-replayed"], "true");
        let again: serde_json::Value = again.json().await.unwrap();
        assert_eq!(again["id"], first["id"]);
    }
    assert_eq!(a.count("patients WHERE family_name = 'Once'").await, 1);
    let other = send(
        &c,
        json!({"given_name": "Ida", "family_name": "Twice", "birth_date": "1990-01-01"}),
    )
    .await
    .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "same key, different request"
    );
    // Concurrent first attempts with a new key: exactly one patient.
    let racing = json!({"given_name": "Rae", "family_name": "Racing", "birth_date": "1990-01-01"});
    let race = |app: &TestApp| {
        app.http
            .post(app.url("/api/v1/patients"))
            .bearer_auth(&admin)
            .header("idempotency-key", "race-1")
            .json(&racing)
            .send()
    };
    let (ra, rb, rc) = tokio::join!(race(&a), race(&b), race(&c));
    for r in [ra, rb, rc] {
        let status = r.unwrap().status();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::CONFLICT,
            "{status}"
        );
    }
    assert_eq!(a.count("patients WHERE family_name = 'Racing'").await, 1);

    // Scheduled jobs: an expired session is ended by whichever instance runs the job, and no
    // occurrence runs twice.
    a.exec("UPDATE auth_sessions SET expires_at = created_at")
        .await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        a.count("auth_sessions").await,
        0,
        "the expired sessions were ended"
    );
    let runs = a.count("job_runs WHERE job = 'end_expired_sessions'").await;
    assert!(
        (1..=5).contains(&runs),
        "{runs} runs in 3.5 s at one a second"
    );
    let instances = a
        .count("(SELECT DISTINCT instance FROM job_runs) AS i")
        .await;
    assert!(instances >= 1);
    // The claim itself: three instances race for one due occurrence (of a job no loop runs);
    // one wins.
    a.exec("INSERT INTO jobs (name, every_seconds, next_run_at) VALUES ('race', 60, now() - INTERVAL '1 second')")
        .await;
    let claim = |app: &TestApp, who: &'static str| {
        let store = app.store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let now = openiop_store::Instant::new(time::OffsetDateTime::now_utc());
            let until = openiop_store::Instant::new(
                time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
            );
            let got = openiop_store::jobs::claim(&mut tx.db(), "race", who, now, until)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            got.is_some()
        }
    };
    let (x, y, z) = tokio::join!(
        claim(&a, "test-a"),
        claim(&b, "test-b"),
        claim(&c, "test-c")
    );
    assert_eq!([x, y, z].iter().filter(|won| **won).count(), 1);
    c.stop().await;
    b.stop().await;
    a.stop().await;
}

crate::on_both!(an_idempotency_key_answers_once, |app| {
    let admin = app.admin().await;
    let post = |key: &'static str, family: &'static str| {
        app.http
            .post(app.url("/api/v1/patients"))
            .bearer_auth(&admin)
            .header("idempotency-key", key)
            .json(&json!({"given_name": "Kay", "family_name": family, "birth_date": "1990-01-01"}))
            .send()
    };
    let first = post("k-1", "Keyed").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotency-replayed").is_none());
    let again = post("k-1", "Keyed").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotency-replayed"], "true");
    assert_eq!(app.count("patients WHERE family_name = 'Keyed'").await, 1);
    assert_eq!(
        post("k-1", "Other").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A refused request is remembered too (its answer was the answer).
    let bad = app
        .http
        .post(app.url("/api/v1/patients"))
        .bearer_auth(&admin)
        .header("idempotency-key", "k-2")
        .json(&json!({"given_name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another credential has its own keys.
    let other = app.login(ADMIN.0, ADMIN.1).await;
    let theirs = app
        .http
        .post(app.url("/api/v1/patients"))
        .bearer_auth(&other)
        .header("idempotency-key", "k-1")
        .json(&json!({"given_name": "Kay", "family_name": "Theirs", "birth_date": "1990-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::CREATED);
    assert!(theirs.headers().get("idempotency-replayed").is_none());
});

// The outside test: a replay after logout answered 201 with the cached patient and no audit
// event, and the kept answers held bearer and CSRF tokens, TOTP secrets and recovery codes.
// Now a replay needs a valid credential and is audited like the original, and answers that
// carry secrets are never kept.
crate::on_both!(
    an_idempotent_replay_is_authenticated_audited_and_keeps_no_secret,
    |app| {
        let token = app.login(ADMIN.0, ADMIN.1).await;
        let post = |token: String| {
            app.http
            .post(app.url("/api/v1/patients"))
            .bearer_auth(token)
            .header("idempotency-key", "replay-1")
            .json(&json!({"given_name": "Rae", "family_name": "Replayed", "birth_date": "1990-01-01"}))
            .send()
        };
        let first = post(token.clone()).await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let patient: serde_json::Value = first.json().await.unwrap();
        let patient = patient["id"].as_str().unwrap().to_owned();
        let replays = || async {
            app.audit_actions()
                .await
                .into_iter()
                .filter(|e| {
                    e.event.detail == "idempotent replay"
                        && e.event.patient_id.map(|p| p.to_string()) == Some(patient.clone())
                })
                .count()
        };
        assert_eq!(replays().await, 0);
        let again = post(token.clone()).await.unwrap();
        assert_eq!(again.headers()["idempotency-replayed"], "true");
        assert_eq!(
            replays().await,
            1,
            "the replay is audited like the original"
        );
        // After logout the key answers nothing.
        let out = app
            .http
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        let after = post(token.clone()).await.unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        assert!(after.headers().get("idempotency-replayed").is_none());
        assert!(!after.text().await.unwrap().contains("Replayed"));
        assert_eq!(replays().await, 1);
        // Answers with secrets are not kept: a login (with a valid credential and a key), the
        // second factor's set-up and a calendar-feed link.
        let other = app.login(ADMIN.0, ADMIN.1).await;
        for (path, body) in [
            (
                "/api/v1/auth/login",
                json!({"username": ADMIN.0, "password": ADMIN.1}),
            ),
            ("/api/v1/auth/mfa/setup", json!({})),
            (
                &format!("/api/v1/patients/{patient}/calendar-feeds") as &str,
                json!({}),
            ),
        ] {
            for _ in 0..2 {
                let resp = app
                    .http
                    .post(app.url(path))
                    .bearer_auth(&other)
                    .header("idempotency-key", format!("secret-{path}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_success(), "{path}: {}", resp.status());
                assert!(
                    resp.headers().get("idempotency-replayed").is_none(),
                    "{path}"
                );
            }
        }
        assert_eq!(
            app.count("idempotency_keys WHERE key LIKE 'secret-%'")
                .await,
            0,
            "no answer carrying a secret is kept"
        );
    }
);

/// While the database refuses connections (as during a failover), requests fail cleanly with
/// 503 and a Retry-After and change nothing; once it is back they succeed again, without a
/// restart of the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_then_recovers() {
    let app = TestApp::start(Backend::Postgres).await;
    let admin = app.admin().await;
    let patients = app.count("patients").await;
    let db = app.database_url.rsplit('/').next().unwrap().to_owned();
    crate::support::pg_admin(&format!(
        "ALTER DATABASE {db} ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
    ))
    .await;
    let body = json!({"given_name": "Olive", "family_name": "Outage", "birth_date": "1990-01-01"});
    let client = reqwest::Client::new();
    let refused = client
        .post(app.url("/api/v1/patients"))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "2");
    assert_eq!(refused.headers()["connection"], "close");
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was changed"),
        "{problem}"
    );
    crate::support::pg_admin(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true")).await;
    let (status, created) = app.post("/api/v1/patients", &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(app.count("patients").await, patients + 1);
    app.stop().await;
}
