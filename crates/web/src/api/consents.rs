//! Written consents to disclose under 42 CFR Part 2: saved only with every element of §2.31
//! (the statements the rule requires are written in), signed as the program's rule for minors
//! requires, and revoked in writing (the consent and its history are kept).

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::Invalid;
use openiop_core::access::{Access, Part};
use openiop_core::consent::{self, ConsentInput};
use openiop_core::id::{ConsentId, PatientId};
use openiop_store::Instant;
use openiop_store::consents::{self as store, Part2Consent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, local_today, open_patient};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct ConsentJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: String,
    /// `active`, `expired` or `revoked`, today.
    pub status: &'static str,
    pub consent: serde_json::Value,
    pub signed_on: String,
    pub expires_on: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: String,
    pub revoked_on: Option<String>,
    pub revocation_note: Option<String>,
}

fn consent_json(c: &Part2Consent, today: time::Date) -> ApiResult<ConsentJson> {
    let status = if c.revoked_on.is_some_and(|r| r <= today) {
        "revoked"
    } else if consent::in_force(c.expires_on, c.revoked_on, today) {
        "active"
    } else {
        "expired"
    };
    let date = openiop_core::validate::format_date;
    Ok(ConsentJson {
        id: c.id,
        patient_id: c.patient_id,
        kind: c.kind.clone(),
        status,
        consent: serde_json::to_value(c.consent()?)
            .map_err(|e| ApiError::caused(format!("part2_consents {}", c.id), e))?,
        signed_on: date(c.signed_on),
        expires_on: c.expires_on.map(date),
        recorded_by: c.recorded_by,
        recorded_at: rfc3339(c.recorded_at),
        revoked_on: c.revoked_on.map(date),
        revocation_note: c.revocation_note.clone(),
    })
}

/// Records a consent (API and pages).
pub async fn record(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    input: &ConsentInput,
) -> ApiResult<ConsentJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Admissions,
        Access::Write,
        "part2_consent.create",
    )
    .await?;
    let settings =
        super::config::settings_of_patient(state, caller.organization_id, patient.id).await?;
    let today = local_today(state, caller).await?;
    let checked = consent::check(input, patient.birth_date, settings.minor_consent, today)?;
    let now = state.now();
    let row = Part2Consent {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        kind: checked.kind.to_owned(),
        body: serde_json::to_string(&checked).map_err(|e| ApiError::caused("encoding JSON", e))?,
        signed_on: checked.signed_on,
        expires_on: checked.expires_on,
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
        revoked_on: None,
        revoked_by: None,
        revocation_note: None,
    };
    let mut tx = state.store.begin().await?;
    store::insert(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "part2_consent.create",
            format!("patients/{}/part2-consents/{}", patient.id, row.id),
        )
        .patient(patient.id)
        .detail(row.kind.clone());
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    consent_json(&row, today)
}

/// `POST /api/v1/patients/{id}/part2-consents`
pub async fn post_consent(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(input): ApiJson<ConsentInput>,
) -> ApiResult<(StatusCode, Json<ConsentJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(record(&state, &caller, id, &input).await?),
    ))
}

/// A patient's consents with their status today (API and pages).
pub async fn list(state: &AppState, caller: &Caller, id: PatientId) -> ApiResult<Vec<ConsentJson>> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Admissions,
        Access::Read,
        "part2_consent.list",
    )
    .await?;
    let today = local_today(state, caller).await?;
    let mut conn = state.store.read().await?;
    let rows = store::list_consents(&mut conn.db(), caller.organization_id, patient.id).await?;
    rows.iter().map(|c| consent_json(c, today)).collect()
}

/// `GET /api/v1/patients/{id}/part2-consents`
pub async fn list_consents(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<ConsentJson>>> {
    Ok(Json(ListPage::whole(list(&state, &caller, id).await?)))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// The date of the written revocation (today when missing).
    #[serde(default)]
    pub revoked_on: Option<String>,
    /// How it came (letter, signed form) and anything to note.
    pub note: String,
}

/// Revokes a consent in writing: future disclosures stop; the consent stays on record.
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    consent_id: ConsentId,
    body: &RevokeBody,
) -> ApiResult<ConsentJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Admissions,
        Access::Write,
        "part2_consent.revoke",
    )
    .await?;
    let consent_id = consent_id.uuid();
    let today = local_today(state, caller).await?;
    let on = match body.revoked_on.as_deref() {
        None => today,
        Some(text) => openiop_core::validate::parse_date(text)
            .filter(|d| *d <= today)
            .ok_or_else(|| Invalid::one("revoked_on", "must be a date, not in the future"))?,
    };
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > 2_000 {
        return Err(Invalid::one("note", "must say how the written revocation came").into());
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::revoke(
        &mut tx.db(),
        caller.organization_id,
        patient.id,
        consent_id,
        on,
        caller.user_id,
        note,
    )
    .await?
    {
        drop(tx);
        // A consent that is not this patient's is unknown here (404); only a revoked one of
        // theirs is a conflict.
        let mut conn = state.store.read().await?;
        let known = store::list_consents(&mut conn.db(), caller.organization_id, patient.id)
            .await?
            .iter()
            .any(|c| c.id == consent_id);
        return Err(if known {
            ApiError::Conflict("this consent is revoked already".into())
        } else {
            ApiError::NotFound
        });
    }
    let event = EventBuilder::for_caller(caller)
        .action(
            "part2_consent.revoke",
            format!("patients/{}/part2-consents/{consent_id}", patient.id),
        )
        .patient(patient.id);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    let mut conn = state.store.read().await?;
    let rows = store::list_consents(&mut conn.db(), caller.organization_id, patient.id).await?;
    rows.iter()
        .find(|c| c.id == consent_id)
        .ok_or(ApiError::NotFound)
        .and_then(|c| consent_json(c, today))
}

/// `POST /api/v1/patients/{id}/part2-consents/{consent_id}/revoke`
pub async fn post_revoke(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, consent_id)): Ids<(PatientId, ConsentId)>,
    ApiJson(body): ApiJson<RevokeBody>,
) -> ApiResult<Json<ConsentJson>> {
    Ok(Json(revoke(&state, &caller, id, consent_id, &body).await?))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureBody {
    pub consent_id: String,
    pub recipient: String,
    pub purpose: String,
    pub parts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DisclosureJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub consent_id: Uuid,
    pub recipient: String,
    pub purpose: String,
    pub parts: Vec<String>,
    pub disclosed_by: Uuid,
    pub disclosed_at: String,
    /// The packet to hand over: the records, the 2.32 notice and a copy of the consent.
    pub packet_url: String,
}

fn disclosure_json(d: &store::Disclosure) -> ApiResult<DisclosureJson> {
    Ok(DisclosureJson {
        id: d.id,
        patient_id: d.patient_id,
        consent_id: d.consent_id,
        recipient: d.recipient.clone(),
        purpose: d.purpose.clone(),
        parts: d.parts()?,
        disclosed_by: d.disclosed_by,
        disclosed_at: rfc3339(d.disclosed_at),
        packet_url: format!(
            "/api/v1/patients/{}/disclosures/{}/packet",
            d.patient_id, d.id
        ),
    })
}

/// Releases records under a consent (API and pages): only with a consent in force that names
/// the recipient, gives the purpose and covers every part; recorded for the accounting.
pub async fn disclose(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &DisclosureBody,
) -> ApiResult<DisclosureJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Notes,
        Access::Read,
        "disclosure.create",
    )
    .await?;
    let consent_id = super::body_id("consent_id", &body.consent_id)?;
    let today = local_today(state, caller).await?;
    let mut conn = state.store.read().await?;
    let consents = store::list_consents(&mut conn.db(), caller.organization_id, patient.id).await?;
    drop(conn);
    let row = consents
        .iter()
        .find(|c| c.id == consent_id)
        .ok_or_else(|| Invalid::one("consent_id", "must be a consent of this patient"))?;
    let consent: consent::Consent = row.consent()?;
    if consent.kind == "sud_counseling_notes" || consent.kind == "legal_proceedings" {
        return Err(Invalid::one(
            "consent_id",
            "this consent covers counseling notes or legal proceedings, which packets do not carry",
        )
        .into());
    }
    consent::check_disclosure(
        &consent,
        consent::in_force(row.expires_on, row.revoked_on, today),
        &body.recipient,
        &body.purpose,
        &body.parts,
    )?;
    let now = state.now();
    let d = store::Disclosure {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        consent_id,
        recipient: body.recipient.trim().to_owned(),
        purpose: consent.purpose.clone(),
        parts: serde_json::to_string(&body.parts)
            .map_err(|e| ApiError::caused("encoding JSON", e))?,
        disclosed_by: caller.user_id,
        disclosed_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    store::insert_disclosure(&mut tx.db(), caller.organization_id, &d).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "disclosure.create",
            format!("patients/{}/disclosures/{}", patient.id, d.id),
        )
        .patient(patient.id)
        .detail(format!(
            "consent={consent_id} parts={}",
            body.parts.join(",")
        ));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    disclosure_json(&d)
}

/// `POST /api/v1/patients/{id}/disclosures`
pub async fn post_disclosure(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<DisclosureBody>,
) -> ApiResult<(StatusCode, Json<DisclosureJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(disclose(&state, &caller, id, &body).await?),
    ))
}

/// One line of the accounting of disclosures.
#[derive(Debug, Clone, Serialize)]
pub struct AccountingLine {
    pub disclosed_at: String,
    pub recipient: String,
    /// What was disclosed, briefly.
    pub description: String,
    pub purpose: String,
    /// `consent` or `medical_emergency` (42 CFR 2.51).
    pub basis: &'static str,
}

/// The patient's accounting of disclosures of the last three years, newest first: those made
/// with consent and those made in a medical emergency (API and pages; patients read their own).
pub async fn accounting(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
) -> ApiResult<Vec<AccountingLine>> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Admissions,
        Access::Read,
        "disclosure.accounting",
    )
    .await?;
    let since = Instant::new(state.now() - time::Duration::days(3 * 365 + 1));
    let mut conn = state.store.read().await?;
    let consented =
        store::list_disclosures_since(&mut conn.db(), caller.organization_id, patient.id, since)
            .await?;
    let emergencies = openiop_store::emergency::list_disclosures(
        &mut conn.db(),
        caller.organization_id,
        Some(patient.id),
        false,
    )
    .await?;
    let mut lines: Vec<(Instant, AccountingLine)> = consented
        .iter()
        .map(|d| Ok((d, d.parts()?)))
        .collect::<ApiResult<Vec<_>>>()?
        .into_iter()
        .map(|(d, parts)| {
            (
                d.disclosed_at,
                AccountingLine {
                    disclosed_at: rfc3339(d.disclosed_at),
                    recipient: d.recipient.clone(),
                    description: parts
                        .iter()
                        .map(|p| consent::part_label(p))
                        .collect::<Vec<_>>()
                        .join("; "),
                    purpose: d.purpose.clone(),
                    basis: "consent",
                },
            )
        })
        .chain(
            emergencies
                .iter()
                .filter(|e| e.disclosed_at >= since)
                .map(|e| {
                    (
                        e.disclosed_at,
                        AccountingLine {
                            disclosed_at: rfc3339(e.disclosed_at),
                            recipient: format!("{}, {}", e.recipient_name, e.recipient_facility),
                            description: e.information.clone(),
                            purpose: format!("Medical emergency: {}", e.nature_of_emergency),
                            basis: "medical_emergency",
                        },
                    )
                }),
        )
        .collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.0));
    Ok(lines.into_iter().map(|(_, l)| l).collect())
}

/// `GET /api/v1/patients/{id}/accounting-of-disclosures`
pub async fn get_accounting(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<AccountingLine>>> {
    Ok(Json(ListPage::whole(
        accounting(&state, &caller, id).await?,
    )))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
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
    route(M::GET, "/api/v1/patients/{id}/accounting-of-disclosures", "The accounting of disclosures of the last three years (consent and 2.51)", get(api::consents::get_accounting)),
    ]
}
