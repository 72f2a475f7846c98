//! The route table: every route of the application in one list.
//!
//! The router, the OpenAPI document and the authorization test matrix are all built from
//! [`table`], so a route cannot exist without being documented and tested.

use axum::Router;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, post, put};
use openiop_core::session_kind::SessionKind;
use serde_json::{Value, json};

use crate::{AppState, api, openapi, pages};

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

fn route(
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
    fn public(mut self) -> Self {
        self.reach = Reach::Public;
        self
    }

    fn body(mut self, schema: fn() -> Value) -> Self {
        self.body = Some(schema);
        self
    }

    /// The success response is one `component`.
    fn returns(mut self, component: &'static str) -> Self {
        self.response = Some(component);
        self
    }

    /// The success response is a list page of `component`.
    fn lists(mut self, component: &'static str) -> Self {
        self.response = Some(component);
        self.list = true;
        self
    }

    fn multipart(mut self) -> Self {
        self.multipart = true;
        self
    }

    fn query(mut self, params: &'static [(&'static str, &'static str)]) -> Self {
        self.query = params;
        self
    }

    fn many_patients(mut self) -> Self {
        self.many_patients = true;
        self
    }

    fn status(mut self, status: u16) -> Self {
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

fn string() -> Value {
    json!({"type": "string"})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

fn placement_schema() -> Value {
    let rating = json!({"type": "integer", "minimum": 0, "maximum": 4});
    object(
        &["age", "dimensions", "suicide_risk"],
        json!({
            "age": {"type": "integer", "minimum": 0, "maximum": 120},
            "dimensions": object(
                &["withdrawal", "biomedical", "emotional", "readiness", "relapse", "environment"],
                json!({"withdrawal": rating, "biomedical": rating, "emotional": rating, "readiness": rating, "relapse": rating, "environment": rating}),
            ),
            "suicide_risk": {"enum": ["none", "low", "moderate", "high"]},
            "factors": {"type": "array", "items": {"enum": ["opioid_use", "heavy_use_history", "co_occurring", "repeated_relapse",
                "failed_lower_level", "stepping_down", "legal_order_residential", "sober_living_available"]}}
        }),
    )
}

/// Every route of the application.
pub fn table() -> Vec<Route> {
    use Method as M;
    vec![
        route(M::GET, "/healthz", "Liveness: the process is up", get(api::healthz)).public(),
        route(M::GET, "/readyz", "Readiness: the database answers", get(api::readyz)).public(),
        route(M::GET, "/api/v1/openapi.json", "This OpenAPI document", get(openapi::document)).public(),
        route(M::POST, "/api/v1/auth/login", "Log in: a bearer token and a session cookie", post(api::account::login))
            .returns("Login")
            .public()
            .status(200)
            .body(|| {
                object(&["username", "password"], json!({"username": string(), "password": string(), "totp": string()}))
            }),
        route(M::POST, "/api/v1/auth/logout", "End this session or token", post(api::account::logout)).status(204),
        route(M::POST, "/api/v1/auth/password", "Change the caller's password (other logins end)", post(api::account::post_password))
            .status(204)
            .body(|| object(&["current_password", "new_password"], json!({"current_password": string(), "new_password": {"type": "string", "minLength": 12}}))),
        route(M::GET, "/api/v1/auth/me", "The logged-in user", get(api::account::me))
            .returns("User"),
        route(M::POST, "/api/v1/auth/mfa/setup", "Start multi-factor setup: a TOTP secret", post(api::account::mfa_setup))
            .returns("MfaSetup").status(200),
        route(M::GET, "/api/v1/organization/security", "Whether staff must use multi-factor authentication (admin)", get(api::account::get_security)),
        route(M::PUT, "/api/v1/organization/security", "Require multi-factor authentication of every staff member (admin)", put(api::account::put_security))
            .body(|| object(&["mfa_required"], json!({"mfa_required": {"type": "boolean"}}))),
        route(M::POST, "/api/v1/auth/mfa/confirm", "Enable multi-factor with a first code; answers the recovery codes, once", post(api::account::mfa_confirm))
            .status(200)
            .body(|| object(&["totp"], json!({"totp": {"type": "string", "pattern": "^[0-9]{6}$"}}))),
        route(M::GET, "/api/v1/sites", "List sites", get(api::config::list_sites))
            .lists("Site"),
        route(M::POST, "/api/v1/sites", "Create a site (admin)", post(api::config::post_site))
            .returns("Site").body(|| {
            object(&["name", "time_zone"], json!({"name": string(), "time_zone": {"type": "string", "description": "IANA time zone"}}))
        }),
        route(M::GET, "/api/v1/tracks", "List tracks", get(api::config::list_tracks))
            .lists("Track"),
        route(M::POST, "/api/v1/tracks", "Create a track (admin)", post(api::config::post_track))
            .returns("Track").body(|| {
            object(
                &["site_id", "name", "level", "target_hours", "min_days", "age_group"],
                json!({
                    "site_id": {"type": "string", "format": "uuid"},
                    "name": string(),
                    "level": {"enum": ["op", "iop", "php"]},
                    "target_hours": {"type": "number"},
                    "min_days": {"type": "integer", "minimum": 1, "maximum": 7},
                    "age_group": {"enum": ["adult", "adolescent"]}
                }),
            )
        }),
        route(M::GET, "/api/v1/programs", "List programs with their own clinical settings", get(api::config::list_programs)),
        route(M::PUT, "/api/v1/programs/{id}/settings", "Set a program's instrument cut-offs and placement policy (admin)", put(api::config::put_program_settings))
            .body(|| object(&[], json!({
                "cutoffs": {"type": "object", "description": "instrument code -> [[min, max], ...] per band, in order",
                    "additionalProperties": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}}},
                "placement_policy": {"type": ["object", "null"], "description": "a policy in the default file's format"},
                "billable": {"type": ["object", "null"], "description": "billable-day thresholds"},
                "cosignature_required": {"type": "boolean", "description": "notes of supervised staff need the supervisor's co-signature"},
                "plan_review_days": {"type": "integer", "minimum": 1, "maximum": 365},
                "minor_consent": {"enum": ["minor", "guardian", "both"]},
                "retention_years": {"type": "integer", "minimum": 6, "maximum": 100},
                "measures": {"type": "object", "description": "instrument code -> days between administrations (0: not scheduled)",
                    "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 365}}}))),
        route(M::GET, "/api/v1/users", "List users (admin)", get(api::config::list_users))
            .lists("Account"),
        route(M::POST, "/api/v1/users", "Create a user (admin)", post(api::config::post_user))
            .returns("Account").body(|| {
            object(
                &["username", "password", "role"],
                json!({
                    "username": string(),
                    "password": {"type": "string", "minLength": 12},
                    "role": {"enum": ["admin", "clinician", "case_manager", "front_desk", "billing", "patient"]},
                    "patient_id": {"type": "string", "format": "uuid"}
                }),
            )
        }),
        route(M::GET, "/api/v1/patients", "Search patients by name (q, limit, cursor)", get(api::patients::list_patients))
            .lists("Patient")
            .query(&[
                ("q", "Case-insensitive substring of the given or family name"),
                ("limit", "Page size, 1 to 200 (default 50)"),
                ("cursor", "The next_cursor of the previous page"),
            ]).many_patients(),
        route(M::POST, "/api/v1/patients", "Register a patient", post(api::patients::post_patient))
            .returns("Patient").body(|| {
            object(
                &["given_name", "family_name", "birth_date"],
                json!({
                    "given_name": string(), "family_name": string(),
                    "birth_date": {"type": "string", "format": "date"},
                    "preferred_name": string(), "pronouns": string(), "phone": string(),
                    "email": {"type": "string", "format": "email"}
                }),
            )
        }),
        route(M::GET, "/api/v1/patients/{id}", "Read a patient's demographics", get(api::patients::get_patient))
            .returns("Patient"),
        route(M::GET, "/api/v1/patients/{id}/episodes", "List a patient's episodes of care", get(api::patients::list_episodes))
            .lists("Episode"),
        route(M::POST, "/api/v1/patients/{id}/episodes", "Admit a patient to a track", post(api::patients::post_episode))
            .returns("Episode").body(|| {
            object(&["track_id", "admitted_on"], json!({"track_id": {"type": "string", "format": "uuid"}, "admitted_on": {"type": "string", "format": "date"}}))
        }),
        route(M::GET, "/api/v1/patients/{id}/care-team", "Read a patient's care team", get(api::patients::get_team))
            .returns("CareTeam"),
        route(M::PUT, "/api/v1/patients/{id}/care-team", "Replace a patient's care team (admin)", put(api::patients::put_team))
            .returns("CareTeam").body(|| {
            object(&["user_ids"], json!({"user_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}}}))
        }),
        route(M::POST, "/api/v1/inquiries", "Send a confidential inquiry (public; multipart/form-data)", post(api::inquiries::post_inquiry)
            .layer(axum::extract::DefaultBodyLimit::max(api::inquiries::INQUIRY_BODY_MAX)))
            .public()
            .returns("Received")
            .multipart(),
        route(M::GET, "/api/v1/inquiries", "List inquiries, newest first (stage)", get(api::inquiries::list))
            .lists("Inquiry")
            .query(&[("stage", "Only inquiries in this pipeline stage")]),
        route(M::GET, "/api/v1/inquiries/{id}", "Read an inquiry with its attachments", get(api::inquiries::get)).returns("Inquiry"),
        route(M::GET, "/api/v1/inquiries/{id}/attachments/{attachment_id}", "Download an attachment", get(api::inquiries::download)),
        route(M::GET, "/api/v1/inquiries/{id}/moves", "An inquiry's stage history and time to evaluation", get(api::admissions::get_moves)),
        route(M::POST, "/api/v1/inquiries/{id}/moves", "Move an inquiry to another stage", post(api::admissions::post_move))
            .status(200)
            .returns("Inquiry")
            .body(|| object(&["to"], json!({"to": {"enum": ["contacted", "screening", "evaluation_scheduled", "evaluated",
                "referred_elsewhere", "declined", "lost_to_contact"]}, "note": string()}))),
        route(M::PUT, "/api/v1/inquiries/{id}/assignment", "Set an inquiry's owner, next step and due date", put(api::admissions::put_assignment))
            .returns("Inquiry")
            .body(|| object(&[], json!({"owner_id": {"type": "string", "format": "uuid"}, "next_step": string(), "due_on": {"type": "string", "format": "date"}}))),
        route(M::PUT, "/api/v1/inquiries/{id}/evaluation", "Book the evaluation (date, time, staff)", put(api::admissions::put_evaluation))
            .returns("Inquiry")
            .body(|| object(&["at", "staff_id"], json!({"at": {"type": "string", "format": "date-time"}, "staff_id": {"type": "string", "format": "uuid"}}))),
        route(M::POST, "/api/v1/inquiries/{id}/admission", "Admit: a patient (new or linked) and an episode, with consents", post(api::admissions::post_admission))
            .body(|| object(&["track_id", "admitted_on", "consents"], json!({
                "patient_id": {"type": "string", "format": "uuid"},
                "patient": {"type": "object"},
                "track_id": {"type": "string", "format": "uuid"},
                "admitted_on": {"type": "string", "format": "date"},
                "consents": object(&["treatment_consent", "patient_rights", "confidentiality_notice"], json!({
                    "treatment_consent": {"type": "string", "format": "date"},
                    "patient_rights": {"type": "string", "format": "date"},
                    "confidentiality_notice": {"type": "string", "format": "date"}})),
                "allow_duplicate": {"type": "boolean"}}))),
        route(M::GET, "/api/v1/patients/duplicates", "Likely duplicates of a person (same birth date, similar name)", get(api::admissions::get_duplicates))
            .lists("Patient")
            .query(&[("given_name", "Given name"), ("family_name", "Family name"), ("birth_date", "YYYY-MM-DD")]).many_patients(),
        route(M::POST, "/api/v1/patients/{id}/merge", "Merge a duplicate record into this one (admin)", post(api::admissions::post_merge))
            .status(200)
            .returns("Patient")
            .body(|| object(&["duplicate_id"], json!({"duplicate_id": {"type": "string", "format": "uuid"}}))),
        route(M::GET, "/api/v1/patients/{id}/consents", "Admission acknowledgements", get(api::admissions::list_consents)),
        route(M::POST, "/api/v1/patients/{id}/consents", "Record an acknowledgement", post(api::admissions::post_consent))
            .body(|| object(&["kind", "acknowledged_on"], json!({"kind": {"enum": ["treatment_consent", "patient_rights", "confidentiality_notice"]},
                "acknowledged_on": {"type": "string", "format": "date"}, "episode_id": {"type": "string", "format": "uuid"}}))),
        route(M::GET, "/api/v1/patients/{id}/medical-evaluations", "Medical evaluations", get(api::admissions::list_medical_evaluations)),
        route(M::POST, "/api/v1/patients/{id}/medical-evaluations", "Record a medical evaluation", post(api::admissions::post_medical_evaluation))
            .body(|| object(&["pregnancy", "medically_cleared"], json!({
                "vitals": {"type": "object", "properties": {"systolic": {"type": "integer"}, "diastolic": {"type": "integer"},
                    "pulse": {"type": "integer"}, "respiration": {"type": "integer"}, "temperature_c": {"type": "number"},
                    "spo2": {"type": "integer"}, "weight_kg": {"type": "number"}}},
                "medical_history": string(), "current_medications": string(), "allergies": string(),
                "pregnancy": {"enum": ["not_applicable", "no", "yes", "unknown"]},
                "withdrawal_assessment_id": {"type": "string", "format": "uuid"},
                "medically_cleared": {"type": "boolean"}, "notes": string()}))),
        route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses", "An episode's coded diagnoses", get(api::admissions::list_diagnoses)),
        route(M::POST, "/api/v1/patients/{id}/episodes/{episode_id}/diagnoses", "Add an ICD-10-CM diagnosis", post(api::admissions::post_diagnosis))
            .body(|| object(&["code", "description"], json!({"code": {"type": "string", "pattern": "^[A-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?$"},
                "description": string(), "primary": {"type": "boolean"}}))),
        route(M::POST, "/api/v1/schedule/solve", "Build a week: assign patients to sessions (pure)", post(api::schedule::post_solve))
            .status(200)
            .returns("Schedule")
            .body(|| object(&["sessions", "patients"], json!({
                "sessions": {"type": "array", "items": object(&["id", "day", "start", "end", "capacity", "track"], json!({
                    "id": string(), "day": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                    "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}, "end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                    "capacity": {"type": "integer", "minimum": 0}, "track": string()}))},
                "patients": {"type": "array", "items": object(&["id", "required_hours", "min_days", "tracks", "availability"], json!({
                    "id": string(), "required_hours": {"type": "number"}, "min_days": {"type": "integer", "minimum": 0, "maximum": 7},
                    "max_hours": {"type": "number"}, "tracks": {"type": "array", "items": string()},
                    "availability": {"type": "array", "items": object(&["day", "start", "end"], json!({
                        "day": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "start": string(), "end": string()}))}}))},
                "pinned": {"type": "array", "items": {"type": "array", "items": string(), "minItems": 2, "maxItems": 2}},
                "forbidden": {"type": "array", "items": {"type": "array", "items": string(), "minItems": 2, "maxItems": 2}}}))),
        route(M::POST, "/api/v1/schedule/weeks/{week}/preview", "Build a week from the program's data: preview (stores nothing)", post(api::week::post_preview))
            .status(200)
            .body(build_body).many_patients(),
        route(M::POST, "/api/v1/schedule/weeks/{week}/apply", "Build a week and enroll the assignments", post(api::week::post_apply))
            .status(200)
            .body(build_body).many_patients(),
        route(M::POST, "/api/v1/sessions", "Create a dated session", post(api::sessions::post_session))
            .body(|| object(&["track_id", "kind", "title", "starts_at", "ends_at", "capacity"], json!({
                "track_id": {"type": "string", "format": "uuid"},
                "kind": {"enum": SessionKind::ALL.map(SessionKind::as_str)},
                "title": string(), "starts_at": {"type": "string", "format": "date-time"}, "ends_at": {"type": "string", "format": "date-time"},
                "capacity": {"type": "integer", "minimum": 1}, "facilitator_id": {"type": "string", "format": "uuid"},
                "room_id": {"type": "string", "format": "uuid"}, "modality": {"enum": ["cbt", "dbt", "other"]}, "topic": string(),
                "video_url": {"type": "string", "format": "uri"}}))),
        route(M::POST, "/api/v1/session-templates", "Create a weekly recurring session", post(api::sessions::post_template))
            .body(|| object(&["track_id", "kind", "title", "weekday", "start", "minutes", "capacity"], json!({
                "track_id": {"type": "string", "format": "uuid"}, "kind": string(), "title": string(),
                "weekday": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "start": {"type": "string", "description": "local HH:MM"},
                "minutes": {"type": "integer", "minimum": 1, "maximum": 720}, "capacity": {"type": "integer", "minimum": 1},
                "facilitator_id": {"type": "string", "format": "uuid"}, "room_id": {"type": "string", "format": "uuid"},
                "modality": {"enum": ["cbt", "dbt", "other"]}, "topic": string(), "video_url": {"type": "string", "format": "uri"}}))),
        route(M::POST, "/api/v1/session-templates/{id}/expand", "Date a template's sessions in the site's time zone", post(api::sessions::post_expand))
            .body(|| object(&["from", "to"], json!({"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}))),
        route(M::POST, "/api/v1/sessions/{id}/enrollments", "Enroll a patient in a session", post(api::sessions::post_enrollment))
            .body(|| object(&["patient_id"], json!({"patient_id": {"type": "string", "format": "uuid"}}))),
        route(M::POST, "/api/v1/sessions/{id}/attendance", "Mark attendance (posting again corrects it; history kept)", post(api::sessions::post_attendance))
            .status(200)
            .body(|| object(&["patient_id", "status"], json!({"patient_id": {"type": "string", "format": "uuid"},
                "status": {"enum": ["present", "late", "left_early", "absent_excused", "absent_unexcused"]},
                "check_in": {"type": "string", "format": "date-time"}, "check_out": {"type": "string", "format": "date-time"},
                "absence_reason": string()}))),
        route(M::GET, "/api/v1/patients/{id}/intensity", "Hours attended in an ISO week against the targets", get(api::program::get_intensity))
            .query(&[("week", "ISO week YYYY-Www in the site's time zone (default: this week)")]),
        route(M::GET, "/api/v1/patients/{id}/week", "A patient's week: intensity, targets' source and billable days", get(api::program::get_week))
            .query(&[("week", "ISO week YYYY-Www in the site's time zone (default: this week)")]),
        route(M::GET, "/api/v1/sessions", "Sessions starting between two dates (staff)", get(api::sessions::list_sessions))
            .lists("Session")
            .query(&[("from", "first date YYYY-MM-DD (default today)"), ("to", "last date YYYY-MM-DD (default from + 7 days)")]),
        route(M::GET, "/api/v1/sessions/{id}", "A session (its video link only for the facilitator and the enrolled)", get(api::sessions::get_session)),
        route(M::POST, "/api/v1/appointments", "Book an individual or family appointment on a clinician's calendar", post(api::sessions::post_appointment))
            .body(|| object(&["patient_id", "clinician_id", "kind", "starts_at", "ends_at"], json!({
                "patient_id": {"type": "string", "format": "uuid"}, "clinician_id": {"type": "string", "format": "uuid"},
                "kind": {"enum": SessionKind::APPOINTMENTS.map(SessionKind::as_str)},
                "starts_at": {"type": "string", "format": "date-time"}, "ends_at": {"type": "string", "format": "date-time"},
                "room_id": {"type": "string", "format": "uuid"}, "video_url": {"type": "string", "format": "uri"}, "title": string()}))),
        route(M::GET, "/api/v1/sessions/{id}/roster", "A session's roster: everyone enrolled and their current mark", get(api::attendance::get_roster)).many_patients(),
        route(M::POST, "/api/v1/sessions/{id}/attendance/all-present", "Mark everyone enrolled and not yet marked present", post(api::attendance::post_all_present))
            .status(200).many_patients(),
        route(M::POST, "/api/v1/check-in", "Self check-in at the front-desk screen with a session's code", post(api::attendance::post_check_in))
            .status(200)
            .body(|| object(&["code", "family_name", "birth_date"], json!({"code": string(), "family_name": string(),
                "birth_date": {"type": "string", "format": "date"}}))),
        route(M::GET, "/api/v1/reports/census", "The program census: active episodes per track (read from the replica when configured)", get(api::reports::get_census)),
        route(M::GET, "/api/v1/reports/intensity", "Weekly intensity compliance of every active episode, per track and in total (counts; read from the replica when configured)", get(api::reports::get_intensity))
            .query(&[("week", "ISO week YYYY-Www (default: the last complete week)")]),
        route(M::GET, "/api/v1/program/attendance", "Program view: below target, missed two in a row, no-show rates", get(api::attendance::get_program_view))
            .query(&[("week", "ISO week YYYY-Www (default: the last complete week)")]).many_patients(),
        route(M::POST, "/api/v1/patients/{id}/calendar-feeds", "A secret calendar feed of the patient's sessions", post(api::calendar::post_patient_feed))
            .body(|| object(&[], json!({"full_titles": {"type": "boolean", "description": "only the patient may choose true"}}))),
        route(M::POST, "/api/v1/me/calendar-feeds", "A secret calendar feed of the sessions the caller runs (staff)", post(api::calendar::post_my_feed))
            .body(|| object(&[], json!({"full_titles": {"type": "boolean"}}))),
        route(M::DELETE, "/api/v1/calendar-feeds/{id}", "Revoke a calendar feed", delete(api::calendar::delete_feed)).status(204),
        route(M::GET, "/api/v1/patients/{id}/medications", "A patient's medications (MAT flagged)", get(api::monitoring::list_medications)),
        route(M::POST, "/api/v1/patients/{id}/medications", "Add a medication", post(api::monitoring::post_medication))
            .body(|| object(&["name", "dose", "started_on"], json!({"name": string(), "dose": string(), "prescriber": string(),
                "started_on": {"type": "string", "format": "date"}, "naloxone_on_hand": {"type": "boolean"}, "adherence_note": string()}))),
        route(M::POST, "/api/v1/patients/{id}/medications/{medication_id}/stop", "Stop a medication", post(api::monitoring::post_stop))
            .status(200)
            .body(|| object(&["stopped_on"], json!({"stopped_on": {"type": "string", "format": "date"}, "adherence_note": string()}))),
        route(M::GET, "/api/v1/drug-panels", "Drug test panels", get(api::monitoring::list_panels)),
        route(M::POST, "/api/v1/drug-panels", "Create a drug test panel (admin)", post(api::monitoring::post_panel))
            .body(|| object(&["name", "analytes"], json!({"name": string(), "analytes": {"type": "array", "items": string()}}))),
        route(M::GET, "/api/v1/patients/{id}/drug-tests", "A patient's drug and alcohol tests and the last use that counts", get(api::monitoring::list_tests)),
        route(M::POST, "/api/v1/patients/{id}/drug-tests", "Record a drug or alcohol test (results flagged against the medications)", post(api::monitoring::post_test))
            .body(|| object(&["specimen", "observed", "collected_at", "source", "results"], json!({
                "specimen": {"enum": ["urine", "oral_fluid", "breath"]}, "observed": {"type": "boolean"},
                "collected_at": {"type": "string", "format": "date-time"}, "source": {"enum": ["lab", "point_of_care"]}, "panel": string(),
                "results": {"type": "array", "items": object(&["analyte", "outcome"], json!({"analyte": string(),
                    "outcome": {"enum": ["negative", "positive", "invalid"]}, "level": string()}))}}))),
        route(M::POST, "/api/v1/patients/{id}/drug-tests/{test_id}/results/{analyte}/review", "Confirm a result or mark it a false positive", post(api::monitoring::post_review))
            .status(200)
            .body(|| object(&["review"], json!({"review": {"enum": ["confirmed", "false_positive"]}, "reason": string()}))),
        route(M::POST, "/api/v1/patients/{id}/testing-draws", "Draw a week's random testing days (seeded, recorded)", post(api::monitoring::post_draw))
            .body(|| object(&["week"], json!({"week": string(), "count": {"type": "integer", "minimum": 1, "maximum": 7},
                "days": {"type": "array", "items": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}}}))),
        route(M::GET, "/api/v1/patients/{id}/safety-plan", "The current safety plan", get(api::safety::get_safety_plan)),
        route(M::PUT, "/api/v1/patients/{id}/safety-plan", "Save a new version of the safety plan (six steps, reasons for living)", put(api::safety::put_safety_plan))
            .status(200)
            .body(|| {
                let list = || json!({"type": "array", "items": string()});
                let contacts = || json!({"type": "array", "items": object(&["name", "phone"], json!({"name": string(), "phone": string()}))});
                object(&["warning_signs", "internal_coping", "distractions", "help_contacts", "professionals", "environment", "reasons_for_living"], json!({
                    "warning_signs": list(), "internal_coping": list(), "distractions": list(), "help_contacts": contacts(),
                    "professionals": contacts(), "environment": list(), "reasons_for_living": list()}))
            }),
        route(M::GET, "/api/v1/patients/{id}/relapse-prevention-plan", "The current relapse-prevention plan", get(api::safety::get_relapse_plan)),
        route(M::PUT, "/api/v1/patients/{id}/relapse-prevention-plan", "Save a new version of the relapse-prevention plan", put(api::safety::put_relapse_plan))
            .status(200)
            .body(|| {
                let list = || json!({"type": "array", "items": string()});
                object(&["trigger_people", "trigger_places", "trigger_feelings", "trigger_times", "warning_signs", "coping", "support_contacts", "craving_plan"], json!({
                    "trigger_people": list(), "trigger_places": list(), "trigger_feelings": list(), "trigger_times": list(),
                    "warning_signs": list(), "coping": list(),
                    "support_contacts": {"type": "array", "items": object(&["name", "phone"], json!({"name": string(), "phone": string()}))},
                    "craving_plan": string()}))
            }),
        route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan", "An episode's newest treatment plan version", get(api::treatment_plans::get_plan)),
        route(M::PUT, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan", "Save the treatment plan: edits an unsigned draft, else starts the next version", put(api::treatment_plans::put_plan))
            .body(treatment_plan_schema),
        route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions", "Every version of an episode's treatment plan, newest first", get(api::treatment_plans::list_versions)),
        route(M::POST, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/sign", "Sign a treatment plan version as its clinician or as the patient (typed name)", post(api::treatment_plans::post_sign))
            .status(200)
            .body(|| object(&["as"], json!({"as": {"enum": ["clinician", "patient"]}, "signature": {"type": "string", "description": "the patient's typed full name"}}))),
        route(M::POST, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/cosign", "Co-sign a treatment plan version (the clinician's supervisor)", post(api::treatment_plans::post_cosign))
            .status(200),
        route(M::GET, "/api/v1/patients/{id}/check-ins", "Daily check-ins, one per date (the newest), newest first", get(api::checkins::list_check_ins))
            .query(&[("days", "How many days back, 1 to 366 (default 30)")]),
        route(M::POST, "/api/v1/patients/{id}/check-ins", "Record a daily check-in (a second one for a date corrects it)", post(api::checkins::post_check_in))
            .body(|| object(&["mood", "craving", "used"], json!({"on": {"type": "string", "format": "date"},
                "mood": {"type": "integer", "minimum": 0, "maximum": 10}, "craving": {"type": "integer", "minimum": 0, "maximum": 10},
                "used": {"type": "boolean"}, "substances": {"type": "array", "items": {"type": "string"}}, "note": {"type": "string"}}))),
        route(M::GET, "/api/v1/patients/{id}/notes", "A patient's progress and group notes, newest session first", get(api::notes::list_notes)),
        route(M::POST, "/api/v1/patients/{id}/notes", "Start an individual or family session note (a draft) on its appointment", post(api::notes::post_note))
            .body(|| object(&["session_id", "format"], json!({"session_id": {"type": "string", "format": "uuid"},
                "format": {"enum": ["dap", "soap", "birp"]}, "sections": sections_schema()}))),
        route(M::GET, "/api/v1/patients/{id}/notes/{note_id}", "One note with its addenda", get(api::notes::get_note)),
        route(M::PUT, "/api/v1/patients/{id}/notes/{note_id}", "Save a draft note's sections (its author; signed notes are locked: 409)", put(api::notes::put_note))
            .body(|| object(&["sections"], json!({"sections": sections_schema()}))),
        route(M::POST, "/api/v1/patients/{id}/notes/{note_id}/sign", "Sign a note (every section filled); locked from then on", post(api::notes::post_sign))
            .status(200),
        route(M::POST, "/api/v1/patients/{id}/notes/{note_id}/cosign", "Co-sign a note (the author's supervisor)", post(api::notes::post_cosign))
            .status(200),
        route(M::POST, "/api/v1/patients/{id}/notes/{note_id}/addenda", "Add an addendum to a signed note", post(api::notes::post_addendum))
            .body(|| object(&["text"], json!({"text": string()}))),
        route(M::GET, "/api/v1/patients/{id}/counseling-notes", "SUD counseling notes the caller may read (author and named readers)", get(api::notes::list_counseling_notes)),
        route(M::POST, "/api/v1/patients/{id}/counseling-notes", "Start a SUD counseling note, kept apart from the record", post(api::notes::post_counseling_note))
            .body(|| object(&["text"], json!({"text": string(), "session_id": {"type": "string", "format": "uuid"}}))),
        route(M::GET, "/api/v1/sessions/{id}/group-note", "A group session's note (prefilled from attendance when new)", get(api::notes::get_group_note)).many_patients(),
        route(M::PUT, "/api/v1/sessions/{id}/group-note", "Save a group note draft", put(api::notes::put_group_note))
            .body(group_note_schema).many_patients(),
        route(M::POST, "/api/v1/sessions/{id}/group-note/sign", "Sign a group note: one signed note in each attendee's chart", post(api::notes::post_group_note_sign))
            .status(200)
            .body(group_note_schema).many_patients(),
        route(M::GET, "/api/v1/patients/{id}/crisis-events", "A patient's crisis events, newest first", get(api::crisis::list_events)),
        route(M::POST, "/api/v1/patients/{id}/crisis-events", "Record a crisis event: resolves the open alert it answers, escalates to a placement review, notifies the care team", post(api::crisis::post_event))
            .body(|| object(&["kind", "severity", "description", "actions_taken"], json!({
                "kind": {"enum": ["suicidal_ideation", "suicide_attempt", "overdose", "return_to_use", "withdrawal", "violence", "medical", "other"]},
                "severity": {"enum": ["low", "moderate", "high", "imminent"]}, "description": string(), "actions_taken": string(),
                "occurred_at": {"type": "string", "format": "date-time"}, "alert_id": {"type": "string", "format": "uuid"},
                "escalate": {"type": "boolean", "description": "open a placement review (always for imminent danger)"}}))),
        route(M::POST, "/api/v1/patients/{id}/crisis-events/{event_id}/resolve", "Resolve a crisis event", post(api::crisis::post_resolve))
            .status(200)
            .body(|| object(&["resolution"], json!({"resolution": string()}))),
        route(M::GET, "/api/v1/notifications", "The caller's notifications, unread first", get(api::crisis::get_notifications)).many_patients(),
        route(M::POST, "/api/v1/notifications/{id}/read", "Mark a notification read", post(api::crisis::post_read)).status(204),
        route(M::GET, "/api/v1/placement-reviews", "Open placement reviews (closed by the next placement decision)", get(api::crisis::get_reviews)).many_patients(),
        route(M::POST, "/api/v1/patients/{id}/emergency-access", "Break the glass: state the emergency, open the chart for 4 hours (clinicians; audited, reviewed)", post(api::emergency::post_break_glass))
            .body(|| object(&["reason"], json!({"reason": {"type": "string", "minLength": 10}}))),
        route(M::GET, "/api/v1/emergency-access", "Broken-glass openings awaiting review (admin)", get(api::emergency::list_access))
            .query(&[("unreviewed", "true (default) or false for all")]).many_patients(),
        route(M::POST, "/api/v1/emergency-access/{id}/review", "Review a broken-glass opening (admin)", post(api::emergency::post_access_review))
            .status(204)
            .body(|| object(&["note"], json!({"note": string()}))),
        route(M::GET, "/api/v1/patients/{id}/emergency-disclosures", "A patient's medical-emergency disclosures (42 CFR 2.51)", get(api::emergency::list_patient_disclosures)),
        route(M::POST, "/api/v1/patients/{id}/emergency-disclosures", "Record a medical-emergency disclosure to outside medical personnel (42 CFR 2.51)", post(api::emergency::post_disclosure))
            .body(|| object(&["recipient_name", "recipient_facility", "nature_of_emergency", "information"], json!({
                "recipient_name": string(), "recipient_facility": string(), "nature_of_emergency": string(), "information": string(),
                "disclosed_at": {"type": "string", "format": "date-time"}}))),
        route(M::GET, "/api/v1/emergency-disclosures", "Medical-emergency disclosures awaiting review (admin)", get(api::emergency::list_disclosures))
            .query(&[("unreviewed", "true (default) or false for all")]).many_patients(),
        route(M::POST, "/api/v1/emergency-disclosures/{id}/review", "Review a medical-emergency disclosure (admin)", post(api::emergency::post_disclosure_review))
            .status(204)
            .body(|| object(&["note"], json!({"note": string()}))),
        route(M::GET, "/api/v1/patients/{id}/part2-consents", "A patient's Part 2 consents to disclose, with their status today", get(api::consents::list_consents)),
        route(M::POST, "/api/v1/patients/{id}/part2-consents", "Record a Part 2 consent (every element of 42 CFR 2.31, or 422)", post(api::consents::post_consent))
            .body(|| object(&["kind", "disclosing_party", "information", "recipients", "purpose", "expires", "revocation_explained",
                "treatment_conditioned", "signatures"], json!({
                "kind": {"enum": ["tpo", "specific", "sud_counseling_notes", "legal_proceedings"]},
                "disclosing_party": string(), "information": string(),
                "recipients": {"type": "array", "items": object(&["name"], json!({"name": string(), "intermediary": {"type": "boolean"},
                    "participants": {"type": ["string", "null"]}}))},
                "purpose": string(), "expires": {"type": "string", "description": "YYYY-MM-DD, an event, or (TPO) end_of_treatment / none"},
                "revocation_explained": {"type": "boolean"}, "treatment_conditioned": {"type": "boolean"},
                "covered_entity_recipients": {"type": "boolean"},
                "signatures": {"type": "array", "items": object(&["name", "role", "signed_on"], json!({"name": string(),
                    "role": {"enum": ["patient", "guardian", "authorized_representative"]}, "signed_on": {"type": "string", "format": "date"}}))},
                "parts": {"type": "array", "items": {"enum": ["demographics", "diagnoses", "medications", "attendance", "treatment_plan", "assessments"]}}}))),
        route(M::POST, "/api/v1/patients/{id}/part2-consents/{consent_id}/revoke", "Revoke a Part 2 consent in writing (kept on record)", post(api::consents::post_revoke))
            .status(200)
            .body(|| object(&["note"], json!({"revoked_on": {"type": "string", "format": "date"}, "note": string()}))),
        route(M::POST, "/api/v1/patients/{id}/disclosures", "Release records under a Part 2 consent in force (recipient, purpose and parts it covers)", post(api::consents::post_disclosure))
            .body(|| object(&["consent_id", "recipient", "purpose", "parts"], json!({"consent_id": {"type": "string", "format": "uuid"},
                "recipient": string(), "purpose": string(),
                "parts": {"type": "array", "items": {"enum": ["demographics", "diagnoses", "medications", "attendance", "treatment_plan", "assessments"]}}}))),
        route(M::GET, "/api/v1/patients/{id}/disclosures/{disclosure_id}/packet", "A disclosure's packet (HTML): the 2.32 notice, the consent, the records", get(api::packet::get_packet)),
        route(M::GET, "/api/v1/patients/{id}/disclosures/{disclosure_id}/bundle", "A disclosure as a FHIR R4 Bundle labelled 42CFRPart2: the notice, the consent, the records", get(api::packet::get_bundle)),
        route(M::GET, "/api/v1/patients/{id}/accounting-of-disclosures", "The accounting of disclosures of the last three years (consent and 2.51)", get(api::consents::get_accounting)),
        route(M::GET, "/api/v1/retention", "Closed records past the keeping time (retention_years after the last service and after 18), for review (admin)", get(api::retention::get_retention)).many_patients(),
        route(M::POST, "/api/v1/retention/disposals", "Dispose of records due (all or none), with the method and approval; certificates remain (admin)", post(api::retention::post_disposal))
            .body(|| object(&["patient_ids", "method", "approved_by"], json!({"patient_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                "method": string(), "approved_by": string()}))).many_patients(),
        route(M::GET, "/api/v1/retention/disposals", "Certificates of disposal (admin)", get(api::retention::list_disposals)).many_patients(),
        route(M::GET, "/api/v1/breaches", "The breach log: suspected and confirmed breaches, patients affected, deadlines (admin)", get(api::breaches::list_breaches)).many_patients(),
        route(M::POST, "/api/v1/breaches", "Record a suspected breach; the audit trail names the patients reached in its window (admin)", post(api::breaches::post_breach))
            .body(|| object(&["description", "discovered_on", "window_from", "window_to"], json!({"description": string(),
                "discovered_on": {"type": "string", "format": "date"}, "window_from": {"type": "string", "format": "date-time"},
                "window_to": {"type": "string", "format": "date-time"}, "actor_user_id": {"type": ["string", "null"], "format": "uuid"}}))).many_patients(),
        route(M::GET, "/api/v1/breaches/{id}", "A breach with its affected patients (admin)", get(api::breaches::get_breach)).many_patients(),
        route(M::POST, "/api/v1/breaches/{id}/assessment", "Record the risk assessment: confirmed (with what the letters say) or not a breach (admin)", post(api::breaches::post_assessment))
            .status(200)
            .body(|| object(&["status", "assessment"], json!({"status": {"enum": ["confirmed", "not_a_breach"]}, "assessment": string(),
                "information_involved": {"type": ["string", "null"]}, "steps_for_patients": {"type": ["string", "null"]},
                "mitigation": {"type": ["string", "null"]}, "contact": {"type": ["string", "null"]}}))),
        route(M::GET, "/api/v1/breaches/{id}/letters", "The notification letters of a confirmed breach (HTML, one per patient; admin)", get(api::breaches::get_letters)).many_patients(),
        route(M::POST, "/api/v1/breaches/{id}/letters-sent", "Record that the letters went out (admin)", post(api::breaches::post_letters_sent)).status(200),
        route(M::GET, "/api/v1/patients/{id}/contacts", "A patient's contacts (guardian, emergency, family, support) and the consents in force naming each", get(api::contacts::list_contacts)),
        route(M::POST, "/api/v1/patients/{id}/contacts", "Add a contact with a role; they are told nothing without a consent naming them", post(api::contacts::post_contact))
            .body(|| object(&["name", "role"], json!({"name": string(), "role": {"enum": ["guardian", "emergency", "family", "support"]},
                "relationship": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]}}))),
        route(M::DELETE, "/api/v1/patients/{id}/contacts/{contact_id}", "Remove a contact (kept on record)", delete(api::contacts::delete_contact)).status(204),
        route(M::GET, "/api/v1/patients/{id}/amendment-requests", "A patient's requests to amend their record, with the decisions", get(api::amendments::list_requests)),
        route(M::POST, "/api/v1/patients/{id}/amendment-requests", "Request an amendment of the record (the patient, or staff writing it down); answered within 60 days", post(api::amendments::post_request))
            .body(|| object(&["information", "requested_change", "reason"], json!({"information": string(), "requested_change": string(), "reason": string()}))),
        route(M::POST, "/api/v1/patients/{id}/amendment-requests/{request_id}/decision", "Accept (saying where the record was amended) or deny (with the basis) a request (clinicians)", post(api::amendments::post_decision))
            .status(200)
            .body(|| object(&["decision", "note"], json!({"decision": {"enum": ["accepted", "denied"]},
                "basis": {"enum": ["not_created_here", "not_in_record", "not_open_to_access", "accurate_and_complete", null]}, "note": string()}))),
        route(M::POST, "/api/v1/patients/{id}/amendment-requests/{request_id}/disagreement", "File the patient's statement of disagreement with a denial", post(api::amendments::post_disagreement))
            .status(200)
            .body(|| object(&["statement"], json!({"statement": string()}))),
        route(M::GET, "/api/v1/patients/{id}/record-export", "The whole record as JSON: the patient's right of access (the patient, or an admin)", get(api::export::get_export)),
        route(M::GET, "/api/v1/measures/overdue", "Repeated measures (PHQ-9, GAD-7, BAM) overdue for the caller's patients", get(api::measures::get_overdue)).many_patients(),
        route(M::GET, "/api/v1/notes/unsigned", "Documentation latency: sessions with attendees and no note signed within 24 h", get(api::notes::get_unsigned)).many_patients(),
        route(M::PUT, "/api/v1/users/{user_id}/supervisor", "Set or clear a staff member's supervisor (admin)", put(api::notes::put_supervisor))
            .body(|| object(&["supervisor_id"], json!({"supervisor_id": {"type": ["string", "null"], "format": "uuid"}}))),
        route(M::POST, "/api/v1/users/{user_id}/sessions/revoke", "End every session and token of a user (admin)", post(api::config::post_revoke_sessions))
            .status(200),
        route(M::GET, "/api/v1/counseling-note-readers", "Staff named to read SUD counseling notes (admin)", get(api::notes::get_readers)),
        route(M::PUT, "/api/v1/counseling-note-readers", "Name the staff who read SUD counseling notes (admin)", put(api::notes::put_readers))
            .body(|| object(&["user_ids"], json!({"user_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}}}))),
        route(M::GET, "/api/v1/rooms", "Rooms of every site", get(api::program::list_rooms)).lists("Room"),
        route(M::POST, "/api/v1/rooms", "Create a room (admin)", post(api::program::post_room))
            .body(|| object(&["site_id", "name", "capacity"], json!({"site_id": {"type": "string", "format": "uuid"}, "name": string(),
                "capacity": {"type": "integer", "minimum": 1}}))),
        route(M::GET, "/api/v1/patients/{id}/availability", "A patient's weekly availability windows", get(api::program::get_availability)),
        route(M::PUT, "/api/v1/patients/{id}/availability", "Replace a patient's weekly availability windows", put(api::program::put_availability))
            .status(200)
            .body(|| object(&["windows"], json!({"windows": {"type": "array", "items": object(&["day", "start", "end"], json!({
                "day": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "start": string(), "end": string()}))}}))),
        route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/intensity-plan", "An episode's current intensity plan", get(api::program::get_intensity_plan)),
        route(M::PUT, "/api/v1/patients/{id}/episodes/{episode_id}/intensity-plan", "A new version of an episode's intensity plan", put(api::program::put_intensity_plan))
            .status(200)
            .body(|| object(&["steps"], json!({"steps": {"type": "array", "items": object(&["from_week", "phase", "target_hours", "min_days"], json!({
                "from_week": {"type": "integer", "minimum": 1}, "phase": {"enum": ["engagement", "early_recovery", "maintenance", "community_integration"]},
                "level": {"enum": ["op", "iop", "php"]}, "target_hours": {"type": "number"}, "min_days": {"type": "integer", "minimum": 0, "maximum": 7}}))},
                "floor_reason": string()}))),
        route(M::GET, "/api/v1/curriculum", "The psychoeducation curriculum, by phase", get(api::program::get_curriculum)).lists("Topic"),
        route(M::PUT, "/api/v1/curriculum/{phase}", "Replace a phase's ordered topics (admin)", put(api::program::put_curriculum))
            .status(200)
            .body(|| object(&["topics"], json!({"topics": {"type": "array", "items": string()}}))),
        route(M::GET, "/api/v1/patients/{id}/curriculum", "Psychoeducation topics the patient still needs", get(api::program::get_patient_curriculum)),
        route(M::POST, "/api/v1/sud-severity", "DSM-5 substance use disorder severity from the 11 criteria (pure)", post(api::admissions::post_sud_severity))
            .status(200)
            .body(|| object(&["substance", "criteria"], json!({"substance": string(), "criteria": {"type": "array", "items": {"type": "boolean"}, "minItems": 11, "maxItems": 11}}))),
        route(M::GET, "/api/v1/instruments", "List the screening instruments", get(api::instruments::list)).lists("InstrumentSummary"),
        route(M::GET, "/api/v1/instruments/{code}", "An instrument's items, choices, bands and terms of use", get(api::instruments::get)),
        route(M::POST, "/api/v1/instruments/{code}/score", "Score answers (pure; default cut-offs)", post(api::instruments::post_score))
            .status(200)
            .returns("Score")
            .body(|| object(&["answers"], json!({"answers": {"type": "array", "items": {"type": "integer"}}, "sex": {"enum": ["male", "female", "other", "unknown"]}}))),
        route(M::GET, "/api/v1/patients/{id}/assessments", "A patient's assessments, newest first (code)", get(api::instruments::list_assessments))
            .lists("Assessment")
            .query(&[("code", "Only this instrument")]),
        route(M::POST, "/api/v1/patients/{id}/assessments", "Administer an instrument to a patient", post(api::instruments::post_assessment))
            .returns("Assessment")
            .body(|| object(&["code", "answers"], json!({"code": string(), "answers": {"type": "array", "items": {"type": "integer"}},
                "sex": {"enum": ["male", "female", "other", "unknown"]}, "episode_id": {"type": "string", "format": "uuid"}}))),
        route(M::GET, "/api/v1/alerts", "Open crisis alerts for the caller's patients", get(api::instruments::list_alerts)).lists("Alert").many_patients(),
        route(M::POST, "/api/v1/alerts/{id}/acknowledge", "Acknowledge a crisis alert with the action taken", post(api::instruments::post_acknowledge))
            .status(200)
            .returns("Alert")
            .body(|| object(&["action"], json!({"action": {"enum": ["safety_planning", "same_day_evaluation", "crisis_line_988", "emergency_referral"]}, "note": string()}))),
        route(M::POST, "/api/v1/placement", "Recommend a level of care (pure)", post(api::placement::post_placement))
            .status(200)
            .returns("Recommendation")
            .body(placement_schema),
        route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/placements", "An episode's placement decisions", get(api::placement::list_decisions))
            .lists("Placement"),
        route(M::POST, "/api/v1/patients/{id}/episodes/{episode_id}/placements", "Decide a placement: accept or override", post(api::placement::post_decision))
            .returns("Placement")
            .body(|| {
                let mut schema = placement_schema();
                schema["properties"]["level"] = json!({"enum": ["inpatient", "withdrawal_management", "residential", "php", "iop", "op"]});
                schema["properties"]["override_reason"] = string();
                schema
            }),
        // Pages.
        route(M::GET, "/static/{file}", "Embedded CSS and scripts", get(pages::asset)).public(),
        route(M::GET, "/login", "Login page", get(pages::account::login_page)).public(),
        route(M::GET, "/calendar/{secret}", "A calendar feed (iCalendar; the secret is the credential)", get(api::calendar::get_feed)).public(),
        route(M::GET, "/get-help", "Get help: the confidential inquiry form", get(pages::public::get_help)).public(),
        route(M::POST, "/get-help", "Send an inquiry (form)", post(pages::public::get_help_submit)
            .layer(axum::extract::DefaultBodyLimit::max(api::inquiries::INQUIRY_BODY_MAX)))
            .public(),
        route(M::GET, "/self-check", "Is an IOP right for me? (public self-check)", get(pages::public::self_check)).public(),
        route(M::POST, "/self-check", "Self-check result (nothing stored)", post(pages::public::self_check_result)).public(),
        route(M::POST, "/login", "Log in (form)", post(pages::account::login_submit)).public(),
        route(M::POST, "/logout", "Log out (form)", post(pages::account::logout)),
        route(M::GET, "/setup", "First-run setup: create the first admin", get(pages::account::setup_page)).public(),
        route(M::POST, "/setup", "First-run setup (form)", post(pages::account::setup_submit)).public(),
        route(M::GET, "/", "Home dashboard", get(pages::home)).many_patients(),
        route(M::GET, "/patients", "Patient list and search", get(pages::patients::list)).many_patients(),
        route(M::GET, "/patients/new", "New patient form", get(pages::patients::new_form)),
        route(M::POST, "/patients", "Register a patient (form)", post(pages::patients::create)),
        route(M::GET, "/patients/{id}", "Patient chart", get(pages::patients::chart)),
        route(M::POST, "/patients/{id}/episodes", "Admit to a track (form)", post(pages::patients::admit)),
        route(M::POST, "/patients/{id}/care-team", "Replace the care team (form)", post(pages::patients::care_team)),
        route(M::GET, "/patients/{id}/assessments/new", "Administer an instrument (form)", get(pages::clinical::new_form)),
        route(M::POST, "/patients/{id}/assessments", "Save an assessment (form)", post(pages::clinical::submit)),
        route(M::POST, "/patients/{id}/assessments/preview", "Live score of a partly filled form (htmx)", post(pages::clinical::preview)),
        route(M::GET, "/patients/{id}/episodes/{episode_id}/placement", "Level of care on an episode", get(pages::placement::form)),
        route(M::POST, "/patients/{id}/episodes/{episode_id}/placement", "Record a placement decision (form)", post(pages::placement::decide)),
        route(M::POST, "/patients/{id}/episodes/{episode_id}/placement/preview", "Live recommendation (htmx)", post(pages::placement::preview)),
        route(M::GET, "/patients/{id}/medical-evaluation", "Medical evaluation (form and history)", get(pages::records::medical)),
        route(M::POST, "/patients/{id}/medical-evaluation", "Record a medical evaluation (form)", post(pages::records::medical_submit)),
        route(M::GET, "/patients/{id}/episodes/{episode_id}/diagnoses", "Diagnoses and the DSM-5 checklist", get(pages::records::diagnoses)),
        route(M::POST, "/patients/{id}/episodes/{episode_id}/diagnoses", "Add a diagnosis (form)", post(pages::records::diagnoses_submit)),
        route(M::POST, "/sud-severity", "DSM-5 severity, live (htmx)", post(pages::records::sud_severity_preview)),
        route(M::GET, "/patients/{id}/merge", "Merge duplicates into this record (admin)", get(pages::records::merge)),
        route(M::POST, "/patients/{id}/merge", "Merge a duplicate (form, admin)", post(pages::records::merge_submit)),
        route(M::POST, "/alerts/{id}/acknowledge", "Acknowledge a crisis alert (form)", post(pages::clinical::acknowledge)),
        route(M::GET, "/admissions", "Admissions board", get(pages::admissions::board)),
        route(M::GET, "/admissions/{id}", "One inquiry: moves, booking, admission", get(pages::admissions::detail)),
        route(M::POST, "/admissions/{id}/move", "Move an inquiry (form)", post(pages::admissions::move_form)),
        route(M::POST, "/admissions/{id}/assign", "Owner and next step (form)", post(pages::admissions::assign_form)),
        route(M::POST, "/admissions/{id}/evaluation", "Book the evaluation (form)", post(pages::admissions::evaluation_form)),
        route(M::POST, "/admissions/{id}/admit", "Admit (form)", post(pages::admissions::admit_form)),
        route(M::GET, "/config", "Configuration: sites and tracks", get(pages::config::overview)),
        route(M::POST, "/config/sites", "Create a site (form)", post(pages::config::create_site)),
        route(M::POST, "/config/tracks", "Create a track (form)", post(pages::config::create_track)),
        route(M::POST, "/config/rooms", "Create a room (form)", post(pages::config::create_room)),
        route(M::POST, "/config/curriculum", "Replace a phase's curriculum (form)", post(pages::config::set_curriculum)),
        route(M::GET, "/config/users", "Configuration: users", get(pages::config::users)),
        route(M::POST, "/config/users", "Create a user (form)", post(pages::config::create_user)),
        route(M::POST, "/config/users/{user_id}/revoke", "End every session of a user (form, admin)", post(pages::config::revoke_sessions)),
        route(M::POST, "/config/security", "Require multi-factor authentication (form, admin)", post(pages::config::set_security)),
        route(M::GET, "/account/security", "My multi-factor authentication", get(pages::account::security)),
        route(M::GET, "/account/password", "Change my password", get(pages::account::password_page)),
        route(M::POST, "/account/password", "Change my password (form)", post(pages::account::password_submit)),
        route(M::POST, "/account/security/setup", "Start multi-factor set-up: a QR code (form)", post(pages::account::security_setup)),
        route(M::POST, "/account/security/confirm", "Enable multi-factor with a first code (form)", post(pages::account::security_confirm)),
        route(M::POST, "/config/users/supervisor", "Set a staff member's supervisor (form)", post(pages::config::set_supervisor)),
        route(M::POST, "/config/counseling-readers", "Name the readers of SUD counseling notes (form)", post(pages::config::set_counseling_readers)),
        route(M::GET, "/audit", "Audit trail (admin)", get(pages::audit::page)),
        route(M::GET, "/sessions", "The week's sessions and their check-in codes", get(pages::schedule::list)),
        route(M::POST, "/sessions", "Add a dated session (form)", post(pages::schedule::create_session)),
        route(M::POST, "/session-templates", "Add a weekly session and date it (form)", post(pages::schedule::create_template)),
        route(M::GET, "/sessions/{id}", "Roster sheet", get(pages::schedule::roster)).many_patients(),
        route(M::POST, "/sessions/{id}/all-present", "Mark everyone not yet marked present (form)", post(pages::schedule::all_present)).many_patients(),
        route(M::POST, "/sessions/{id}/marks", "Mark or correct one line, or add a walk-in (form)", post(pages::schedule::mark)),
        route(M::GET, "/patients/{id}/schedule", "A patient's hours, sessions, availability, plan and calendar link", get(pages::schedule::patient_schedule)),
        route(M::POST, "/patients/{id}/availability", "Save availability windows (form)", post(pages::schedule::availability_submit)),
        route(M::POST, "/patients/{id}/episodes/{episode_id}/intensity-plan", "Save an intensity plan (form)", post(pages::schedule::intensity_plan_submit)),
        route(M::POST, "/patients/{id}/appointments", "Book an appointment (form)", post(pages::schedule::appointment_submit)),
        route(M::POST, "/patients/{id}/calendar-feeds", "Create a calendar link (form)", post(pages::schedule::feed_submit)),
        route(M::POST, "/calendar-feeds/{id}/revoke", "Revoke a calendar link (form)", post(pages::schedule::feed_revoke)),
        route(M::GET, "/patients/{id}/care-plans", "Safety and relapse-prevention plans (printable)", get(pages::care_plans::care_plans)),
        route(M::POST, "/patients/{id}/safety-plan", "Save the safety plan (form)", post(pages::care_plans::safety_submit)),
        route(M::POST, "/patients/{id}/relapse-prevention-plan", "Save the relapse-prevention plan (form)", post(pages::care_plans::relapse_submit)),
        route(M::GET, "/patients/{id}/episodes/{episode_id}/treatment-plan", "An episode's treatment plan (printable), signatures and versions", get(pages::treatment_plan::plan)),
        route(M::POST, "/patients/{id}/episodes/{episode_id}/treatment-plan", "Save the treatment plan (form)", post(pages::treatment_plan::save_submit)),
        route(M::POST, "/patients/{id}/episodes/{episode_id}/treatment-plan/sign", "Sign or co-sign the treatment plan (form)", post(pages::treatment_plan::sign_submit)),
        route(M::GET, "/patients/{id}/privacy", "A patient's privacy: consents, disclosures, accounting, contacts, amendment requests", get(pages::privacy::patient_privacy)),
        route(M::POST, "/patients/{id}/part2-consents", "Record a Part 2 consent (form)", post(pages::privacy::consent_submit)),
        route(M::POST, "/patients/{id}/part2-consents/{consent_id}/revoke", "Revoke a consent in writing (form)", post(pages::privacy::revoke_submit)),
        route(M::POST, "/patients/{id}/disclosures", "Release records under a consent (form)", post(pages::privacy::disclosure_submit)),
        route(M::POST, "/patients/{id}/contacts", "Add a contact (form)", post(pages::privacy::contact_submit)),
        route(M::POST, "/patients/{id}/contacts/{contact_id}/remove", "Remove a contact (form)", post(pages::privacy::contact_remove_submit)),
        route(M::POST, "/patients/{id}/amendment-requests", "Ask to amend the record (form)", post(pages::privacy::amendment_submit)),
        route(M::POST, "/patients/{id}/amendment-requests/{request_id}/decision", "Decide an amendment request (form)", post(pages::privacy::decision_submit)),
        route(M::POST, "/patients/{id}/amendment-requests/{request_id}/disagreement", "File a statement of disagreement (form)", post(pages::privacy::disagreement_submit)),
        route(M::GET, "/privacy", "The privacy office: breach log, records due for disposal, certificates (admin)", get(pages::privacy::privacy_office)).many_patients(),
        route(M::POST, "/breaches", "Record a suspected breach (form)", post(pages::privacy::breach_submit)).many_patients(),
        route(M::POST, "/breaches/{id}/assessment", "Record a breach's risk assessment (form)", post(pages::privacy::assessment_submit)),
        route(M::POST, "/breaches/{id}/letters-sent", "Record the letters as sent (form)", post(pages::privacy::letters_sent_submit)),
        route(M::POST, "/retention/disposals", "Dispose of records due (form)", post(pages::privacy::disposal_submit)).many_patients(),
        route(M::GET, "/emergency", "Emergency access: break the glass (clinicians), the review queue (admin)", get(pages::emergency::emergency)).many_patients(),
        route(M::POST, "/emergency-access", "Break the glass (form)", post(pages::emergency::break_glass_submit)),
        route(M::POST, "/emergency-access/{id}/review", "Review a broken-glass opening (form)", post(pages::emergency::access_review_submit)),
        route(M::POST, "/emergency-disclosures/{id}/review", "Review a 2.51 disclosure (form)", post(pages::emergency::disclosure_review_submit)),
        route(M::POST, "/patients/{id}/emergency-disclosures", "Record a 2.51 disclosure (form)", post(pages::emergency::disclosure_submit)),
        route(M::GET, "/patients/{id}/crisis", "Crisis events: record, escalate, resolve", get(pages::crisis::crisis)),
        route(M::POST, "/patients/{id}/crisis-events", "Record a crisis event (form)", post(pages::crisis::record_submit)),
        route(M::POST, "/patients/{id}/crisis-events/{event_id}/resolve", "Resolve a crisis event (form)", post(pages::crisis::resolve_submit)),
        route(M::POST, "/notifications/{id}/read", "Mark a notification read (form)", post(pages::crisis::read_submit)),
        route(M::GET, "/patients/{id}/notes", "Progress, group and counseling notes", get(pages::notes::notes)),
        route(M::POST, "/patients/{id}/notes", "Start a session note (form)", post(pages::notes::create_submit)),
        route(M::GET, "/patients/{id}/notes/{note_id}", "One note: write, sign, co-sign, amend", get(pages::notes::note)),
        route(M::POST, "/patients/{id}/notes/{note_id}", "Save or sign a draft note (form)", post(pages::notes::note_submit)),
        route(M::POST, "/patients/{id}/notes/{note_id}/cosign", "Co-sign a note (form)", post(pages::notes::cosign_submit)),
        route(M::POST, "/patients/{id}/notes/{note_id}/addenda", "Add an addendum (form)", post(pages::notes::addendum_submit)),
        route(M::POST, "/patients/{id}/counseling-notes", "Start a SUD counseling note (form)", post(pages::notes::counseling_submit)),
        route(M::GET, "/sessions/{id}/group-note", "A group session's note", get(pages::notes::group_note)).many_patients(),
        route(M::POST, "/sessions/{id}/group-note", "Save or sign a group note (form)", post(pages::notes::group_note_submit)).many_patients(),
        route(M::GET, "/patients/{id}/monitoring", "Medications and drug tests", get(pages::monitoring::monitoring)),
        route(M::POST, "/patients/{id}/medications", "Add a medication (form)", post(pages::monitoring::medication_submit)),
        route(M::POST, "/patients/{id}/medications/{medication_id}/stop", "Stop a medication (form)", post(pages::monitoring::stop_submit)),
        route(M::POST, "/patients/{id}/drug-tests", "Record a drug test (form)", post(pages::monitoring::test_submit)),
        route(M::POST, "/patients/{id}/check-ins", "Record a daily check-in (form)", post(pages::monitoring::check_in_submit)),
        route(M::POST, "/patients/{id}/drug-tests/{test_id}/review", "Review a result (form)", post(pages::monitoring::review_submit)),
        route(M::POST, "/patients/{id}/testing-draws", "Draw random testing days (form)", post(pages::monitoring::draw_submit)),
        route(M::GET, "/schedule/build", "Build next week: preview", get(pages::schedule::build)).many_patients(),
        route(M::POST, "/schedule/build", "Build a week: preview with pins and forbids (form)", post(pages::schedule::build_preview)).many_patients(),
        route(M::POST, "/schedule/build/apply", "Build a week: enroll the assignments (form)", post(pages::schedule::build_apply)).many_patients(),
        route(M::GET, "/check-in", "Front-desk self check-in screen", get(pages::schedule::check_in)),
        route(M::POST, "/check-in", "Self check-in (form)", post(pages::schedule::check_in_submit)),
        route(M::GET, "/program", "Program view of attendance", get(pages::schedule::program)).many_patients(),
    ]
}

fn treatment_plan_schema() -> Value {
    let text = || json!({"type": "string"});
    let intervention = object(
        &["modality", "frequency", "responsible_id"],
        json!({"modality": text(), "frequency": text(),
        "responsible_id": {"type": "string", "format": "uuid"}}),
    );
    let objective = object(
        &["statement", "target_date"],
        json!({"statement": text(), "target_date": {"type": "string", "format": "date"},
        "interventions": {"type": "array", "items": intervention}}),
    );
    let goal = object(
        &["statement"],
        json!({"statement": {"type": "string", "description": "in the patient's own words"},
        "objectives": {"type": "array", "items": objective}}),
    );
    let problem = object(
        &["statement"],
        json!({"statement": text(),
        "dimensions": {"type": "array", "items": {"enum": ["withdrawal", "biomedical", "emotional", "readiness", "relapse", "environment"]}},
        "diagnoses": {"type": "array", "items": {"type": "string", "description": "ICD-10-CM code"}},
        "goals": {"type": "array", "items": goal}}),
    );
    object(
        &[],
        json!({"problems": {"type": "array", "items": problem}, "strengths": {"type": "array", "items": text()},
        "preferences": object(&[], json!({"culture": text(), "spirituality": text(), "language": text(), "other": text()}))}),
    )
}

fn sections_schema() -> Value {
    json!({"type": "object", "description": "section -> text: DAP data/assessment/plan; SOAP subjective/objective/assessment/plan; \
        BIRP behavior/intervention/response/plan", "additionalProperties": {"type": "string"}})
}

fn group_note_schema() -> Value {
    object(
        &[],
        json!({"topic": string(), "modality": string(), "interventions": string(), "narrative": string(),
        "entries": {"type": "array", "items": object(&["patient_id"], json!({"patient_id": {"type": "string", "format": "uuid"},
            "observation": string(), "participation": {"type": ["string", "null"], "enum": ["active", "moderate", "minimal", "none", null]},
            "plan": string()}))}}),
    )
}

fn build_body() -> Value {
    let pairs = || json!({"type": "array", "items": {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 2, "maxItems": 2}});
    object(&[], json!({"pinned": pairs(), "forbidden": pairs()}))
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
