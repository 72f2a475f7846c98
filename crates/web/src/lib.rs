//! OpenIOP's HTTP layer: the JSON API under `/api/v1`, the server-rendered pages, login
//! sessions and tokens, CSRF, the audit of every patient-data request, and the OpenAPI
//! document.
//!
//! Handlers are thin: parse the input, ask the access policy, call the store, render. Each
//! module lists its own routes beside its handlers (`routes()`); [`routes::table`] gathers
//! them into the one table from which the router, the OpenAPI document, the authorization
//! test matrix and the CSRF test are all built.

// The OpenAPI components (`openapi.rs`) are one `json!` literal deeper than the default limit.
#![recursion_limit = "512"]

pub mod api;
mod audit_log;
pub mod auth;
mod clock;
pub mod demo;
mod error;
pub mod html;
pub mod i18n;
pub mod idempotency;
pub mod ids;
pub mod jobs;
mod json;
mod openapi;
pub mod pages;
pub mod routes;
pub mod secrets;
pub mod setup;
mod times;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use openiop_core::login::LoginPolicy;
use openiop_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use clock::Clock;
pub use error::ApiError;
pub use openapi::build as openapi_document;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure`. Only plain-HTTP localhost may turn this off.
    pub cookie_secure: bool,
    pub login: LoginPolicy,
    /// A browser session ends after this long without a request.
    pub cookie_idle: time::Duration,
    /// An API token ends after this long without a request.
    pub bearer_idle: time::Duration,
    /// No session or token outlives this.
    pub session_max: time::Duration,
    pub request_timeout: Duration,
    /// Body limit of routes that do not set their own.
    pub body_limit: usize,
    /// Inquiries one client address may send per `inquiry_window`.
    pub inquiry_limit: u32,
    pub inquiry_window: time::Duration,
    /// Send `Strict-Transport-Security`: the app is reached over TLS only (its own, or a
    /// proxy's).
    pub hsts: bool,
    /// Run every scheduled job at this cadence instead of its own (tests).
    pub job_every: Option<time::Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cookie_secure: true,
            login: LoginPolicy::default(),
            cookie_idle: time::Duration::minutes(30),
            bearer_idle: time::Duration::hours(12),
            session_max: time::Duration::hours(12),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            inquiry_limit: 10,
            inquiry_window: time::Duration::hours(1),
            hsts: false,
            job_every: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Attachment contents.
    pub files: openiop_store::files::FileStore,
    /// This process among the instances serving the same database (scheduled jobs' claims).
    pub instance: Arc<str>,
}

impl AppState {
    pub fn new(store: Store, config: Config, clock: Clock) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            clock,
            files: openiop_store::files::FileStore::new("openiop-files"),
            instance: format!(
                "{}-{}",
                std::process::id(),
                openiop_core::id::new_id().simple()
            )
            .into(),
        }
    }

    /// The state with its attachments kept in `files`.
    pub fn with_files(mut self, files: openiop_store::files::FileStore) -> AppState {
        self.files = files;
        self
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The whole application: routes plus the layers every request passes through.
pub fn app(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let hsts = state.config.hsts.then(|| {
        header(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        )
    });
    routes::router(state.clone())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .layer(tower::util::option_layer(hsts))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.body_limit,
        ))
        .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            state.config.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(
            // Paths may carry ids, never names; queries are not logged (they may hold names).
            TraceLayer::new_for_http()
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                )
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        operation = tracing::field::Empty,
                        request_id = %id
                    )
                }),
        )
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .layer(SetSensitiveHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            header::SET_COOKIE,
        ]))
}

/// Serves over TLS until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve_tls(
    listener: tls::TlsListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // `tap_io` lends the listener axum's connect-info impl (the client's address).
    let listener = listener.tap_io(|_| {});
    let jobs = jobs::spawn(state.clone());
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    jobs.abort();
    served
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let jobs = jobs::spawn(state.clone());
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    jobs.abort();
    served
}
