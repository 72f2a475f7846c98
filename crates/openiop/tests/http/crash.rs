//! Crash safety: concurrent writes (check-ins and counseling notes, each with its audit event)
//! against the real server binary, killed with SIGKILL mid-load and restarted. Every write the
//! server acknowledged must be there, the database must pass its integrity check and the audit
//! trail must verify, on SQLite and PostgreSQL.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::support::{ADMIN, Backend, TestApp};

/// Writers running at once, and acknowledged writes to wait for before the kill.
const WRITERS: usize = 6;
const BEFORE_KILL: usize = 60;
const ROUNDS: usize = 2;

fn start_server(app: &TestApp, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_openiop"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &app.database_url,
        ])
        .env("OPENIOP_AUDIT_KEY_FILE", &app.key_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().expect("the server announces itself").unwrap();
        if line.contains("is listening") {
            break;
        }
    }
    child
}

async fn crash_rounds(backend: Backend) {
    let app = TestApp::start(backend).await;
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Kim", "Crashtest").await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let acknowledged: Arc<Mutex<(Vec<String>, Vec<String>)>> = Arc::default();
    for round in 0..ROUNDS {
        let mut server = start_server(&app, port);
        let client = reqwest::Client::new();
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": ADMIN.0, "password": ADMIN.1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_owned();
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let reached = Arc::new(tokio::sync::Notify::new());
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let (client, base, token, patient) =
                (client.clone(), base.clone(), token.clone(), patient.clone());
            let (stop, count, reached, acknowledged) = (
                stop.clone(),
                count.clone(),
                reached.clone(),
                acknowledged.clone(),
            );
            writers.push(tokio::spawn(async move {
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let note = w % 2 == 1 && n.is_multiple_of(3);
                    let (path, body) = if note {
                        ("counseling-notes", json!({"text": format!("Process note {round}/{w}/{n}")}))
                    } else {
                        ("check-ins", json!({"mood": (n % 11) as i64, "craving": (w % 11) as i64, "used": false}))
                    };
                    let sent = client
                        .post(format!("{base}/api/v1/patients/{patient}/{path}"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    // Only a 201 with its id is an acknowledgement; anything else (the kill)
                    // promises nothing.
                    let Ok(resp) = sent else { break };
                    if resp.status() != reqwest::StatusCode::CREATED {
                        continue;
                    }
                    let Ok(created) = resp.json::<serde_json::Value>().await else { break };
                    let id = created["id"].as_str().unwrap_or_default().to_owned();
                    {
                        let mut ack = acknowledged.lock().unwrap();
                        if note { ack.1.push(id) } else { ack.0.push(id) }
                    }
                    if count.fetch_add(1, Ordering::Relaxed) + 1 == BEFORE_KILL {
                        reached.notify_one();
                    }
                }
            }));
        }
        reached.notified().await;
        // SIGKILL mid-load: no shutdown, no flush, writes in flight.
        server.kill().unwrap();
        server.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            let _ = w.await;
        }
    }
    // Restart once more on the same database: it opens, and everything acknowledged is there.
    let mut server = start_server(&app, port);
    let (checkins, notes) = acknowledged.lock().unwrap().clone();
    let mut conn = app.store.read().await.unwrap();
    let ids = |rows: Vec<uuid::Uuid>| {
        rows.into_iter()
            .map(|u| u.to_string())
            .collect::<BTreeSet<_>>()
    };
    let stored_checkins = ids(openiop_store::on_db!(conn.db(), |c| {
        sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM check_ins")
            .fetch_all(&mut *c)
            .await
    })
    .unwrap());
    let stored_notes = ids(openiop_store::on_db!(conn.db(), |c| {
        sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM notes")
            .fetch_all(&mut *c)
            .await
    })
    .unwrap());
    let lost: Vec<&String> = checkins
        .iter()
        .filter(|id| !stored_checkins.contains(*id))
        .chain(notes.iter().filter(|id| !stored_notes.contains(*id)))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged writes lost after SIGKILL: {lost:?}"
    );
    assert!(checkins.len() + notes.len() >= BEFORE_KILL * ROUNDS);
    // The database's own integrity check.
    match backend {
        Backend::Sqlite => {
            let verdict: String = openiop_store::on_db!(conn.db(), |c| {
                sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
                    .fetch_one(&mut *c)
                    .await
            })
            .unwrap();
            assert_eq!(verdict, "ok");
        }
        Backend::Postgres => {
            let checked: i64 = openiop_store::on_db!(conn.db(), |c| {
                sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck").execute(&mut *c).await.unwrap();
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(bt_index_check(c.oid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                     JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE a.amname = 'btree' AND n.nspname = current_schema()",
                )
                .fetch_one(&mut *c)
                .await
            })
            .unwrap();
            assert!(checked > 20, "every btree index checked ({checked})");
        }
    }
    drop(conn);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait().unwrap();
    let verify = Command::new(env!("CARGO_BIN_EXE_openiop"))
        .args(["audit", "verify", "--database-url", &app.database_url])
        .env("OPENIOP_AUDIT_KEY_FILE", &app.key_file)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    eprintln!(
        "crash safety ({backend:?}): {ROUNDS} SIGKILL rounds survived, {} acknowledged writes checked ({} check-ins, {} notes), audit: {}",
        checkins.len() + notes.len(),
        checkins.len(),
        notes.len(),
        String::from_utf8_lossy(&verify.stdout).trim()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    crash_rounds(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    crash_rounds(Backend::Postgres).await;
}
