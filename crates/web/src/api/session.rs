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
use crate::json::ApiJson;
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
    ApiJson(body): ApiJson<LoginBody>,
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
    Ok(([(header::SET_COOKIE, cookie)], Json(json)).into_response())
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
    secret: String,
    /// The `otpauth://` URI, for a QR code.
    otpauth_uri: String,
}

/// `POST /api/v1/auth/mfa/setup`: a new TOTP secret for the caller, enabled by confirming a
/// first code. Refused while a confirmed factor exists (turning it off is an admin matter).
pub async fn mfa_setup(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<MfaSetupJson>> {
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
    getrandom::fill(&mut secret).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    openiop_store::auth::set_totp_secret(&mut tx.db(), caller.user_id, &secret).await?;
    let event = EventBuilder::for_caller(&caller)
        .action("auth.mfa.setup", format!("users/{}", caller.user_id));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(Json(MfaSetupJson {
        secret: totp::base32_encode(&secret),
        otpauth_uri: totp::provisioning_uri("OpenIOP", &caller.username, &secret),
    }))
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
) -> ApiResult<Json<serde_json::Value>> {
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
    let step = totp::verify(
        &factor.secret,
        &body.totp,
        now.unix_timestamp(),
        factor.last_step,
    )
    .ok_or_else(|| openiop_core::Invalid::one("totp", "is not the current code"))?;
    let mut tx = state.store.begin().await?;
    openiop_store::auth::accept_totp_step(&mut tx.db(), caller.user_id, step).await?;
    let event = EventBuilder::for_caller(&caller)
        .action("auth.mfa.enable", format!("users/{}", caller.user_id));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(Json(serde_json::json!({"enabled": true})))
}
