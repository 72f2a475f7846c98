//! The patient's right of access: the whole record as one JSON document, for the patient
//! themselves (in the portal) or an admin acting on their written request. SUD counseling
//! notes are not part of it (they are kept apart and disclosed only with their own consent).

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use openiop_core::access::{Action, decide};
use openiop_core::id::PatientId;
use openiop_store::patients as store_patients;
use serde_json::{Value, json};

use super::instruments::AssessmentJson;
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::times::rfc3339;

fn value<T: serde::Serialize>(v: T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(|e| ApiError::caused("encoding JSON", e))
}

/// Builds the export. Only the patient (their own record) and admins; anyone else is told the
/// record does not exist. Audited as one read of the whole record.
pub async fn export(state: &AppState, caller: &Caller, id: PatientId) -> ApiResult<Value> {
    let patient_id = id.uuid();
    let now = state.now();
    let mut conn = state.store.read().await?;
    let patient = store_patients::find_patient(&mut conn.db(), caller.organization_id, patient_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let relationship = store_patients::find_relationship(
        &mut conn.db(),
        caller.organization_id,
        caller.user_id,
        caller.patient_id,
        patient.id,
        openiop_store::Instant::new(now),
    )
    .await?;
    let allowed = decide(caller.role, Action::ExportRecord, relationship).is_allowed();
    let event = EventBuilder::for_caller(caller)
        .action("record.export", format!("patients/{}", patient.id))
        .patient(patient.id);
    if !allowed {
        drop(conn);
        state
            .store
            .record(vec![
                event
                    .outcome(openiop_core::audit::Outcome::Denied)
                    .build(now),
            ])
            .await?;
        return Err(ApiError::NotFound);
    }
    let org = caller.organization_id;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    let mut episode_json = Vec::new();
    for e in &episodes {
        let diagnoses =
            openiop_store::records::list_diagnoses(&mut conn.db(), caller.organization_id, e.id)
                .await?;
        let plans = openiop_store::plans::list_versions(&mut conn.db(), org, e.id).await?;
        let placements =
            openiop_store::clinical::list_placements(&mut conn.db(), caller.organization_id, e.id)
                .await?;
        episode_json.push(json!({
            "episode": value(super::patients::EpisodeJson::from(e.clone()))?,
            "diagnoses": diagnoses.iter().map(|d| json!({"code": d.code, "description": d.description,
                "primary": d.is_primary, "recorded_at": rfc3339(d.recorded_at)})).collect::<Vec<_>>(),
            "treatment_plans": plans.iter().map(super::treatment_plans::PlanJson::new).collect::<ApiResult<Vec<_>>>()?,
            "placements": placements.iter().map(|p| json!({"recommended_level": p.recommended_level,
                "decided_level": p.decided_level, "decided_at": rfc3339(p.decided_at)})).collect::<Vec<_>>(),
        }));
    }
    let notes = openiop_store::notes::list_notes(&mut conn.db(), org, patient.id, false).await?;
    let addenda = openiop_store::notes::list_addenda(&mut conn.db(), org, patient.id).await?;
    let assessments = openiop_store::clinical::list_assessments(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
        None,
        10_000,
    )
    .await?;
    let medications = openiop_store::monitoring::list_medications(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
    )
    .await?;
    let tests =
        openiop_store::monitoring::list_tests(&mut conn.db(), caller.organization_id, patient.id)
            .await?;
    // Every check-in: none can be older than the patient.
    let check_ins = openiop_store::checkins::list_check_ins_since(
        &mut conn.db(),
        org,
        patient.id,
        patient.birth_date,
    )
    .await?;
    let crises = openiop_store::crisis::list_crisis_events(&mut conn.db(), org, patient.id).await?;
    let consents = openiop_store::consents::list_consents(&mut conn.db(), org, patient.id).await?;
    let amendments =
        openiop_store::amendments::list_amendment_requests(&mut conn.db(), org, patient.id).await?;
    let contacts = openiop_store::contacts::list_contacts(&mut conn.db(), org, patient.id).await?;
    let mut documents = Vec::new();
    for kind in ["safety_plan", "relapse_prevention"] {
        if let Some(d) = openiop_store::records::find_current_document(
            &mut conn.db(),
            caller.organization_id,
            patient.id,
            kind,
        )
        .await?
        {
            documents.push(json!({"kind": kind, "version": d.version,
                "plan": d.document::<Value>()?, "recorded_at": rfc3339(d.recorded_at)}));
        }
    }
    drop(conn);
    state.store.record(vec![event.build(now)]).await?;
    // Each consent decoded with its own dates; a body that does not decode is an error.
    let part2_consents = consents
        .iter()
        .map(|c| {
            let consent = serde_json::to_value(c.consent()?)
                .map_err(|e| ApiError::caused(format!("part2_consents {}", c.id), e))?;
            Ok(json!({"id": c.id, "kind": c.kind,
                "signed_on": openiop_core::validate::format_date(c.signed_on),
                "revoked_on": c.revoked_on.map(openiop_core::validate::format_date),
                "consent": consent}))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(json!({
        "exported_at": rfc3339(openiop_store::Instant::new(now)),
        "patient": value(super::patients::PatientJson::from(patient))?,
        "episodes": episode_json,
        "notes": notes.iter().map(|n| super::notes::NoteJson::new(n, &addenda)).collect::<ApiResult<Vec<_>>>()?,
        "assessments": assessments.into_iter().map(|a| AssessmentJson::from_row(a, None)).collect::<ApiResult<Vec<_>>>()?,
        "medications": medications.into_iter().map(super::monitoring::MedicationJson::from).collect::<Vec<_>>(),
        "drug_tests": tests.into_iter().map(|(t, r)| super::monitoring::test_json(t, &r)).collect::<ApiResult<Vec<_>>>()?,
        "check_ins": check_ins.iter().map(super::checkins::CheckInJson::new).collect::<ApiResult<Vec<_>>>()?,
        "care_plans": documents,
        "crisis_events": crises.iter().map(super::crisis::CrisisJson::new).collect::<Vec<_>>(),
        "part2_consents": part2_consents,
        "amendment_requests": amendments.iter().map(super::amendments::AmendmentJson::from).collect::<Vec<_>>(),
        "contacts": contacts.iter().map(|c| json!({"name": c.name, "role": c.role, "relationship": c.relationship,
            "phone": c.phone, "email": c.email})).collect::<Vec<_>>(),
        "not_included": "SUD counseling notes (42 CFR 2.11): kept apart; ask the program for them with their own consent",
    }))
}

/// `GET /api/v1/patients/{id}/record-export`
pub async fn get_export(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(export(&state, &caller, id).await?))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/record-export", "The whole record as JSON: the patient's right of access (the patient, or an admin)", get(api::export::get_export)),
    ]
}
