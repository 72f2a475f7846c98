//! The CSRF guard of every page form a logged-in user submits.
//!
//! The router puts [`require_form_token`] in front of each page `POST` whose reach is
//! [`Reach::User`](crate::routes::Reach::User), so no handler checks the token by hand and
//! none can forget to. It runs before anything of the request is read: first the session
//! (no session: to the login page), then the form's `csrf` field against the session's
//! token (a forged or missing one: 403, with nothing read, looked up or changed), and only
//! then the handler with its path ids and fields. The caller it authenticated is handed to
//! the handler's [`PageCaller`](super::PageCaller), which does not authenticate again.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{PageCaller, PageError};
use crate::AppState;
use crate::error::ApiError;
use crate::idempotency::Authenticated;

/// Lets a page form through only with the session's CSRF token.
pub async fn require_form_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match PageCaller::from_request_parts(&mut parts, &state).await {
        Ok(PageCaller(caller)) => caller,
        Err(refused) => return refused.into_response(),
    };
    let Ok(bytes) = to_bytes(body, state.config.body_limit).await else {
        return PageError(ApiError::TooLarge).into_response();
    };
    let token = std::str::from_utf8(&bytes)
        .map(crate::json::form_pairs)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .find(|(name, _)| name == "csrf")
        .map(|(_, value)| value)
        .unwrap_or_default();
    if let Err(refused) = caller.check_csrf(&token) {
        return PageError(refused).into_response();
    }
    parts.extensions.insert(Authenticated(caller));
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
