//! The authorization matrix: every route of the router x every role.
//!
//! The expectation table is checked against `openiop_web::routes::table()`, the list the
//! router is built from: a new route without an entry here fails the test.

use std::collections::BTreeSet;

use openiop_web::Config;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Backend, PASSWORD, TestApp};

mod bodies;
mod expectations;

use bodies::*;
use expectations::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Clinician,
    /// A clinician with no relationship to the patient.
    Outsider,
    CaseManager,
    FrontDesk,
    Billing,
    /// The patient themselves.
    Patient,
}

const EVERYONE: [Who; 7] = [
    Who::Admin,
    Who::Clinician,
    Who::Outsider,
    Who::CaseManager,
    Who::FrontDesk,
    Who::Billing,
    Who::Patient,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Passes the policy: anything but 401, 403 and 404.
    Allowed,
    Forbidden,
    Hidden,
    /// A public route: reachable without credentials.
    Public,
}

use Expect::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_times_every_role() {
    // The table covers exactly the router's routes.
    let routed: BTreeSet<(String, String)> = openiop_web::routes::table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let expected: BTreeSet<(String, String)> = expectations()
        .iter()
        .map(|(m, p, _)| (m.to_string(), (*p).to_owned()))
        .collect();
    assert_eq!(
        routed, expected,
        "every route needs an entry in the authorization matrix (and no stale ones)"
    );

    let mut config = Config::default();
    config.login.address_limit = 10_000;
    let app = TestApp::start_with(Backend::Sqlite, config).await;
    let admin = app.admin().await;
    let track = app.track(&admin, "Matrix IOP").await;
    let site = app.get("/api/v1/sites", &admin).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.user(&admin, "m.clinician", "clinician", None).await;
    app.user(&admin, "m.outsider", "clinician", None).await;
    app.user(&admin, "m.case", "case_manager", None).await;
    app.user(&admin, "m.desk", "front_desk", None).await;
    app.user(&admin, "m.billing", "billing", None).await;
    let clinician = app.login("m.clinician", PASSWORD).await;
    let patient = app.patient(&clinician, "Matrix", "Patient").await;
    let clinician_id = app.get("/api/v1/auth/me", &clinician).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let case_id = app.get("/api/v1/users", &admin).await.1["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "m.case")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&admin),
            Some(json!({"user_ids": [&clinician_id, &case_id]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.user(&admin, "m.patient", "patient", Some(&patient))
        .await;
    let (status, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &clinician,
            json!({"track_id": track, "admitted_on": "2026-01-05"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, assessment) = app
        .post(
            &format!("/api/v1/patients/{patient}/assessments"),
            &clinician,
            json!({"code": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, inquiry) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                ("contact", None, b"me@example.org".to_vec()),
                ("attachments", Some("a.pdf"), crate::inquiries::pdf()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let inquiry = inquiry["id"].as_str().unwrap().to_owned();
    let (_, detail) = app
        .get(&format!("/api/v1/inquiries/{inquiry}"), &admin)
        .await;
    let attachment = detail["attachments"][0]["id"].as_str().unwrap().to_owned();
    let session_body = json!({"track_id": track, "kind": "group_therapy", "title": "CBT group",
        "starts_at": "2026-11-23T18:00:00-06:00", "ends_at": "2026-11-23T21:00:00-06:00", "capacity": 12});
    let session_id = app.post("/api/v1/sessions", &admin, session_body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .post(
            &format!("/api/v1/sessions/{session_id}/enrollments"),
            &admin,
            json!({"patient_id": patient}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let plan = json!({"steps": [{"from_week": 1, "phase": "engagement", "target_hours": 9, "min_days": 3}]});
    let (status, _) = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/patients/{patient}/episodes/{}/intensity-plan",
                episode["id"].as_str().unwrap()
            ),
            Some(&admin),
            Some(plan),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, feed) = app
        .post(
            &format!("/api/v1/patients/{patient}/calendar-feeds"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{feed}");
    let feed = feed["id"].as_str().unwrap().to_owned();
    let (status, medication) = app
        .post(
            &format!("/api/v1/patients/{patient}/medications"),
            &admin,
            json!({"name": "Naltrexone", "dose": "50 mg daily", "started_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{medication}");
    let medication = medication["id"].as_str().unwrap().to_owned();
    let (status, drug_test) = app
        .post(
            &format!("/api/v1/patients/{patient}/drug-tests"),
            &admin,
            json!({"specimen": "urine", "observed": false, "collected_at": "2026-11-19T09:00:00Z", "source": "point_of_care",
                "results": [{"analyte": "fentanyl", "outcome": "positive"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drug_test}");
    let drug_test = drug_test["id"].as_str().unwrap().to_owned();
    // The world's patient has both care documents, so reading them answers 200.
    for kind in ["safety-plan", "relapse-prevention-plan"] {
        let path = format!("/api/v1/patients/{patient}/{kind}");
        let body = json_body(
            &Method::PUT,
            &format!("/api/v1/patients/{{id}}/{kind}"),
            &placeholder_world(),
            0,
        );
        let (status, saved) = app.call(Method::PUT, &path, Some(&admin), body).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
    }
    let template_body = json!({"track_id": track, "kind": "skills", "title": "Skills", "weekday": "tue", "start": "18:00", "minutes": 90, "capacity": 10});
    let template_id = app
        .post("/api/v1/session-templates", &admin, template_body)
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, appointment) = app
        .post(
            "/api/v1/appointments",
            &admin,
            json!({"patient_id": patient, "clinician_id": clinician_id, "kind": "individual",
                "starts_at": "2026-11-18T15:00:00Z", "ends_at": "2026-11-18T15:50:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{appointment}");
    let appointment = appointment["id"].as_str().unwrap().to_owned();
    let (status, note) = app
        .post(
            &format!("/api/v1/patients/{patient}/notes"),
            &clinician,
            json!({"session_id": appointment, "format": "dap"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let note = note["id"].as_str().unwrap().to_owned();
    // The world's episode has a treatment plan, so reading it answers 200.
    let (status, plan) = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/patients/{patient}/episodes/{}/treatment-plan",
                episode["id"].as_str().unwrap()
            ),
            Some(&admin),
            Some(json!({"strengths": ["Curious"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let spare = app.user(&admin, "m.spare", "front_desk", None).await;
    let world = World {
        spare,
        appointment,
        note,
        patient,
        site,
        track,
        team: [clinician_id, case_id],
        episode: episode["id"].as_str().unwrap().to_owned(),
        inquiry,
        attachment,
        program: app.get("/api/v1/programs", &admin).await.1["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        alert: assessment["alert_id"]
            .as_str()
            .expect("a crisis alert")
            .to_owned(),
        session: session_id,
        template: template_id,
        feed,
        medication,
        drug_test,
    };

    let mut creds = Vec::new();
    for who in EVERYONE {
        let (name, pass) = match who {
            Who::Admin => ("admin", "Admin-Password-1"),
            Who::Clinician => ("m.clinician", PASSWORD),
            Who::Outsider => ("m.outsider", PASSWORD),
            Who::CaseManager => ("m.case", PASSWORD),
            Who::FrontDesk => ("m.desk", PASSWORD),
            Who::Billing => ("m.billing", PASSWORD),
            Who::Patient => ("m.patient", PASSWORD),
        };
        let (status, body, cookie) = app.login_full(name, pass).await;
        assert_eq!(status, StatusCode::OK);
        creds.push((
            who,
            Credentials {
                token: body["token"].as_str().unwrap().to_owned(),
                cookie: cookie.unwrap(),
                csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            },
        ));
    }

    // Logouts go last: they end the sessions the other requests use.
    let mut table = expectations();
    table.sort_by_key(|(_, p, _)| p.ends_with("logout"));
    let mut failures = Vec::new();
    let mut n = 0;
    for (method, path, rule) in &table {
        let url = app.url(&concrete(path, &world));
        let is_api = path.starts_with("/api/") || *path == "/healthz" || *path == "/readyz";
        // Without credentials.
        let anonymous = app.http.request(method.clone(), &url);
        let anonymous = if is_api {
            match json_body(method, path, &world, 0) {
                Some(b) => anonymous.json(&b),
                None => anonymous,
            }
        } else if *method == Method::POST {
            anonymous
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(path, &world, 0, ""))
        } else {
            anonymous
        };
        let resp = anonymous.send().await.unwrap();
        let status = resp.status();
        let to_login = resp
            .headers()
            .get("location")
            .is_some_and(|l| l == "/login");
        if rule(Who::Admin) == Public {
            if status == StatusCode::UNAUTHORIZED || to_login {
                failures.push(format!(
                    "{method} {path} anonymous: public route answered {status}"
                ));
            }
        } else if is_api && status != StatusCode::UNAUTHORIZED {
            failures.push(format!(
                "{method} {path} anonymous: expected 401, got {status}"
            ));
        } else if !is_api && !to_login {
            failures.push(format!(
                "{method} {path} anonymous: expected a redirect to /login, got {status}"
            ));
        }
        // As each role.
        for (who, c) in &creds {
            n += 1;
            let expect = rule(*who);
            let req = app.http.request(method.clone(), &url);
            let req = if is_api {
                let req = req.bearer_auth(&c.token);
                match json_body(method, path, &world, n) {
                    Some(b) => req.json(&b),
                    None => req,
                }
            } else {
                let req = req.header("cookie", &c.cookie);
                if *method == Method::POST {
                    req.header("content-type", "application/x-www-form-urlencoded")
                        .body(form_body(path, &world, n, &c.csrf))
                } else {
                    req
                }
            };
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let to_login = resp
                .headers()
                .get("location")
                .is_some_and(|l| l == "/login")
                && !path.ends_with("logout");
            // Whatever the route (lists, bulk operations, pages), a response never names a
            // patient the caller may not see: the outsider never reads the world's patient.
            let text = resp.text().await.unwrap_or_default();
            if *who == Who::Outsider
                && (text.contains(&world.patient)
                    || text.contains("Matrix Patient")
                    || text.contains("Patient, Matrix"))
            {
                failures.push(format!(
                    "{method} {path} as {who:?}: the response names a patient the caller may not see"
                ));
            }
            let ok = match expect {
                Allowed => {
                    !matches!(status.as_u16(), 401 | 403 | 404)
                        && !to_login
                        && !status.is_server_error()
                }
                Forbidden => status == StatusCode::FORBIDDEN,
                Hidden => status == StatusCode::NOT_FOUND,
                Public => status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {who:?}: expected {expect:?}, got {status}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_forms_need_their_csrf_token() {
    let app = TestApp::start(Backend::Sqlite).await;
    let (_, body, cookie) = app.login_full("admin", "Admin-Password-1").await;
    let cookie = cookie.unwrap();
    let post = |csrf: String| {
        app.http
            .post(app.url("/patients"))
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "csrf={csrf}&given_name=C&family_name=Srf&birth_date=1990-01-01"
            ))
            .send()
    };
    assert_eq!(
        post("forged".into()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(String::new()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count("patients").await, 0);
    // Every other form of the router refuses a forged token the same way.
    let forms: Vec<&str> = openiop_web::routes::table()
        .iter()
        .filter(|r| {
            r.method.as_str() == "POST"
                && !r.path.starts_with("/api/")
                && matches!(r.reach, openiop_web::routes::Reach::User)
        })
        .map(|r| r.path)
        .collect();
    assert!(forms.len() > 20);
    for path in forms {
        let url = app.url(
            &path
                .replace("{id}", &uuid::Uuid::now_v7().to_string())
                .replace("{episode_id}", "x"),
        );
        let status = app
            .http
            .post(url)
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=forged&week=2026-W49")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{path} accepted a forged CSRF token"
        );
    }
    let ok = post(body["csrf_token"].as_str().unwrap().to_owned())
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("patients").await, 1);
    app.stop().await;
}

/// A patient account reaches only its own record: every readable route about a patient,
/// tried with every other patient's id, answers 404; a search finds only themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_reaches_only_their_own_record() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    let me = app.patient(&admin, "Mia", "Self").await;
    let mut others = Vec::new();
    for family in ["Other", "Another", "Third"] {
        others.push(app.patient(&admin, "Oli", family).await);
    }
    app.user(&admin, "mia", "patient", Some(&me)).await;
    let (status, _, cookie) = app.login_full("mia", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let token = app.login("mia", PASSWORD).await;
    let cookie = cookie.unwrap();
    let routes: Vec<&'static str> = openiop_web::routes::table()
        .iter()
        .filter(|r| r.method == Method::GET && r.path.contains("/patients/{id}"))
        .map(|r| r.path)
        .collect();
    assert!(routes.len() > 30, "{}", routes.len());
    let get = |path: &str, id: &str| {
        let url = app.url(
            &path
                .replace("{id}", id)
                .replace("{episode_id}", &uuid::Uuid::now_v7().to_string())
                .replace("{note_id}", &uuid::Uuid::now_v7().to_string())
                .replace("{disclosure_id}", &uuid::Uuid::now_v7().to_string()),
        );
        let req = if path.starts_with("/api/") {
            app.http.get(url).bearer_auth(&token)
        } else {
            app.http.get(url).header("cookie", &cookie)
        };
        async move { req.send().await.unwrap().status() }
    };
    let mut tried = 0;
    for path in &routes {
        // What a patient who does not exist gets: the others must get exactly that (404, or
        // 403 for an action the role never has), so nothing tells them apart.
        let nobody = get(path, &uuid::Uuid::now_v7().to_string()).await;
        assert!(
            matches!(nobody, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "GET {path} for nobody: {nobody}"
        );
        for other in &others {
            let status = get(path, other).await;
            assert_eq!(status, nobody, "GET {path} for another patient");
            tried += 1;
        }
    }
    let (_, found) = app.get("/api/v1/patients?q=o", &token).await;
    let ids: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id == me), "{ids:?}");
    eprintln!(
        "patient isolation: {tried} requests for other patients' records, each answered as for a patient who does not exist"
    );
    app.stop().await;
}
