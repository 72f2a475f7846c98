//! Login, logout and "who am I".

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::ApiResult;
use crate::json::ApiJson;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    username: String,
    password: String,
    /// Accepted for the multi-factor contract; no user has multi-factor enrolled yet.
    #[allow(dead_code)]
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
