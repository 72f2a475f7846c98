//! Building audit events from requests.

use openiop_core::audit::{Event, Outcome};
use openiop_store::auth::User;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::Caller;

/// One allowed access to a patient that a request recorded: what the idempotency layer keeps
/// with an answer, so that replaying the answer is audited like the original request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Named {
    pub action: String,
    pub resource: String,
    pub patient: Uuid,
}

tokio::task_local! {
    /// The patients the current request's events named, while the idempotency layer listens.
    pub static NAMED: std::cell::RefCell<Vec<Named>>;
}

/// An audit event under construction.
#[derive(Debug, Clone)]
pub struct EventBuilder {
    organization_id: Uuid,
    actor_user_id: Option<Uuid>,
    actor_role: String,
    client_addr: String,
    action: String,
    resource: String,
    patient_id: Option<Uuid>,
    outcome: Outcome,
    detail: String,
}

impl EventBuilder {
    pub fn for_caller(caller: &Caller) -> EventBuilder {
        EventBuilder::new(
            caller.organization_id,
            Some(caller.user_id),
            caller.role.as_str(),
            &caller.client_addr,
        )
    }

    pub fn for_user(user: &User, client: &str) -> EventBuilder {
        EventBuilder::new(
            user.organization_id,
            Some(user.id),
            user.role.as_str(),
            client,
        )
    }

    pub fn anonymous(organization_id: Uuid, client: &str) -> EventBuilder {
        EventBuilder::new(organization_id, None, "anonymous", client)
    }

    pub fn system(organization_id: Uuid) -> EventBuilder {
        EventBuilder::new(organization_id, None, "system", "local")
    }

    fn new(organization_id: Uuid, actor: Option<Uuid>, role: &str, client: &str) -> EventBuilder {
        EventBuilder {
            organization_id,
            actor_user_id: actor,
            actor_role: role.to_owned(),
            client_addr: client.to_owned(),
            action: String::new(),
            resource: String::new(),
            patient_id: None,
            outcome: Outcome::Allowed,
            detail: String::new(),
        }
    }

    pub fn action(mut self, action: &str, resource: impl Into<String>) -> Self {
        self.action = action.to_owned();
        self.resource = resource.into();
        self
    }

    pub fn patient(mut self, patient_id: Uuid) -> Self {
        self.patient_id = Some(patient_id);
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn build(self, at: OffsetDateTime) -> Event {
        if let (Some(patient), Outcome::Allowed) = (self.patient_id, self.outcome) {
            // A request kept for idempotent replay remembers whom it named (see `Named`).
            let _ = NAMED.try_with(|named| {
                named.borrow_mut().push(Named {
                    action: self.action.clone(),
                    resource: self.resource.clone(),
                    patient,
                })
            });
        }
        Event {
            id: openiop_core::id::new_id(),
            organization_id: self.organization_id,
            at_micros: openiop_store::Instant::new(at).micros(),
            actor_user_id: self.actor_user_id,
            actor_role: self.actor_role,
            action: self.action,
            patient_id: self.patient_id,
            resource: self.resource,
            outcome: self.outcome,
            client_addr: self.client_addr,
            detail: self.detail,
        }
    }
}
