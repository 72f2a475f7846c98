//! A patient's contacts, each with a role. A contact (a guardian included) is told nothing
//! unless a Part 2 consent in force names them: every entry lists those consents, and
//! `may_receive_information` is false without one.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::access::{Access, Part};
use openiop_core::consent::{self, Consent};
use openiop_core::contact::ContactInput;
use openiop_core::id::{ContactId, PatientId};
use openiop_store::Instant;
use openiop_store::contacts::{self as store, Contact};
use serde::Serialize;
use uuid::Uuid;

use super::{ListPage, local_today, open_patient};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct ContactJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub name: String,
    /// `guardian`, `emergency`, `family` or `support`.
    pub role: String,
    pub relationship: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub added_at: String,
    /// The Part 2 consents in force today that name this contact as a recipient.
    pub consent_ids: Vec<Uuid>,
    /// Whether anything from the record may be shared with them (a consent names them).
    pub may_receive_information: bool,
}

fn contact_json(c: &Contact, in_force: &[(Uuid, Consent)]) -> ContactJson {
    let consent_ids: Vec<Uuid> = in_force
        .iter()
        .filter(|(_, consent)| consent.names(&c.name))
        .map(|(id, _)| *id)
        .collect();
    ContactJson {
        id: c.id,
        patient_id: c.patient_id,
        name: c.name.clone(),
        role: c.role.clone(),
        relationship: c.relationship.clone(),
        phone: c.phone.clone(),
        email: c.email.clone(),
        added_at: rfc3339(c.added_at),
        may_receive_information: !consent_ids.is_empty(),
        consent_ids,
    }
}

/// The patient's contacts with the consents that name them (API and pages).
pub async fn list(state: &AppState, caller: &Caller, id: PatientId) -> ApiResult<Vec<ContactJson>> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Contacts,
        Access::Read,
        "contact.list",
    )
    .await?;
    let in_force = consents_in_force(state, caller, patient.id).await?;
    let mut conn = state.store.read().await?;
    let contacts = store::list_contacts(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok(contacts
        .iter()
        .map(|c| contact_json(c, &in_force))
        .collect())
}

/// The patient's Part 2 consents in force today, read.
async fn consents_in_force(
    state: &AppState,
    caller: &Caller,
    patient_id: Uuid,
) -> ApiResult<Vec<(Uuid, Consent)>> {
    let today = local_today(state, caller).await?;
    let mut conn = state.store.read().await?;
    let consents =
        openiop_store::consents::list_consents(&mut conn.db(), caller.organization_id, patient_id)
            .await?;
    Ok(consents
        .iter()
        .filter(|c| consent::in_force(c.expires_on, c.revoked_on, today))
        .map(|c| Ok((c.id, c.consent()?)))
        .collect::<Result<_, openiop_store::StoreError>>()?)
}

/// `GET /api/v1/patients/{id}/contacts`
pub async fn list_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<ContactJson>>> {
    Ok(Json(ListPage::whole(list(&state, &caller, id).await?)))
}

/// Adds a contact (API and pages).
pub async fn add(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    input: &ContactInput,
) -> ApiResult<ContactJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Contacts,
        Access::Write,
        "contact.add",
    )
    .await?;
    let checked = input.checked()?;
    let now = state.now();
    let row = Contact {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        name: checked.name,
        role: checked.role.to_owned(),
        relationship: checked.relationship,
        phone: checked.phone,
        email: checked.email,
        added_by: caller.user_id,
        added_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    store::insert(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "contact.add",
            format!("patients/{}/contacts/{}", patient.id, row.id),
        )
        .patient(patient.id)
        .detail(row.role.clone());
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    // The new contact alone, with the consents naming them (not the whole list re-read).
    let in_force = consents_in_force(state, caller, patient.id).await?;
    Ok(contact_json(&row, &in_force))
}

/// `POST /api/v1/patients/{id}/contacts`
pub async fn post_contact(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<(StatusCode, Json<ContactJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(add(&state, &caller, id, &input).await?),
    ))
}

/// Removes a contact (kept on record with the time of removal; API and pages).
pub async fn remove(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    contact_id: ContactId,
) -> ApiResult<()> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Contacts,
        Access::Write,
        "contact.remove",
    )
    .await?;
    let contact_id = contact_id.uuid();
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::remove(
        &mut tx.db(),
        caller.organization_id,
        patient.id,
        contact_id,
        Instant::new(now),
    )
    .await?
    {
        return Err(ApiError::NotFound);
    }
    let event = EventBuilder::for_caller(caller)
        .action(
            "contact.remove",
            format!("patients/{}/contacts/{contact_id}", patient.id),
        )
        .patient(patient.id);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /api/v1/patients/{id}/contacts/{contact_id}`
pub async fn delete_contact(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, contact_id)): Ids<(PatientId, ContactId)>,
) -> ApiResult<StatusCode> {
    remove(&state, &caller, id, contact_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/contacts", "A patient's contacts (guardian, emergency, family, support) and the consents in force naming each", get(api::contacts::list_contacts)),
    route(M::POST, "/api/v1/patients/{id}/contacts", "Add a contact with a role; they are told nothing without a consent naming them", post(api::contacts::post_contact))
        .body(|| object(&["name", "role"], json!({"name": string(), "role": {"enum": ["guardian", "emergency", "family", "support"]},
            "relationship": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]}}))),
    route(M::DELETE, "/api/v1/patients/{id}/contacts/{contact_id}", "Remove a contact (kept on record)", delete(api::contacts::delete_contact)).status(204),
    ]
}
