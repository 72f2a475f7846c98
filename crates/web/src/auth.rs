//! Who is calling: passwords, login throttling, browser sessions, bearer tokens and CSRF.
//!
//! Browser sessions and API tokens are both 256 random bits, kept in the database only as
//! their SHA-256 (a fast hash is right for high-entropy secrets; a slow password hash on
//! every request would be a denial of service). Sessions live in the database, so any
//! number of app instances share them, as they share the login throttles.

use std::net::SocketAddr;
use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openiop_core::access::Role;
use openiop_core::audit::Outcome;
use openiop_core::login::{Gate, retry_after_seconds};
use openiop_store::auth::{self as users, SessionKind, User};
use openiop_store::{Instant, organization};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::error::ApiError;
use crate::secrets::SecretKey;

pub const SESSION_COOKIE: &str = "openiop_session";
pub const LOGIN_CSRF_COOKIE: &str = "openiop_login";

/// How a caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Bearer,
}

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub username: String,
    pub role: Role,
    pub patient_id: Option<Uuid>,
    pub csrf_token: String,
    pub via: Via,
    pub client_addr: String,
    session_hash: String,
    /// The organization requires multi-factor authentication and this user has none yet.
    pub mfa_pending: bool,
    /// The password is too short for the account's factors (found at login).
    pub password_change_pending: bool,
}

impl Caller {
    /// Checks a form's CSRF token against the session's (constant time).
    pub fn check_csrf(&self, token: &str) -> Result<(), ApiError> {
        if self.via == Via::Bearer {
            return Ok(());
        }
        if bool::from(token.as_bytes().ct_eq(self.csrf_token.as_bytes())) && !token.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Csrf)
        }
    }

    /// Ends this session.
    /// Changes the caller's password: the current one proves it is them, the new one must
    /// meet the rules for the account's factors. Every other login of the account ends;
    /// this one stays. Audited.
    pub async fn change_password(
        &self,
        state: &AppState,
        current: &str,
        new: &str,
    ) -> Result<(), ApiError> {
        let mut conn = state.store.read().await?;
        let user = users::find_user(&mut conn.db(), self.organization_id, self.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        drop(conn);
        let mut check = openiop_core::validate::Check::new();
        if !verify_password(current, Some(&user.password_hash)).await {
            check.fail("current_password", "is not your current password");
        }
        let second_factor = user.totp.as_ref().is_some_and(|t| t.enabled);
        openiop_core::password::check_password(
            &mut check,
            "new_password",
            new,
            Some(&user.username),
            second_factor,
        );
        if new == current {
            check.fail("new_password", "must differ from the current password");
        }
        check.finish(|| Some(()))?;
        let hash = hash_password(new).await?;
        let now = state.now();
        let mut tx = state.store.begin().await?;
        users::set_password_hash(&mut tx.db(), user.organization_id, user.id, &hash).await?;
        let ended = users::delete_other_logins(&mut tx.db(), user.id, &self.session_hash).await?;
        let event = EventBuilder::for_caller(self)
            .action("auth.password.change", format!("users/{}", user.id))
            .detail(format!("other_sessions_ended={ended}"));
        tx.audit(event.build(now)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn logout(&self, state: &AppState) -> Result<(), ApiError> {
        let mut tx = state.store.begin().await?;
        users::delete_login(&mut tx.db(), &self.session_hash).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The client's address as seen by this server.
pub fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// 256 random bits, URL-safe, and their SHA-256 for storage.
pub fn new_secret() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::caused("random bytes", e))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_secret(&token);
    Ok((token, hash))
}

pub fn hash_secret(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (off the async threads: it is deliberately slow).
pub async fn hash_password(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| ApiError::caused("random bytes", e))?;
        Argon2::default()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(format!("hash: {e}")))
    })
    .await
    .map_err(|e| ApiError::caused("the password hashing task", e))?
}

pub(crate) async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let password = password.to_owned();
    // An unknown user is checked against a dummy hash so both answers take as long.
    let hash = match hash {
        Some(h) => h.to_owned(),
        None => DUMMY
            .get_or_init(|| {
                Argon2::default()
                    .hash_password_with_salt(b"openiop-dummy-password", b"openiop-dummy-salt")
                    .map(|h| h.to_string())
                    .unwrap_or_default()
            })
            .clone(),
    };
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// Whose failed logins are counted: an account, or a submitted name no account has (counted
/// alike, so the lockout tells no username apart).
enum Counted {
    /// A known account: its id and its organization.
    Account(Uuid, Uuid),
    Name(String),
}

/// Refuses an attempt while its counter is locked: 429, audited as `locked`.
async fn refuse_if_locked(
    state: &AppState,
    counter: openiop_core::login::AccountCounter,
    event: Option<EventBuilder>,
    now: time::OffsetDateTime,
) -> Result<(), ApiError> {
    let Gate::Closed { retry_after } = state.config.login.account_gate(counter, now) else {
        return Ok(());
    };
    let locked = event.map(|e| e.outcome(Outcome::Denied).detail("locked").build(now));
    state.store.record(locked.into_iter().collect()).await?;
    Err(ApiError::TooManyRequests {
        retry_after: retry_after_seconds(retry_after),
    })
}

/// Counts a failed attempt (the lock starts on the last allowed failure) and audits it with
/// `detail`, or with whether it locked the counter.
async fn count_failure(
    state: &AppState,
    counted: &Counted,
    counter: openiop_core::login::AccountCounter,
    event: Option<EventBuilder>,
    detail: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<(), ApiError> {
    let counter = state.config.login.after_failure(counter, now);
    let mut tx = state.store.begin().await?;
    match counted {
        Counted::Account(user, organization) => {
            users::set_counter(&mut tx.db(), *organization, *user, counter).await?
        }
        Counted::Name(hash) => {
            users::set_name_counter(&mut tx.db(), hash, counter, Instant::new(now)).await?
        }
    }
    let detail = detail.unwrap_or(if counter.locked_until.is_some() {
        "locked now"
    } else {
        ""
    });
    if let Some(event) = event {
        tx.audit(event.outcome(Outcome::Denied).detail(detail).build(now))
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A successful login: the user and the secrets to hand back.
pub struct LoggedIn {
    pub user: User,
    pub cookie_token: String,
    pub bearer_token: String,
    pub csrf_token: String,
}

/// Checks credentials under the throttle and lockout rules and opens a browser session and
/// an API token. Unknown users and wrong passwords fail identically.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    totp: Option<&str>,
    client: &str,
) -> Result<LoggedIn, ApiError> {
    let policy = state.config.login;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let window = users::find_address_window(&mut tx.db(), client).await?;
    let (gate, window) = policy.address_attempt(window, now);
    users::set_address_window(&mut tx.db(), client, window).await?;
    tx.commit().await?;
    if let Gate::Closed { retry_after } = gate {
        return Err(ApiError::TooManyRequests {
            retry_after: retry_after_seconds(retry_after),
        });
    }

    // Text no account can hold (control characters; PostgreSQL cannot even compare a NUL)
    // is a wrong credential, answered as for an unknown user.
    let refused = [("username", username), ("password", password)]
        .into_iter()
        .chain(totp.map(|t| ("totp", t)))
        .any(|(field, value)| openiop_core::text::check(field, value).is_err());
    let name = openiop_core::login::normalize_username(username);
    let mut conn = state.store.read().await?;
    let user = if refused {
        None
    } else {
        users::find_user_by_name(&mut conn.db(), &name).await?
    };
    let fallback_org = organization::first_organization(&mut conn.db()).await?;
    drop(conn);
    let Some(user) = user.filter(|u| u.active) else {
        // A name no account has is counted like an account, so it reaches the same lockout
        // after the same tries: the answers tell no username apart.
        let name_hash = hash_secret(&name);
        let mut conn = state.store.read().await?;
        let counter = users::find_name_counter(&mut conn.db(), &name_hash).await?;
        drop(conn);
        let event = fallback_org
            .map(|org| EventBuilder::anonymous(org.id, client).action("auth.login", "auth/login"));
        refuse_if_locked(state, counter, event.clone(), now).await?;
        verify_password(password, None).await;
        count_failure(state, &Counted::Name(name_hash), counter, event, None, now).await?;
        return Err(ApiError::BadCredentials);
    };
    let event = EventBuilder::for_user(&user, client).action("auth.login", "auth/login");
    let counted = Counted::Account(user.id, user.organization_id);
    refuse_if_locked(state, user.counter, Some(event.clone()), now).await?;
    if !verify_password(password, Some(&user.password_hash)).await {
        count_failure(state, &counted, user.counter, Some(event), None, now).await?;
        return Err(ApiError::BadCredentials);
    }
    // The second factor, when enabled: a missing code asks for one (not a failure); a wrong
    // or replayed code counts as a failed attempt, so codes cannot be guessed either.
    let mut accepted_step = None;
    if let Some(factor) = user.totp.as_ref().filter(|t| t.enabled) {
        let Some(code) = totp.filter(|c| !c.trim().is_empty()) else {
            let asked = event
                .clone()
                .outcome(Outcome::Denied)
                .detail("mfa required");
            state.store.record(vec![asked.build(now)]).await?;
            return Err(ApiError::MfaRequired);
        };
        let code = code.trim();
        let is_totp = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let verified = if is_totp {
            let secret = SecretKey::of(state, crate::api::account::TOTP_KEY)?
                .open(user.id, &factor.stored_secret)?;
            openiop_core::totp::verify(&secret, code, now.unix_timestamp(), factor.last_step)
                .map(Some)
        } else {
            // A single-use recovery code (`xxxx-xxxx`), for a lost authenticator.
            let mut tx = state.store.begin().await?;
            let code = code.to_lowercase();
            // Codes given before they were keyed (`xxxx-xxxx`) are stored as plain SHA-256.
            let hash = if code.len() == 9 {
                hash_secret(&code)
            } else {
                SecretKey::of(state, crate::api::account::RECOVERY_KEY)?.tag(&code)?
            };
            let used =
                users::use_recovery_code(&mut tx.db(), user.id, &hash, Instant::new(now)).await?;
            tx.commit().await?;
            used.then_some(None)
        };
        match verified {
            Some(step) => accepted_step = step,
            None => {
                let detail = Some("wrong mfa code");
                count_failure(state, &counted, user.counter, Some(event), detail, now).await?;
                return Err(ApiError::MfaRequired);
            }
        }
    }
    let (cookie_token, cookie_hash) = new_secret()?;
    let (bearer_token, bearer_hash) = new_secret()?;
    let (csrf, _) = new_secret()?;
    let at = Instant::new(now);
    let expires = Instant::new(now + state.config.session_max);
    let mut tx = state.store.begin().await?;
    // Logins are rare next to requests: a good moment to sweep out expired sessions.
    for (kind, idle) in [
        (SessionKind::Cookie, state.config.cookie_idle),
        (SessionKind::Bearer, state.config.bearer_idle),
    ] {
        users::delete_stale_login_sessions(&mut tx.db(), kind, Instant::new(now - idle), at)
            .await?;
    }
    users::set_counter(
        &mut tx.db(),
        user.organization_id,
        user.id,
        Default::default(),
    )
    .await?;
    if let Some(step) = accepted_step {
        users::accept_totp_step(&mut tx.db(), user.organization_id, user.id, step).await?;
    }
    // NIST SP 800-63B-4: a password that is the only factor needs 15 characters; a shorter
    // one (allowed before) must be changed before anything else.
    let second_factor = user.totp.as_ref().is_some_and(|t| t.enabled);
    let must_change = openiop_core::password::needs_change(password, second_factor);
    if must_change != user.password_change_required {
        users::set_password_change_required(
            &mut tx.db(),
            user.organization_id,
            user.id,
            must_change,
        )
        .await?;
    }
    for (hash, kind) in [
        (&cookie_hash, SessionKind::Cookie),
        (&bearer_hash, SessionKind::Bearer),
    ] {
        users::insert_login_session(&mut tx.db(), hash, user.id, kind, &csrf, at, expires).await?;
    }
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(LoggedIn {
        user,
        cookie_token,
        bearer_token,
        csrf_token: csrf,
    })
}

/// The `Set-Cookie` value of a session.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> String {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// A cookie's value from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Finds the caller of a request from its bearer token or session cookie.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let (token, kind, via) = match bearer {
        Some(token) => (token, SessionKind::Bearer, Via::Bearer),
        None => match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) => (token, SessionKind::Cookie, Via::Cookie),
            None => return Err(ApiError::Unauthenticated),
        },
    };
    if token.is_empty() || token.len() > 100 {
        return Err(ApiError::Unauthenticated);
    }
    let hash = hash_secret(token);
    let now = state.now();
    let mut conn = state.store.read().await?;
    let found = users::find_login_session(&mut conn.db(), &hash, kind).await?;
    drop(conn);
    let Some(session) = found else {
        return Err(ApiError::Unauthenticated);
    };
    let idle = match kind {
        SessionKind::Cookie => state.config.cookie_idle,
        SessionKind::Bearer => state.config.bearer_idle,
    };
    let last_seen = session.last_seen_at.get();
    if now - last_seen > idle || now >= session.expires_at.get() || !session.user.active {
        let mut tx = state.store.begin().await?;
        users::delete_login_session(&mut tx.db(), &hash).await?;
        tx.commit().await?;
        return Err(ApiError::Unauthenticated);
    }
    if now - last_seen > time::Duration::seconds(60) {
        let mut tx = state.store.begin().await?;
        users::touch_login_session(&mut tx.db(), &hash, Instant::new(now)).await?;
        tx.commit().await?;
    }
    let user = session.user;
    let mfa_pending = session.mfa_required
        && user.role.is_staff()
        && !user.totp.as_ref().is_some_and(|t| t.enabled);
    Ok(Caller {
        mfa_pending,
        password_change_pending: user.password_change_required,
        user_id: user.id,
        organization_id: user.organization_id,
        username: user.username,
        role: user.role,
        patient_id: user.patient_id,
        csrf_token: session.csrf_token,
        via,
        client_addr: client_addr(parts),
        session_hash: hash,
    })
}

/// Routes a staff member who must still set up multi-factor authentication may use.
const MFA_ENROLMENT_PATHS: [&str; 7] = [
    "/api/v1/auth/mfa/setup",
    "/api/v1/auth/mfa/confirm",
    "/api/v1/auth/me",
    "/api/v1/auth/logout",
    "/account/security",
    "/account/security/setup",
    "/account/security/confirm",
];

/// What an account must do before anything else: a staff member whose organization requires
/// a second factor sets it up; an account whose password is too short for its factors
/// changes it (or sets up the factor). Everything else is refused until then (logging out
/// stays open).
pub fn account_gate(caller: &Caller, path: &str) -> Result<(), ApiError> {
    let open = path == "/logout" || MFA_ENROLMENT_PATHS.contains(&path);
    if caller.mfa_pending && !open {
        return Err(ApiError::MfaEnrollmentRequired);
    }
    // A password too short for a single factor: change it, or add the factor.
    if caller.password_change_pending && !open && !PASSWORD_CHANGE_PATHS.contains(&path) {
        return Err(ApiError::PasswordChangeRequired);
    }
    Ok(())
}

/// What answers while a password change is required (besides the second factor's set-up).
const PASSWORD_CHANGE_PATHS: [&str; 2] = ["/api/v1/auth/password", "/account/password"];

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already authenticated, with these same checks, by the idempotency layer.
        if let Some(crate::idempotency::Authenticated(caller)) = parts.extensions.get() {
            return Ok(caller.clone());
        }
        let caller = authenticate(parts, state).await?;
        account_gate(&caller, parts.uri.path())?;
        // A browser calling the JSON API with its cookie must prove the page is ours.
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if caller.via == Via::Cookie && !safe {
            let token = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            caller.check_csrf(token)?;
        }
        Ok(caller)
    }
}
