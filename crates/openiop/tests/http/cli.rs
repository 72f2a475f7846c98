//! The command line: migrate, user add, audit verify, and serve's graceful stop.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::support::{Backend, PASSWORD, TestApp};

fn openiop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_openiop"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_then_audit_verify_then_tamper() {
    let app = TestApp::start(Backend::Sqlite).await;
    let key = app.key_file.to_string_lossy().into_owned();
    let mut child = openiop()
        .args([
            "user",
            "add",
            "--username",
            "cli.admin",
            "--role",
            "admin",
            "--database-url",
            &app.database_url,
        ])
        .env("OPENIOP_AUDIT_KEY_FILE", &key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let token = app.login("cli.admin", PASSWORD).await;
    assert_eq!(app.get("/api/v1/users", &token).await.0, StatusCode::OK);

    let verify = || {
        openiop()
            .args(["audit", "verify", "--database-url", &app.database_url])
            .env("OPENIOP_AUDIT_KEY_FILE", &key)
            .output()
            .unwrap()
    };
    let ok = verify();
    let text = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(ok.status.success(), "{text}");
    let events = app.count("audit_events").await;
    assert!(text.starts_with(&format!("ok {events} events")), "{text}");

    app.exec("UPDATE audit_events SET client_addr = '10.0.0.1' WHERE seq = 1")
        .await;
    let bad = verify();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("edited"));
    // A wrong key is not an intact trail either.
    let other = app.dir.join("other.key");
    std::fs::write(&other, "00".repeat(32)).unwrap();
    let wrong = openiop()
        .args(["audit", "verify", "--database-url", &app.database_url])
        .env("OPENIOP_AUDIT_KEY_FILE", &other)
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    // Short passwords are refused by `user add` too.
    let mut child = openiop()
        .args([
            "user",
            "add",
            "--username",
            "weak",
            "--role",
            "billing",
            "--database-url",
            &app.database_url,
        ])
        .env("OPENIOP_AUDIT_KEY_FILE", &key)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    assert!(!child.wait().unwrap().success());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_creates_everything_then_stops_gracefully_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("openiop-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/fresh.db", dir.display());
    let migrate = openiop()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(migrate.status.success());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = openiop()
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &url,
            "--demo",
        ])
        .env("OPENIOP_ADMIN", "boss:Boss-Password-1")
        .env("OPENIOP_TIME_ZONE", "America/Chicago")
        // The most verbose logs the server writes: none may hold patient data or secrets.
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("server.log")).unwrap(),
        ))
        .spawn()
        .unwrap();
    // Wait for the line that says the server listens (no sleeping, no polling).
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = String::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the server announces itself");
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("is listening") {
            break;
        }
    }
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    // The key file was created beside the database, private to its owner.
    let key = dir.join("openiop-audit.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "boss", "password": "Boss-Password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let token = login.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sites = client
        .get(format!("{base}/api/v1/sites"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let sites: serde_json::Value = sites.json().await.unwrap();
    assert_eq!(sites["items"][0]["name"], "Main site");
    assert_eq!(sites["items"][0]["time_zone"], "America/Chicago");
    let zones: std::collections::BTreeSet<_> = sites["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["time_zone"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        zones.len() >= 2 && sites["items"].as_array().unwrap().len() >= 3,
        "demo sites in different time zones: {zones:?}"
    );
    let patients = client
        .get(format!("{base}/api/v1/patients?limit=200"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let patients: serde_json::Value = patients.json().await.unwrap();
    assert_eq!(patients["items"].as_array().unwrap().len(), 40);
    // Touch every patient the ways staff do (reads, name searches, a new registration, a
    // failed login), then read the server's whole log.
    let mut secrets: Vec<String> = vec![
        "Boss-Password-1".into(),
        "Wrong-Password-For-Boss-9".into(),
        token.clone(),
        "Zebulon".into(),
        "Quixotic".into(),
    ];
    for p in patients["items"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        let family = p["family_name"].as_str().unwrap().to_owned();
        let given = p["given_name"].as_str().unwrap().to_owned();
        for path in [
            format!("/api/v1/patients/{id}"),
            format!("/api/v1/patients?q={family}"),
            format!("/api/v1/patients/{id}/notes"),
            format!("/api/v1/patients/{id}/check-ins"),
        ] {
            let resp = client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{path}");
        }
        secrets.push(format!("{given} {family}"));
        secrets.push(family);
    }
    let created = client
        .post(format!("{base}/api/v1/patients"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"given_name": "Zebulon", "family_name": "Quixotic", "birth_date": "1977-07-07"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let refused = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "boss", "password": "Wrong-Password-For-Boss-9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "graceful stop exits 0");
    printed.extend(rx.try_iter().map(|l| l + "\n"));
    for role in [
        "admin",
        "clinician",
        "case_manager",
        "front_desk",
        "billing",
        "patient",
    ] {
        assert!(
            printed.contains(&format!("  {role} ")),
            "demo login for {role} printed: {printed}"
        );
    }
    // The demo logins are printed once on standard output, never logged.
    secrets.extend(
        printed
            .lines()
            .filter_map(|l| l.split("password: ").nth(1))
            .map(|p| p.trim().to_owned()),
    );
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap();
    let lines = log.lines().count();
    assert!(lines > 100, "debug logs were written ({lines} lines)");
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds {secret:?} (patient data or a secret)"
        );
    }
    eprintln!(
        "log scan: {lines} lines, {} names and secrets, none found",
        secrets.len()
    );
    let verify = openiop()
        .args(["audit", "verify", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_generates_a_dataset_once() {
    let app = TestApp::start(Backend::Sqlite).await;
    let key = app.key_file.to_string_lossy().into_owned();
    let run = || {
        openiop()
            .args([
                "demo",
                "--patients",
                "40",
                "--weeks",
                "6",
                "--database-url",
                &app.database_url,
            ])
            .env("OPENIOP_AUDIT_KEY_FILE", &key)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success());
    assert!(String::from_utf8_lossy(&first.stdout).contains("Demo data loaded: 40 patients"));
    assert_eq!(app.count("patients").await, 40);
    assert!(
        app.count("episodes").await >= 30,
        "most demo patients are admitted"
    );
    // Weeks of attendance before the current schedule: the intensity report (counted in the
    // database) and the program view (computed from the marks) agree on who fell short.
    assert!(app.count("attendance_marks").await > 100);
    let admin = app.admin().await;
    let (year, week, _) =
        (time::OffsetDateTime::now_utc() - time::Duration::days(14)).to_iso_week_date();
    let week = format!("{year}-W{week:02}");
    let (status, report) = app
        .get(&format!("/api/v1/reports/intensity?week={week}"), &admin)
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{report}");
    let (_, view) = app
        .get(&format!("/api/v1/program/attendance?week={week}"), &admin)
        .await;
    let below = report["total"]["below_target"].as_i64().unwrap();
    assert!(
        report["total"]["measured"].as_i64().unwrap() > 0,
        "{report}"
    );
    assert_eq!(
        below as usize,
        view["below_target"].as_array().unwrap().len(),
        "{report} {view}"
    );
    let second = run();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already has patients"));
    assert_eq!(app.count("patients").await, 40);
    assert!(app.verify_audit().await.is_ok());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore_and_verify() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    for family in ["Backup", "Restore"] {
        app.patient(&admin, "Bea", family).await;
    }
    let key = app.key_file.to_string_lossy().into_owned();
    let backup = app.dir.join("nightly.db");
    let run = |args: &[&str]| {
        openiop()
            .args(args)
            .env("OPENIOP_AUDIT_KEY_FILE", &key)
            .output()
            .unwrap()
    };
    let text = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    // Online: the server keeps running (and writing) while the copy is taken.
    let path = backup.to_string_lossy().into_owned();
    let out = run(&["backup", &path, "--database-url", &app.database_url]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("integrity ok"));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy is the owner's alone");
    }
    app.patient(&admin, "After", "Backup").await;
    let again = run(&["backup", &path, "--database-url", &app.database_url]);
    assert!(!again.status.success(), "a backup never overwrites a file");

    // Restored into a new place, with the same audit key: the chain verifies.
    let target = format!("sqlite://{}", app.dir.join("restored.db").display());
    let out = run(&["restore", &path, "--database-url", &target]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit trail ok"), "{}", text(&out));
    let refused = run(&["restore", &path, "--database-url", &target]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--replace"));
    let out = run(&["restore", &path, "--replace", "--database-url", &target]);
    assert!(out.status.success(), "{}", text(&out));
    let restored = openiop_store::Store::connect(&target, &openiop_store::StoreOptions::default())
        .await
        .unwrap();
    let mut conn = restored.read().await.unwrap();
    let org = openiop_store::organization::first_organization(&mut conn.db())
        .await
        .unwrap()
        .unwrap();
    let patients = openiop_store::patients::count_patients(&mut conn.db(), org.id)
        .await
        .unwrap();
    drop(conn);
    restored.close().await;
    assert_eq!(patients, 2, "the copy is the moment of the backup");

    // A damaged copy is refused before anything is replaced.
    let broken = app.dir.join("broken.db");
    std::fs::write(&broken, b"not a database at all").unwrap();
    let out = run(&[
        "restore",
        &broken.to_string_lossy(),
        "--replace",
        "--database-url",
        &target,
    ]);
    assert!(!out.status.success());
    let out = run(&["restore", &path, "--replace", "--database-url", &target]);
    assert!(
        out.status.success(),
        "the target was left intact: {}",
        text(&out)
    );
    // PostgreSQL is backed up with pg_dump.
    let out = run(&[
        "backup",
        "/tmp/x.dump",
        "--database-url",
        "postgres://127.0.0.1:1/none",
    ]);
    assert!(!out.status.success());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_terminates_tls_and_sends_hsts() {
    let dir = std::env::temp_dir().join(format!("openiop-tls-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "openssl makes a self-signed certificate");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = openiop()
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--database-url")
        .arg(format!("sqlite://{}/tls.db", dir.display()))
        .env("OPENIOP_TLS_CERT", &cert)
        .env("OPENIOP_TLS_KEY", &key)
        .env("OPENIOP_ADMIN", "tlsadmin:Tls-Admin-Password-7")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().expect("the server announces itself").unwrap();
        if line.contains("is listening") {
            assert!(line.contains("https://"), "{line}");
            break;
        }
    }
    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args(["-sk", "--max-time", "10"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let base = format!("https://127.0.0.1:{port}");
    let headers = curl(&["-D", "-", "-o", "/dev/null", &format!("{base}/healthz")]);
    assert!(headers.starts_with("HTTP/1.1 200"), "{headers}");
    assert!(
        headers
            .to_lowercase()
            .contains("strict-transport-security: max-age=31536000; includesubdomains"),
        "{headers}"
    );
    let login = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-H",
        "content-type: application/json",
        "--data",
        r#"{"username":"tlsadmin","password":"Tls-Admin-Password-7"}"#,
        &format!("{base}/api/v1/auth/login"),
    ]);
    let cookie = login
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie: openiop_session"))
        .unwrap_or_else(|| panic!("{login}"))
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    // Plain HTTP on the TLS port gets nowhere.
    let plain = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{port}/healthz"),
    ]);
    assert_eq!(plain, "000");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_sends_no_hsts() {
    let app = TestApp::start(Backend::Sqlite).await;
    let resp = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("strict-transport-security").is_none());
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    app.stop().await;
}

/// The SQLite database and its `-wal` and `-shm` files were created mode 0644: any local user
/// could read every record. They are the owner's alone, as the key file and the files
/// directory are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.patient(&admin, "Perm", "Mode").await;
    let db = app
        .database_url
        .strip_prefix("sqlite://")
        .expect("a SQLite URL")
        .to_owned();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{db}{suffix}");
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{path} is {:o}", mode & 0o777);
    }
    app.stop().await;
}

/// Deleting a chain's newest events and rewinding its head row passes `audit verify` (the
/// limit of any in-database proof). `audit head` prints a signed anchor to keep elsewhere;
/// `audit verify --anchor` then proves nothing before it was removed. A head row edited alone
/// says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anchor_kept_elsewhere_catches_a_rewound_chain() {
    let app = TestApp::start(Backend::Sqlite).await;
    let key = app.key_file.to_string_lossy().into_owned();
    let admin = app.admin().await;
    for n in 0..40 {
        app.patient(&admin, "Anchored", &format!("Person{n}")).await;
    }
    let cli = |args: &[&str]| {
        openiop()
            .args(args)
            .args(["--database-url", &app.database_url])
            .env("OPENIOP_AUDIT_KEY_FILE", &key)
            .output()
            .unwrap()
    };
    let head = cli(&["audit", "head"]);
    assert!(
        head.status.success(),
        "{}",
        String::from_utf8_lossy(&head.stderr)
    );
    let anchor = app.dir.join("anchor.txt");
    std::fs::write(&anchor, &head.stdout).unwrap();
    let text = String::from_utf8_lossy(&head.stdout).into_owned();
    assert!(text.starts_with("openiop-audit-anchor v1\n"), "{text}");
    assert!(text.contains("\nmac "));
    let anchor_path = anchor.to_string_lossy().into_owned();
    let verify_anchored = || cli(&["audit", "verify", "--anchor", &anchor_path]);
    assert!(verify_anchored().status.success());

    // Remove the newest event of the longest chain and rewind its head to the one before.
    let longest = "(SELECT chain FROM audit_chains ORDER BY last_seq DESC, chain LIMIT 1)";
    assert_eq!(
        app.exec(&format!(
            "DELETE FROM audit_events WHERE chain = {longest} \
             AND seq = (SELECT last_seq FROM audit_chains WHERE chain = {longest})"
        ))
        .await,
        1
    );
    app.exec(&format!(
        "UPDATE audit_chains SET last_seq = last_seq - 1, last_hash = (SELECT hash FROM audit_events e \
         WHERE e.chain = audit_chains.chain AND e.seq = audit_chains.last_seq - 1) WHERE chain = {longest}"
    ))
    .await;
    let plain = cli(&["audit", "verify"]);
    assert!(
        plain.status.success(),
        "without an anchor the rewound chain looks intact"
    );
    let caught = verify_anchored();
    assert_eq!(caught.status.code(), Some(1));
    let said = String::from_utf8_lossy(&caught.stdout).into_owned();
    assert!(said.contains("deleted since the anchor"), "{said}");
    // An altered anchor is refused, not trusted.
    std::fs::write(&anchor, text.replacen("events ", "events 9", 1)).unwrap();
    let refused = verify_anchored();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("anchor refused"));
    // A head row edited alone is named as such.
    app.exec(&format!(
        "UPDATE audit_chains SET last_hash = '{}' WHERE chain = {longest}",
        "f".repeat(64)
    ))
    .await;
    let edited = cli(&["audit", "verify"]);
    assert_eq!(edited.status.code(), Some(1));
    let said = String::from_utf8_lossy(&edited.stdout).into_owned();
    assert!(said.contains("the head row was edited"), "{said}");
    app.stop().await;
}
