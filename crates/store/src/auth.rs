//! Users, login sessions, bearer tokens and login throttles.
//!
//! Secrets are never stored: sessions and tokens are kept as the SHA-256 of their 256 random
//! bits (computed by the caller), passwords as argon2id hashes.

use openiop_core::access::Role;
use openiop_core::login::{AccountCounter, AddressWindow};
use uuid::Uuid;

use crate::{Db, Instant, Result, StoreError, on_db};

#[derive(Debug, Clone, sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    organization_id: Uuid,
    username: String,
    password_hash: String,
    role: String,
    patient_id: Option<Uuid>,
    active: bool,
    failed_logins: i32,
    locked_until: Option<Instant>,
    totp_secret: Option<String>,
    totp_enabled: bool,
    totp_last_step: Option<i64>,
    password_change_required: bool,
}

/// A staff or patient account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub patient_id: Option<Uuid>,
    pub active: bool,
    pub counter: AccountCounter,
    /// The TOTP second factor, when set up.
    pub totp: Option<Totp>,
    /// The password was found too short for the account at its last login: only the
    /// password change answers until it is changed.
    pub password_change_required: bool,
}

/// A user's TOTP second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totp {
    /// The secret as stored: sealed with a key kept outside the database (the web layer's
    /// `secrets` opens it), or plain hex from before secrets were sealed.
    pub stored_secret: String,
    /// Confirmed with a first code; only then does login require it.
    pub enabled: bool,
    pub last_step: Option<u64>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<User> {
        let role = Role::parse(&row.role).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(format!("bad role {}", row.role).into()))
        })?;
        Ok(User {
            id: row.id,
            organization_id: row.organization_id,
            username: row.username,
            password_hash: row.password_hash,
            role,
            patient_id: row.patient_id,
            active: row.active,
            counter: AccountCounter {
                failures: u32::try_from(row.failed_logins).unwrap_or(0),
                locked_until: row.locked_until.map(Instant::get),
            },
            totp: row.totp_secret.map(|stored_secret| Totp {
                stored_secret,
                enabled: row.totp_enabled,
                last_step: row.totp_last_step.and_then(|s| u64::try_from(s).ok()),
            }),
            password_change_required: row.password_change_required,
        })
    }
}

macro_rules! user_columns {
    () => {
        "id, organization_id, username, password_hash, role, patient_id, active, failed_logins, locked_until, totp_secret, totp_enabled, totp_last_step, password_change_required"
    };
}

/// A new account, already validated and hashed.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub organization_id: Uuid,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub patient_id: Option<Uuid>,
}

pub async fn insert_user(db: &mut Db<'_>, user: &NewUser<'_>, now: Instant) -> Result<Uuid> {
    let id = openiop_core::id::new_id();
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO users (id, organization_id, username, password_hash, role, patient_id, active, failed_logins, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)",
        )
        .bind(id)
        .bind(user.organization_id)
        .bind(user.username)
        .bind(user.password_hash)
        .bind(user.role.as_str())
        .bind(user.patient_id)
        .bind(true)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(id)
}

pub async fn find_user_by_name(db: &mut Db<'_>, username: &str) -> Result<Option<User>> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE username = $1"
    );
    let row = on_db!(db, |c| {
        sqlx::query_as::<_, UserRow>(sql)
            .bind(username)
            .fetch_optional(&mut **c)
            .await
    })?;
    row.map(User::try_from).transpose()
}

pub async fn find_user(db: &mut Db<'_>, organization_id: Uuid, id: Uuid) -> Result<Option<User>> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE organization_id = $1 AND id = $2"
    );
    let row = on_db!(db, |c| {
        sqlx::query_as::<_, UserRow>(sql)
            .bind(organization_id)
            .bind(id)
            .fetch_optional(&mut **c)
            .await
    })?;
    row.map(User::try_from).transpose()
}

pub async fn list_users(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<User>> {
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE organization_id = $1 ORDER BY username"
    );
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, UserRow>(sql)
            .bind(organization_id)
            .fetch_all(&mut **c)
            .await
    })?;
    rows.into_iter().map(User::try_from).collect()
}

/// How many accounts the whole database holds, in every organization: the first start asks
/// whether there is any (the setup page is open only before the first), before there is an
/// organization to ask about. The one statement on a patient-data table that names none.
pub async fn count_users(db: &mut Db<'_>) -> Result<i64> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(&mut **c)
            .await
    })?)
}

/// The failure counter of a username no account has (by its SHA-256).
pub async fn find_name_counter(db: &mut Db<'_>, name_hash: &str) -> Result<AccountCounter> {
    let row: Option<(i32, Option<Instant>)> = on_db!(db, |c| {
        sqlx::query_as(
            "SELECT failures, locked_until FROM login_name_failures WHERE name_hash = $1",
        )
        .bind(name_hash)
        .fetch_optional(&mut **c)
        .await
    })?;
    Ok(match row {
        None => AccountCounter::default(),
        Some((failures, locked_until)) => AccountCounter {
            failures: u32::try_from(failures).map_err(|_| {
                StoreError::Corrupt(format!("login_name_failures.failures = {failures}"))
            })?,
            locked_until: locked_until.map(Instant::get),
        },
    })
}

/// Stores the failure counter of a username no account has.
pub async fn set_name_counter(
    db: &mut Db<'_>,
    name_hash: &str,
    counter: AccountCounter,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO login_name_failures (name_hash, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name_hash) DO UPDATE SET failures = excluded.failures, \
             locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        )
        .bind(name_hash)
        .bind(i32::try_from(counter.failures).unwrap_or(i32::MAX))
        .bind(counter.locked_until.map(Instant::new))
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Stores an account's failure counter after an attempt.
pub async fn set_counter(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    counter: AccountCounter,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE organization_id = $4 AND id = $3")
            .bind(i32::try_from(counter.failures).unwrap_or(i32::MAX))
            .bind(counter.locked_until.map(Instant::new))
            .bind(user_id)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Marks whether an account must change its password before anything else.
pub async fn set_password_change_required(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    required: bool,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE users SET password_change_required = $1 WHERE organization_id = $3 AND id = $2",
        )
        .bind(required)
        .bind(user_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Replaces an account's password hash and clears the request to change it.
pub async fn set_password_hash(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    password_hash: &str,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE users SET password_hash = $1, password_change_required = $2 WHERE organization_id = $4 AND id = $3",
        )
        .bind(password_hash)
        .bind(false)
        .bind(user_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Ends every session and token of a user but one login (a password change keeps the
/// login that made it).
pub async fn delete_other_logins(db: &mut Db<'_>, user_id: Uuid, keep_hash: &str) -> Result<u64> {
    Ok(on_db!(db, |c| {
        sqlx::query(
            "DELETE FROM auth_sessions WHERE user_id = $1 AND csrf_token <> \
             (SELECT csrf_token FROM auth_sessions WHERE id_hash = $2)",
        )
        .bind(user_id)
        .bind(keep_hash)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?)
}

/// Stores a new, not yet confirmed TOTP secret, sealed by the caller (replacing any
/// unconfirmed one).
pub async fn set_totp_secret(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    sealed: &str,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_enabled = $2, totp_last_step = NULL WHERE organization_id = $4 AND id = $3",
        )
        .bind(sealed)
        .bind(false)
        .bind(user_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// TOTP secrets stored before secrets were sealed: `(user, organization, stored text)` of
/// every value not in the sealed form (`v1:`), in every organization (run once at start).
pub async fn list_unsealed_totp_secrets(db: &mut Db<'_>) -> Result<Vec<(Uuid, Uuid, String)>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, (Uuid, Uuid, String)>(
            "SELECT id, organization_id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'v1:%'",
        )
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Replaces a stored TOTP secret by its sealed form, keeping its state (enabled, last step).
pub async fn reseal_totp_secret(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    sealed: &str,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE users SET totp_secret = $1 WHERE organization_id = $3 AND id = $2")
            .bind(sealed)
            .bind(user_id)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records an accepted TOTP step, enabling the factor if it was pending.
pub async fn accept_totp_step(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    step: u64,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE users SET totp_enabled = $1, totp_last_step = $2 WHERE organization_id = $4 AND id = $3")
            .bind(true)
            .bind(i64::try_from(step).unwrap_or(i64::MAX))
            .bind(user_id)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Reads an address's attempt window.
pub async fn find_address_window(db: &mut Db<'_>, address: &str) -> Result<Option<AddressWindow>> {
    let row: Option<(Instant, i32)> = on_db!(db, |c| {
        sqlx::query_as("SELECT window_start, attempts FROM login_throttle WHERE address = $1")
            .bind(address)
            .fetch_optional(&mut **c)
            .await
    })?;
    Ok(row.map(|(start, attempts)| AddressWindow {
        window_start: start.get(),
        attempts: u32::try_from(attempts).unwrap_or(0),
    }))
}

/// Stores an address's attempt window (insert or replace).
pub async fn set_address_window(db: &mut Db<'_>, address: &str, w: AddressWindow) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO login_throttle (address, window_start, attempts) VALUES ($1, $2, $3) \
             ON CONFLICT (address) DO UPDATE SET window_start = excluded.window_start, attempts = excluded.attempts",
        )
        .bind(address)
        .bind(Instant::new(w.window_start))
        .bind(i32::try_from(w.attempts).unwrap_or(i32::MAX))
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Whether a session is a browser's cookie session or an API bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Cookie,
    Bearer,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// A live session joined with its user.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub csrf_token: String,
    pub last_seen_at: Instant,
    pub expires_at: Instant,
    /// The user's organization requires multi-factor authentication.
    pub mfa_required: bool,
}

pub async fn insert_login_session(
    db: &mut Db<'_>,
    id_hash: &str,
    user_id: Uuid,
    kind: SessionKind,
    csrf_token: &str,
    now: Instant,
    expires_at: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO auth_sessions (id_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf_token: String,
    last_seen_at: Instant,
    expires_at: Instant,
    mfa_required: bool,
}

/// The session with this hash and kind, with its user, if it exists.
pub async fn find_login_session(
    db: &mut Db<'_>,
    id_hash: &str,
    kind: SessionKind,
) -> Result<Option<SessionUser>> {
    let sql = "SELECT u.id, u.organization_id, u.username, u.password_hash, u.role, u.patient_id, u.active, \
               u.failed_logins, u.locked_until, u.totp_secret, u.totp_enabled, u.totp_last_step, u.password_change_required, s.csrf_token, s.last_seen_at, s.expires_at, o.mfa_required \
               FROM auth_sessions s JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.organization_id \
               WHERE s.id_hash = $1 AND s.kind = $2";
    let row = on_db!(db, |c| {
        sqlx::query_as::<_, SessionRow>(sql)
            .bind(id_hash)
            .bind(kind.as_str())
            .fetch_optional(&mut **c)
            .await
    })?;
    row.map(|r| {
        Ok(SessionUser {
            user: User::try_from(r.user)?,
            csrf_token: r.csrf_token,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            mfa_required: r.mfa_required,
        })
    })
    .transpose()
}

pub async fn touch_login_session(db: &mut Db<'_>, id_hash: &str, now: Instant) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE auth_sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Ends one session or token (it expired; its twin of the same login keeps its own clock).
pub async fn delete_login_session(db: &mut Db<'_>, id_hash: &str) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("DELETE FROM auth_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Ends a login: the session or token `id_hash` names and its twin from the same login (a
/// login makes a browser session and an API token that share their CSRF token, 256 random
/// bits of their own), so logging out with either ends both.
pub async fn delete_login(db: &mut Db<'_>, id_hash: &str) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "DELETE FROM auth_sessions WHERE id_hash = $1 OR (csrf_token, user_id) IN \
             (SELECT csrf_token, user_id FROM auth_sessions WHERE id_hash = $1)",
        )
        .bind(id_hash)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Ends every session and token of a user (an admin's revocation); how many ended.
pub async fn delete_login_sessions_of(db: &mut Db<'_>, user_id: Uuid) -> Result<u64> {
    Ok(on_db!(db, |c| {
        sqlx::query("DELETE FROM auth_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?)
}

/// Removes sessions idle since before `idle_before` or past their absolute expiry.
pub async fn delete_stale_login_sessions(
    db: &mut Db<'_>,
    kind: SessionKind,
    idle_before: Instant,
    now: Instant,
) -> Result<u64> {
    let done = on_db!(db, |c| {
        sqlx::query(
            "DELETE FROM auth_sessions WHERE kind = $1 AND (last_seen_at < $2 OR expires_at <= $3)",
        )
        .bind(kind.as_str())
        .bind(idle_before)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done)
}

/// Replaces a user's recovery codes with these (SHA-256 hashes).
pub async fn set_recovery_codes(db: &mut Db<'_>, user_id: Uuid, hashes: &[String]) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    for hash in hashes {
        on_db!(db, |c| {
            sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Uses up one recovery code; false when it is not the user's or was used.
pub async fn use_recovery_code(
    db: &mut Db<'_>,
    user_id: Uuid,
    hash: &str,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .bind(hash)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// How many unused recovery codes a user has left.
pub async fn count_recovery_codes_left(db: &mut Db<'_>, user_id: Uuid) -> Result<i64> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&mut **c)
        .await
    })?)
}
