//! Privacy pages. A patient's privacy page (`/patients/{id}/privacy`): Part 2 consents with
//! their revocation, disclosures under them (packet and FHIR bundle), the accounting of
//! disclosures, contacts with what each may receive, and requests to amend the record with
//! their decisions. The patient sees their own (and asks for amendments, disagrees with a
//! denial) through the portal. The privacy office (`/privacy`, admins): the breach log with
//! its assessment and letters, and records due for disposal with their certificates.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use openiop_core::FieldError;
use openiop_core::access::{Access, Action, Part, Relationship, decide};
use openiop_core::amendment::{DecisionInput, RequestInput};
use openiop_core::breach::{AssessmentInput, SuspicionInput};
use openiop_core::consent::{ConsentInput, Recipient, Signature};
use openiop_core::contact::ContactInput;
use openiop_core::id::{AmendmentRequestId, BreachId, ConsentId, ContactId, PatientId};
use openiop_core::retention::DisposalInput;

use super::{Chrome, FormData, PageCaller, PageResult, answer_form, render};
use crate::AppState;
use crate::api::amendments::{self, AmendmentJson};
use crate::api::breaches::{self, BreachJson};
use crate::api::consents::{self, AccountingLine, ConsentJson, DisclosureBody, RevokeBody};
use crate::api::contacts::{self, ContactJson};
use crate::api::retention::{self, CertificateJson, RetentionJson};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// A section the caller's role may not read is left out, not an error.
fn section<T>(result: ApiResult<T>) -> ApiResult<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

fn may(caller: &Caller, part: Part, access: Access) -> bool {
    let rel = if caller.role.is_patient() {
        Relationship::Myself
    } else {
        Relationship::CareTeam
    };
    decide(caller.role, Action::Record(part, access), rel).is_allowed()
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PatientPrivacyPage {
    chrome: Chrome,
    id: String,
    name: String,
    consents: Option<Vec<ConsentJson>>,
    accounting: Option<Vec<AccountingLine>>,
    contacts: Vec<ContactJson>,
    amendments: Option<Vec<AmendmentJson>>,
    parts: &'static [(&'static str, &'static str)],
    bases: &'static [(&'static str, &'static str)],
    roles: &'static [(&'static str, &'static str)],
    can_consent: bool,
    can_disclose: bool,
    can_edit_contacts: bool,
    can_request: bool,
    can_decide: bool,
    is_patient: bool,
    /// Links to the packet and bundle of the disclosure just made.
    released: Option<(String, String)>,
    message: String,
    errors: Vec<FieldError>,
}

impl PatientPrivacyPage {
    fn field(&self, c: &ConsentJson, key: &str) -> String {
        c.consent[key].as_str().unwrap_or("").to_owned()
    }

    fn recipients(&self, c: &ConsentJson) -> String {
        c.consent["recipients"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|r| r["name"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }
}

async fn patient_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    message: String,
    errors: Vec<FieldError>,
) -> Result<PatientPrivacyPage, ApiError> {
    // The contacts are what every role that reaches the patient may read: the page's gate.
    let contacts = contacts::list(state, caller, id).await?;
    let patient = crate::api::open_patient(
        state,
        caller,
        id,
        Part::Demographics,
        Access::Read,
        "privacy.read",
    )
    .await?;
    Ok(PatientPrivacyPage {
        chrome: Chrome::of(caller),
        id: patient.id.to_string(),
        name: format!("{} {}", patient.given_name, patient.family_name),
        consents: section(consents::list(state, caller, id).await)?,
        accounting: section(consents::accounting(state, caller, id).await)?,
        amendments: section(amendments::list(state, caller, id).await)?,
        contacts,
        parts: &openiop_core::consent::PARTS,
        bases: &openiop_core::amendment::DENIAL_BASES,
        roles: &openiop_core::contact::ROLES,
        can_consent: may(caller, Part::Admissions, Access::Write),
        can_disclose: may(caller, Part::Notes, Access::Read),
        can_edit_contacts: may(caller, Part::Contacts, Access::Write),
        can_request: may(caller, Part::Amendments, Access::Write),
        can_decide: may(caller, Part::Notes, Access::Write),
        is_patient: caller.role.is_patient(),
        released: None,
        message,
        errors,
    })
}

/// `GET /patients/{id}/privacy`
pub async fn patient_privacy(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(
        &patient_page(&state, &caller, id, String::new(), Vec::new()).await?,
    ))
}

async fn after_patient_form<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    outcome: ApiResult<T>,
    message: &str,
) -> PageResult {
    answer_form(outcome, message, |message, errors| {
        patient_page(state, caller, id, message, errors)
    })
    .await
}

/// `POST /patients/{id}/part2-consents` (form)
pub async fn consent_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let signed_on = form.get("signed_on").to_owned();
    let mut signatures = Vec::new();
    for (field, role) in [
        ("patient_signature", "patient"),
        ("guardian_signature", "guardian"),
    ] {
        if let Some(name) = form.optional(field) {
            signatures.push(Signature {
                name,
                role: role.into(),
                signed_on: signed_on.clone(),
            });
        }
    }
    let input = ConsentInput {
        kind: form.get("kind").to_owned(),
        disclosing_party: form.get("disclosing_party").to_owned(),
        information: form.get("information").to_owned(),
        recipients: form
            .get("recipients")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|name| Recipient {
                name: name.to_owned(),
                intermediary: false,
                participants: None,
            })
            .collect(),
        purpose: form.get("purpose").to_owned(),
        expires: form.get("expires").to_owned(),
        revocation_explained: form.get("revocation_explained") == "yes",
        treatment_conditioned: form.get("treatment_conditioned") == "yes",
        covered_entity_recipients: form.get("covered_entity_recipients") == "yes",
        signatures,
        parts: form.all("parts"),
    };
    let outcome = consents::record(&state, &caller, id, &input).await;
    after_patient_form(&state, &caller, id, outcome, "Consent recorded.").await
}

/// `POST /patients/{id}/part2-consents/{consent_id}/revoke` (form)
pub async fn revoke_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, consent_id)): PageIds<(PatientId, ConsentId)>,
    form: FormData,
) -> PageResult {
    let body = RevokeBody {
        revoked_on: form.optional("revoked_on"),
        note: form.get("note").to_owned(),
    };
    let outcome = consents::revoke(&state, &caller, id, consent_id, &body).await;
    after_patient_form(
        &state,
        &caller,
        id,
        outcome,
        "Consent revoked; it stays on record.",
    )
    .await
}

/// `POST /patients/{id}/disclosures` (form): on success the page links the packet and bundle.
pub async fn disclosure_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = DisclosureBody {
        consent_id: form.get("consent_id").to_owned(),
        recipient: form.get("recipient").to_owned(),
        purpose: form.get("purpose").to_owned(),
        parts: form.all("parts"),
    };
    match consents::disclose(&state, &caller, id, &body).await {
        Ok(d) => {
            let mut page = patient_page(
                &state,
                &caller,
                id,
                format!("Disclosure to {} recorded.", d.recipient),
                Vec::new(),
            )
            .await?;
            let bundle = d.packet_url.replace("/packet", "/bundle");
            page.released = Some((d.packet_url, bundle));
            Ok(render(&page))
        }
        Err(err) => after_patient_form::<()>(&state, &caller, id, Err(err), "").await,
    }
}

/// `POST /patients/{id}/contacts` (form)
pub async fn contact_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let input = ContactInput {
        name: form.get("name").to_owned(),
        role: form.get("role").to_owned(),
        relationship: form.optional("relationship"),
        phone: form.optional("phone"),
        email: form.optional("email"),
    };
    let outcome = contacts::add(&state, &caller, id, &input).await;
    after_patient_form(&state, &caller, id, outcome, "Contact added.").await
}

/// `POST /patients/{id}/contacts/{contact_id}/remove` (form)
pub async fn contact_remove_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, contact_id)): PageIds<(PatientId, ContactId)>,
) -> PageResult {
    let outcome = contacts::remove(&state, &caller, id, contact_id).await;
    after_patient_form(&state, &caller, id, outcome, "Contact removed.").await
}

/// `POST /patients/{id}/amendment-requests` (form)
pub async fn amendment_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let input = RequestInput {
        information: form.get("information").to_owned(),
        requested_change: form.get("requested_change").to_owned(),
        reason: form.get("reason").to_owned(),
    };
    let outcome = amendments::request(&state, &caller, id, &input).await;
    after_patient_form(
        &state,
        &caller,
        id,
        outcome,
        "Request received: the program answers within 60 days.",
    )
    .await
}

/// `POST /patients/{id}/amendment-requests/{request_id}/decision` (form)
pub async fn decision_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, request_id)): PageIds<(PatientId, AmendmentRequestId)>,
    form: FormData,
) -> PageResult {
    let input = DecisionInput {
        decision: form.get("decision").to_owned(),
        basis: form.optional("basis"),
        note: form.get("note").to_owned(),
    };
    let outcome = amendments::decide(&state, &caller, id, request_id, &input).await;
    after_patient_form(&state, &caller, id, outcome, "Decision recorded.").await
}

/// `POST /patients/{id}/amendment-requests/{request_id}/disagreement` (form)
pub async fn disagreement_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, request_id)): PageIds<(PatientId, AmendmentRequestId)>,
    form: FormData,
) -> PageResult {
    let outcome =
        amendments::disagree(&state, &caller, id, request_id, form.get("statement")).await;
    after_patient_form(
        &state,
        &caller,
        id,
        outcome,
        "Your statement of disagreement is kept with the request.",
    )
    .await
}

#[derive(Template)]
#[template(path = "privacy_office.html")]
struct PrivacyOfficePage {
    chrome: Chrome,
    breaches: Vec<BreachJson>,
    retention: RetentionJson,
    certificates: Vec<CertificateJson>,
    message: String,
    errors: Vec<FieldError>,
}

async fn office_page(
    state: &AppState,
    caller: &Caller,
    message: String,
    errors: Vec<FieldError>,
) -> Result<PrivacyOfficePage, ApiError> {
    Ok(PrivacyOfficePage {
        chrome: Chrome::of(caller),
        breaches: breaches::log(state, caller).await?,
        retention: retention::due(state, caller).await?,
        certificates: retention::certificates(state, caller).await?,
        message,
        errors,
    })
}

/// `GET /privacy` (admins)
pub async fn privacy_office(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult {
    Ok(render(
        &office_page(&state, &caller, String::new(), Vec::new()).await?,
    ))
}

async fn after_office_form<T>(
    state: &AppState,
    caller: &Caller,
    outcome: ApiResult<T>,
    message: &str,
) -> PageResult {
    answer_form(outcome, message, |message, errors| {
        office_page(state, caller, message, errors)
    })
    .await
}

/// `POST /breaches` (form): times are the site's local wall clock, `YYYY-MM-DDTHH:MM`.
pub async fn breach_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let utc = |text: &str| {
        if text.len() == 16 {
            format!("{text}:00Z")
        } else {
            text.to_owned()
        }
    };
    let input = SuspicionInput {
        description: form.get("description").to_owned(),
        discovered_on: form.get("discovered_on").to_owned(),
        window_from: utc(form.get("window_from")),
        window_to: utc(form.get("window_to")),
        actor_user_id: form.optional("actor_user_id"),
    };
    let outcome = breaches::record(&state, &caller, &input).await;
    after_office_form(&state, &caller, outcome, "Suspected breach recorded.").await
}

/// `POST /breaches/{id}/assessment` (form)
pub async fn assessment_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<BreachId>,
    form: FormData,
) -> PageResult {
    let input = AssessmentInput {
        status: form.get("status").to_owned(),
        assessment: form.get("assessment").to_owned(),
        information_involved: form.optional("information_involved"),
        steps_for_patients: form.optional("steps_for_patients"),
        mitigation: form.optional("mitigation"),
        contact: form.optional("contact"),
    };
    let outcome = breaches::assess(&state, &caller, id, &input).await;
    after_office_form(&state, &caller, outcome, "Assessment recorded.").await
}

/// `POST /breaches/{id}/letters-sent` (form)
pub async fn letters_sent_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<BreachId>,
) -> PageResult {
    let outcome = breaches::letters_sent(&state, &caller, id).await;
    after_office_form(&state, &caller, outcome, "Letters recorded as sent.").await
}

/// `POST /retention/disposals` (form)
pub async fn disposal_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let input = DisposalInput {
        patient_ids: form.all("patient_ids"),
        method: form.get("method").to_owned(),
        approved_by: form.get("approved_by").to_owned(),
    };
    let outcome = retention::dispose(&state, &caller, &input).await;
    after_office_form(
        &state,
        &caller,
        outcome,
        "Records disposed of; their certificates are below.",
    )
    .await
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
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
    ]
}
