//! Spawning the app on a fresh database, and a small client.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use openiop_store::{Store, StoreOptions};
use openiop_web::setup::{self, Bootstrap};
use openiop_web::{AppState, Clock, Config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const ADMIN: (&str, &str) = ("admin", "Admin-Password-1");
pub const PASSWORD: &str = "Staff-Password-1";
pub const PG_BASE: &str = "postgres://postgres@127.0.0.1:5432";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running app on its own database.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Clock,
    pub store: Store,
    pub database_url: String,
    pub key_file: PathBuf,
    pub dir: PathBuf,
    backend: Backend,
    pg_name: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn pg_admin(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&format!("{PG_BASE}/test"))
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 (database test) must be running for the tests");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .expect("admin statement");
    let _ = conn.close().await;
}

type Server = (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

/// Where every server of the test suite logs, at debug level: `OPENIOP_TEST_LOG` when it is
/// set (scripts/test.sh sets it, and `scripts/scan-test-log` then checks that no patient name
/// or password was logged), otherwise a file of this run under cargo's test directory.
pub fn test_log_path() -> std::path::PathBuf {
    match std::env::var_os("OPENIOP_TEST_LOG") {
        Some(path) => path.into(),
        None => std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("test-suite-{}.log", std::process::id())),
    }
}

/// The log lines of the whole suite so far that contain `needle`.
pub fn logged_lines(needle: &str) -> Vec<String> {
    std::fs::read_to_string(test_log_path())
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

fn log_to_file() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let path = test_log_path();
        let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        else {
            return;
        };
        let filter = tracing_subscriber::EnvFilter::new(
            "debug,sqlx=info,hyper=info,hyper_util=info,h2=info,reqwest=info,rustls=info,tokio=info,runtime=info",
        );
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    });
}

/// Serves `state` on a free local port until told to stop.
async fn serve(state: AppState) -> Server {
    log_to_file();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(openiop_web::serve(listener, state, async {
        let _ = rx.await;
    }));
    (format!("http://{addr}"), tx, server)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        TestApp::start_with(backend, Config::default()).await
    }

    pub async fn start_with(backend: Backend, config: Config) -> TestApp {
        TestApp::start_full(backend, config, true).await
    }

    /// A first start without `OPENIOP_ADMIN`: no account exists yet.
    pub async fn start_without_admin(backend: Backend) -> TestApp {
        TestApp::start_full(backend, Config::default(), false).await
    }

    async fn start_full(backend: Backend, mut config: Config, with_admin: bool) -> TestApp {
        config.cookie_secure = false;
        let name = unique();
        let dir = std::env::temp_dir().join(format!("openiop-test-{name}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (database_url, pg_name) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/openiop.db", dir.display()), None),
            Backend::Postgres => {
                let db = format!("openiop_t_{name}");
                pg_admin(&format!("CREATE DATABASE {db}")).await;
                (format!("{PG_BASE}/{db}"), Some(db))
            }
        };
        let key_file = dir.join("audit.key");
        let key_text = key_file.to_string_lossy().into_owned();
        let store = setup::open_store(
            &database_url,
            Some(&key_text),
            true,
            &StoreOptions::default(),
        )
        .await
        .expect("open store");
        let clock = Clock::system();
        let files = openiop_store::files::FileStore::new(dir.join("files"));
        let state = AppState::new(store.clone(), config, clock.clone()).with_files(files);
        let boot = Bootstrap {
            admin: with_admin.then(|| format!("{}:{}", ADMIN.0, ADMIN.1)),
            ..Bootstrap::default()
        };
        setup::bootstrap(&state, &boot).await.expect("bootstrap");
        let (base, shutdown, server) = serve(state).await;
        TestApp {
            base,
            http: client(),
            clock,
            store,
            database_url,
            key_file,
            dir,
            backend,
            pg_name,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    /// The app on a PostgreSQL database the test made itself (a cluster of its own), its
    /// reports read from `report_url` when given. Stopping it leaves the database alone.
    pub async fn start_at(database_url: &str, report_url: Option<&str>) -> TestApp {
        let dir = std::env::temp_dir().join(format!("openiop-test-{}", unique()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let key_file = dir.join("audit.key");
        let key_text = key_file.to_string_lossy().into_owned();
        let options = StoreOptions::default();
        let mut store = setup::open_store(database_url, Some(&key_text), true, &options)
            .await
            .expect("open store");
        if let Some(url) = report_url {
            store = store
                .with_report_replica(url, &options)
                .await
                .expect("replica");
        }
        let clock = Clock::system();
        let config = Config {
            cookie_secure: false,
            ..Config::default()
        };
        let files = openiop_store::files::FileStore::new(dir.join("files"));
        let state = AppState::new(store.clone(), config, clock.clone()).with_files(files);
        let boot = Bootstrap {
            admin: Some(format!("{}:{}", ADMIN.0, ADMIN.1)),
            ..Bootstrap::default()
        };
        setup::bootstrap(&state, &boot).await.expect("bootstrap");
        let (base, shutdown, server) = serve(state).await;
        TestApp {
            base,
            http: client(),
            clock,
            store,
            database_url: database_url.to_owned(),
            key_file,
            dir,
            backend: Backend::Postgres,
            pg_name: None,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    /// Another instance of the app on the same database (as a second server would run):
    /// its own store, state and port. Stopping it leaves the database alone.
    pub async fn another_instance(&self, mut config: Config) -> TestApp {
        config.cookie_secure = false;
        let dir = std::env::temp_dir().join(format!("openiop-test-{}", unique()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let key_text = self.key_file.to_string_lossy().into_owned();
        let store = setup::open_store(
            &self.database_url,
            Some(&key_text),
            false,
            &StoreOptions::default(),
        )
        .await
        .expect("open store");
        let files = openiop_store::files::FileStore::new(self.dir.join("files"));
        let state = AppState::new(store.clone(), config, self.clock.clone()).with_files(files);
        let (base, shutdown, server) = serve(state).await;
        TestApp {
            base,
            http: client(),
            clock: self.clock.clone(),
            store,
            database_url: self.database_url.clone(),
            key_file: self.key_file.clone(),
            dir,
            backend: self.backend,
            pg_name: None,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Stops the server and removes the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), server).await;
            assert!(stopped.is_ok(), "the server stops within 30 s");
        }
        self.note_patient_names().await;
        // Closing waits for every connection to come back: a hang here is a leaked
        // connection, and fails the test instead of the whole run.
        tokio::time::timeout(std::time::Duration::from_secs(30), self.store.close())
            .await
            .expect("the store closes within 30 s (a connection was never given back)");
        if let Some(db) = self.pg_name.take() {
            pg_admin(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Appends every patient this test registered to `$OPENIOP_TEST_LOG.names` (a tab
    /// between given and family name), so the log scan looks for the suite's own patients,
    /// not only the demo's.
    async fn note_patient_names(&self) {
        let Ok(log) = std::env::var("OPENIOP_TEST_LOG") else {
            return;
        };
        let mut conn = self.store.read().await.expect("conn");
        let names: Vec<(String, String)> = openiop_store::on_db!(conn.db(), |c| {
            sqlx::query_as("SELECT given_name, family_name FROM patients")
                .fetch_all(&mut *c)
                .await
        })
        .expect("the test's patients");
        drop(conn);
        let text: String = names.iter().map(|(g, f)| format!("{g}\t{f}\n")).collect();
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(format!("{log}.names"))
        {
            use std::io::Write;
            let _ = file.write_all(text.as_bytes());
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Logs in through the API; returns the whole answer.
    pub async fn login_full(
        &self,
        username: &str,
        password: &str,
    ) -> (StatusCode, Value, Option<String>) {
        let resp = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        let status = resp.status();
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("openiop_session="))
            .map(|v| v.split(';').next().unwrap_or("").to_owned());
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body, cookie)
    }

    /// Logs in and returns the browser session: (cookie header value, CSRF token).
    pub async fn browser_session(&self, username: &str, password: &str) -> (String, String) {
        let (status, body, cookie) = self.login_full(username, password).await;
        assert_eq!(status, StatusCode::OK);
        (
            cookie.expect("cookie"),
            body["csrf_token"].as_str().expect("csrf").to_owned(),
        )
    }

    /// GETs a page with a session cookie: (status, HTML).
    pub async fn page(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("page");
        (resp.status(), resp.text().await.unwrap_or_default())
    }

    /// POSTs a form with a session cookie: (status, Location header, HTML).
    pub async fn form(&self, path: &str, cookie: &str, body: &str) -> (StatusCode, String, String) {
        let resp = self
            .http
            .post(self.url(path))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .expect("form");
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (
            resp.status(),
            location,
            resp.text().await.unwrap_or_default(),
        )
    }

    /// Logs in; panics unless it works. Returns the bearer token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body, _) = self.login_full(username, password).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn admin(&self) -> String {
        self.login(ADMIN.0, ADMIN.1).await
    }

    /// Creates a user as admin; returns its id.
    pub async fn user(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        patient_id: Option<&str>,
    ) -> String {
        let mut body = json!({"username": username, "password": PASSWORD, "role": role});
        if let Some(p) = patient_id {
            body["patient_id"] = json!(p);
        }
        let (status, created) = self.post("/api/v1/users", admin, body).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "create user {username}: {created}"
        );
        created["id"].as_str().expect("user id").to_owned()
    }

    pub async fn patient(&self, token: &str, given: &str, family: &str) -> String {
        let body = json!({"given_name": given, "family_name": family, "birth_date": "1988-03-14"});
        let (status, created) = self.post("/api/v1/patients", token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["id"].as_str().expect("patient id").to_owned()
    }

    /// A Chicago site and an adult evening IOP track on it (9 h over 3 days): its id.
    pub async fn chicago_track(&self, admin: &str) -> String {
        let (_, site) = self
            .post(
                "/api/v1/sites",
                admin,
                json!({"name": "Lakeview", "time_zone": "America/Chicago"}),
            )
            .await;
        let body = json!({"site_id": site["id"], "name": "Evening IOP", "level": "iop", "target_hours": 9, "min_days": 3, "age_group": "adult"});
        self.post("/api/v1/tracks", admin, body).await.1["id"]
            .as_str()
            .expect("track id")
            .to_owned()
    }

    /// The first site's id, and a new IOP track on it.
    pub async fn track(&self, admin: &str, name: &str) -> String {
        let (_, sites) = self.get("/api/v1/sites", admin).await;
        let site = sites["items"][0]["id"].as_str().expect("site").to_owned();
        let body = json!({"site_id": site, "name": name, "level": "iop", "target_hours": 9, "min_days": 3, "age_group": "adult"});
        let (status, track) = self.post("/api/v1/tracks", admin, body).await;
        assert_eq!(status, StatusCode::CREATED, "{track}");
        track["id"].as_str().expect("track id").to_owned()
    }

    /// Files in the file store (finished or not).
    pub fn stored_files(&self) -> usize {
        std::fs::read_dir(self.dir.join("files"))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// Sends `multipart/form-data` built from (name, file name, bytes) parts, from no login.
    pub async fn multipart(
        &self,
        path: &str,
        parts: &[(&str, Option<&str>, Vec<u8>)],
    ) -> (StatusCode, Value) {
        let boundary = "----openiop-test-boundary-7d9f";
        let mut body = Vec::new();
        for (name, file, bytes) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some(f) => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
                ),
                None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let resp = self
            .http
            .post(self.url(path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("multipart request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Rows in a table, straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        let mut conn = self.store.read().await.expect("conn");
        let sql = format!("SELECT COUNT(*) FROM {table}");
        openiop_store::on_db!(conn.db(), |c| {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_one(&mut *c)
                .await
        })
        .expect("count")
    }

    /// Runs one statement straight on the database (for tamper tests).
    pub async fn exec(&self, sql: &str) -> u64 {
        let mut tx = self.store.begin().await.expect("tx");
        let done = openiop_store::on_db!(tx.db(), |c| {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })
        .expect("exec");
        tx.commit().await.expect("commit");
        done
    }

    /// Every audit event, newest first.
    pub async fn audit_actions(&self) -> Vec<openiop_core::audit::Sealed> {
        let mut conn = self.store.read().await.expect("conn");
        let org = openiop_store::organization::first_organization(&mut conn.db())
            .await
            .expect("org")
            .expect("org");
        openiop_store::audit::list_events(&mut conn.db(), org.id, &Default::default(), 10_000)
            .await
            .expect("events")
    }

    pub async fn verify_audit(
        &self,
    ) -> Result<openiop_core::audit::Summary, openiop_core::audit::Break> {
        let key = setup::load_audit_key(&self.key_file, false).expect("key");
        openiop_store::audit::verify(&self.store, &key)
            .await
            .expect("verify runs")
    }
}

/// An id as a SQL literal of the app's database (a blob on SQLite, a uuid on PostgreSQL).
pub fn id_literal(app: &TestApp, id: &str) -> String {
    match app.backend() {
        Backend::Sqlite => format!("X'{}'", id.replace('-', "")),
        Backend::Postgres => format!("'{id}'"),
    }
}

/// Declares a test that runs the same body against SQLite and PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: &$crate::support::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::support::TestApp::start($crate::support::Backend::Sqlite).await;
                run(&app).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::support::TestApp::start($crate::support::Backend::Postgres).await;
                run(&app).await;
                app.stop().await;
            }
        }
    };
}

/// Runs futures concurrently on the current task (no extra dependency for one helper).
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outputs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
