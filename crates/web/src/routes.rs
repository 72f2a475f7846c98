//! The route table: every route of the application in one list.
//!
//! Each module of `api` and `pages` declares its routes beside its handlers (its `routes()`);
//! [`table`] gathers them. The router, the OpenAPI document, the authorization test matrix
//! and the CSRF test are all built from [`table`], so a route cannot exist without being
//! documented and tested.

use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;
use serde_json::{Value, json};

use crate::{AppState, pages};

/// What each module's `routes()` needs to write its entries.
pub(crate) mod prelude {
    pub(crate) use super::{object, route, string};
    pub(crate) use crate::{api, openapi, pages};
    pub(crate) use axum::http::Method as M;
    pub(crate) use axum::routing::{delete, get, post, put};
    pub(crate) use serde_json::json;
}

/// Who may reach a route without logging in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// No login needed.
    Public,
    /// A logged-in user (the access policy decides the rest).
    User,
}

/// One route.
pub struct Route {
    pub method: Method,
    /// axum path syntax, e.g. `/api/v1/patients/{id}`.
    pub path: &'static str,
    pub summary: &'static str,
    pub reach: Reach,
    /// The JSON body schema, for routes that take one.
    pub body: Option<fn() -> Value>,
    /// The success status.
    pub success: u16,
    /// The success response's schema (usually a `$ref` to a component).
    pub response: Option<&'static str>,
    /// Whether the response is a list page of `response` items.
    pub list: bool,
    /// The body is `multipart/form-data` (documented by hand in the OpenAPI builder).
    pub multipart: bool,
    /// Query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
    /// The route names or acts on many patients at once (lists, searches, bulk writes): it
    /// must ask the policy for each, and its test (`tests/http/bulk.rs`) runs it as a
    /// clinician beside a patient they may not see.
    pub many_patients: bool,
    pub handler: MethodRouter<AppState>,
}

pub(crate) fn route(
    method: Method,
    path: &'static str,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> Route {
    let success = if method == Method::POST && path.starts_with("/api/") {
        201
    } else {
        200
    };
    Route {
        method,
        path,
        summary,
        reach: Reach::User,
        body: None,
        success,
        query: &[],
        many_patients: false,
        multipart: false,
        response: None,
        list: false,
        handler,
    }
}

impl Route {
    pub(crate) fn public(mut self) -> Self {
        self.reach = Reach::Public;
        self
    }

    /// The JSON body is `T`: its schema is derived from the type the handler parses
    /// (`schemars`), so the document cannot drift from it.
    pub(crate) fn body_of<T: schemars::JsonSchema>(self) -> Self {
        self.body(schema_of::<T>)
    }

    pub(crate) fn body(mut self, schema: fn() -> Value) -> Self {
        self.body = Some(schema);
        self
    }

    /// The success response is one `component`.
    pub(crate) fn returns(mut self, component: &'static str) -> Self {
        self.response = Some(component);
        self
    }

    /// The success response is a list page of `component`.
    pub(crate) fn lists(mut self, component: &'static str) -> Self {
        self.response = Some(component);
        self.list = true;
        self
    }

    pub(crate) fn multipart(mut self) -> Self {
        self.multipart = true;
        self
    }

    pub(crate) fn query(mut self, params: &'static [(&'static str, &'static str)]) -> Self {
        self.query = params;
        self
    }

    pub(crate) fn many_patients(mut self) -> Self {
        self.many_patients = true;
        self
    }

    pub(crate) fn status(mut self, status: u16) -> Self {
        self.success = status;
        self
    }

    /// Whether this route belongs to the JSON API.
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }

    /// A page form of a logged-in user: it passes the CSRF guard.
    pub fn is_user_form(&self) -> bool {
        self.method == Method::POST && !self.is_api() && self.reach == Reach::User
    }
}

/// The JSON Schema (2020-12, as OpenAPI 3.1 uses) of a type, inline: derived from the
/// serde type itself, its doc comments as descriptions, `deny_unknown_fields` as
/// `additionalProperties: false`.
pub(crate) fn schema_of<T: schemars::JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.remove("title");
    }
    schema
}

/// The names of a clinic enum, for a derived schema's `enum` (`#[schemars(extend(...))]`).
pub(crate) fn names<T: Copy, const N: usize>(
    all: [T; N],
    name: fn(T) -> &'static str,
) -> Vec<&'static str> {
    all.iter().map(|t| name(*t)).collect()
}

pub(crate) fn string() -> Value {
    json!({"type": "string"})
}

pub(crate) fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

/// Every route of the application.
pub fn table() -> Vec<Route> {
    [
        crate::api::routes(),
        crate::openapi::routes(),
        crate::api::account::routes(),
        crate::api::config::routes(),
        crate::api::patients::routes(),
        crate::api::inquiries::routes(),
        crate::api::admissions::routes(),
        crate::api::schedule::routes(),
        crate::api::week::routes(),
        crate::api::sessions::routes(),
        crate::api::program::routes(),
        crate::api::attendance::routes(),
        crate::api::reports::routes(),
        crate::api::calendar::routes(),
        crate::api::monitoring::routes(),
        crate::api::safety::routes(),
        crate::api::treatment_plans::routes(),
        crate::api::checkins::routes(),
        crate::api::notes::routes(),
        crate::api::crisis::routes(),
        crate::api::emergency::routes(),
        crate::api::consents::routes(),
        crate::api::packet::routes(),
        crate::api::retention::routes(),
        crate::api::breaches::routes(),
        crate::api::contacts::routes(),
        crate::api::amendments::routes(),
        crate::api::export::routes(),
        crate::api::measures::routes(),
        crate::api::instruments::routes(),
        crate::api::placement::routes(),
        crate::pages::routes(),
        crate::pages::account::routes(),
        crate::pages::public::routes(),
        crate::pages::patients::routes(),
        crate::pages::clinical::routes(),
        crate::pages::placement::routes(),
        crate::pages::records::routes(),
        crate::pages::admissions::routes(),
        crate::pages::config::routes(),
        crate::pages::audit::routes(),
        crate::pages::schedule::routes(),
        crate::pages::care_plans::routes(),
        crate::pages::treatment_plan::routes(),
        crate::pages::privacy::routes(),
        crate::pages::emergency::routes(),
        crate::pages::crisis::routes(),
        crate::pages::notes::routes(),
        crate::pages::monitoring::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The router of every route in [`table`]. Every page form of a logged-in user passes the
/// CSRF guard ([`pages::require_form_token`]) before its handler reads anything.
pub fn router(state: AppState) -> Router {
    table()
        .into_iter()
        .fold(Router::new(), |router, r| {
            let handler = if r.is_user_form() {
                r.handler.route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    pages::require_form_token,
                ))
            } else {
                r.handler
            };
            router.route(r.path, handler)
        })
        .route_layer(axum::middleware::from_fn(name_the_operation))
        .with_state(state)
}

/// Names the operation (method and route template, `POST /api/v1/patients/{id}/notes`) in
/// the request's span, so that whatever the request logs, a failure's cause above all,
/// says which operation it was; the path beside it holds the ids.
async fn name_the_operation(
    matched: axum::extract::MatchedPath,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    tracing::Span::current().record(
        "operation",
        tracing::field::display(format_args!("{} {}", request.method(), matched.as_str())),
    );
    next.run(request).await
}
