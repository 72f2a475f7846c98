//! `Idempotency-Key` on the API's POSTs: a request repeated with the same key by the same
//! credential gets the first answer (marked `Idempotency-Replayed: true`), on whichever
//! instance it lands; the same key for a different request is refused (422), and a repeat
//! while the first is still running is told to retry (409). A server error forgets the key,
//! so the retry runs. Keys are forgotten after a day (a scheduled job).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use openiop_store::Instant;
use openiop_store::idempotency::{self, Begin};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// The header a client sends.
pub const HEADER: &str = "idempotency-key";

fn sha256(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// The credential a key belongs to: the bearer token or the session cookie, hashed.
fn scope(request: &Request) -> Option<String> {
    let headers = request.headers();
    let credential = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .or_else(|| crate::auth::cookie(headers, crate::auth::SESSION_COOKIE).map(str::as_bytes))?;
    Some(sha256(&[credential]))
}

fn problem(status: StatusCode, detail: &str) -> Response {
    let err = match status {
        StatusCode::CONFLICT => ApiError::Conflict(detail.to_owned()),
        _ => ApiError::Invalid(openiop_core::Invalid::one("Idempotency-Key", detail)),
    };
    let mut response = err.into_response();
    if status == StatusCode::CONFLICT {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (Some(key), Some(scope)) = (key, scope(&request)) else {
        return next.run(request).await;
    };
    if request.method() != Method::POST || !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    if key.is_empty() || key.len() > 255 || !key.is_ascii() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "must be 1 to 255 ASCII characters",
        );
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, state.config.body_limit).await else {
        return ApiError::TooLarge.into_response();
    };
    let hash = sha256(&[
        parts.method.as_str().as_bytes(),
        parts.uri.to_string().as_bytes(),
        &bytes,
    ]);
    let now = state.now();
    let begun = async {
        let mut tx = state.store.begin().await?;
        let b = idempotency::begin(
            &mut tx.db(),
            &scope,
            &key,
            &hash,
            Instant::new(now),
            Instant::new(now - crate::jobs::IDEMPOTENCY_KEPT),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, openiop_store::StoreError>(b)
    }
    .await;
    match begun {
        Err(e) => ApiError::from(e).into_response(),
        Ok(Begin::Mismatch) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "was used for a different request",
        ),
        Ok(Begin::InFlight) => problem(
            StatusCode::CONFLICT,
            "a request with this Idempotency-Key is still running; retry shortly",
        ),
        Ok(Begin::Done {
            status,
            content_type,
            body,
        }) => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            response
                .headers_mut()
                .insert("idempotency-replayed", HeaderValue::from_static("true"));
            response
        }
        Ok(Begin::New) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            keep(&state, &scope, &key, response).await
        }
    }
}

/// Stores the answer (or forgets the key after a server error) and passes it on.
async fn keep(state: &AppState, scope: &str, key: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 4 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let text = String::from_utf8(bytes.to_vec());
    let stored = async {
        let mut tx = state.store.begin().await?;
        match (&text, parts.status.is_server_error()) {
            (Ok(text), false) => {
                let ct = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                idempotency::finish(
                    &mut tx.db(),
                    scope,
                    key,
                    i32::from(parts.status.as_u16()),
                    ct,
                    text,
                )
                .await?;
            }
            _ => idempotency::abandon(&mut tx.db(), scope, key).await?,
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "an idempotency key could not be kept");
    }
    Response::from_parts(parts, Body::from(bytes))
}
