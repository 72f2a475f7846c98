//! First start: the organization, its first site, the bootstrap admin and the audit key.

use std::io::Write;
use std::path::{Path, PathBuf};

use openiop_core::access::Role;
use openiop_core::program::NewSite;
use openiop_store::auth as users;
use openiop_store::{Instant, Store, organization};
use uuid::Uuid;

use crate::AppState;
use crate::api::config::{NewAccount, insert_account};
use crate::audit_log::EventBuilder;
use crate::error::ApiError;

/// Errors of the start-up steps, for the command line to print.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Store(#[from] openiop_store::StoreError),
    #[error("audit key file {path}: {source}")]
    Key {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
}

/// Where the audit key lives: `OPENIOP_AUDIT_KEY_FILE` if set, else `openiop-audit.key`
/// beside a SQLite database file, else in the working directory.
pub fn audit_key_path(database_url: &str, explicit: Option<&str>) -> PathBuf {
    if let Some(path) = explicit.filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let name = "openiop-audit.key";
    match sqlite_file(database_url).as_deref().and_then(Path::parent) {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

/// The file of a `sqlite://FILE` URL (none for PostgreSQL or an in-memory database).
pub fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let file = rest
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or("");
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

/// Restores a SQLite backup into the database file of `database_url`, with the server
/// stopped: the copy is checked first (integrity, migrations), then written beside the target,
/// synced, and renamed over it (the old write-ahead log removed), so an interrupted restore
/// leaves either the old database or the new one. `replace` must be set when a database is
/// already there.
pub async fn restore_sqlite(
    backup: &Path,
    database_url: &str,
    replace: bool,
) -> Result<i64, SetupError> {
    let config = |m: String| SetupError::Config(m);
    let target = sqlite_file(database_url).ok_or_else(|| {
        config(
            "restore writes a SQLite file; for PostgreSQL use pg_restore (see the README)".into(),
        )
    })?;
    let migrations = openiop_store::backup::check_sqlite_copy(backup).await?;
    if target.exists() && !replace {
        return Err(config(format!(
            "{} exists: stop the server, then pass --replace to replace it",
            target.display()
        )));
    }
    let staging = target.with_extension("restoring");
    let io = |e: std::io::Error| config(format!("restore: {e}"));
    std::fs::copy(backup, &staging).map_err(io)?;
    std::fs::File::open(&staging)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let stale = PathBuf::from(format!("{}{suffix}", target.display()));
        if stale.exists() {
            std::fs::remove_file(&stale).map_err(io)?;
        }
    }
    std::fs::rename(&staging, &target).map_err(io)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(migrations)
}

/// Where attachments live: `OPENIOP_FILES_DIR` if set, else `openiop-files` beside a SQLite
/// database file, else in the working directory.
pub fn files_dir(database_url: &str, explicit: Option<&str>) -> PathBuf {
    if let Some(path) = explicit.filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    match audit_key_path(database_url, None).parent() {
        Some(dir) => dir.join("openiop-files"),
        None => PathBuf::from("openiop-files"),
    }
}

/// Reads the audit key, creating it (32 random bytes, hex, mode 0600) when `create` is set.
pub fn load_audit_key(path: &Path, create: bool) -> Result<Vec<u8>, SetupError> {
    let err = |source| SetupError::Key {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = hex::decode(text.trim()).map_err(|_| {
                err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not a hex key",
                ))
            })?;
            if key.len() < 32 {
                return Err(err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "key shorter than 32 bytes",
                )));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| err(std::io::Error::other(e.to_string())))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(path).map_err(err)?;
            file.write_all(hex::encode(key).as_bytes()).map_err(err)?;
            file.sync_all().map_err(err)?;
            Ok(key.to_vec())
        }
        Err(e) => Err(err(e)),
    }
}

/// What the first start needs to know.
#[derive(Debug, Clone, Default)]
pub struct Bootstrap {
    pub org_name: Option<String>,
    pub time_zone: Option<String>,
    /// `username:password` of an admin that must exist.
    pub admin: Option<String>,
}

/// Creates the organization and its first site when the database has none, and the
/// bootstrap admin when asked. Returns the organization id.
pub async fn bootstrap(state: &AppState, boot: &Bootstrap) -> Result<Uuid, SetupError> {
    let org_id = ensure_organization(state, boot).await?;
    if let Some(spec) = boot.admin.as_deref().filter(|s| !s.is_empty()) {
        let (username, password) = spec
            .split_once(':')
            .ok_or_else(|| SetupError::Config("OPENIOP_ADMIN must be username:password".into()))?;
        let name = openiop_core::login::normalize_username(username);
        let mut conn = state.store.read().await?;
        let existing = users::find_user_by_name(&mut conn.db(), &name).await?;
        drop(conn);
        if existing.is_none() {
            let body = crate::api::config::UserBody {
                username: username.to_owned(),
                password: password.to_owned(),
                role: "admin".into(),
                patient_id: None,
            };
            let account = crate::api::config::parse_account(&body)
                .map_err(|e| SetupError::Config(format!("OPENIOP_ADMIN: {e}")))?;
            insert_account(state, org_id, &account, EventBuilder::system(org_id)).await?;
            tracing::info!("bootstrap admin created");
        }
    }
    Ok(org_id)
}

async fn ensure_organization(state: &AppState, boot: &Bootstrap) -> Result<Uuid, SetupError> {
    let mut conn = state.store.read().await?;
    if let Some(org) = organization::first_organization(&mut conn.db()).await? {
        return Ok(org.id);
    }
    drop(conn);
    let name = boot
        .org_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "My program".into());
    let zone = boot
        .time_zone
        .clone()
        .filter(|z| !z.is_empty())
        .unwrap_or_else(|| "UTC".into());
    let site = NewSite::parse("Main site", &zone).map_err(|_| {
        SetupError::Config(format!(
            "OPENIOP_TIME_ZONE {zone:?} is not an IANA time zone"
        ))
    })?;
    let now = state.now();
    let id = openiop_core::id::new_id();
    let mut tx = state.store.begin().await?;
    organization::insert_organization(&mut tx.db(), id, name.trim(), Instant::new(now)).await?;
    let created = organization::insert_site(&mut tx.db(), id, &site, Instant::new(now)).await?;
    tx.audit(
        EventBuilder::system(id)
            .action("organization.create", format!("sites/{}", created.id))
            .build(now),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("first organization created");
    Ok(id)
}

/// Creates an account from the command line (`openiop user add`).
pub async fn add_user(
    store: &Store,
    username: &str,
    password: &str,
    role: Role,
    patient_id: Option<Uuid>,
) -> Result<Uuid, SetupError> {
    let state = AppState::new(
        store.clone(),
        crate::Config::default(),
        crate::Clock::system(),
    );
    let org = ensure_organization(&state, &Bootstrap::default()).await?;
    let body = crate::api::config::UserBody {
        username: username.to_owned(),
        password: password.to_owned(),
        role: role.as_str().to_owned(),
        patient_id: patient_id.map(|p| p.to_string()),
    };
    let account: NewAccount =
        crate::api::config::parse_account(&body).map_err(|e| SetupError::Config(e.to_string()))?;
    Ok(insert_account(&state, org, &account, EventBuilder::system(org)).await?)
}

/// Opens the database, applies migrations and loads (or, when `create_key`, creates) the
/// audit key: what both `serve` and the tests do at start.
pub async fn open_store(
    database_url: &str,
    key_file: Option<&str>,
    create_key: bool,
    options: &openiop_store::StoreOptions,
) -> Result<Store, SetupError> {
    let store = Store::connect(database_url, options).await?;
    store.migrate(options).await?;
    let key = load_audit_key(&audit_key_path(database_url, key_file), create_key)?;
    let store = store.with_audit_key(key);
    let sealed = crate::secrets::seal_stored_secrets(&store).await?;
    if sealed > 0 {
        tracing::info!(sealed, "TOTP secrets stored in plain form are now sealed");
    }
    rekey_patient_names(&store).await?;
    Ok(store)
}

/// Names are matched with NFKC and without invisible characters (`core::patient::fold`):
/// the keys stored before are recomputed once.
pub async fn rekey_patient_names(store: &Store) -> Result<(), SetupError> {
    let mut tx = store.begin().await?;
    let changed = openiop_store::patients::rekey_names(
        &mut tx.db(),
        "name_key_nfkc",
        openiop_core::patient::name_key,
        openiop_store::Instant::new(time::OffsetDateTime::now_utc()),
    )
    .await?;
    tx.commit().await?;
    if let Some(changed) = changed {
        tracing::info!(changed, "patients' name keys recomputed (NFKC)");
    }
    Ok(())
}

/// Whether any user exists (the web setup page is open only before the first).
pub async fn has_users(state: &AppState) -> Result<bool, ApiError> {
    let mut conn = state.store.read().await?;
    Ok(users::count_users(&mut conn.db()).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_lives_beside_a_sqlite_file() {
        assert_eq!(
            audit_key_path("sqlite://data/x.db", None),
            PathBuf::from("data/openiop-audit.key")
        );
        assert_eq!(
            audit_key_path("sqlite://openiop.db", None),
            PathBuf::from("openiop-audit.key")
        );
        assert_eq!(
            audit_key_path("sqlite:///var/lib/o/x.db?mode=rwc", None),
            PathBuf::from("/var/lib/o/openiop-audit.key")
        );
        assert_eq!(
            audit_key_path("postgres://h/db", None),
            PathBuf::from("openiop-audit.key")
        );
        assert_eq!(
            audit_key_path("postgres://h/db", Some("/k")),
            PathBuf::from("/k")
        );
    }
}
