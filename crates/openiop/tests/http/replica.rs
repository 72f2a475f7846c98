//! Reports read from a real streaming replica (`OPENIOP_READ_DATABASE_URL`): the test makes a
//! PostgreSQL primary of its own with `initdb`, a replica of it with `pg_basebackup`, and
//! shows the census coming from the replica by pausing its replay: the primary moves on, the
//! report does not, until replay resumes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

fn bin(name: &str) -> PathBuf {
    let out = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .expect("pg_config (PostgreSQL's server binaries) must be installed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join(name)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL binary (as the `postgres` user when the tests run as root: the server
/// refuses to run as root).
fn pg(name: &str, args: &[&str]) {
    let program = bin(name);
    let status = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&program)
            .args(args)
            .status()
    } else {
        Command::new(&program).args(args).status()
    }
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(status.success(), "{name} {args:?} failed");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A primary and its replica, stopped and removed when dropped.
struct Cluster {
    dir: PathBuf,
    primary: u16,
    replica: u16,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!("openiop-replica-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown the cluster directory");
        }
        let (primary, replica) = (free_port(), free_port());
        let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
        pg(
            "initdb",
            &[
                "-D",
                &path("primary"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        append(
            &dir.join("primary/postgresql.conf"),
            &format!(
                "port = {primary}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
                 wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n",
                dir.display()
            ),
        );
        pg(
            "pg_ctl",
            &[
                "-D",
                &path("primary"),
                "-l",
                &path("primary.log"),
                "-w",
                "start",
            ],
        );
        let cluster = Cluster {
            dir: dir.clone(),
            primary,
            replica,
        };
        pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.to_string(),
                "-U",
                "postgres",
                "-D",
                &path("replica"),
                "-R",
                "-X",
                "stream",
            ],
        );
        append(
            &dir.join("replica/postgresql.auto.conf"),
            &format!("port = {replica}\n"),
        );
        pg(
            "pg_ctl",
            &[
                "-D",
                &path("replica"),
                "-l",
                &path("replica.log"),
                "-w",
                "start",
            ],
        );
        cluster
    }

    fn url(port: u16, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{db}")
    }
}

fn append(file: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .expect("config file");
    f.write_all(text.as_bytes()).expect("append");
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in ["replica", "primary"] {
            let data = self.dir.join(node).to_string_lossy().into_owned();
            let program = bin("pg_ctl");
            let args = ["-D", data.as_str(), "-m", "immediate", "-w", "stop"];
            let _ = if is_root() {
                Command::new("runuser")
                    .args(["-u", "postgres", "--"])
                    .arg(&program)
                    .args(args)
                    .status()
            } else {
                Command::new(&program).args(args).status()
            };
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn sql(url: &str, statement: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut conn)
        .await
        .expect("statement");
    let _ = conn.close().await;
}

async fn census_total(app: &TestApp, token: &str) -> i64 {
    let (status, census) = app.get("/api/v1/reports/census", token).await;
    assert_eq!(status, StatusCode::OK, "{census}");
    assert_eq!(census["source"], "replica");
    census["total_active"].as_i64().unwrap()
}

async fn until_census(app: &TestApp, token: &str, expected: i64) {
    for _ in 0..100 {
        if census_total(app, token).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica never showed {expected} active episodes");
}

async fn admit(app: &TestApp, admin: &str, track: &str, patient: &str) -> StatusCode {
    let path = format!("/api/v1/patients/{patient}/episodes");
    let body = json!({"track_id": track, "admitted_on": "2026-11-02"});
    app.post(&path, admin, body).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_read_from_the_replica() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    sql(
        &Cluster::url(cluster.primary, "postgres"),
        "CREATE DATABASE openiop",
    )
    .await;
    let replica_url = Cluster::url(cluster.replica, "openiop");
    // The replica has the new database once it has replayed its creation.
    for _ in 0..100 {
        use sqlx::Connection;
        if sqlx::PgConnection::connect(&replica_url).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let app = TestApp::start_at(
        &Cluster::url(cluster.primary, "openiop"),
        Some(&replica_url),
    )
    .await;
    let admin = app.admin().await;
    let track = app.chicago_track(&admin).await;
    let first = app.patient(&admin, "Rhea", "Replica").await;
    assert_eq!(
        admit(&app, &admin, &track, &first).await,
        StatusCode::CREATED
    );
    until_census(&app, &admin, 1).await;
    // Replay paused: the primary admits a second patient, the report (on the replica) still
    // counts one; the primary itself has two.
    sql(&replica_url, "SELECT pg_wal_replay_pause()").await;
    let second = app.patient(&admin, "Paul", "Paused").await;
    assert_eq!(
        admit(&app, &admin, &track, &second).await,
        StatusCode::CREATED
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        census_total(&app, &admin).await,
        1,
        "the census reads the replica"
    );
    assert_eq!(app.count("episodes WHERE status = 'active'").await, 2);
    let (status, _) = app.get("/api/v1/program/attendance", &admin).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the program view reads the replica too"
    );
    sql(&replica_url, "SELECT pg_wal_replay_resume()").await;
    until_census(&app, &admin, 2).await;
    app.stop().await;
    drop(cluster);
}
