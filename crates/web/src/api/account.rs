//! Login, logout and "who am I".

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::idempotency::CarriesSecret;
use crate::json::ApiJson;
use crate::secrets::SecretKey;
use openiop_core::totp;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    username: String,
    password: String,
    /// The current authenticator code, for users with multi-factor enabled.
    totp: Option<String>,
}

#[derive(Serialize)]
pub struct UserJson {
    pub id: Uuid,
    pub username: String,
    pub role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<Uuid>,
}

#[derive(Serialize)]
struct LoginJson {
    token: String,
    /// For browser clients that call the API with the session cookie: send it back in an
    /// `X-CSRF-Token` header on every state-changing request.
    csrf_token: String,
    user: UserJson,
}

/// `POST /api/v1/auth/login`
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginBody, false>,
) -> ApiResult<Response> {
    let done = auth::login(
        &state,
        &body.username,
        &body.password,
        body.totp.as_deref(),
        &addr.ip().to_string(),
    )
    .await?;
    let cookie = auth::session_cookie(&state, &done.cookie_token);
    let json = LoginJson {
        token: done.bearer_token,
        csrf_token: done.csrf_token,
        user: UserJson {
            id: done.user.id,
            username: done.user.username,
            role: done.user.role.as_str(),
            patient_id: done.user.patient_id,
        },
    };
    Ok(CarriesSecret(([(header::SET_COOKIE, cookie)], Json(json))).into_response())
}

/// `POST /api/v1/auth/logout`: ends the session or token used for this request.
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    caller.logout(&state).await?;
    let clear = auth::clear_session_cookie(&state);
    Ok((
        [(header::SET_COOKIE, clear)],
        axum::http::StatusCode::NO_CONTENT,
    )
        .into_response())
}

/// `GET /api/v1/auth/me`
pub async fn me(caller: Caller) -> Json<UserJson> {
    Json(UserJson {
        id: caller.user_id,
        username: caller.username,
        role: caller.role.as_str(),
        patient_id: caller.patient_id,
    })
}

#[derive(Serialize)]
pub struct MfaSetupJson {
    /// The secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// The `otpauth://` URI, for a QR code.
    pub otpauth_uri: String,
    /// The URI as a QR code (SVG), for scanning with the app.
    pub qr_svg: String,
}

/// A QR code of `text` as inline SVG (no XML declaration, so it embeds in a page).
pub fn qr_svg(text: &str) -> ApiResult<String> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ApiError::caused("drawing the QR code", e))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

/// How many recovery codes a user gets when the factor is enabled.
const RECOVERY_CODES: usize = 10;

/// The purposes of the keys derived for the second factor (`secrets::SecretKey`).
pub const TOTP_KEY: &str = "totp secret";
pub const RECOVERY_KEY: &str = "recovery code";

/// Fresh recovery codes (`xxxx-xxxx-xxxx-xxxx`, lowercase base32: 80 random bits) and their
/// keyed hashes (HMAC with a key kept outside the database).
fn recovery_codes(state: &AppState) -> ApiResult<Vec<(String, String)>> {
    let key = SecretKey::of(state, RECOVERY_KEY)?;
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            getrandom::fill(&mut bytes).map_err(|e| ApiError::caused("random bytes", e))?;
            let text = totp::base32_encode(&bytes).to_lowercase();
            let code = format!(
                "{}-{}-{}-{}",
                &text[..4],
                &text[4..8],
                &text[8..12],
                &text[12..16]
            );
            let hash = key.tag(&code)?;
            Ok((code, hash))
        })
        .collect()
}

/// `POST /api/v1/auth/mfa/setup`: a new TOTP secret for the caller, enabled by confirming a
/// first code. Refused while a confirmed factor exists (turning it off is an admin matter).
pub async fn mfa_setup(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<CarriesSecret<Json<MfaSetupJson>>> {
    Ok(CarriesSecret(Json(start_mfa(&state, &caller).await?)))
}

/// Starts setting up the second factor (API and the account page).
pub async fn start_mfa(state: &AppState, caller: &Caller) -> ApiResult<MfaSetupJson> {
    let mut conn = state.store.read().await?;
    let user =
        openiop_store::auth::find_user(&mut conn.db(), caller.organization_id, caller.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
    drop(conn);
    if user.totp.as_ref().is_some_and(|t| t.enabled) {
        return Err(openiop_core::Invalid::one(
            "",
            "multi-factor authentication is already enabled",
        )
        .into());
    }
    let mut secret = [0u8; 20];
    getrandom::fill(&mut secret).map_err(|e| ApiError::caused("random bytes", e))?;
    let now = state.now();
    let sealed = SecretKey::of(state, TOTP_KEY)?.seal(caller.user_id, &secret)?;
    let mut tx = state.store.begin().await?;
    openiop_store::auth::set_totp_secret(
        &mut tx.db(),
        caller.organization_id,
        caller.user_id,
        &sealed,
    )
    .await?;
    let event = EventBuilder::for_caller(caller)
        .action("auth.mfa.setup", format!("users/{}", caller.user_id));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    let otpauth_uri = totp::provisioning_uri("OpenIOP", &caller.username, &secret);
    Ok(MfaSetupJson {
        secret: totp::base32_encode(&secret),
        qr_svg: qr_svg(&otpauth_uri)?,
        otpauth_uri,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/auth/password`: change the caller's password (204). Other logins end.
pub async fn post_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordBody>,
) -> ApiResult<axum::http::StatusCode> {
    caller
        .change_password(&state, &body.current_password, &body.new_password)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaConfirmBody {
    totp: String,
}

/// `POST /api/v1/auth/mfa/confirm`: enables the pending factor with a first valid code.
pub async fn mfa_confirm(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<MfaConfirmBody>,
) -> ApiResult<CarriesSecret<Json<serde_json::Value>>> {
    let codes = confirm_mfa(&state, &caller, &body.totp).await?;
    Ok(CarriesSecret(Json(
        serde_json::json!({"enabled": true, "recovery_codes": codes}),
    )))
}

/// Enables the pending factor with a first code; returns the recovery codes, shown once
/// (API and the account page).
pub async fn confirm_mfa(state: &AppState, caller: &Caller, code: &str) -> ApiResult<Vec<String>> {
    let mut conn = state.store.read().await?;
    let user =
        openiop_store::auth::find_user(&mut conn.db(), caller.organization_id, caller.user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
    drop(conn);
    let Some(factor) = user.totp else {
        return Err(
            openiop_core::Invalid::one("totp", "set up multi-factor authentication first").into(),
        );
    };
    let now = state.now();
    let secret = SecretKey::of(state, TOTP_KEY)?.open(caller.user_id, &factor.stored_secret)?;
    let step = totp::verify(&secret, code, now.unix_timestamp(), factor.last_step)
        .ok_or_else(|| openiop_core::Invalid::one("totp", "is not the current code"))?;
    let codes = recovery_codes(state)?;
    let hashes: Vec<String> = codes.iter().map(|(_, h)| h.clone()).collect();
    let mut tx = state.store.begin().await?;
    openiop_store::auth::accept_totp_step(
        &mut tx.db(),
        caller.organization_id,
        caller.user_id,
        step,
    )
    .await?;
    // With a second factor, a password of 12 characters is enough.
    openiop_store::auth::set_password_change_required(
        &mut tx.db(),
        caller.organization_id,
        caller.user_id,
        false,
    )
    .await?;
    openiop_store::auth::set_recovery_codes(&mut tx.db(), caller.user_id, &hashes).await?;
    let event = EventBuilder::for_caller(caller)
        .action("auth.mfa.enable", format!("users/{}", caller.user_id))
        .detail(format!("recovery_codes={}", hashes.len()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(codes.into_iter().map(|(c, _)| c).collect())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityBody {
    pub mfa_required: bool,
}

/// Sets whether the organization requires multi-factor authentication of its staff (admin).
pub async fn set_security(state: &AppState, caller: &Caller, mfa_required: bool) -> ApiResult<()> {
    super::require(
        state,
        caller,
        openiop_core::access::Action::ManageUsers,
        "organization.security",
    )
    .await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    openiop_store::organization::set_mfa_required(
        &mut tx.db(),
        caller.organization_id,
        mfa_required,
    )
    .await?;
    let event = EventBuilder::for_caller(caller)
        .action("organization.security", "organization")
        .detail(format!("mfa_required={mfa_required}"));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /api/v1/organization/security` (admin)
pub async fn get_security(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    super::require(
        &state,
        &caller,
        openiop_core::access::Action::ManageUsers,
        "organization.security",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let required =
        openiop_store::organization::find_mfa_required(&mut conn.db(), caller.organization_id)
            .await?;
    Ok(Json(serde_json::json!({"mfa_required": required})))
}

/// `PUT /api/v1/organization/security` (admin)
pub async fn put_security(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SecurityBody>,
) -> ApiResult<Json<serde_json::Value>> {
    set_security(&state, &caller, body.mfa_required).await?;
    Ok(Json(serde_json::json!({"mfa_required": body.mfa_required})))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::POST, "/api/v1/auth/login", "Log in: a bearer token and a session cookie", post(api::account::login))
        .returns("Login")
        .public()
        .status(200)
        .body(|| {
            object(&["username", "password"], json!({"username": string(), "password": string(), "totp": string()}))
        }),
    route(M::POST, "/api/v1/auth/logout", "End this session or token", post(api::account::logout)).status(204),
    route(M::POST, "/api/v1/auth/password", "Change the caller's password (other logins end)", post(api::account::post_password))
        .status(204)
        .body(|| object(&["current_password", "new_password"], json!({"current_password": string(), "new_password": {"type": "string", "minLength": 12}}))),
    route(M::GET, "/api/v1/auth/me", "The logged-in user", get(api::account::me))
        .returns("User"),
    route(M::POST, "/api/v1/auth/mfa/setup", "Start multi-factor setup: a TOTP secret", post(api::account::mfa_setup))
        .returns("MfaSetup").status(200),
    route(M::GET, "/api/v1/organization/security", "Whether staff must use multi-factor authentication (admin)", get(api::account::get_security)),
    route(M::PUT, "/api/v1/organization/security", "Require multi-factor authentication of every staff member (admin)", put(api::account::put_security))
        .body(|| object(&["mfa_required"], json!({"mfa_required": {"type": "boolean"}}))),
    route(M::POST, "/api/v1/auth/mfa/confirm", "Enable multi-factor with a first code; answers the recovery codes, once", post(api::account::mfa_confirm))
        .status(200)
        .body(|| object(&["totp"], json!({"totp": {"type": "string", "pattern": "^[0-9]{6}$"}}))),
    ]
}
