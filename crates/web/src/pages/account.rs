//! Login, logout and the first-run setup page.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;

use super::{FormData, LoginForm, PageCaller, PageError, PageResult, render};
use crate::AppState;
use crate::api::config::{UserBody, insert_account, parse_account};
use crate::audit_log::EventBuilder;
use crate::auth::{self, LOGIN_CSRF_COOKIE};
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    username: String,
    message: Option<String>,
    setup_open: bool,
}

fn login_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!("{LOGIN_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// Renders the login form with a fresh pre-session CSRF token (double-submit cookie).
fn login_form(
    state: &AppState,
    status: StatusCode,
    username: &str,
    message: Option<String>,
    setup_open: bool,
) -> PageResult {
    let (token, _) = auth::new_secret()?;
    let page = LoginPage {
        csrf: token.clone(),
        username: username.to_owned(),
        message,
        setup_open,
    };
    let mut response = (status, render(&page)).into_response();
    if let Ok(v) = login_cookie(state, &token).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

fn login_csrf_ok(headers: &HeaderMap, form: &FormData) -> bool {
    let cookie = auth::cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let field = form.get("csrf");
    !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(field.as_bytes()))
}

/// `GET /login`
pub async fn login_page(State(state): State<AppState>) -> PageResult {
    let setup_open = !crate::setup::has_users(&state).await?;
    login_form(&state, StatusCode::OK, "", None, setup_open)
}

/// `POST /login`: a new session (the id is always fresh: rotated at every login).
pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    LoginForm(form): LoginForm,
) -> PageResult {
    let username = form.get("username").to_owned();
    if !login_csrf_ok(&headers, &form) {
        let message = "The form expired; please try again.".to_owned();
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            &username,
            Some(message),
            false,
        );
    }
    match auth::login(
        &state,
        &username,
        form.get("password"),
        form.optional("totp").as_deref(),
        &addr.ip().to_string(),
    )
    .await
    {
        Ok(done) => {
            let mut response = Redirect::to("/").into_response();
            let headers = response.headers_mut();
            if let Ok(v) = auth::session_cookie(&state, &done.cookie_token).parse() {
                headers.append(header::SET_COOKIE, v);
            }
            if let Ok(v) = format!("{LOGIN_CSRF_COOKIE}=; Path=/; Max-Age=0").parse() {
                headers.append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(
            err @ (ApiError::BadCredentials
            | ApiError::MfaRequired
            | ApiError::TooManyRequests { .. }),
        ) => {
            let status = err.status();
            login_form(&state, status, &username, Some(err.detail()), false)
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /logout`
pub async fn logout(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    caller.logout(&state).await?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(v) = auth::clear_session_cookie(&state).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf: String,
    username: String,
    errors: Vec<openiop_core::FieldError>,
}

impl SetupPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn setup_form(
    state: &AppState,
    status: StatusCode,
    username: &str,
    errors: Vec<openiop_core::FieldError>,
) -> PageResult {
    let (token, _) = auth::new_secret()?;
    let page = SetupPage {
        csrf: token.clone(),
        username: username.to_owned(),
        errors,
    };
    let mut response = (status, render(&page)).into_response();
    if let Ok(v) = login_cookie(state, &token).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `GET /setup`: only while no user exists (a clinic without `OPENIOP_ADMIN` starts here).
pub async fn setup_page(State(state): State<AppState>) -> PageResult {
    if crate::setup::has_users(&state).await? {
        return Err(PageError(ApiError::NotFound));
    }
    setup_form(&state, StatusCode::OK, "", Vec::new())
}

/// `POST /setup`: creates the first admin, then sends them to log in.
pub async fn setup_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    if crate::setup::has_users(&state).await? {
        return Err(PageError(ApiError::NotFound));
    }
    if !login_csrf_ok(&headers, &form) {
        return Err(PageError(ApiError::Csrf));
    }
    let username = form.get("username").to_owned();
    let body = UserBody {
        username: username.clone(),
        password: form.get("password").to_owned(),
        role: "admin".into(),
        patient_id: None,
    };
    let account = match parse_account(&body) {
        Ok(a) => a,
        Err(invalid) => {
            return setup_form(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &username,
                invalid.0,
            );
        }
    };
    let org = crate::setup::bootstrap(&state, &crate::setup::Bootstrap::default())
        .await
        .map_err(|e| PageError(ApiError::caused("setting up the organization", e)))?;
    insert_account(&state, org, &account, EventBuilder::system(org)).await?;
    Ok(Redirect::to("/login").into_response())
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    chrome: super::Chrome,
    enabled: bool,
    required: bool,
    codes_left: i64,
    /// While setting up: the secret and its QR code.
    setup: Option<crate::api::account::MfaSetupJson>,
    /// Right after enabling: the recovery codes, shown this once.
    recovery_codes: Vec<String>,
    errors: Vec<openiop_core::FieldError>,
}

async fn security_page(
    state: &AppState,
    caller: &auth::Caller,
    setup: Option<crate::api::account::MfaSetupJson>,
    recovery_codes: Vec<String>,
    errors: Vec<openiop_core::FieldError>,
) -> Result<SecurityPage, ApiError> {
    let mut conn = state.store.read().await?;
    let user =
        openiop_store::auth::find_user(&mut conn.db(), caller.organization_id, caller.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
    let codes_left =
        openiop_store::auth::count_recovery_codes_left(&mut conn.db(), user.id).await?;
    let required =
        openiop_store::organization::find_mfa_required(&mut conn.db(), caller.organization_id)
            .await?;
    Ok(SecurityPage {
        chrome: super::Chrome::of(caller),
        enabled: user.totp.as_ref().is_some_and(|t| t.enabled),
        required: required && caller.role.is_staff(),
        codes_left,
        setup,
        recovery_codes,
        errors,
    })
}

/// `GET /account/security`: the caller's second factor.
pub async fn security(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    Ok(render(
        &security_page(&state, &caller, None, Vec::new(), Vec::new()).await?,
    ))
}

/// `POST /account/security/setup` (form): a new secret and its QR code.
pub async fn security_setup(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    let setup = crate::api::account::start_mfa(&state, &caller).await?;
    Ok(render(
        &security_page(&state, &caller, Some(setup), Vec::new(), Vec::new()).await?,
    ))
}

/// `POST /account/security/confirm` (form): enable with a first code; show the recovery
/// codes once.
pub async fn security_confirm(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    match crate::api::account::confirm_mfa(&state, &caller, form.get("totp").trim()).await {
        Ok(codes) => Ok(render(
            &security_page(&state, &caller, None, codes, Vec::new()).await?,
        )),
        Err(ApiError::Invalid(invalid)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&security_page(&state, &caller, None, Vec::new(), invalid.0).await?),
        )
            .into_response()),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: super::Chrome,
    /// The account must change its password before anything else.
    required: bool,
    changed: bool,
    min: usize,
    errors: Vec<openiop_core::FieldError>,
}

async fn password_form(
    state: &AppState,
    caller: &auth::Caller,
    changed: bool,
    errors: Vec<openiop_core::FieldError>,
) -> Result<PasswordPage, ApiError> {
    let mut conn = state.store.read().await?;
    let user =
        openiop_store::auth::find_user(&mut conn.db(), caller.organization_id, caller.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
    drop(conn);
    Ok(PasswordPage {
        chrome: super::Chrome::of(caller),
        required: user.password_change_required,
        changed,
        min: openiop_core::password::minimum(user.totp.as_ref().is_some_and(|t| t.enabled)),
        errors,
    })
}

/// `GET /account/password`: change my password.
pub async fn password_page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    Ok(render(
        &password_form(&state, &caller, false, Vec::new()).await?,
    ))
}

/// `POST /account/password` (form).
pub async fn password_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    match caller
        .change_password(
            &state,
            form.get("current_password"),
            form.get("new_password"),
        )
        .await
    {
        Ok(()) => Ok(render(
            &password_form(&state, &caller, true, Vec::new()).await?,
        )),
        Err(ApiError::Invalid(invalid)) => {
            let mut response = render(&password_form(&state, &caller, false, invalid.0).await?);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/login", "Login page", get(pages::account::login_page)).public(),
    route(M::POST, "/login", "Log in (form)", post(pages::account::login_submit)).public(),
    route(M::POST, "/logout", "Log out (form)", post(pages::account::logout)),
    route(M::GET, "/setup", "First-run setup: create the first admin", get(pages::account::setup_page)).public(),
    route(M::POST, "/setup", "First-run setup (form)", post(pages::account::setup_submit)).public(),
    route(M::GET, "/account/security", "My multi-factor authentication", get(pages::account::security)),
    route(M::GET, "/account/password", "Change my password", get(pages::account::password_page)),
    route(M::POST, "/account/password", "Change my password (form)", post(pages::account::password_submit)),
    route(M::POST, "/account/security/setup", "Start multi-factor set-up: a QR code (form)", post(pages::account::security_setup)),
    route(M::POST, "/account/security/confirm", "Enable multi-factor with a first code (form)", post(pages::account::security_confirm)),
    ]
}
