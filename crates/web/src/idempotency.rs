//! `Idempotency-Key` on the API's POSTs: a request repeated with the same key by the same
//! credential gets the first answer (marked `Idempotency-Replayed: true`), on whichever
//! instance it lands; the same key for a different request is refused (422), and a repeat
//! while the first is still running is told to retry (409). A server error forgets the key,
//! so the retry runs. Keys are forgotten after a day (a scheduled job).
//!
//! A replay is a request like any other: the credential must still be valid (a key outlives
//! no logout), and it is audited as the original was (the patients it named, recorded again
//! for this request). Answers that carry secrets (`CarriesSecret`: tokens, TOTP secrets,
//! recovery codes, calendar-feed links) and answers that set a cookie are never kept.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use openiop_store::Instant;
use openiop_store::idempotency::{self, Begin};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::audit_log::{EventBuilder, NAMED, Named};
use crate::auth::Caller;
use crate::error::ApiError;

/// The caller this layer authenticated (with the same gates as the `Caller` extractor, for
/// the same request), left in the request's extensions for the handler.
#[derive(Clone)]
pub(crate) struct Authenticated(pub(crate) Caller);

/// Marks an answer that must not be kept for replay.
#[derive(Debug, Clone, Copy)]
struct NotKept;

/// An answer carrying a secret: sent once, never stored by the idempotency layer.
pub struct CarriesSecret<T>(pub T);

impl<T: IntoResponse> IntoResponse for CarriesSecret<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.extensions_mut().insert(NotKept);
        response
    }
}

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
    let (mut parts, body) = request.into_parts();
    // Only a request whose credential holds now takes part: anything else runs as if it had
    // no key (a protected route answers 401 itself; a public one keeps nothing).
    let Ok(caller) = <Caller as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    // The handler's own extractor takes this caller instead of authenticating again.
    parts.extensions.insert(Authenticated(caller.clone()));
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
            audit,
        }) => {
            if let Err(e) = audit_replay(&state, &caller, audit.as_deref()).await {
                return e.into_response();
            }
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
            let request = Request::from_parts(parts, Body::from(bytes));
            let (response, named) = NAMED
                .scope(std::cell::RefCell::new(Vec::new()), async {
                    let response = next.run(request).await;
                    (response, NAMED.with(|n| n.take()))
                })
                .await;
            keep(&state, &scope, &key, response, &named).await
        }
    }
}

/// Records, for this replay, the accesses to patients the original request recorded.
async fn audit_replay(
    state: &AppState,
    caller: &Caller,
    audit: Option<&str>,
) -> Result<(), ApiError> {
    let named: Vec<Named> = match audit {
        None => Vec::new(),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| ApiError::caused("a kept answer's audit does not decode", e))?,
    };
    let now = state.now();
    let events = named
        .into_iter()
        .map(|n| {
            EventBuilder::for_caller(caller)
                .action(&n.action, n.resource)
                .patient(n.patient)
                .detail("idempotent replay")
                .build(now)
        })
        .collect();
    Ok(state.store.record(events).await?)
}

/// Stores the answer (or forgets the key after a server error) and passes it on.
async fn keep(
    state: &AppState,
    scope: &str,
    key: &str,
    response: Response,
    named: &[Named],
) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 4 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let text = String::from_utf8(bytes.to_vec());
    let secret = parts.extensions.get::<NotKept>().is_some()
        || parts.headers.contains_key(header::SET_COOKIE);
    let audit = serde_json::to_string(named);
    let stored = async {
        let mut tx = state.store.begin().await?;
        match (&text, &audit, parts.status.is_server_error() || secret) {
            (Ok(text), Ok(audit), false) => {
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
                    audit,
                )
                .await?;
            }
            _ => idempotency::abandon(&mut tx.db(), scope, key).await?,
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = stored {
        tracing::warn!(cause = %crate::error::chain(&e), "an idempotency key could not be kept");
    }
    Response::from_parts(parts, Body::from(bytes))
}
