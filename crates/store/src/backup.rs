//! Backups. A SQLite database is copied online and consistently with `VACUUM INTO` (one read
//! transaction: a snapshot, while the server keeps writing); a PostgreSQL database is backed up
//! with `pg_dump` (the README gives the commands). A restore checks the copy before it replaces
//! anything.

use std::path::Path;

use crate::{Backend, Result, Store, StoreError};

impl Store {
    /// Writes a consistent copy of a SQLite database to `path` (which must not exist).
    pub async fn backup_to(&self, path: &Path) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Unsupported(
                "PostgreSQL is backed up with pg_dump --format=custom (see the README)".into(),
            ));
        }
        if path.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} exists; a backup never overwrites a file",
                path.display()
            )));
        }
        let target = path.to_string_lossy().into_owned();
        // The copy holds every record: the owner's alone (VACUUM INTO fills an empty file).
        crate::owner_only(path)?;
        let copied = async {
            let mut conn = self.read().await?;
            crate::on_db!(conn.db(), |c| {
                sqlx::query("VACUUM INTO $1")
                    .bind(&target)
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            Ok(())
        }
        .await;
        if copied.is_err() {
            let _ = std::fs::remove_file(path);
        }
        copied
    }
}

/// Checks that a SQLite file is an intact OpenIOP database: `PRAGMA integrity_check` is `ok`
/// and its migrations are recorded. Returns how many migrations it holds.
pub async fn check_sqlite_copy(path: &Path) -> Result<i64> {
    use sqlx::Connection;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    if verdict != "ok" {
        return Err(StoreError::Unsupported(format!(
            "{} fails its integrity check: {verdict}",
            path.display()
        )));
    }
    let migrations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| {
            StoreError::Unsupported(format!("{} is not an OpenIOP database", path.display()))
        })?;
    conn.close().await?;
    Ok(migrations)
}
