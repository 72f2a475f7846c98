//! A browser test in headless Chromium, driven over the W3C WebDriver protocol by a small
//! client written here (the protocol is a handful of JSON calls; no browser is downloaded).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{ADMIN, Backend, TestApp};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    http: reqwest::Client,
    base: String,
    child: Child,
    profile: std::path::PathBuf,
}

impl Browser {
    async fn start() -> Browser {
        let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{driver} must be installed (Debian chromium-driver): {e}"));
        // Wait for chromedriver to say it is ready.
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).unwrap();
            assert!(n > 0, "chromedriver exited");
            if line.contains("started successfully") {
                break;
            }
        }
        std::thread::spawn(move || for _ in reader.lines() {});
        let profile = std::env::temp_dir().join(format!("openiop-chrome-{}", uuid::Uuid::now_v7()));
        let http = reqwest::Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                         "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let resp: Value = http
            .post(format!("http://127.0.0.1:{port}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_owned();
        let browser = Browser {
            http,
            base: format!("http://127.0.0.1:{port}/session/{session}"),
            child,
            profile,
        };
        browser
            .cmd(
                "POST",
                "/timeouts",
                json!({"implicit": 5000, "pageLoad": 30000}),
            )
            .await;
        browser
    }

    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{}", self.base, path);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let resp: Value = req.send().await.unwrap().json().await.unwrap();
        if resp["value"].get("error").is_some() {
            self.fail(&format!("webdriver {method} {path}: {}", resp["value"]))
                .await;
        }
        resp["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({"url": url})).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .cmd(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("/element/{el}/click"), json!({}))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd("GET", &format!("/element/{el}/text"), Value::Null)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    async fn script(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    async fn login(&self, app: &TestApp, username: &str, password: &str) {
        self.goto(&app.url("/login")).await;
        self.type_into("#username", username).await;
        self.type_into("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for("location.pathname === '/'").await;
    }

    async fn page_text(&self) -> String {
        self.script("return document.body.innerText;")
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    async fn url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Polls a condition in the page until it holds (a DOM wait, not a fixed sleep).
    async fn wait_for(&self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.script(&format!("return !!({condition});")).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.fail(&format!("timed out waiting for {condition}"))
            .await;
    }

    /// Saves a screenshot for the person debugging, then fails.
    async fn fail(&self, message: &str) -> ! {
        let shot: Value = self
            .http
            .get(format!("{}/screenshot", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        if let Some(png) = shot["value"].as_str() {
            use base64::Engine;
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(png) {
                let path = std::env::temp_dir().join("openiop-browser-failure.png");
                let _ = std::fs::write(&path, bytes);
                eprintln!("screenshot saved to {}", path.display());
            }
        }
        panic!("{message}");
    }

    async fn quit(mut self) {
        let _ = self.http.delete(&self.base).send().await;
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A test that fails before `quit` still leaves no browser behind: chromedriver is killed,
/// and the Chromium it started (found by its private profile directory) with it.
impl Drop for Browser {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = Command::new("pkill")
                .arg("-f")
                .arg(self.profile.as_os_str())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_register_find_and_open_a_chart_on_a_phone() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.patient(&admin, "Other", "Person").await;
    let b = Browser::start().await;

    b.goto(&app.url("/patients")).await;
    assert!(
        b.url().await.ends_with("/login"),
        "not logged in: sent to the login page"
    );
    b.type_into("#username", ADMIN.0).await;
    b.type_into("#password", ADMIN.1).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for("document.querySelector('h1') && document.querySelector('h1').textContent.includes('Welcome')").await;

    b.goto(&app.url("/patients/new")).await;
    b.type_into("#given_name", "Rosa").await;
    b.type_into("#family_name", "Browserton").await;
    b.script("document.getElementById('birth_date').value = '1979-06-02';")
        .await;
    b.click("form[action='/patients'] button[type=submit]")
        .await;
    b.wait_for("location.pathname.startsWith('/patients/0')")
        .await;
    assert_eq!(b.text("h1").await, "Rosa Browserton");
    let chart = b.url().await;

    // Live search (htmx) narrows the list; the result opens the chart.
    b.goto(&app.url("/patients")).await;
    b.wait_for("typeof htmx !== 'undefined'").await;
    b.type_into("#q", "browser").await;
    b.wait_for("document.querySelectorAll('#results a').length === 1 && document.querySelector('#results').textContent.includes('Browserton')").await;
    b.click("#results a").await;
    b.wait_for("document.querySelector('h1') && document.querySelector('h1').textContent === 'Rosa Browserton'").await;
    assert_eq!(b.url().await, chart);

    // Every visible control has a label.
    let unlabelled = b
        .script("return [...document.querySelectorAll('input:not([type=hidden]), select')].filter(e => !e.labels || e.labels.length === 0).map(e => e.name);")
        .await;
    assert_eq!(unlabelled, json!([]), "controls without labels");

    // On a 375 px phone the pages fit without sideways scrolling.
    b.cmd("POST", "/window/rect", json!({"width": 375, "height": 812}))
        .await;
    for path in ["/", "/patients", "/patients/new", "/config"] {
        b.goto(&app.url(path)).await;
        let width = b
            .script("return window.innerWidth;")
            .await
            .as_i64()
            .unwrap();
        assert!(width <= 375, "viewport is {width}px");
        let overflow = b
            .script("return document.documentElement.scrollWidth - window.innerWidth;")
            .await
            .as_i64()
            .unwrap();
        assert!(
            overflow <= 0,
            "{path} scrolls sideways by {overflow}px at 375px"
        );
    }
    b.goto(&chart).await;
    let overflow = b
        .script("return document.documentElement.scrollWidth - window.innerWidth;")
        .await
        .as_i64()
        .unwrap();
    assert!(overflow <= 0, "chart scrolls sideways by {overflow}px");
    b.quit().await;

    // The browser's reads and writes are in the audit trail.
    let events = app.audit_actions().await;
    for action in ["patient.create", "patient.chart", "patient.search"] {
        assert!(
            events.iter().any(|e| e.event.action == action),
            "{action} audited"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_get_help_form_accepts_a_file_and_refuses_an_oversize_one() {
    let app = TestApp::start(Backend::Sqlite).await;
    let files = app.dir.join("uploads");
    std::fs::create_dir_all(&files).unwrap();
    let small = files.join("referral.pdf");
    std::fs::write(
        &small,
        b"%PDF-1.4\n% a referral letter\n1 0 obj << >> endobj\nstartxref\n9\n%%EOF\n",
    )
    .unwrap();
    let big = files.join("scan.pdf");
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(33 * 1024 * 1024, b'x');
    std::fs::write(&big, bytes).unwrap();
    let b = Browser::start().await;

    b.goto(&app.url("/get-help")).await;
    b.type_into("#contact", "555-0199 (cell)").await;
    b.type_into("#safe_times", "after 6pm").await;
    b.type_into("#attachments", &big.to_string_lossy()).await;
    b.click("form[action='/get-help'] button[type=submit]")
        .await;
    b.wait_for("document.querySelector('#form-error') !== null")
        .await;
    let text = b.page_text().await;
    assert!(text.contains("larger than 32 MB"), "{text}");
    assert!(
        !text.contains("555-0199"),
        "the error page does not echo what was sent"
    );
    assert_eq!(app.count("inquiries").await, 0);
    assert_eq!(app.stored_files(), 0);

    b.goto(&app.url("/get-help")).await;
    b.type_into("#contact", "555-0199 (cell)").await;
    b.type_into("#attachments", &small.to_string_lossy()).await;
    b.click("form[action='/get-help'] button[type=submit]")
        .await;
    b.wait_for("document.querySelector('h1') && document.querySelector('h1').textContent.includes('Thank you')").await;
    assert!(
        !b.page_text().await.contains("555-0199"),
        "the confirmation does not echo what was sent"
    );
    assert_eq!(app.count("inquiries").await, 1);
    assert_eq!(app.count("inquiry_attachments").await, 1);
    b.quit().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_self_check_puts_safety_first_and_speaks_spanish() {
    let app = TestApp::start(Backend::Sqlite).await;
    let b = Browser::start().await;
    b.goto(&app.url("/self-check")).await;
    b.type_into("#age", "34").await;
    b.click("input[name=substances][value=opioids]").await;
    b.click("input[name=control][value=often]").await;
    b.click("input[name=commitments][value=work]").await;
    b.click("form[action^='/self-check'] button[type=submit]")
        .await;
    b.wait_for("document.querySelector('#result') !== null")
        .await;
    let text = b.page_text().await;
    assert!(
        text.contains("Intensive outpatient program (IOP)"),
        "{text}"
    );
    assert!(
        text.contains("nine or more hours") && text.contains("Evening"),
        "{text}"
    );
    assert!(
        b.script("return document.querySelector('.danger') === null;")
            .await
            == json!(true)
    );

    // The danger path: 988 and emergency guidance come before the suggestion.
    b.goto(&app.url("/self-check")).await;
    b.click("input[name=self_harm][value=plan]").await;
    b.click("form[action^='/self-check'] button[type=submit]")
        .await;
    b.wait_for("document.querySelector('.danger') !== null")
        .await;
    let order = b
        .script("const d = document.querySelector('.danger'), r = document.querySelector('#result'); return !!(d.compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING);")
        .await;
    assert_eq!(order, json!(true), "danger guidance first");
    let text = b.page_text().await;
    assert!(text.contains("988") && text.contains("911"), "{text}");
    assert!(text.contains("Emergency evaluation first"));

    // In Spanish, the whole page.
    b.goto(&app.url("/self-check?lang=es")).await;
    assert_eq!(
        b.script("return document.documentElement.lang;").await,
        json!("es")
    );
    assert!(b.text("h1").await.starts_with("¿Es adecuado"));
    b.click("input[name=withdrawal][value=severe]").await;
    b.click("form[action^='/self-check'] button[type=submit]")
        .await;
    b.wait_for("document.querySelector('.danger') !== null")
        .await;
    let text = b.page_text().await;
    assert!(
        text.contains("Su seguridad es lo primero")
            && text.contains("Abstinencia con supervisión médica"),
        "{text}"
    );
    // Nothing was stored.
    assert_eq!(app.count("inquiries").await, 0);
    b.quit().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instrument_form_scores_live_and_raises_a_crisis_alert() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.user(&admin, "dr.ruiz", "clinician", None).await;
    let clinician = app.login("dr.ruiz", crate::support::PASSWORD).await;
    let patient = app.patient(&clinician, "Form", "Taker").await;
    let b = Browser::start().await;
    b.login(&app, "dr.ruiz", crate::support::PASSWORD).await;

    b.goto(&app.url(&format!("/patients/{patient}/assessments/new?code=phq9")))
        .await;
    b.wait_for("typeof htmx !== 'undefined'").await;
    assert!(
        b.page_text()
            .await
            .contains("Little interest or pleasure in doing things"),
        "PHQ-9 wording is shown"
    );
    for (item, points) in [0, 1, 1, 2, 0, 1, 0, 0, 1].iter().enumerate() {
        b.click(&format!("input[name=a{item}][value='{points}']"))
            .await;
    }
    b.wait_for("document.querySelector('#live-score').textContent.startsWith('Total 6')")
        .await;
    let live = b.text("#live-score").await;
    assert!(
        live.contains("mild") && live.contains("suicidal ideation"),
        "{live}"
    );
    b.click("#assessment button[type=submit]").await;
    b.wait_for("document.querySelector('.danger h2') !== null")
        .await;
    assert!(b.text(".danger h2").await.contains("suicidal ideation"));
    // The care team's dashboard shows it too.
    b.goto(&app.url("/")).await;
    assert!(b.page_text().await.contains("Crisis alerts to acknowledge"));
    b.click(".danger a").await;
    b.wait_for("document.querySelector('.danger form') !== null")
        .await;
    b.type_into(
        ".danger input[name=note]",
        "Safety plan written with the patient",
    )
    .await;
    b.click(".danger button[type=submit]").await;
    b.wait_for("document.querySelector('.danger') === null")
        .await;
    assert!(
        b.page_text()
            .await
            .contains("Safety plan written with the patient")
    );
    let events = app.audit_actions().await;
    assert!(events.iter().any(|e| e.event.action == "alert.acknowledge"));
    b.quit().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_sheet_marks_everyone_then_adjusts_and_adds_a_walk_in() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (_, site) = app
        .post(
            "/api/v1/sites",
            &admin,
            json!({"name": "Lakeview", "time_zone": "America/Chicago"}),
        )
        .await;
    let body = json!({"site_id": site["id"], "name": "Evening IOP", "level": "iop", "target_hours": 9, "min_days": 3, "age_group": "adult"});
    let track = app.post("/api/v1/tracks", &admin, body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"track_id": track, "kind": "group_therapy", "title": "Evening group",
        "starts_at": "2026-11-23T18:00:00-06:00", "ends_at": "2026-11-23T21:00:00-06:00", "capacity": 10});
    let session = app.post("/api/v1/sessions", &admin, body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for family in ["Alder", "Birch", "Cedar"] {
        let p = app.patient(&admin, "Pat", family).await;
        app.post(
            &format!("/api/v1/patients/{p}/episodes"),
            &admin,
            json!({"track_id": track, "admitted_on": "2026-11-02"}),
        )
        .await;
        ids.push(p);
    }
    for p in &ids[..2] {
        app.post(
            &format!("/api/v1/sessions/{session}/enrollments"),
            &admin,
            json!({"patient_id": p}),
        )
        .await;
    }
    let b = Browser::start().await;
    b.login(&app, ADMIN.0, ADMIN.1).await;
    b.goto(&app.url(&format!("/sessions/{session}"))).await;
    assert_eq!(b.text("h1").await, "Evening group");
    assert!(b.page_text().await.contains("Not marked"));
    b.click("#all-present").await;
    b.wait_for("document.querySelector('#roster-message') !== null")
        .await;
    assert_eq!(b.text("#roster-message").await, "2 marked present.");
    // Birch left at 20:00.
    let birch = &ids[1];
    b.script(&format!(
        "document.querySelector('#status-{birch}').value = 'left_early'; return true;"
    ))
    .await;
    b.type_into(&format!("#out-{birch}"), "20:00").await;
    b.click(&format!("form[data-patient='{birch}'] button[type=submit]"))
        .await;
    b.wait_for("document.querySelector('#roster-message') && document.querySelector('#roster-message').textContent.startsWith('Saved')")
        .await;
    let line = b
        .text(&format!("form[data-patient='{birch}'] .roster-current"))
        .await;
    assert_eq!(line, "left early, 120 min");
    assert!(
        b.text(&format!("form[data-patient='{birch}'] .roster-name"))
            .await
            .contains("corrected")
    );
    // Cedar walks in.
    let cedar = &ids[2];
    b.script(&format!(
        "document.querySelector('#walk-in').value = '{cedar}'; return true;"
    ))
    .await;
    b.click("#walk-in ~ button[type=submit]").await;
    b.wait_for(&format!(
        "document.querySelector(\"form[data-patient='{cedar}']\") !== null"
    ))
    .await;
    assert_eq!(
        b.text(&format!("form[data-patient='{cedar}'] .roster-current"))
            .await,
        "present, 180 min"
    );
    assert_eq!(app.count("attendance_marks").await, 4);
    b.quit().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_next_week_previews_forbids_and_applies() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (sessions, patients) = crate::week::week_setup(&app, &admin).await;
    let b = Browser::start().await;
    b.login(&app, ADMIN.0, ADMIN.1).await;
    b.goto(&app.url("/schedule/build?week=2026-W49")).await;
    assert_eq!(b.text("h1").await, "Build week 2026-W49");
    assert!(
        b.text("#build-summary")
            .await
            .starts_with("1 of 3 patients meet")
    );
    let twice = &patients[1];
    assert_eq!(
        b.text(&format!("section[data-patient='{twice}'] .reason"))
            .await,
        "Why: only 6 h of sessions fall inside their availability (target 9 h)"
    );
    // Forbid Every's Thursday and preview again.
    let every = &patients[0];
    let thursday = &sessions[2];
    b.click(&format!("input[name=forbid][value='{every}:{thursday}']"))
        .await;
    b.click("#preview-again").await;
    b.wait_for("document.querySelector('#build-summary').textContent.startsWith('0 of 3')")
        .await;
    assert!(
        b.text(&format!("section[data-patient='{every}'] .reason"))
            .await
            .starts_with("Why: only 6 h")
    );
    // Apply with the forbid kept: Every gets Monday and Wednesday, Twice the same.
    b.click("#apply").await;
    b.wait_for("document.querySelector('#build-applied') !== null")
        .await;
    assert_eq!(
        b.text("#build-applied").await,
        "Applied: 4 enrollments made."
    );
    assert_eq!(app.count("session_enrollments").await, 4);
    b.quit().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facilitator_writes_and_signs_a_group_note_for_three_attendees() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    let track = app.track(&admin, "Evening IOP").await;
    let facilitator = app.user(&admin, "facilitator", "clinician", None).await;
    let body = json!({"track_id": track, "kind": "group_therapy", "title": "Relapse prevention group",
        "modality": "cbt", "topic": "High-risk situations", "facilitator_id": facilitator,
        "starts_at": "2026-11-23T18:00:00-06:00", "ends_at": "2026-11-23T21:00:00-06:00", "capacity": 10});
    let session = app.post("/api/v1/sessions", &admin, body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for family in ["Alder", "Birch", "Cedar", "Dogwood"] {
        let p = app.patient(&admin, "Pat", family).await;
        app.post(
            &format!("/api/v1/sessions/{session}/enrollments"),
            &admin,
            json!({"patient_id": p}),
        )
        .await;
        ids.push(p);
    }
    // Dogwood did not come: no entry, no note.
    for (p, status) in ids
        .iter()
        .zip(["present", "late", "present", "absent_excused"])
    {
        let (s, _) = app
            .post(
                &format!("/api/v1/sessions/{session}/attendance"),
                &admin,
                json!({"patient_id": p, "status": status}),
            )
            .await;
        assert_eq!(s, reqwest::StatusCode::OK);
    }
    let b = Browser::start().await;
    b.login(&app, "facilitator", crate::support::PASSWORD).await;
    b.goto(&app.url(&format!("/sessions/{session}"))).await;
    b.click("#group-note-link").await;
    b.wait_for("document.querySelector('#group-note-form') !== null")
        .await;
    assert_eq!(b.text("#group-status").await, "Not started");
    assert_eq!(
        b.script("return document.querySelectorAll('fieldset.attendee').length;")
            .await,
        json!(3)
    );
    assert!(!b.page_text().await.contains("Dogwood"));
    b.type_into(
        "textarea[name=interventions]",
        "Mapping high-risk situations; refusal skills role-play",
    )
    .await;
    b.type_into(
        "textarea[name=narrative]",
        "Members mapped their high-risk situations and practised refusal skills.",
    )
    .await;
    for (i, p) in ids[..3].iter().enumerate() {
        b.type_into(
            &format!("textarea[name='observation_{p}']"),
            &format!("Named two triggers (member {i})"),
        )
        .await;
        b.script(&format!(
            "document.querySelector(\"select[name='participation_{p}']\").value = 'active'; return true;"
        ))
        .await;
        b.type_into(
            &format!("textarea[name='plan_{p}']"),
            "Practise refusal script",
        )
        .await;
    }
    b.click("button[name=action][value=sign]").await;
    b.wait_for("document.querySelector('#group-message') !== null")
        .await;
    assert_eq!(
        b.text("#group-message").await,
        "Signed: one note in each of 3 charts."
    );
    assert_eq!(b.text("#group-status").await, "Signed");
    assert_eq!(app.count("notes").await, 3);
    // Each attendee's chart holds their own signed copy.
    b.click("#signed-notes li:nth-child(2) a").await;
    b.wait_for("document.querySelector('#note-body') !== null")
        .await;
    assert!(b.text("#note-status").await.starts_with("Signed"));
    let text = b.text("#note-body").await;
    assert!(text.contains("Named two triggers (member 1)"), "{text}");
    assert!(!text.contains("member 0") && !text.contains("member 2"));
    assert!(text.contains("Active"));
    b.quit().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_asks_from_the_portal_to_amend_their_record() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Pia", "Portal").await;
    app.user(&admin, "pia", "patient", Some(&patient)).await;
    let b = Browser::start().await;
    b.goto(&app.url("/login")).await;
    b.type_into("#username", "pia").await;
    b.type_into("#password", crate::support::PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    // A patient lands on their own chart; the portal's menu leads to their privacy page.
    b.wait_for("location.pathname.startsWith('/patients/')")
        .await;
    b.click("header a[href$='/privacy']").await;
    b.wait_for("document.querySelector('#amendment-form') !== null")
        .await;
    assert!(b.page_text().await.contains("Privacy: Pia Portal"));
    b.type_into(
        "#amendment-form textarea[name=information]",
        "My phone number",
    )
    .await;
    b.type_into(
        "#amendment-form textarea[name=requested_change]",
        "It is 312-555-0199 now",
    )
    .await;
    b.type_into(
        "#amendment-form textarea[name=reason]",
        "I changed carriers",
    )
    .await;
    b.click("#amendment-form button[type=submit]").await;
    b.wait_for("document.querySelector('#privacy-message') !== null")
        .await;
    assert!(b.text("#privacy-message").await.contains("within 60 days"));
    assert!(b.text("#amendments").await.contains("My phone number"));
    assert!(b.text("#amendments").await.contains("pending"));
    assert_eq!(app.count("amendment_requests").await, 1);
    b.quit().await;
    app.stop().await;
}
