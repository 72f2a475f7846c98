//! Server-rendered pages. They call the same operations as the API (so the same policy and
//! audit apply) and render askama templates checked at compile time.

pub mod account;
pub mod admissions;
pub mod audit;
pub mod care_plans;
pub mod chart;
pub mod clinical;
pub mod config;
pub mod crisis;
pub mod emergency;
mod form_guard;
pub mod monitoring;
pub mod notes;
pub mod patients;
pub mod placement;
pub mod privacy;
pub mod public;
pub mod records;
pub mod schedule;
pub mod treatment_plan;

pub use form_guard::require_form_token;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use openiop_core::FieldError;
use openiop_core::access::{Action, may};
use openiop_store::patients::Reach;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::ApiError;

/// What the page frame shows about the user.
pub struct Chrome {
    pub username: String,
    pub role_label: &'static str,
    pub csrf: String,
    pub is_admin: bool,
    pub is_staff: bool,
    /// A patient's own record, for the portal's links.
    pub patient_id: Option<String>,
}

impl Chrome {
    pub fn of(caller: &Caller) -> Chrome {
        Chrome {
            username: caller.username.clone(),
            role_label: caller.role.label(),
            csrf: caller.csrf_token.clone(),
            is_admin: may(caller.role, Action::Configure),
            is_staff: caller.role.is_staff(),
            patient_id: caller.patient_id.map(|id| id.to_string()),
        }
    }
}

/// The caller of a page; without a session the browser goes to the login page.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        // Already authenticated, with these same checks, by the form guard.
        if let Some(crate::idempotency::Authenticated(caller)) = parts.extensions.get() {
            return Ok(PageCaller(caller.clone()));
        }
        // Pages only honour the browser session; forms carry their own CSRF token.
        if auth::cookie(&parts.headers, auth::SESSION_COOKIE).is_none() {
            return Err(PageError(ApiError::Unauthenticated));
        }
        parts.headers.remove(header::AUTHORIZATION);
        let caller = auth::authenticate(parts, state).await?;
        auth::account_gate(&caller, parts.uri.path())?;
        Ok(PageCaller(caller))
    }
}

/// A submitted form: `application/x-www-form-urlencoded` pairs, in order.
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name).to_owned()).filter(|v| !v.trim().is_empty())
    }
}

/// Reads a form's pairs, without judging their text.
async fn read_form<S: Send + Sync>(req: Request, state: &S) -> Result<FormData, PageError> {
    let bytes = Bytes::from_request(req, state).await.map_err(|r| {
        PageError(if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::MalformedJson("unreadable form".into())
        })
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| PageError(ApiError::MalformedJson("form is not UTF-8".into())))?;
    Ok(FormData(crate::json::form_pairs(text)))
}

/// Every form's text passes `core::text`'s rule (a 422 page naming the field), as the API's.
impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let form = read_form(req, state).await?;
        crate::json::check_pairs(&form.0).map_err(|e| PageError(e.into()))?;
        Ok(form)
    }
}

/// The login form, whose refused text is a wrong credential like any other (`auth::login`
/// checks it and answers as for an unknown user).
pub struct LoginForm(pub FormData);

impl<S: Send + Sync> FromRequest<S> for LoginForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        read_form(req, state).await.map(LoginForm)
    }
}

/// An error on a page: rendered as a friendly page, or a trip to the login page.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<openiop_store::StoreError> for PageError {
    fn from(e: openiop_store::StoreError) -> Self {
        PageError(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    heading: &'static str,
    message: String,
    errors: Vec<FieldError>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let err = self.0;
        if matches!(err, ApiError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        if matches!(err, ApiError::MfaEnrollmentRequired) {
            return Redirect::to("/account/security").into_response();
        }
        if matches!(err, ApiError::PasswordChangeRequired) {
            return Redirect::to("/account/password").into_response();
        }
        if let ApiError::Internal(failure) = &err {
            failure.log("page failed");
        }
        let status = err.status();
        let heading = match status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "Not available to your role",
            StatusCode::TOO_MANY_REQUESTS => "Please wait",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let page = ErrorPage {
            status: status.as_u16(),
            heading,
            message: err.detail(),
            errors: err.field_errors().to_vec(),
        };
        let mut response = (status, render(&page)).into_response();
        if let ApiError::TooManyRequests { retry_after } = err
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

pub type PageResult = Result<Response, PageError>;

/// Renders a template; a rendering failure is a 500 page, never a panic.
/// The field errors a form shows for a refused submission: the input's own, or a conflict
/// (named `conflict_field`); any other error is an error page.
pub fn form_errors(err: ApiError, conflict_field: &str) -> Result<Vec<FieldError>, ApiError> {
    match err {
        ApiError::Invalid(invalid) => Ok(invalid.0),
        ApiError::Conflict(why) => Ok(vec![FieldError {
            field: conflict_field.to_owned(),
            message: why,
        }]),
        other => Err(other),
    }
}

/// Answers a form: the page again with `message` when the action worked, or with the field
/// errors and 422 when it was refused. `page` builds the page from a message and errors.
pub async fn answer_form<T, P, F, Fut>(
    outcome: Result<T, ApiError>,
    message: &str,
    page: F,
) -> PageResult
where
    P: Template,
    F: FnOnce(String, Vec<FieldError>) -> Fut,
    Fut: std::future::Future<Output = Result<P, ApiError>>,
{
    match outcome {
        Ok(_) => Ok(render(&page(message.to_owned(), Vec::new()).await?)),
        Err(err) => {
            let errors = form_errors(err, "")?;
            let p = page(String::new(), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
    }
}

pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(%err, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>Something went wrong</h1>".to_owned()),
            )
                .into_response()
        }
    }
}

/// The fallback: a 404 page for browsers, problem+json under `/api/`.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::NotFound.into_response()
    } else {
        PageError(ApiError::NotFound).into_response()
    }
}

const HTMX: &[u8] = include_bytes!("../../static/htmx-2.0.11.min.js");
const CSS: &[u8] = include_bytes!("../../static/app.css");

/// `GET /static/{file}`: assets embedded in the binary (no CDN).
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "htmx-2.0.11.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "app.css" => (CSS, "text/css; charset=utf-8"),
        _ => return not_found(axum::http::Uri::from_static("/static")).await,
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    patients: Vec<patients::Row>,
    my_patients_label: &'static str,
    alerts: Vec<(uuid::Uuid, String, String)>,
    /// Attendance that needs someone's attention: missed the last two sessions, or below
    /// target last week.
    attention: Vec<(uuid::Uuid, String, String)>,
    attention_week: String,
    today: Vec<schedule::SessionRow>,
    /// Sessions whose note is not signed within 24 h: link, what, hours since the end.
    unsigned: Vec<(String, String, i64)>,
    /// Treatment plans in force whose review is overdue: link, patient, due date.
    overdue_reviews: Vec<(String, String, String)>,
    /// Repeated measures overdue: link, patient, instrument, due date.
    overdue_measures: Vec<(String, String, String, String)>,
    /// The user's notifications: id, link, patient, message, when, read.
    notifications: Vec<(uuid::Uuid, String, String, String, String, bool)>,
    /// Open placement reviews: link, patient, reason.
    reviews: Vec<(String, String, String)>,
}

/// `GET /`: the dashboard: my patients (today's sessions arrive with the schedule).
pub async fn home(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    if caller.role.is_patient() {
        let Some(id) = caller.patient_id else {
            return Err(ApiError::NotFound.into());
        };
        return Ok(Redirect::to(&format!("/patients/{id}")).into_response());
    }
    let query = crate::api::patients::SearchQuery {
        limit: Some("20".into()),
        ..Default::default()
    };
    let (found, _) = crate::api::patients::search(&state, &caller, &query).await?;
    let rows = patients::rows(&state, &caller, found).await?;
    let label = match Reach::of(caller.role, caller.user_id, caller.patient_id) {
        Reach::RelatedTo(_) => "My patients (care team and groups)",
        Reach::CareTeamOf(_) => "My patients (care team)",
        _ => "Patients",
    };
    // Open crisis alerts come first: they need someone to act today.
    let open = crate::api::instruments::open_alerts(&state, &caller).await?;
    let ids: Vec<uuid::Uuid> = open.iter().map(|a| a.patient_id).collect();
    let mut conn = state.store.read().await?;
    let patients =
        openiop_store::patients::find_patients(&mut conn.db(), caller.organization_id, &ids)
            .await?;
    drop(conn);
    let alerts = open
        .iter()
        .filter_map(|a| {
            let p = patients.iter().find(|p| p.id == a.patient_id)?;
            Some(a.flags().map(|flags| {
                (
                    p.id,
                    format!("{} {}", p.given_name, p.family_name),
                    flags.join(", ").replace('_', " "),
                )
            }))
        })
        .collect::<Result<_, _>>()?;
    let view = crate::api::attendance::program_view(&state, &caller, None).await?;
    let mut ids: Vec<uuid::Uuid> = view.missed_two_in_a_row.clone();
    ids.extend(view.below_target.iter().map(|b| b.patient_id));
    let names = schedule::names(&state, &caller, &ids).await?;
    let name = |p: &uuid::Uuid| names.get(p).cloned().unwrap_or_default();
    let mut attention: Vec<(uuid::Uuid, String, String)> = view
        .missed_two_in_a_row
        .iter()
        .map(|p| (*p, name(p), "missed the last two sessions".to_owned()))
        .collect();
    attention.extend(view.below_target.iter().map(|b| {
        (
            b.patient_id,
            name(&b.patient_id),
            format!("{:.1} h of {:.1} h last week", b.hours, b.target_hours),
        )
    }));
    crate::api::audit_named(&state, &caller, "program.attendance", "dashboard", &ids).await?;
    let unsigned = if may(caller.role, Action::WorkClinicalQueues) {
        let zone = schedule::home_zone(&state, &caller).await?;
        crate::api::notes::unsigned(&state, &caller)
            .await?
            .into_iter()
            .map(|u| {
                let link = match u.patient_id {
                    Some(p) => format!("/patients/{p}/notes"),
                    None => format!("/sessions/{}/group-note", u.session_id),
                };
                let when = time::OffsetDateTime::parse(
                    &u.starts_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .map(|at| openiop_core::attendance::local_label(at, &zone))
                .unwrap_or_default();
                (link, format!("{when} {}", u.title), u.hours_since)
            })
            .collect()
    } else {
        Vec::new()
    };
    let overdue = crate::api::treatment_plans::overdue(&state, &caller).await?;
    let ids: Vec<uuid::Uuid> = overdue.iter().map(|o| o.patient_id).collect();
    let names = schedule::names(&state, &caller, &ids).await?;
    let overdue_reviews = overdue
        .into_iter()
        .map(|o| {
            (
                format!(
                    "/patients/{}/episodes/{}/treatment-plan",
                    o.patient_id, o.episode_id
                ),
                names.get(&o.patient_id).cloned().unwrap_or_default(),
                o.review_due_on,
            )
        })
        .collect();
    let due = crate::api::measures::overdue(&state, &caller).await?;
    let ids: Vec<uuid::Uuid> = due.iter().map(|d| d.patient_id).collect();
    let names = schedule::names(&state, &caller, &ids).await?;
    let overdue_measures = due
        .into_iter()
        .map(|d| {
            (
                format!("/patients/{}/assessments/new?code={}", d.patient_id, d.code),
                names.get(&d.patient_id).cloned().unwrap_or_default(),
                openiop_core::instrument::find(&d.code)
                    .map(|i| i.name.to_owned())
                    .unwrap_or(d.code),
                d.due_on,
            )
        })
        .collect();
    let notes = crate::api::crisis::notifications(&state, &caller).await?;
    let open_reviews = crate::api::crisis::open_reviews(&state, &caller).await?;
    let ids: Vec<uuid::Uuid> = notes
        .iter()
        .filter_map(|n| n.patient_id)
        .chain(open_reviews.iter().map(|r| r.patient_id))
        .collect();
    let names = schedule::names(&state, &caller, &ids).await?;
    let name_of =
        |p: Option<uuid::Uuid>| p.and_then(|p| names.get(&p).cloned()).unwrap_or_default();
    let notifications = notes
        .into_iter()
        .map(|n| {
            (
                n.id,
                n.link,
                name_of(n.patient_id),
                n.message,
                n.created_at,
                n.read,
            )
        })
        .collect();
    let reviews = open_reviews
        .into_iter()
        .map(|r| {
            (
                format!(
                    "/patients/{}/episodes/{}/placement",
                    r.patient_id, r.episode_id
                ),
                name_of(Some(r.patient_id)),
                r.reason,
            )
        })
        .collect();
    Ok(render(&HomePage {
        chrome: Chrome::of(&caller),
        patients: rows,
        my_patients_label: label,
        alerts,
        attention,
        attention_week: view.week,
        today: schedule::today(&state, &caller).await?,
        unsigned,
        overdue_reviews,
        overdue_measures,
        notifications,
        reviews,
    }))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/static/{file}", "Embedded CSS and scripts", get(pages::asset)).public(),
    route(M::GET, "/", "Home dashboard", get(pages::home)).many_patients(),
    ]
}
