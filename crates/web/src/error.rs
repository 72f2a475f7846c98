//! One error type for the whole HTTP layer and its single mapping to responses:
//! `application/problem+json` (RFC 9457) for the API, friendly HTML pages for the web UI.

use std::any::Any;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openiop_core::{FieldError, Invalid};
use openiop_store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    /// The password was right but the second factor is missing or wrong.
    #[error("multi-factor code required")]
    MfaRequired,
    #[error("forbidden")]
    Forbidden,
    /// The organization requires multi-factor authentication and this staff member has not
    /// set it up: only the set-up routes answer until they do.
    #[error("multi-factor enrolment required")]
    MfaEnrollmentRequired,
    /// The password is too short for an account without a second factor: only the password
    /// change (or setting up the factor) answers until it is changed.
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// An upload refused for what it is (415), with what is wrong, in words for the sender.
    #[error("refused upload: {0}")]
    RefusedUpload(String),
    /// A multipart body that could not be read (400), or one that is not multipart (415).
    #[error("unreadable upload: {0}")]
    MalformedUpload(String),
    #[error("not multipart")]
    NotMultipart,
    #[error("request body too large")]
    TooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("conflict")]
    Conflict(String),
    /// A booking that clashes with one already made (a clinician, a room or a patient
    /// booked twice): 409, each clash named with the field it concerns.
    #[error("double booking")]
    DoubleBooked(Invalid),
    /// The database is unreachable or switching over: 503 with a Retry-After; nothing was
    /// done, so the request is safe to repeat.
    #[error("service unavailable")]
    Unavailable { retry_after: u64 },
    /// A failure on our side: what was being done and the error that stopped it, for the
    /// log (with the request's operation and ids from its span); the client is told only
    /// that something went wrong.
    #[error("internal error")]
    Internal(Failure),
}

/// What went wrong inside: the step that failed and, when there is one, the error that
/// caused it with its own chain of causes. Logged, never sent.
#[derive(Debug)]
pub struct Failure {
    step: std::borrow::Cow<'static, str>,
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Failure {
    /// The failing step and every cause below it, `step: cause: cause of the cause`.
    pub fn chain(&self) -> String {
        match &self.cause {
            Some(cause) => format!("{}: {}", self.step, chain(cause.as_ref())),
            None => self.step.to_string(),
        }
    }

    /// Logs the failure in the current span (the request's: its operation and path ids).
    pub fn log(&self, what: &str) {
        tracing::error!(cause = %self.chain(), "{what}");
    }
}

/// An error and every cause below it, `error: cause: cause of the cause`, for the log. A
/// cause whose text its error already wrote out (`database: {0}`) is not written twice.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        next = cause.source();
    }
    text
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.chain())
    }
}

impl ApiError {
    /// A failure on our side with no underlying error (a rule of our own found broken).
    pub fn internal(step: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
        ApiError::Internal(Failure {
            step: step.into(),
            cause: None,
        })
    }

    /// A failure on our side caused by `cause`, which is kept whole for the log.
    pub fn caused(
        step: impl Into<std::borrow::Cow<'static, str>>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> ApiError {
        ApiError::Internal(Failure {
            step: step.into(),
            cause: Some(Box::new(cause)),
        })
    }
}

/// What a client is told to wait before retrying while the database is unavailable (a
/// failover takes seconds).
pub const RETRY_UNAVAILABLE_SECONDS: u64 = 2;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::Unavailable {
                    retry_after: RETRY_UNAVAILABLE_SECONDS,
                }
            }
            other => ApiError::caused("the store", other),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa_enrollment_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_change_required: Option<bool>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated | ApiError::BadCredentials | ApiError::MfaRequired => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden
            | ApiError::Csrf
            | ApiError::MfaEnrollmentRequired
            | ApiError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType
            | ApiError::RefusedUpload(_)
            | ApiError::NotMultipart => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MalformedUpload(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict(_) | ApiError::DoubleBooked(_) => StatusCode::CONFLICT,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a person is told. Internal causes are logged, never sent.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Unauthenticated => "Log in, or send a valid bearer token.".into(),
            ApiError::BadCredentials => "Wrong username or password.".into(),
            ApiError::MfaRequired => "Enter the current code from your authenticator app.".into(),
            ApiError::Forbidden => "Your role may not see or change this.".into(),
            ApiError::MfaEnrollmentRequired => {
                "Your program requires multi-factor authentication: \
                set it up (POST /api/v1/auth/mfa/setup, then /confirm) before anything else."
                    .into()
            }
            ApiError::PasswordChangeRequired => {
                "Your password is shorter than 15 characters and is your only factor: change it \
                (POST /api/v1/auth/password), or set up a second factor, before anything else."
                    .into()
            }
            ApiError::NotFound => "Nothing here, or nothing you may see.".into(),
            ApiError::Invalid(_) => "Some fields are not valid; see errors.".into(),
            ApiError::MalformedJson(why) => format!("The body is not valid JSON: {why}"),
            ApiError::UnsupportedMediaType => "Send the body as application/json.".into(),
            ApiError::RefusedUpload(why) => why.clone(),
            ApiError::MalformedUpload(why) => format!("The upload could not be read: {why}"),
            ApiError::NotMultipart => {
                "Send the form as multipart/form-data (text fields and files as parts).".into()
            }
            ApiError::TooLarge => "The request body is larger than this route accepts.".into(),
            ApiError::TooManyRequests { retry_after } => {
                format!("Too many attempts; try again in {retry_after} seconds.")
            }
            ApiError::Csrf => {
                "The form expired or came from elsewhere; reload and try again.".into()
            }
            ApiError::Conflict(_) => "This conflicts with an existing record.".into(),
            ApiError::DoubleBooked(clashes) => clashes
                .0
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Unavailable { retry_after } => format!(
                "The database is unavailable for a moment (a switch-over or a restart); \
                nothing was changed. Try again in {retry_after} seconds."
            ),
            ApiError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Invalid(invalid) | ApiError::DoubleBooked(invalid) => &invalid.0,
            _ => &[],
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(failure) = &self {
            failure.log("request failed");
        }
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.detail(),
            errors: self.field_errors(),
            mfa_required: matches!(self, ApiError::MfaRequired).then_some(true),
            mfa_enrollment_required: matches!(self, ApiError::MfaEnrollmentRequired)
                .then_some(true),
            password_change_required: matches!(self, ApiError::PasswordChangeRequired)
                .then_some(true),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyRequests { retry_after } | ApiError::Unavailable { retry_after } =
            self
            && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        // Refused before its body was read, the request leaves the connection unusable: say
        // so, and the client's next attempt opens a new one instead of writing into a
        // closed socket.
        if matches!(self, ApiError::Unavailable { .. }) {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A panic in a handler is a bug: answer 500 problem+json, log without the payload.
pub(crate) fn panic_response(_payload: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::internal("a handler panicked").into_response()
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("database: {0}")]
    struct Database(#[source] std::io::Error);

    #[test]
    fn a_failure_keeps_its_whole_chain_for_the_log_and_tells_the_client_nothing() {
        let cause = Outer(std::io::Error::other("disk full at /var/lib/openiop"));
        let err = ApiError::caused("writing attachment 7", cause);
        let ApiError::Internal(failure) = &err else {
            panic!("not internal: {err:?}");
        };
        assert_eq!(
            failure.chain(),
            "writing attachment 7: outer: disk full at /var/lib/openiop"
        );
        let store = ApiError::from(StoreError::Corrupt("notes 42: kind: unknown".into()));
        let ApiError::Internal(failure) = &store else {
            panic!("not internal: {store:?}");
        };
        assert_eq!(
            failure.chain(),
            "the store: stored value does not decode: notes 42: kind: unknown"
        );
        // An error that writes its source into its own text is not written twice.
        let database = Database(std::io::Error::other("pool timed out"));
        assert_eq!(chain(&database), "database: pool timed out");
        for err in [err, store] {
            let detail = err.detail();
            assert!(
                !detail.contains("disk") && !detail.contains("notes 42"),
                "{detail}"
            );
        }
    }
}
