//! The JSON API under `/api/v1`.

pub mod account;
pub mod admissions;
pub mod amendments;
pub mod attendance;
pub mod breaches;
pub mod calendar;
pub mod checkins;
pub mod config;
pub mod consents;
pub mod contacts;
pub mod crisis;
pub mod emergency;
pub mod export;
pub mod inquiries;
pub mod instruments;
pub mod measures;
pub mod monitoring;
pub mod notes;
pub mod packet;
pub mod patients;
pub mod placement;
pub mod program;
pub mod reports;
pub mod retention;
pub mod safety;
pub mod schedule;
pub mod sessions;
pub mod treatment_plans;
pub mod week;

use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::access::{Access, Action, Decision, Part, decide};
use openiop_core::audit::Outcome;
use openiop_core::id::{PatientId, UserId};
use openiop_store::patients::{self as store_patients, Patient};
use serde::Serialize;
use uuid::Uuid;

use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// A page of a list: `{"items": [...], "next_cursor": ...}`.
#[derive(Debug, Serialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> ListPage<T> {
    pub fn whole(items: Vec<T>) -> Self {
        ListPage {
            items,
            next_cursor: None,
        }
    }
}

/// Asks the policy for an action that is not about one patient; a refusal is audited.
pub async fn require(
    state: &AppState,
    caller: &Caller,
    action: Action,
    name: &str,
) -> ApiResult<()> {
    match decide(
        caller.role,
        action,
        openiop_core::access::Relationship::None,
    ) {
        Decision::Allow => Ok(()),
        _ => {
            let event = EventBuilder::for_caller(caller)
                .action(name, "")
                .outcome(Outcome::Denied)
                .build(state.now());
            state.store.record(vec![event]).await?;
            Err(ApiError::Forbidden)
        }
    }
}

/// Opens a patient's record for one part and access, or answers 404 (not visible) or 403
/// (visible, but not this part). Refusals are audited; so is an allowed read, before the
/// caller responds. An allowed write's event is the caller's to add to its transaction.
pub async fn open_patient(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    part: Part,
    access: Access,
    action: &str,
) -> ApiResult<Patient> {
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    let patient = store_patients::find_patient(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Only some roles' answers depend on the relationship: the others skip its query (this
    // runs on every patient read).
    let relationship = if openiop_core::access::needs_relationship(caller.role) {
        store_patients::find_relationship(
            &mut conn.db(),
            caller.organization_id,
            caller.user_id,
            caller.patient_id,
            id,
            openiop_store::Instant::new(state.now()),
        )
        .await?
    } else if caller.patient_id == Some(id) {
        openiop_core::access::Relationship::Myself
    } else {
        openiop_core::access::Relationship::None
    };
    drop(conn);
    let decision = decide(caller.role, Action::Record(part, access), relationship);
    let event = EventBuilder::for_caller(caller)
        .action(action, format!("patients/{id}"))
        .patient(id);
    match decision {
        Decision::Allow => {
            if access == Access::Read {
                state.store.record(vec![event.build(state.now())]).await?;
            }
            Ok(patient)
        }
        Decision::Forbidden | Decision::Hidden => {
            let denied = event.outcome(Outcome::Denied).build(state.now());
            state.store.record(vec![denied]).await?;
            Err(if decision == Decision::Hidden {
                ApiError::NotFound
            } else {
                ApiError::Forbidden
            })
        }
    }
}

/// Which of `ids` the policy lets the caller reach for `part` and `access`: the question
/// every operation over many patients asks, once per patient, exactly as [`open_patient`]
/// asks it for one (the relationships are read in bulk). The others are left out without a
/// word: a list must not name them and a bulk write must not touch them. Nothing is audited
/// here; the operation audits the patients it names or changes.
pub async fn permitted_patients(
    state: &AppState,
    caller: &Caller,
    part: Part,
    access: Access,
    ids: &[Uuid],
) -> ApiResult<std::collections::BTreeSet<Uuid>> {
    use openiop_core::access::Relationship;
    let relationships = if openiop_core::access::needs_relationship(caller.role) {
        let mut conn = state.store.read().await?;
        store_patients::list_relationships(
            &mut conn.db(),
            caller.organization_id,
            caller.user_id,
            caller.patient_id,
            ids,
            openiop_store::Instant::new(state.now()),
        )
        .await?
    } else {
        ids.iter()
            .map(|id| {
                let rel = if caller.patient_id == Some(*id) {
                    Relationship::Myself
                } else {
                    Relationship::None
                };
                (*id, rel)
            })
            .collect()
    };
    Ok(relationships
        .into_iter()
        .filter(|(_, rel)| decide(caller.role, Action::Record(part, access), *rel).is_allowed())
        .map(|(id, _)| id)
        .collect())
}

/// Records that a response named these patients to the caller: one event per patient (each
/// once), so the breach log and the accounting of disclosures find every reader of a list.
/// Every response that names a patient goes through here or [`open_patient`].
pub async fn audit_named(
    state: &AppState,
    caller: &Caller,
    action: &str,
    resource: &str,
    patients: &[Uuid],
) -> ApiResult<()> {
    let now = state.now();
    let unique: std::collections::BTreeSet<Uuid> = patients.iter().copied().collect();
    let events = unique
        .into_iter()
        .map(|p| {
            EventBuilder::for_caller(caller)
                .action(action, resource)
                .patient(p)
                .build(now)
        })
        .collect();
    Ok(state.store.record(events).await?)
}

/// A search's audit: one event per patient found (as [`audit_named`]), or one event saying
/// it found nobody, so every search leaves a trace.
pub async fn audit_search(
    state: &AppState,
    caller: &Caller,
    action: &str,
    resource: &str,
    found: &[Uuid],
) -> ApiResult<()> {
    if found.is_empty() {
        let event = EventBuilder::for_caller(caller)
            .action(action, resource)
            .detail("results=0");
        return Ok(state.store.record(vec![event.build(state.now())]).await?);
    }
    audit_named(state, caller, action, resource, found).await
}

/// How the caller stands to one session: its facilitator, or not.
pub fn facilitation(
    caller: &Caller,
    facilitator_id: Option<Uuid>,
) -> openiop_core::access::Relationship {
    if facilitator_id == Some(caller.user_id) {
        openiop_core::access::Relationship::Facilitator
    } else {
        openiop_core::access::Relationship::None
    }
}

/// The active staff member of an organization that `text` names, if it names one.
pub async fn staff_in_org(
    state: &AppState,
    organization_id: Uuid,
    text: &str,
) -> ApiResult<Option<Uuid>> {
    match text.parse::<UserId>() {
        Ok(id) => staff_member(state, organization_id, id).await,
        Err(_) => Ok(None),
    }
}

/// The active staff member of an organization with this id, if there is one.
pub async fn staff_member(
    state: &AppState,
    organization_id: Uuid,
    id: UserId,
) -> ApiResult<Option<Uuid>> {
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    let user = openiop_store::auth::find_user(&mut conn.db(), organization_id, id).await?;
    Ok(user.filter(|u| u.role.is_staff() && u.active).map(|u| u.id))
}

/// The organization's local date (in its first site's zone): what "today" means to staff.
pub async fn local_today(state: &AppState, caller: &Caller) -> ApiResult<time::Date> {
    let mut conn = state.store.read().await?;
    let sites =
        openiop_store::organization::list_sites(&mut conn.db(), caller.organization_id).await?;
    let zone = sites
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_else(|| "UTC".into());
    let now = state.now();
    Ok(openiop_core::attendance::local_date(now, &zone)
        .and_then(|d| openiop_core::validate::parse_date(&d))
        .unwrap_or(now.date()))
}

/// Parses an id from a request body, naming the field when it is not one.
pub fn body_id<T: std::str::FromStr>(field: &str, text: &str) -> ApiResult<T> {
    Ok(crate::json::read_id(field, text)?)
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(%err, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/healthz", "Liveness: the process is up", get(api::healthz)).public(),
    route(M::GET, "/readyz", "Readiness: the database answers", get(api::readyz)).public(),
    ]
}
