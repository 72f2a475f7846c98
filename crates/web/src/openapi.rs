//! The OpenAPI 3.1 document, generated from the route table.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::routes::{Reach, table};

fn problem_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// `GET /api/v1/patients/{id}` -> `get_patients_id`.
fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<&str> = path
        .trim_start_matches("/api/v1/")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!("{}_{}", method.to_lowercase(), words.join("_"))
}

/// Builds the document.
pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for route in table().into_iter().filter(|r| r.is_api()) {
        let mut op = Map::new();
        op.insert("summary".into(), json!(route.summary));
        op.insert(
            "operationId".into(),
            json!(operation_id(route.method.as_str(), route.path)),
        );
        let mut params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}))
            .collect();
        params.extend(route.query.iter().map(|(name, description)| {
            json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}})
        }));
        if !params.is_empty() {
            op.insert("parameters".into(), json!(params));
        }
        if let Some(schema) = route.body {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema()}}}),
            );
        }
        let mut responses = Map::new();
        responses.insert(route.success.to_string(), json!({"description": "Success"}));
        if route.body.is_some() {
            responses.insert("400".into(), problem_response("Malformed JSON"));
            responses.insert("413".into(), problem_response("Body too large"));
            responses.insert("415".into(), problem_response("Body is not JSON"));
            responses.insert(
                "422".into(),
                problem_response("A field breaks a rule; see errors"),
            );
        }
        if route.reach == Reach::User {
            responses.insert("401".into(), problem_response("Not logged in"));
            responses.insert("403".into(), problem_response("The role may not do this"));
            op.insert("security".into(), json!([{"bearer": []}, {"cookie": []}]));
        }
        if route.path.contains('{') {
            responses.insert(
                "404".into(),
                problem_response("Not found, or not visible to the caller"),
            );
        }
        if route.path == "/api/v1/auth/login" {
            responses.insert(
                "429".into(),
                problem_response("Locked out or throttled; see Retry-After"),
            );
        }
        op.insert("responses".into(), Value::Object(responses));
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Value::Object(methods) = entry {
            methods.insert(route.method.as_str().to_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "OpenIOP API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Intensive Outpatient Program platform. Errors are application/problem+json (RFC 9457)."},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE}
            },
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
                }}
            }
        }
    })
}

/// `GET /api/v1/openapi.json`
pub async fn document() -> Json<Value> {
    Json(build())
}
