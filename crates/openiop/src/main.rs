//! `openiop`: the server and its command line.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use openiop_core::access::Role;
use openiop_store::StoreOptions;
use openiop_store::files::FileStore;
use openiop_web::setup::{self, Bootstrap};
use openiop_web::{AppState, Clock, Config};

#[derive(Parser)]
#[command(
    name = "openiop",
    version,
    about = "OpenIOP: software for Intensive Outpatient Programs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Database {
    /// sqlite://FILE (created if missing) or postgres://...
    #[arg(
        long,
        env = "OPENIOP_DATABASE_URL",
        default_value = "sqlite://openiop.db"
    )]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[arg(long, env = "OPENIOP_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        db: Database,
        /// Load demo data into a program without patients, and print the demo logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: Database,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Inspect the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of a SQLite database while the server runs (PostgreSQL: use
    /// pg_dump, see the README). The audit key is not in it: back it up apart.
    Backup {
        /// The file to write (must not exist).
        path: std::path::PathBuf,
        #[command(flatten)]
        db: Database,
    },
    /// Restore a SQLite backup (server stopped), then verify its audit trail.
    Restore {
        /// The backup file.
        path: std::path::PathBuf,
        /// Replace an existing database file.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        db: Database,
    },
    /// Print the OpenAPI 3.1 document of the JSON API.
    Openapi,
    /// Solve a schedule instance (the body of POST /api/v1/schedule/solve) from stdin; print
    /// the answer, and the solver's time on stderr (used by bench/scheduler).
    Solve,
    /// Generate a realistic dataset.
    Demo {
        #[arg(long, default_value_t = 40)]
        patients: usize,
        #[arg(long, default_value_t = 12)]
        weeks: u32,
        #[command(flatten)]
        db: Database,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from stdin.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// Links a `patient` account to its patient record.
        #[arg(long)]
        patient_id: Option<String>,
        #[command(flatten)]
        db: Database,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check that no audit event was edited, inserted or deleted.
    Verify {
        /// An anchor printed earlier by `audit head`: also prove that nothing before it was
        /// removed (which the database alone cannot prove).
        #[arg(long)]
        anchor: Option<std::path::PathBuf>,
        #[command(flatten)]
        db: Database,
    },
    /// Print every chain's head, signed with the audit key: keep it outside the database (a
    /// ticket, an e-mail, a log service) and give it to `audit verify --anchor` later.
    Head {
        #[command(flatten)]
        db: Database,
    },
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn store_options() -> StoreOptions {
    let defaults = StoreOptions::default();
    StoreOptions {
        migration_locking: env("OPENIOP_MIGRATION_LOCKING").is_none_or(|v| v != "false"),
        max_connections: env("OPENIOP_DB_CONNECTIONS")
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(defaults.max_connections),
    }
}

fn config(addr: &SocketAddr) -> Result<Config> {
    let mut config = Config {
        // Plain HTTP is only tolerated on the loopback interface (a TLS proxy goes in front
        // of anything else); there the browser would drop a Secure cookie.
        cookie_secure: !addr.ip().is_loopback(),
        ..Config::default()
    };
    if let Some(v) = env("OPENIOP_COOKIE_SECURE") {
        config.cookie_secure = v != "false" || !addr.ip().is_loopback();
    }
    if let Some(v) = env("OPENIOP_LOCKOUT_THRESHOLD") {
        config.login.max_failures = v.parse().context("OPENIOP_LOCKOUT_THRESHOLD")?;
    }
    if let Some(v) = env("OPENIOP_LOCKOUT_MINUTES") {
        config.login.lock_for =
            time::Duration::minutes(v.parse().context("OPENIOP_LOCKOUT_MINUTES")?);
    }
    if let Some(v) = env("OPENIOP_INQUIRY_LIMIT") {
        config.inquiry_limit = v.parse().context("OPENIOP_INQUIRY_LIMIT")?;
    }
    if let Some(v) = env("OPENIOP_LOGIN_ADDRESS_LIMIT") {
        config.login.address_limit = v.parse().context("OPENIOP_LOGIN_ADDRESS_LIMIT")?;
    }
    // Behind a TLS proxy, OPENIOP_HSTS=true; with the binary's own TLS it is always on.
    config.hsts = env("OPENIOP_HSTS").is_some_and(|v| v == "true") || tls_files()?.is_some();
    if config.hsts {
        config.cookie_secure = true;
    }
    Ok(config)
}

/// `OPENIOP_TLS_CERT` and `OPENIOP_TLS_KEY` (PEM): both, or neither.
fn tls_files() -> Result<Option<(String, String)>> {
    match (env("OPENIOP_TLS_CERT"), env("OPENIOP_TLS_KEY")) {
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (None, None) => Ok(None),
        _ => bail!("set both OPENIOP_TLS_CERT and OPENIOP_TLS_KEY, or neither"),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if env("OPENIOP_LOG_FORMAT").as_deref() == Some("json") {
        builder.json().init();
    } else {
        builder.init();
    }
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("openiop: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    let key_file = env("OPENIOP_AUDIT_KEY_FILE");
    let options = store_options();
    match cli.command {
        Command::Serve { addr, db, demo } => {
            let mut store =
                setup::open_store(&db.database_url, key_file.as_deref(), true, &options).await?;
            store.check_durability().await?;
            if let Some(replica) = env("OPENIOP_READ_DATABASE_URL") {
                store = store
                    .with_report_replica(&replica, &options)
                    .await
                    .context("OPENIOP_READ_DATABASE_URL")?;
                tracing::info!("reports read from the replica");
            }
            let files = FileStore::new(setup::files_dir(
                &db.database_url,
                env("OPENIOP_FILES_DIR").as_deref(),
            ));
            let state =
                AppState::new(store.clone(), config(&addr)?, Clock::system()).with_files(files);
            let boot = Bootstrap {
                org_name: env("OPENIOP_ORG_NAME"),
                time_zone: env("OPENIOP_TIME_ZONE"),
                admin: env("OPENIOP_ADMIN"),
            };
            let org = setup::bootstrap(&state, &boot).await?;
            if demo {
                load_demo(&state, org, 40, 12).await?;
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("bind {addr}"))?;
            let bound = listener.local_addr()?;
            let tls = match tls_files()? {
                Some((cert, key)) => Some(
                    openiop_web::tls::acceptor(cert.as_ref(), key.as_ref())
                        .map_err(|e| anyhow::anyhow!("TLS: {e}"))?,
                ),
                None => None,
            };
            let scheme = if tls.is_some() { "https" } else { "http" };
            tracing::info!(%bound, scheme, "OpenIOP listening");
            println!("OpenIOP is listening on {scheme}://{bound}/");
            if !setup::has_users(&state).await? {
                println!(
                    "No accounts yet: open {scheme}://{bound}/setup to create the first admin."
                );
            }
            // After the signal, in-flight requests get a grace period; a connection that
            // never finishes does not keep the process alive.
            let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
            let signalled = stopping.clone();
            let shutdown = async move {
                shutdown_signal().await;
                signalled.notify_one();
            };
            let serving = async {
                match tls {
                    Some(acceptor) => {
                        let listener = openiop_web::tls::TlsListener::new(listener, acceptor);
                        openiop_web::serve_tls(listener, state, shutdown).await
                    }
                    None => openiop_web::serve(listener, state, shutdown).await,
                }
            };
            tokio::select! {
                served = serving => served?,
                () = async {
                    stopping.notified().await;
                    tokio::time::sleep(SHUTDOWN_GRACE).await;
                } => tracing::warn!("requests still open after the grace period; stopping"),
            }
            // Every acknowledged write is already committed; closing only tidies up.
            if tokio::time::timeout(SHUTDOWN_GRACE, store.close())
                .await
                .is_err()
            {
                tracing::warn!("database connections still busy after the grace period");
            }
            tracing::info!("stopped");
        }
        Command::Solve => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading the instance from stdin")?;
            let body: openiop_web::api::schedule::SolveBody =
                serde_json::from_str(&input).context("parsing the instance")?;
            let problem = openiop_web::api::schedule::problem_from(&body)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let started = std::time::Instant::now();
            let solution = openiop_core::schedule::solve(&problem);
            let took = started.elapsed();
            println!(
                "{}",
                serde_json::to_string(&openiop_web::api::schedule::solution_json(
                    &problem, &solution
                ))?
            );
            eprintln!("solve_seconds {:.4}", took.as_secs_f64());
        }
        Command::Backup { path, db } => {
            let store = openiop_store::Store::connect(&db.database_url, &options).await?;
            let done = store.backup_to(&path).await;
            store.close().await;
            done?;
            let migrations = openiop_store::backup::check_sqlite_copy(&path).await?;
            println!(
                "backup written to {} ({migrations} migrations, integrity ok); the audit key is not in it",
                path.display()
            );
        }
        Command::Restore { path, replace, db } => {
            let migrations = setup::restore_sqlite(&path, &db.database_url, replace).await?;
            let store = openiop_store::Store::connect(&db.database_url, &options).await?;
            store.migrate(&options).await?;
            let key_path = setup::audit_key_path(&db.database_url, key_file.as_deref());
            let key = setup::load_audit_key(&key_path, false)?;
            let verdict = openiop_store::audit::verify(&store, &key).await?;
            store.close().await;
            match verdict {
                Ok(summary) => println!(
                    "restored {} ({migrations} migrations); audit trail ok {} events (head {})",
                    path.display(),
                    summary.events,
                    summary.head_hash
                ),
                Err(broken) => {
                    println!("restored, but the audit trail is broken: {broken}");
                    return Ok(std::process::ExitCode::FAILURE);
                }
            }
        }
        Command::Openapi => {
            println!("{:#}", openiop_web::openapi_document());
        }
        Command::Migrate { db } => {
            let store = openiop_store::Store::connect(&db.database_url, &options).await?;
            store.migrate(&options).await?;
            store.close().await;
            println!("migrations applied");
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    patient_id,
                    db,
                },
        } => {
            let Some(role) = Role::parse(&role) else {
                bail!(
                    "unknown role {role:?}: use admin, clinician, case_manager, front_desk, billing or patient"
                );
            };
            let patient_id = match patient_id {
                Some(text) => {
                    Some(openiop_core::id::parse_id(&text).context("--patient-id is not an id")?)
                }
                None => None,
            };
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let store =
                setup::open_store(&db.database_url, key_file.as_deref(), true, &options).await?;
            let id = setup::add_user(&store, &username, password, role, patient_id).await?;
            store.close().await;
            println!("user {id} created");
        }
        Command::Audit {
            command: AuditCommand::Head { db },
        } => {
            let store = openiop_store::Store::connect(&db.database_url, &options).await?;
            let path = setup::audit_key_path(&db.database_url, key_file.as_deref());
            let key = setup::load_audit_key(&path, false)?;
            let verdict = openiop_store::audit::verify(&store, &key).await?;
            if let Err(broken) = verdict {
                store.close().await;
                println!("audit trail broken: {broken}");
                return Ok(std::process::ExitCode::FAILURE);
            }
            let now = openiop_store::Instant::new(time::OffsetDateTime::now_utc());
            let anchor = openiop_store::audit::anchor(&store, now).await?;
            store.close().await;
            print!("{}", anchor.to_signed_text(&key));
        }
        Command::Audit {
            command: AuditCommand::Verify { anchor, db },
        } => {
            let store = openiop_store::Store::connect(&db.database_url, &options).await?;
            let path = setup::audit_key_path(&db.database_url, key_file.as_deref());
            let key = setup::load_audit_key(&path, false)?;
            let anchor = match anchor {
                None => None,
                Some(file) => {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    match openiop_core::audit::Anchor::parse_signed(&text, &key) {
                        Ok(anchor) => Some(anchor),
                        Err(why) => {
                            store.close().await;
                            println!("anchor refused: {why}");
                            return Ok(std::process::ExitCode::FAILURE);
                        }
                    }
                }
            };
            let verdict =
                openiop_store::audit::verify_against(&store, &key, anchor.as_ref()).await?;
            store.close().await;
            match verdict {
                Ok(summary) => {
                    println!("ok {} events (head {})", summary.events, summary.head_hash)
                }
                Err(broken) => {
                    println!("audit trail broken: {broken}");
                    return Ok(std::process::ExitCode::FAILURE);
                }
            }
        }
        Command::Demo {
            patients,
            weeks,
            db,
        } => {
            let store =
                setup::open_store(&db.database_url, key_file.as_deref(), true, &options).await?;
            let state = AppState::new(store.clone(), Config::default(), Clock::system());
            let org = setup::bootstrap(&state, &Bootstrap::default()).await?;
            load_demo(&state, org, patients, weeks).await?;
            store.close().await;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn load_demo(state: &AppState, org: uuid::Uuid, patients: usize, weeks: u32) -> Result<()> {
    let terminal = std::io::stderr().is_terminal();
    let progress = move |done: usize, total: usize| {
        if terminal {
            let width = 30;
            let filled = done * width / total.max(1);
            eprint!(
                "\rdemo data [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            if done == total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    };
    match openiop_web::demo::load(state, org, patients, weeks, &progress).await? {
        Some(report) => {
            println!(
                "Demo data loaded: {} patients. Demo logins (shown once):",
                report.patients
            );
            for login in report.logins {
                println!(
                    "  {:<14} {:<20} password: {}",
                    login.role.as_str(),
                    login.username,
                    login.password
                );
            }
        }
        None => println!("Demo data not loaded: this program already has patients."),
    }
    Ok(())
}

/// How long a stopping server waits for in-flight requests, then for its connections.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
