//! The audit page: who touched which record, when and from where (admins).

use askama::Template;
use axum::extract::State;
use openiop_core::FieldError;
use openiop_core::access::{Action, Relationship, decide};
use openiop_core::validate::parse_date;
use openiop_store::Instant;
use openiop_store::audit::{AuditFilter, list_events};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;

use super::{Chrome, PageCaller, PageResult, render};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::error::ApiError;
use crate::json::ApiQuery;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

struct Line {
    at: String,
    actor: String,
    role: String,
    action: String,
    patient: String,
    resource: String,
    outcome: &'static str,
    client: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    patient: String,
    user: String,
    from: String,
    until: String,
    lines: Vec<Line>,
    errors: Vec<FieldError>,
}

/// `GET /audit?patient=&user=&from=&until=` (dates inclusive, UTC).
pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> PageResult {
    if !decide(caller.role, Action::ReadAudit, Relationship::None).is_allowed() {
        return Err(ApiError::Forbidden.into());
    }
    let mut errors = Vec::new();
    let mut id = |field: &str, text: &str| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let id = openiop_core::id::parse_id(text);
        if id.is_none() {
            errors.push(FieldError {
                field: field.into(),
                message: "must be an id (UUID)".into(),
            });
        }
        id
    };
    let patient_id = id("patient", &q.patient);
    // The user filter takes an id or a username.
    let user_text = q.user.trim();
    let actor_user_id = if user_text.is_empty() || openiop_core::id::parse_id(user_text).is_some() {
        id("user", user_text)
    } else {
        let mut conn = state.store.read().await?;
        let name = openiop_core::login::normalize_username(user_text);
        match openiop_store::auth::find_user_by_name(&mut conn.db(), &name).await? {
            Some(user) if user.organization_id == caller.organization_id => Some(user.id),
            _ => {
                errors.push(FieldError {
                    field: "user".into(),
                    message: "no user has this id or username".into(),
                });
                None
            }
        }
    };
    let mut day = |field: &str, text: &str, next: bool| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match parse_date(text) {
            Some(d) => {
                let d = if next { d.next_day().unwrap_or(d) } else { d };
                Some(Instant::new(d.midnight().assume_utc()))
            }
            None => {
                errors.push(FieldError {
                    field: field.into(),
                    message: "must be a date YYYY-MM-DD".into(),
                });
                None
            }
        }
    };
    let from = day("from", &q.from, false);
    let until = day("until", &q.until, true);
    let filter = AuditFilter {
        patient_id,
        actor_user_id,
        from,
        until,
    };
    let mut lines = Vec::new();
    if errors.is_empty() {
        let mut conn = state.store.read().await?;
        let events = list_events(&mut conn.db(), caller.organization_id, &filter, 500).await?;
        drop(conn);
        for s in events {
            let e = s.event;
            let at = Instant::from_micros(e.at_micros)
                .and_then(|i| i.get().format(&Rfc3339).ok())
                .unwrap_or_default();
            lines.push(Line {
                at,
                actor: e
                    .actor_user_id
                    .map(|u| u.to_string())
                    .unwrap_or_else(|| "-".into()),
                role: e.actor_role,
                action: e.action,
                patient: e.patient_id.map(|p| p.to_string()).unwrap_or_default(),
                resource: e.resource,
                outcome: e.outcome.as_str(),
                client: e.client_addr,
                detail: e.detail,
            });
        }
        // Reading the trail is itself an access worth recording.
        let event = EventBuilder::for_caller(&caller)
            .action("audit.read", "audit")
            .detail(format!("results={}", lines.len()));
        let event = match patient_id {
            Some(p) => event.patient(p),
            None => event,
        };
        state.store.record(vec![event.build(state.now())]).await?;
    }
    Ok(render(&AuditPage {
        chrome: Chrome::of(&caller),
        patient: q.patient,
        user: q.user,
        from: q.from,
        until: q.until,
        lines,
        errors,
    }))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/audit", "Audit trail (admin)", get(pages::audit::page)),
    ]
}
