//! The web pages, over HTTP: setup without demo data, the chart by role, the audit page,
//! friendly errors.

use reqwest::StatusCode;

use crate::on_both;
use crate::support::{Backend, PASSWORD, TestApp};

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A clinic without `--demo` and without `OPENIOP_ADMIN` sets itself up from the web pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinic_sets_itself_up_from_the_web() {
    let app = TestApp::start_without_admin(Backend::Sqlite).await;
    let resp = app.http.get(app.url("/login")).send().await.unwrap();
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("href=\"/setup\""),
        "the login page points to setup"
    );
    let resp = app.http.get(app.url("/setup")).send().await.unwrap();
    let setup_cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = csrf_of(&resp.text().await.unwrap());
    let _ = cookie;
    let (status, _, html) = app
        .form(
            "/setup",
            &setup_cookie,
            &format!("csrf={csrf}&username=director&password=short"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("at least 15 characters"));
    let (status, location, _) = app
        .form(
            "/setup",
            &setup_cookie,
            &format!("csrf={csrf}&username=director&password=Director-Pass-1"),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    // Setup closes once an account exists.
    assert_eq!(
        app.http
            .get(app.url("/setup"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    let (cookie, csrf) = app.browser_session("director", "Director-Pass-1").await;
    let (status, location, _) = app
        .form(
            "/config/sites",
            &cookie,
            &format!("csrf={csrf}&name=Riverside&time_zone=America%2FDenver"),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/config")
    );
    let (status, _, html) = app
        .form(
            "/config/sites",
            &cookie,
            &format!("csrf={csrf}&name=Bad&time_zone=Nowhere"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("IANA time zone"));
    let token = app.login("director", "Director-Pass-1").await;
    let sites = app.get("/api/v1/sites", &token).await.1;
    let site = sites["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Riverside")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = format!(
        "csrf={csrf}&site_id={site}&name=Evening+IOP&level=iop&target_hours=9&min_days=3&age_group=adult"
    );
    assert_eq!(
        app.form("/config/tracks", &cookie, &body).await.0,
        StatusCode::SEE_OTHER
    );
    let body = format!("csrf={csrf}&username=dr.kim&password={PASSWORD}&role=clinician");
    assert_eq!(
        app.form("/config/users", &cookie, &body).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, html) = app.page("/config", &cookie).await;
    assert!(
        html.contains("Riverside")
            && html.contains("Evening IOP")
            && html.contains("America/Denver")
    );
    let (_, html) = app.page("/config/users", &cookie).await;
    assert!(html.contains("dr.kim"));

    // Register, admit and staff a patient from the pages.
    let body = format!("csrf={csrf}&given_name=Noor&family_name=Haddad&birth_date=1991-05-06");
    let (status, location, _) = app.form("/patients", &cookie, &body).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/patients/"));
    let tracks = app.get("/api/v1/tracks", &token).await.1;
    let track = tracks["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _, _) = app
        .form(
            &format!("{location}/episodes"),
            &cookie,
            &format!("csrf={csrf}&track_id={track}&admitted_on=2026-11-02"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let users = app.get("/api/v1/users", &token).await.1;
    let kim = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "dr.kim")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.form(
            &format!("{location}/care-team"),
            &cookie,
            &format!("csrf={csrf}&user_ids={kim}")
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let (status, html) = app.page(&location, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Noor Haddad") && html.contains("Evening IOP") && html.contains("dr.kim")
    );
    // The new clinician finds the patient on their home page.
    let (kim_cookie, _) = app.browser_session("dr.kim", PASSWORD).await;
    let (_, html) = app.page("/", &kim_cookie).await;
    assert!(html.contains("Haddad, Noor"));
    app.stop().await;
}

on_both!(the_chart_shows_each_role_its_part, |app| {
    let admin = app.admin().await;
    app.user(&admin, "desk", "front_desk", None).await;
    app.user(&admin, "clin", "clinician", None).await;
    let clinician = app.login("clin", PASSWORD).await;
    let patient = app.patient(&clinician, "Chart", "Reader").await;
    let (desk, _) = app.browser_session("desk", PASSWORD).await;
    let (status, html) = app.page(&format!("/patients/{patient}"), &desk).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Chart Reader"));
    assert!(html.contains("Clinical content is not available to your role"));
    let (clin, _) = app.browser_session("clin", PASSWORD).await;
    let (_, html) = app.page(&format!("/patients/{patient}"), &clin).await;
    assert!(!html.contains("not available to your role"));
    // Friendly error pages, in HTML.
    let (status, html) = app.page("/no/such/page", &desk).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    let (status, html) = app.page("/audit", &desk).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Not available to your role"));
    // Pages send the security headers.
    let resp = app.http.get(app.url("/login")).send().await.unwrap();
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
});

on_both!(the_audit_page_filters_by_patient_user_and_date, |app| {
    let admin = app.admin().await;
    app.user(&admin, "reader", "front_desk", None).await;
    let watched = app.patient(&admin, "Watched", "Person").await;
    let other = app.patient(&admin, "Other", "Person").await;
    let reader = app.login("reader", PASSWORD).await;
    app.get(&format!("/api/v1/patients/{watched}"), &reader)
        .await;
    app.get(&format!("/api/v1/patients/{other}"), &reader).await;
    let (cookie, _) = app.browser_session("admin", "Admin-Password-1").await;
    let (status, html) = app
        .page(&format!("/audit?patient={watched}&user=reader"), &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<td>patient.read</td>").count(), 1, "{html}");
    assert!(html.contains(&watched) && !html.contains(&other));
    let today = app.clock.now().date();
    let (_, html) = app
        .page(&format!("/audit?from={today}&until={today}"), &cookie)
        .await;
    assert!(html.contains(&other));
    let (_, html) = app
        .page("/audit?from=2001-01-01&until=2001-01-02", &cookie)
        .await;
    assert!(!html.contains("patient.read"));
    let (_, html) = app
        .page("/audit?user=nobody-at-all&from=2026-02-30", &cookie)
        .await;
    assert!(html.contains("no user has this id or username") && html.contains("must be a date"));
});

on_both!(the_admissions_board_takes_an_inquiry_to_admission, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Evening IOP").await;
    app.user(&admin, "desk", "front_desk", None).await;
    let (status, received) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                ("name", None, b"Rosa Vega".to_vec()),
                ("contact", None, b"555-0102".to_vec()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = received["id"].as_str().unwrap().to_owned();
    let existing = app.post("/api/v1/patients", &admin, serde_json::json!({"given_name": "Rosa", "family_name": "Vega", "birth_date": "1985-04-04"})).await.1["id"].as_str().unwrap().to_owned();
    let (cookie, csrf) = app.browser_session("desk", PASSWORD).await;
    let (status, html) = app.page("/admissions", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Rosa Vega") && html.contains("New inquiry"));
    let base = format!("/admissions/{id}");
    assert_eq!(
        app.form(
            &format!("{base}/move"),
            &cookie,
            &format!("csrf={csrf}&to=contacted")
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let (status, _, html) = app
        .form(
            &format!("{base}/move"),
            &cookie,
            &format!("csrf={csrf}&to=admitted"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("cannot move from contacted to admitted"));
    let staff = app.get("/api/v1/users", &admin).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, _) = app
        .form(
            &format!("{base}/evaluation"),
            &cookie,
            &format!("csrf={csrf}&at=2026-12-01T10%3A30&staff_id={staff}"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, inquiry) = app.get(&format!("/api/v1/inquiries/{id}"), &admin).await;
    assert_eq!(inquiry["stage"], "evaluation_scheduled");
    // Admission warns of the existing record, then links to it without retyping.
    let admit = format!(
        "csrf={csrf}&given_name=Rosa&family_name=Vega&birth_date=1985-04-04&track_id={track}&admitted_on=2026-12-01&treatment_consent=2026-12-01&patient_rights=2026-12-01&confidentiality_notice=2026-12-01"
    );
    let (status, _, html) = app.form(&format!("{base}/admit"), &cookie, &admit).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("Likely duplicates already exist") && html.contains("Link to this record")
    );
    let link = format!(
        "csrf={csrf}&patient_id={existing}&track_id={track}&admitted_on=2026-12-01&treatment_consent=2026-12-01&patient_rights=2026-12-01&confidentiality_notice=2026-12-01"
    );
    let (status, location, _) = app.form(&format!("{base}/admit"), &cookie, &link).await;
    assert_eq!(
        (status, location),
        (StatusCode::SEE_OTHER, format!("/patients/{existing}"))
    );
    let (_, chart) = app.page(&format!("/patients/{existing}"), &cookie).await;
    assert!(chart.contains("Evening IOP") && chart.contains("42 CFR 2.22"));
    let (_, board) = app.page("/admissions", &cookie).await;
    assert!(board.contains("Admitted: 1"));
});

on_both!(
    the_placement_page_prefills_risk_and_keeps_decisions,
    |app| {
        let admin = app.admin().await;
        let track = app.track(&admin, "Day IOP").await;
        let patient = app.patient(&admin, "Place", "Ment").await;
        let (_, episode) = app
            .post(
                &format!("/api/v1/patients/{patient}/episodes"),
                &admin,
                serde_json::json!({"track_id": track, "admitted_on": "2026-03-02"}),
            )
            .await;
        let episode = episode["id"].as_str().unwrap().to_owned();
        app.post(
            &format!("/api/v1/patients/{patient}/assessments"),
            &admin,
            serde_json::json!({"code": "cssrs", "answers": [1, 1, 1, 0, 0, 0, 0]}),
        )
        .await;
        let (cookie, csrf) = app.browser_session("admin", "Admin-Password-1").await;
        let path = format!("/patients/{patient}/episodes/{episode}/placement");
        let (status, html) = app.page(&path, &cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("<option value=\"moderate\" selected>"),
            "suicide risk prefilled from the C-SSRS"
        );
        assert!(html.contains("from the C-SSRS of"));
        let answers = "withdrawal=0&biomedical=0&emotional=1&readiness=1&relapse=2&environment=1&factors=opioid_use";
        let (status, _, html) = app
            .form(
                &format!("{path}/preview"),
                &cookie,
                &format!("csrf={csrf}&{answers}&suicide_risk=none"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Recommended: <strong>IOP</strong>") && html.contains("opioid use"),
            "{html}"
        );
        let (status, _, html) = app
            .form(
                &path,
                &cookie,
                &format!("csrf={csrf}&{answers}&suicide_risk=none&decision=override&level=php"),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("override_reason"));
        let (status, _, _) = app.form(&path, &cookie, &format!("csrf={csrf}&{answers}&suicide_risk=none&decision=override&level=php&override_reason=Daily+structure+needed")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, html) = app.page(&path, &cookie).await;
        assert!(html.contains("php (recommended iop)") && html.contains("Daily structure needed"));
    }
);

on_both!(medical_evaluation_diagnoses_and_merge_pages, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Day IOP").await;
    let patient = app.patient(&admin, "Page", "Records").await;
    let twin = app.post("/api/v1/patients", &admin, serde_json::json!({"given_name": "Paige", "family_name": "Records", "birth_date": "1988-03-14"})).await.1["id"].as_str().unwrap().to_owned();
    let (_, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &admin,
            serde_json::json!({"track_id": track, "admitted_on": "2026-03-02"}),
        )
        .await;
    let episode = episode["id"].as_str().unwrap().to_owned();
    let (cookie, csrf) = app.browser_session("admin", "Admin-Password-1").await;
    let med = format!("/patients/{patient}/medical-evaluation");
    let (status, _, html) = app
        .form(
            &med,
            &cookie,
            &format!("csrf={csrf}&pulse=900&pregnancy=no&medically_cleared=yes"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("vitals.pulse"));
    let (status, _, _) = app.form(&med, &cookie, &format!("csrf={csrf}&systolic=120&diastolic=80&pulse=72&spo2=99&pregnancy=no&allergies=Latex&medically_cleared=yes")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = app.page(&med, &cookie).await;
    assert!(html.contains("BP 120/80") && html.contains("Latex"));
    let dx = format!("/patients/{patient}/episodes/{episode}/diagnoses");
    assert_eq!(
        app.form(
            &dx,
            &cookie,
            &format!(
                "csrf={csrf}&code=F11.20&description=Opioid+use+disorder%2C+moderate&primary=yes"
            )
        )
        .await
        .0,
        StatusCode::SEE_OTHER
    );
    let (_, html) = app.page(&dx, &cookie).await;
    assert!(html.contains("F11.20") && html.contains("(primary)") && html.contains("Tolerance"));
    let (status, _, html) = app
        .form(
            "/sud-severity",
            &cookie,
            &format!("csrf={csrf}&c0=yes&c3=yes&c9=yes&c10=yes"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("4 of 11 criteria met: moderate"));
    let (_, html) = app
        .page(&format!("/patients/{patient}/merge"), &cookie)
        .await;
    assert!(
        html.contains("Paige Records"),
        "the likely duplicate is offered"
    );
    let (status, _, _) = app
        .form(
            &format!("/patients/{patient}/merge"),
            &cookie,
            &format!("csrf={csrf}&duplicate_id={twin}"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/api/v1/patients/{twin}"), &admin).await.1["merged_into"],
        patient.as_str()
    );
});
