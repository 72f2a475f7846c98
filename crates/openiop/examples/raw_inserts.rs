//! Bench reference for the write path (bench/run): the fastest plain way to make one small
//! durable write per operation on the same database, with the same settings OpenIOP uses
//! (SQLite: WAL, `synchronous=FULL`, one writer connection; PostgreSQL: its defaults), from
//! the same number of concurrent writers. Each operation is its own transaction: insert one
//! row, commit. Prints operations per second.
//!
//! `cargo run --release --example raw_inserts -- URL WRITERS SECONDS`

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, at BIGINT NOT NULL, payload TEXT NOT NULL)";
const INSERT: &str = "INSERT INTO bench_raw (id, at, payload) VALUES ($1, $2, $3)";

/// Spawns the writers on `$pool` (either database's pool; the loop is the same).
macro_rules! spawn_writers {
    ($pool:ident, $writers:ident, $deadline:ident, $done:ident, $tasks:ident) => {
        for w in 0..$writers {
            let (pool, done) = ($pool.clone(), $done.clone());
            $tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < $deadline {
                    let mut tx = pool.begin().await?;
                    sqlx::query(INSERT)
                        .bind(format!("{w}-{n}-{}", uuid::Uuid::now_v7()))
                        .bind(n as i64)
                        .bind("raw insert reference")
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    n += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, sqlx::Error>(())
            }));
        }
    };
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "sqlite://raw.db".into());
    let writers: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(5);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::query(TABLE).execute(&pool).await?;
        spawn_writers!(pool, writers, deadline, done, tasks);
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(u32::try_from(writers).unwrap_or(64))
            .connect_with(PgConnectOptions::from_str(&url)?)
            .await?;
        sqlx::query(TABLE).execute(&pool).await?;
        spawn_writers!(pool, writers, deadline, done, tasks);
    }
    for task in tasks {
        task.await??;
    }
    println!(
        "{:.0}",
        done.load(Ordering::Relaxed) as f64 / seconds as f64
    );
    Ok(())
}
