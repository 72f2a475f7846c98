//! OpenIOP persistence: one query path over SQLite and PostgreSQL.
//!
//! A [`Store`] holds either a SQLite pair of pools (one writer connection, several readers:
//! SQLite allows one writer at a time, so writes queue in the pool instead of failing with
//! `SQLITE_BUSY`) or a PostgreSQL pool. Repositories are written once against [`Db`], a
//! borrowed connection of either kind; the [`on_db!`] macro expands each query once per
//! backend, so both are type-checked by the compiler and a query cannot exist for one
//! database only. Queries use `$1` placeholders, which SQLite accepts too.

pub mod amendments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod breaches;
pub mod checkins;
pub mod clinical;
pub mod consents;
pub mod contacts;
pub mod crisis;
pub mod emergency;
pub mod files;
mod group_commit;
pub mod idempotency;
pub mod inquiries;
mod instant;
pub mod jobs;
pub mod monitoring;
pub mod notes;
pub mod organization;
pub mod patients;
pub mod plans;
pub mod records;
pub mod reports;
pub mod retention;
pub mod schedule;
mod schema_rules;
pub mod sessions;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

pub use instant::Instant;

/// Expands `$body` once per backend with `$c` bound to that backend's connection.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($c) => $body,
            $crate::Db::Postgres($c) => $body,
        }
    };
}

/// Decodes one JSON column of one row. A value that does not decode is
/// [`StoreError::Corrupt`] naming the table, the row, the column and the cause: never a
/// default.
pub fn json_column<T: serde::de::DeserializeOwned>(
    table: &str,
    row: impl std::fmt::Display,
    column: &str,
    text: &str,
) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|cause| StoreError::Corrupt(format!("{table} {row}: {column}: {cause}")))
}

/// Typed accessors for a row's JSON columns, each decoding through [`json_column`]:
/// `name: column -> Type;` for a column that is never null, `name: column? -> Type;` for one
/// that may be (the accessor then answers `Option<Type>`).
macro_rules! json_columns {
    ($row:ty, $table:literal, $id:ident, { $($(#[$doc:meta])* $name:ident: $column:ident $($nullable:literal)? -> $ty:ty;)* }) => {
        impl $row {
            $(crate::json_columns!(@one $table, $id, [$(#[$doc])*] $name, $column, [$($nullable)?], $ty);)*
        }
    };
    (@one $table:literal, $id:ident, [$(#[$doc:meta])*] $name:ident, $column:ident, [], $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&self) -> $crate::Result<$ty> {
            $crate::json_column($table, &self.$id, stringify!($column), &self.$column)
        }
    };
    (@one $table:literal, $id:ident, [$(#[$doc:meta])*] $name:ident, $column:ident, [$nullable:literal], $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&self) -> $crate::Result<Option<$ty>> {
            self.$column
                .as_deref()
                .map(|text| $crate::json_column($table, &self.$id, stringify!($column), text))
                .transpose()
        }
    };
}
pub(crate) use json_columns;

/// Typed accessors for a row's enum-like text columns (`name: column -> Type;`), each
/// decoding through the core type's `parse`: a value the core does not know is
/// [`StoreError::Corrupt`] naming the table, the row and the column, never a fallback.
macro_rules! enum_columns {
    ($row:ty, $table:literal, $($id:ident),+; { $($(#[$doc:meta])* $name:ident: $column:ident -> $ty:ty;)* }) => {
        impl $row {
            /// The row's key, as the log names it.
            fn stored_row_key(&self) -> String {
                [$(self.$id.to_string()),+].join("/")
            }

            $(
                $(#[$doc])*
                pub fn $name(&self) -> $crate::Result<$ty> {
                    <$ty>::parse(&self.$column).ok_or_else(|| {
                        let row = self.stored_row_key();
                        $crate::StoreError::Corrupt(format!(
                            "{} {row}: {}: unknown value {:?}",
                            $table,
                            stringify!($column),
                            self.$column
                        ))
                    })
                }
            )*
        }
    };
}
pub(crate) use enum_columns;

/// Storage failures, typed so the HTTP layer can map them once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (a duplicate username, site name, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A referenced row does not exist.
    #[error("not found")]
    NotFound,
    /// The audit key was not configured for a store that must write audit events.
    #[error("no audit key configured")]
    NoAuditKey,
    /// The database cannot be reached or is switching over (a failover, a restart, a primary
    /// that became a read-only replica): the same request may succeed in a moment.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("audit writer: {0}")]
    AuditWriter(String),
    /// A stored value that does not decode: an error, never a default.
    #[error("stored value does not decode: {0}")]
    Corrupt(String),
    /// The database's own files could not be created or protected.
    #[error("file: {0}")]
    Io(String),
    /// An operation this database or situation does not allow, with what to do instead.
    #[error("{0}")]
    Unsupported(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let Some(db) = err.as_database_error()
            && db.is_unique_violation()
        {
            return StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned());
        }
        if is_unavailable(&err) {
            return StoreError::Unavailable(err.to_string());
        }
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            other => StoreError::Database(other),
        }
    }
}

impl StoreError {
    /// No connection could be had: whatever the cause, the database is unavailable.
    fn unreachable(err: sqlx::Error) -> StoreError {
        StoreError::Unavailable(err.to_string())
    }
}

/// Errors that mean "not now" rather than "no": the connection failed or was cut, the server
/// is shutting down or starting up, or it is (now) a read-only replica. SQLSTATE classes and
/// codes from PostgreSQL's appendix A.
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    // admin_shutdown, crash_shutdown, cannot_connect_now,
                    // read_only_sql_transaction, too_many_connections
                    "57P01" | "57P02" | "57P03" | "25006" | "53300"
                )
        }),
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Pools {
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// Writes go through the group commit (see [`group_commit`]).
        writer: Arc<group_commit::Shared>,
    },
    Postgres(PgPool),
}

/// The database, shared by every request.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    /// A PostgreSQL replica that read-only reports read from, when one is configured.
    reports: Option<PgPool>,
    audit_key: Option<Arc<[u8]>>,
    /// The group-commit queue for read events (see [`audit`]).
    audit_queue: Option<tokio::sync::mpsc::Sender<audit::Pending>>,
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Take the database's migration lock (engines without advisory locks need `false`).
    pub migration_locking: bool,
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            migration_locking: true,
            max_connections: 8,
        }
    }
}

/// A borrowed connection of either kind; repositories take `&mut Db`.
pub enum Db<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// A pooled connection for reads.
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Conn {
    pub fn db(&mut self) -> Db<'_> {
        match self {
            Conn::Sqlite(c) => Db::Sqlite(c),
            Conn::Postgres(c) => Db::Postgres(c),
        }
    }
}

/// A write transaction. Audit events appended to it commit with its writes, or not at all.
pub struct Tx {
    inner: TxInner,
    audit_key: Option<Arc<[u8]>>,
    /// The audit chain this transaction appends to (chosen at its first event).
    audit_chain: Option<i32>,
}

enum TxInner {
    Sqlite(group_commit::Request),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn db(&mut self) -> Db<'_> {
        match &mut self.inner {
            TxInner::Sqlite(r) => match r.conn() {
                Some(c) => Db::Sqlite(c),
                // A request always holds the open transaction's connection until it commits.
                None => unreachable!("a SQLite request without its connection"),
            },
            TxInner::Postgres(t) => Db::Postgres(t),
        }
    }

    /// Commits; returns once the writes are durable (on SQLite, with the group's commit).
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(r) => r.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// The PostgreSQL pool's options. sqlx pings a connection as it comes back and again before
/// it goes out. The second ping is a round trip per use (without it the read path went from
/// 4,430 to 4,840-5,060 requests/s) but it is also what finds the connections a restarted or
/// failed-over server dropped, so the first request after an outage succeeds instead of
/// answering 503 on a dead connection: it stays.
fn pg_pool_options(options: &StoreOptions) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(options.max_connections.max(2))
}

/// A SQLite pool's options. A SQLite connection is a file handle in this process: it cannot
/// go stale, so sqlx's liveness ping before each use (a hop to the connection's thread and
/// back) buys nothing; without it the read path went from 4,520 to 6,370-7,060 requests/s.
fn sqlite_pool_options(max_connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .test_before_acquire(false)
}

/// Makes a SQLite database readable by its owner only: created mode 0600 if it is new, and
/// tightened (with its `-wal` and `-shm` files) if it exists. SQLite gives the WAL and
/// shared-memory files the database file's own mode, so they follow.
fn owner_only(path: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") {
            return Ok(());
        }
        let io = |e: std::io::Error| StoreError::Io(format!("{}: {e}", path.display()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let file = std::path::PathBuf::from(file);
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// How much of a SQLite database is read through a memory map.
const SQLITE_MMAP_BYTES: u64 = 1 << 30;
/// The SQLite writer's page cache, in KiB (allocated as pages are used).
const SQLITE_WRITER_CACHE_KIB: u64 = 64 * 1024;

impl Store {
    /// Opens (and for SQLite, creates) the database named by `url`.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        let pools = if url.starts_with("sqlite:") {
            let base = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // An acknowledged write must survive power loss: FULL syncs the WAL on commit.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            owner_only(base.get_filename())?;
            // Reads of a large database come from memory-mapped pages rather than a system
            // call per page (shared with the page cache, so it costs no private memory).
            let base = base.pragma("mmap_size", SQLITE_MMAP_BYTES.to_string());
            // The one writer keeps the upper levels of every index cached: inserts into big
            // tables with random keys (patient ids) would otherwise re-read them each time.
            let write = sqlite_pool_options(1)
                .connect_with(
                    base.clone()
                        .pragma("cache_size", format!("-{}", SQLITE_WRITER_CACHE_KIB)),
                )
                .await?;
            let read = sqlite_pool_options(options.max_connections.max(1))
                .connect_with(base.create_if_missing(false))
                .await?;
            let writer = group_commit::Shared::new(write.clone());
            Pools::Sqlite {
                write,
                read,
                writer,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let connect = PgConnectOptions::from_str(url)?;
            let pool = pg_pool_options(options)
                // While the database is down (a failover), requests wait this long for a
                // connection, then answer 503 with a Retry-After.
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(connect)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        Ok(Store {
            pools,
            reports: None,
            audit_key: None,
            audit_queue: None,
        })
    }

    /// The store whose read-only reports read from the PostgreSQL replica at `url`
    /// (`OPENIOP_READ_DATABASE_URL`). Only a PostgreSQL primary has replicas.
    pub async fn with_report_replica(mut self, url: &str, options: &StoreOptions) -> Result<Store> {
        if self.backend() != Backend::Postgres
            || !(url.starts_with("postgres:") || url.starts_with("postgresql:"))
        {
            return Err(StoreError::Unsupported(
                "a read replica is a PostgreSQL replica of a PostgreSQL primary".into(),
            ));
        }
        let pool = pg_pool_options(options)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(PgConnectOptions::from_str(url)?)
            .await?;
        self.reports = Some(pool);
        Ok(self)
    }

    /// A connection for a read-only report: the replica's when one is configured (its data
    /// may lag the primary by the replication delay), the ordinary read pool otherwise.
    pub async fn report_read(&self) -> Result<Conn> {
        match &self.reports {
            Some(pool) => Ok(Conn::Postgres(
                pool.acquire().await.map_err(StoreError::unreachable)?,
            )),
            None => self.read().await,
        }
    }

    /// How many group commits the SQLite writer has made (`None` on PostgreSQL, which commits
    /// each transaction itself).
    pub fn group_commits(&self) -> Option<u64> {
        match &self.pools {
            Pools::Sqlite { writer, .. } => Some(writer.commits()),
            Pools::Postgres(_) => None,
        }
    }

    /// Whether reports read from a replica.
    pub fn has_report_replica(&self) -> bool {
        self.reports.is_some()
    }

    /// The store that seals audit events with `key`, with its group-commit writer running
    /// (when called inside a tokio runtime; otherwise events are committed one by one).
    /// The audit key, from which the keys of secrets kept in the database are derived (the
    /// web layer's `secrets`): it lives outside the database, so a copy of the database alone
    /// opens none of them.
    pub fn audit_key(&self) -> Option<&[u8]> {
        self.audit_key.as_deref()
    }

    pub fn with_audit_key(mut self, key: Vec<u8>) -> Store {
        self.audit_key = Some(key.into());
        self.audit_queue = None;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (queue, receiver) = tokio::sync::mpsc::channel(4096);
            // The writer holds a store without the queue, so it stops when the last
            // store handle that can send to it is dropped.
            runtime.spawn(audit::run_batcher(self.clone(), receiver));
            self.audit_queue = Some(queue);
        }
        self
    }

    /// Checks that an acknowledged commit is durable: SQLite's writer syncs every commit
    /// (`synchronous=FULL`, value 2); PostgreSQL runs with `fsync` on and `synchronous_commit`
    /// not `off`. `serve` refuses to start otherwise: a process kill alone never shows the
    /// difference, a power cut does.
    pub async fn check_durability(&self) -> Result<()> {
        let fail = |what: String| {
            Err(StoreError::Unsupported(format!(
                "{what}: acknowledged writes could be lost on a crash; fix the database settings"
            )))
        };
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(write)
                    .await?;
                if level < 2 {
                    return fail(format!("SQLite synchronous is {level}, not FULL (2)"));
                }
            }
            Pools::Postgres(pool) => {
                let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(pool).await?;
                let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
                    .fetch_one(pool)
                    .await?;
                if fsync != "on" || commit == "off" {
                    return fail(format!(
                        "PostgreSQL fsync={fsync}, synchronous_commit={commit}"
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend's dialect.
    pub async fn migrate(&self, options: &StoreOptions) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                let mut m = sqlx::migrate!("migrations/sqlite");
                m.set_locking(options.migration_locking);
                m.run(write).await?;
            }
            Pools::Postgres(pool) => {
                let mut m = sqlx::migrate!("migrations/postgres");
                m.set_locking(options.migration_locking);
                m.run(pool).await?;
            }
        }
        Ok(())
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<Conn> {
        Ok(match &self.pools {
            Pools::Sqlite { read, .. } => {
                Conn::Sqlite(read.acquire().await.map_err(StoreError::unreachable)?)
            }
            Pools::Postgres(pool) => {
                Conn::Postgres(pool.acquire().await.map_err(StoreError::unreachable)?)
            }
        })
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.pools {
            Pools::Sqlite { writer, .. } => TxInner::Sqlite(writer.begin().await?),
            Pools::Postgres(pool) => {
                TxInner::Postgres(pool.begin().await.map_err(StoreError::unreachable)?)
            }
        };
        Ok(Tx {
            inner,
            audit_key: self.audit_key.clone(),
            audit_chain: None,
        })
    }

    /// Answers when the database does (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.read().await?;
        on_db!(conn.db(), |c| sqlx::query("SELECT 1")
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
        if let Some(pool) = &self.reports {
            pool.close().await;
        }
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Most bind parameters one bulk statement uses on this database. SQLite allows 32,766,
/// but binding costs grow with the square of the count there (each bind looks its
/// parameter's name up), so its statements stay short; PostgreSQL's limit is 65,535 and
/// every statement a round trip.
pub(crate) fn bulk_parameters(db: &Db<'_>) -> usize {
    match db {
        Db::Sqlite(_) => 999,
        Db::Postgres(_) => 16_000,
    }
}

/// `$first, $first+1, ...` placeholders: `rows` tuples of `columns` each, numbered from
/// `first`, for a multi-row `VALUES` list.
pub(crate) fn values_placeholders(first: usize, columns: usize, rows: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        out.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + row * columns + column).to_string());
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lost_connections_are_unavailable_not_failures() {
        use std::io::{Error, ErrorKind};
        let refused = sqlx::Error::Io(Error::new(ErrorKind::ConnectionRefused, "refused"));
        assert!(matches!(
            super::StoreError::from(refused),
            super::StoreError::Unavailable(_)
        ));
        assert!(matches!(
            super::StoreError::from(sqlx::Error::PoolTimedOut),
            super::StoreError::Unavailable(_)
        ));
        assert!(matches!(
            super::StoreError::from(sqlx::Error::RowNotFound),
            super::StoreError::NotFound
        ));
    }

    #[test]
    fn values_placeholders_number_every_row() {
        assert_eq!(super::values_placeholders(1, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(super::values_placeholders(3, 1, 1), "($3)");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(super::like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
