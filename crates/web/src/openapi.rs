//! The OpenAPI 3.1 document, generated from the route table.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::routes::{Reach, table};

fn problem_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn date() -> Value {
    json!({"type": "string", "format": "date"})
}

fn role() -> Value {
    json!({"enum": ["admin", "clinician", "case_manager", "front_desk", "billing", "patient"]})
}

fn nullable(schema: Value) -> Value {
    json!({"oneOf": [schema, {"type": "null"}]})
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
            .map(|name| {
                let schema = if name == "code" {
                    json!({"type": "string"})
                } else {
                    json!({"type": "string", "format": "uuid"})
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        params.extend(route.query.iter().map(|(name, description)| {
            json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}})
        }));
        if !params.is_empty() {
            op.insert("parameters".into(), json!(params));
        }
        if route.multipart {
            op.insert("requestBody".into(), json!({"required": true, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["contact"], "properties": {
                    "contact": {"type": "string", "description": "How to reach the person (required)"},
                    "name": {"type": "string", "description": "A name or an alias"},
                    "contact_method": {"enum": ["phone", "text", "email", "any"]},
                    "safe_times": {"type": "string", "description": "When it is safe to call, text or e-mail"},
                    "for_whom": {"enum": ["self", "loved_one"]},
                    "substances": string(), "wants": string(), "message": string(),
                    "website": {"type": "string", "description": "Leave empty (a trap for bots)"},
                    "attachments": {"type": "array", "maxItems": 5, "items": {"type": "string", "format": "binary",
                        "description": "PDF, JPEG or PNG (judged by content), at most 32 MiB each"}}}}}}}));
        }
        if let Some(schema) = route.body {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema()}}}),
            );
        }
        let mut responses = Map::new();
        let success = match route.response {
            Some(component) => {
                let item = json!({"$ref": format!("#/components/schemas/{component}")});
                let schema = if route.list {
                    json!({"type": "object", "required": ["items", "next_cursor"], "properties": {
                        "items": {"type": "array", "items": item},
                        "next_cursor": {"type": ["string", "null"]}}})
                } else {
                    item
                };
                json!({"description": "Success", "content": {"application/json": {"schema": schema}}})
            }
            None => json!({"description": "Success"}),
        };
        responses.insert(route.success.to_string(), success);
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
        if route.multipart {
            responses.insert("413".into(), problem_response("A file over 32 MiB"));
            responses.insert(
                "415".into(),
                problem_response("A file that is not PDF, JPEG or PNG (judged by content)"),
            );
            responses.insert(
                "422".into(),
                problem_response("A field breaks a rule, or a sixth file"),
            );
            responses.insert(
                "429".into(),
                problem_response("Too many inquiries from this address; see Retry-After"),
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
                "Login": object(&["token", "csrf_token", "user"], json!({
                    "token": {"type": "string", "description": "Bearer token (256 random bits)"},
                    "csrf_token": {"type": "string", "description": "Send as X-CSRF-Token when calling with the session cookie"},
                    "user": {"$ref": "#/components/schemas/User"}})),
                "User": object(&["id", "username", "role"], json!({
                    "id": uuid(), "username": string(), "role": role(), "patient_id": uuid()})),
                "MfaSetup": object(&["secret", "otpauth_uri", "qr_svg"], json!({
                    "secret": {"type": "string", "description": "Base32 TOTP secret"}, "otpauth_uri": string(),
                    "qr_svg": {"type": "string", "description": "the otpauth URI as a QR code (SVG)"}})),
                "Site": object(&["id", "name", "time_zone"], json!({
                    "id": uuid(), "name": string(), "time_zone": {"type": "string", "description": "IANA time zone"}})),
                "Track": object(&["id", "site_id", "program_id", "name", "level", "target_hours", "min_days", "age_group"], json!({
                    "id": uuid(), "site_id": uuid(), "program_id": uuid(), "name": string(),
                    "level": {"enum": ["op", "iop", "php"]}, "target_hours": {"type": "number"},
                    "min_days": {"type": "integer"}, "age_group": {"enum": ["adult", "adolescent"]}})),
                "Account": object(&["id", "username", "role", "active"], json!({
                    "id": uuid(), "username": string(), "role": role(), "patient_id": nullable(uuid()), "active": {"type": "boolean"}})),
                "Patient": object(&["id", "given_name", "family_name", "birth_date"], json!({
                    "id": uuid(), "given_name": string(), "family_name": string(), "birth_date": date(),
                    "preferred_name": nullable(string()), "pronouns": nullable(string()),
                    "phone": nullable(string()), "email": nullable(string())})),
                "Episode": object(&["id", "patient_id", "track_id", "status", "admitted_on"], json!({
                    "id": uuid(), "patient_id": uuid(), "track_id": uuid(), "track_name": string(),
                    "level": string(), "status": {"enum": ["active", "discharged"]},
                    "admitted_on": date(), "discharged_on": nullable(date())})),
                "CareTeam": object(&["patient_id", "user_ids", "members"], json!({
                    "patient_id": uuid(), "user_ids": {"type": "array", "items": uuid()},
                    "members": {"type": "array", "items": object(&["user_id", "username", "role"], json!({
                        "user_id": uuid(), "username": string(), "role": role()}))}})),
                "Received": object(&["id", "received_at"], json!({"id": uuid(), "received_at": {"type": "string", "format": "date-time"}})),
                "Inquiry": object(&["id", "received_at", "stage", "contact"], json!({
                    "id": uuid(), "received_at": {"type": "string", "format": "date-time"}, "stage": string(),
                    "stage_since": {"type": "string", "format": "date-time"}, "name": nullable(string()), "contact": string(),
                    "contact_method": nullable(string()), "safe_times": nullable(string()), "for_whom": nullable(string()),
                    "substances": nullable(string()), "wants": nullable(string()), "message": nullable(string()),
                    "owner_id": nullable(uuid()), "next_step": nullable(string()), "due_on": nullable(date()),
                    "patient_id": nullable(uuid()),
                    "attachments": {"type": "array", "items": object(&["id", "file_name", "media_type", "size_bytes"], json!({
                        "id": uuid(), "file_name": string(), "media_type": string(), "size_bytes": {"type": "integer"}, "sha256": string()}))}})),
                "Schedule": object(&["assignments", "met_count", "shortfall_hours"], json!({
                    "assignments": {"type": "array", "items": object(&["patient", "sessions", "hours", "days", "met"], json!({
                        "patient": string(), "sessions": {"type": "array", "items": string()}, "hours": {"type": "number"},
                        "days": {"type": "integer"}, "met": {"type": "boolean"}}))},
                    "met_count": {"type": "integer"}, "shortfall_hours": {"type": "number"}})),
                "Session": object(&["id", "track_id", "kind", "title", "starts_at", "ends_at", "capacity", "telehealth"], json!({
                    "id": uuid(), "track_id": uuid(), "kind": string(), "title": string(),
                    "starts_at": {"type": "string", "format": "date-time"}, "ends_at": {"type": "string", "format": "date-time"},
                    "capacity": {"type": "integer"}, "facilitator_id": nullable(uuid()), "room_id": nullable(uuid()),
                    "modality": nullable(string()), "topic": nullable(string()), "telehealth": {"type": "boolean"},
                    "video_url": {"type": "string", "description": "only for the facilitator and the enrolled"},
                    "checkin_code": {"type": "string", "description": "staff only"}})),
                "Room": object(&["id", "site_id", "name", "capacity"], json!({
                    "id": uuid(), "site_id": uuid(), "name": string(), "capacity": {"type": "integer"}})),
                "Topic": object(&["phase", "position", "title"], json!({
                    "phase": {"enum": ["engagement", "early_recovery", "maintenance", "community_integration"]},
                    "position": {"type": "integer"}, "title": string()})),
                "InstrumentSummary": object(&["code", "name", "item_count"], json!({
                    "code": string(), "name": string(), "item_count": {"type": "integer"}})),
                "Score": object(&["code", "total", "band", "flags"], json!({
                    "code": string(),
                    "total": {"type": ["integer", "null"], "description": "null for instruments read by subscales (BAM)"},
                    "band": {"type": ["string", "null"]},
                    "flags": {"type": "array", "items": string()},
                    "subscales": {"type": "object", "additionalProperties": {"type": "integer"}}})),
                "Assessment": object(&["id", "patient_id", "code", "answers", "total", "band", "flags", "administered_by", "administered_at"], json!({
                    "id": uuid(), "patient_id": uuid(), "episode_id": nullable(uuid()), "code": string(),
                    "answers": {"type": "array", "items": {"type": "integer"}},
                    "total": {"type": ["integer", "null"], "description": "null for instruments read by subscales (BAM)"},
                    "band": {"type": ["string", "null"]},
                    "subscales": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "flags": {"type": "array", "items": string()}, "administered_by": uuid(),
                    "administered_at": {"type": "string", "format": "date-time"}, "alert_id": uuid()})),
                "Alert": object(&["id", "patient_id", "kind", "flags", "raised_at", "acknowledged"], json!({
                    "id": uuid(), "patient_id": uuid(), "assessment_id": nullable(uuid()), "kind": {"enum": ["crisis"]},
                    "flags": {"type": "array", "items": string()}, "raised_at": {"type": "string", "format": "date-time"},
                    "acknowledged": {"type": "boolean"}, "acknowledged_by": nullable(uuid()),
                    "acknowledged_at": nullable(string()), "action": nullable(string()), "note": nullable(string())})),
                "Recommendation": object(&["level", "reasons", "supports", "weekly_hours", "explanations"], json!({
                    "level": {"enum": ["inpatient", "withdrawal_management", "residential", "php", "iop", "op"]},
                    "reasons": {"type": "array", "items": string()}, "supports": {"type": "array", "items": string()},
                    "weekly_hours": nullable(object(&["min", "max"], json!({"min": {"type": "integer"}, "max": nullable(json!({"type": "integer"}))}))),
                    "explanations": {"type": "object", "additionalProperties": string()},
                    "policy": object(&["edition", "version"], json!({"edition": string(), "version": string()}))})),
                "Placement": object(&["id", "episode_id", "recommended_level", "decided_level", "overridden", "reasons", "supports"], json!({
                    "id": uuid(), "episode_id": uuid(), "recommended_level": string(), "decided_level": string(),
                    "overridden": {"type": "boolean"}, "override_reason": nullable(string()),
                    "reasons": {"type": "array", "items": string()}, "supports": {"type": "array", "items": string()},
                    "policy_edition": string(), "policy_version": string(), "decided_by": uuid(),
                    "decided_at": {"type": "string", "format": "date-time"}})),
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
    // The document only depends on the code: built once (schemas are derived), then served.
    static DOCUMENT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(build);
    Json(DOCUMENT.clone())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/openapi.json", "This OpenAPI document", get(openapi::document)).public(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in the document names a component that exists, and operation ids are
    /// unique.
    #[test]
    fn references_resolve_and_ids_are_unique() {
        let doc = build();
        let text = doc.to_string();
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or("");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "missing component {name}"
            );
        }
        let mut ids = std::collections::BTreeSet::new();
        for (_, methods) in doc["paths"].as_object().unwrap() {
            for (_, op) in methods.as_object().unwrap() {
                assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod derived {
    use super::*;

    fn body_schema(method: &str, path: &str) -> Value {
        let doc = build();
        doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"].clone()
    }

    /// A body documented from its type says what the type parses: every field, the required
    /// ones, no others, and the clinic's own names for enum-like text.
    #[test]
    fn derived_body_schemas_follow_the_types() {
        let track = body_schema("post", "/api/v1/tracks");
        assert_eq!(track["type"], "object", "{track}");
        assert_eq!(track["additionalProperties"], false, "{track}");
        let mut required: Vec<&str> = track["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        required.sort_unstable();
        assert_eq!(
            required,
            [
                "age_group",
                "level",
                "min_days",
                "name",
                "site_id",
                "target_hours"
            ]
        );
        assert_eq!(
            track["properties"]["level"]["enum"],
            json!(["op", "iop", "php"])
        );
        assert_eq!(track["properties"]["site_id"]["format"], "uuid");
        assert_eq!(track["properties"]["min_days"]["minimum"], 1);
        assert_eq!(track["properties"]["min_days"]["maximum"], 7);
        let user = body_schema("post", "/api/v1/users");
        assert_eq!(user["properties"]["password"]["minLength"], 12);
        assert_eq!(
            user["properties"]["role"]["enum"].as_array().unwrap().len(),
            6
        );
        assert!(
            !user["required"]
                .as_array()
                .unwrap()
                .contains(&json!("patient_id")),
            "{user}"
        );
        let diagnosis = body_schema(
            "post",
            "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses",
        );
        assert_eq!(
            diagnosis["properties"]["code"]["pattern"],
            r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"
        );
        let sud = body_schema("post", "/api/v1/sud-severity");
        assert_eq!(sud["properties"]["criteria"]["minItems"], 11);
        assert_eq!(sud["properties"]["criteria"]["maxItems"], 11);
        let session = body_schema("post", "/api/v1/sessions");
        assert_eq!(session["properties"]["starts_at"]["type"], "string");
        assert_eq!(session["properties"]["starts_at"]["format"], "date-time");
        assert_eq!(
            session["properties"]["kind"]["enum"]
                .as_array()
                .map(Vec::len),
            Some(openiop_core::session_kind::SessionKind::ALL.len())
        );
        let appointment = body_schema("post", "/api/v1/appointments");
        assert_eq!(appointment["properties"]["patient_id"]["format"], "uuid");
        let site = body_schema("post", "/api/v1/sites");
        assert_eq!(
            site["properties"]["time_zone"]["description"],
            "IANA time zone"
        );
        assert!(
            site.get("$schema").is_none() && site.get("title").is_none(),
            "{site}"
        );
    }
}
