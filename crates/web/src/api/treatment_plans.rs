//! The individualized treatment plan of an episode: versions (a draft is edited in place, a
//! signed version never: editing starts the next one), the clinician's and the patient's
//! signatures, the supervisor's co-signature where the program requires it, and the review
//! date of the version in force.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use openiop_core::Invalid;
use openiop_core::access::{Access, Part, Role};
use openiop_core::access::{Action, may};
use openiop_core::id::{EpisodeId, PatientId};
use openiop_core::treatment_plan::{self as core_plan, Plan, PlanStatus, Signatures};
use openiop_store::Instant;
use openiop_store::patients::Patient;
use openiop_store::plans::{self as store, PlanVersion};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::admissions::episode_of;
use super::{ListPage, open_patient};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct PlanJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub version: i32,
    pub status: &'static str,
    pub plan: Plan,
    pub created_by: Uuid,
    pub created_at: String,
    pub updated_at: String,
    pub clinician_signed_by: Option<Uuid>,
    pub clinician_signed_at: Option<String>,
    pub patient_signature: Option<String>,
    pub patient_signed_at: Option<String>,
    pub cosigner_id: Option<Uuid>,
    pub cosigned_at: Option<String>,
    /// Set once the version is signed in full: when it is due for review.
    pub review_due_on: Option<String>,
}

pub fn signatures(v: &PlanVersion) -> Signatures {
    Signatures {
        clinician: v.clinician_signed_at.is_some(),
        patient: v.patient_signed_at.is_some(),
        cosigner_required: v.cosigner_id.is_some(),
        cosigned: v.cosigned_at.is_some(),
    }
}

impl PlanJson {
    pub fn new(v: &PlanVersion) -> ApiResult<PlanJson> {
        Ok(PlanJson {
            id: v.id,
            patient_id: v.patient_id,
            episode_id: v.episode_id,
            version: v.version,
            status: PlanStatus::of(signatures(v)).as_str(),
            plan: v.plan()?,
            created_by: v.created_by,
            created_at: rfc3339(v.created_at),
            updated_at: rfc3339(v.updated_at),
            clinician_signed_by: v.clinician_signed_by,
            clinician_signed_at: v.clinician_signed_at.map(rfc3339),
            patient_signature: v.patient_signature.clone(),
            patient_signed_at: v.patient_signed_at.map(rfc3339),
            cosigner_id: v.cosigner_id,
            cosigned_at: v.cosigned_at.map(rfc3339),
            review_due_on: v.review_due_on.map(openiop_core::validate::format_date),
        })
    }
}

/// Opens an episode's plans for reading or writing: the policy for `Part::Plans`, then the
/// episode of that patient.
async fn open(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    access: Access,
    action: &str,
) -> ApiResult<(Patient, Uuid, Vec<PlanVersion>)> {
    let patient = open_patient(state, caller, id, Part::Plans, access, action).await?;
    let episode = episode_of(state, &patient, episode_id).await?;
    let mut conn = state.store.read().await?;
    let versions = store::list_versions(&mut conn.db(), caller.organization_id, episode).await?;
    Ok((patient, episode, versions))
}

/// An episode's versions, newest first (API and pages).
pub async fn versions(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
) -> ApiResult<(Patient, Uuid, Vec<PlanJson>)> {
    let (patient, episode, rows) = open(
        state,
        caller,
        id,
        episode_id,
        Access::Read,
        "treatment_plan.read",
    )
    .await?;
    let list = rows.iter().map(PlanJson::new).collect::<ApiResult<_>>()?;
    Ok((patient, episode, list))
}

/// `GET /api/v1/patients/{id}/episodes/{episode_id}/treatment-plan`: the newest version
/// (404 when there is none).
pub async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
) -> ApiResult<Json<PlanJson>> {
    let (_, _, list) = versions(&state, &caller, id, episode_id).await?;
    list.into_iter().next().map(Json).ok_or(ApiError::NotFound)
}

/// `GET /api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions`
pub async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
) -> ApiResult<Json<ListPage<PlanJson>>> {
    let (_, _, list) = versions(&state, &caller, id, episode_id).await?;
    Ok(Json(ListPage::whole(list)))
}

/// Every staff member named as responsible must be an active staff member here.
async fn check_responsible(state: &AppState, caller: &Caller, plan: &Plan) -> ApiResult<()> {
    let mut errors = Vec::new();
    for (p, problem) in plan.problems.iter().enumerate() {
        for (g, goal) in problem.goals.iter().enumerate() {
            for (o, objective) in goal.objectives.iter().enumerate() {
                for (i, intervention) in objective.interventions.iter().enumerate() {
                    let text = intervention.responsible_id.to_string();
                    if super::staff_in_org(state, caller.organization_id, &text)
                        .await?
                        .is_none()
                    {
                        errors.push(openiop_core::FieldError {
                            field: format!(
                                "problems[{p}].goals[{g}].objectives[{o}].interventions[{i}].responsible_id"
                            ),
                            message: "must be an active staff member".into(),
                        });
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors).into())
    }
}

/// Saves a plan: edits the newest version while nobody has signed it, else starts the next
/// version (API and pages).
pub async fn save(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    plan: &Plan,
) -> ApiResult<PlanJson> {
    let (patient, episode, rows) = open(
        state,
        caller,
        id,
        episode_id,
        Access::Write,
        "treatment_plan.update",
    )
    .await?;
    let plan = plan.checked(false)?;
    check_responsible(state, caller, &plan).await?;
    let body = serde_json::to_string(&plan).map_err(|e| ApiError::caused("encoding JSON", e))?;
    let now = state.now();
    let at = Instant::new(now);
    let newest = rows.first();
    let mut tx = state.store.begin().await?;
    let saved = match newest.filter(|v| core_plan::edits_in_place(signatures(v))) {
        Some(draft) => {
            if !store::update_draft(&mut tx.db(), caller.organization_id, draft.id, &body, at)
                .await?
            {
                return Err(ApiError::Conflict(
                    "this version was signed meanwhile; save again to start the next one".into(),
                ));
            }
            PlanVersion {
                body,
                updated_at: at,
                ..draft.clone()
            }
        }
        None => {
            let v = PlanVersion {
                id: openiop_core::id::new_id(),
                patient_id: patient.id,
                episode_id: episode,
                version: newest.map_or(1, |v| v.version + 1),
                body,
                created_by: caller.user_id,
                created_at: at,
                updated_at: at,
                clinician_signed_by: None,
                clinician_signed_at: None,
                patient_signature: None,
                patient_signed_by: None,
                patient_signed_at: None,
                cosigner_id: None,
                cosigned_at: None,
                review_due_on: None,
            };
            store::insert_version(&mut tx.db(), caller.organization_id, &v).await?;
            v
        }
    };
    let event = EventBuilder::for_caller(caller)
        .action(
            "treatment_plan.update",
            format!("patients/{}/episodes/{episode}/treatment-plan", patient.id),
        )
        .patient(patient.id)
        .detail(format!("version={}", saved.version));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    PlanJson::new(&saved)
}

/// `PUT /api/v1/patients/{id}/episodes/{episode_id}/treatment-plan`
pub async fn put_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
    ApiJson(plan): ApiJson<Plan>,
) -> ApiResult<Json<PlanJson>> {
    Ok(Json(save(&state, &caller, id, episode_id, &plan).await?))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// `clinician` or `patient`.
    #[serde(rename = "as")]
    pub signer: String,
    /// The patient's signature: the name they type (required when signing as the patient).
    #[serde(default)]
    pub signature: Option<String>,
}

/// After a signature: when the version is now signed in full, it goes in force with its
/// review date.
async fn put_in_force(
    state: &AppState,
    caller: &Caller,
    tx: &mut openiop_store::Tx,
    v: &mut PlanVersion,
) -> ApiResult<()> {
    if PlanStatus::of(signatures(v)) == PlanStatus::Signed {
        let settings =
            super::config::settings_for(state, caller.organization_id, Some(v.episode_id)).await?;
        let due = core_plan::review_due(
            super::local_today(state, caller).await?,
            settings.plan_review_days,
        );
        store::set_review_due(&mut tx.db(), caller.organization_id, v.id, due).await?;
        v.review_due_on = Some(due);
    }
    Ok(())
}

fn version_of(rows: &[PlanVersion], version: i32) -> ApiResult<&PlanVersion> {
    rows.iter()
        .find(|v| v.version == version)
        .ok_or(ApiError::NotFound)
}

/// Signs a version as its clinician or as the patient (API and pages). The patient signs in
/// the portal, or in person on staff's screen, by typing their name.
pub async fn sign(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    version: i32,
    body: &SignBody,
) -> ApiResult<PlanJson> {
    let as_patient = match body.signer.as_str() {
        "patient" => true,
        "clinician" => false,
        _ => return Err(Invalid::one("as", "must be clinician or patient").into()),
    };
    // A patient signs their own plan (reading is what their role holds); staff need to write.
    let access = if caller.role.is_patient() {
        Access::Read
    } else {
        Access::Write
    };
    let (patient, episode, rows) =
        open(state, caller, id, episode_id, access, "treatment_plan.sign").await?;
    if caller.role.is_patient() && !as_patient {
        return Err(ApiError::Forbidden);
    }
    if !as_patient && !may(caller.role, Action::SignAsClinician) {
        return Err(ApiError::Forbidden);
    }
    let mut v = version_of(&rows, version)?.clone();
    if rows.first().map(|n| n.version) != Some(v.version) {
        return Err(ApiError::Conflict(
            "a newer version exists; sign the newest one".into(),
        ));
    }
    let plan = v.plan()?;
    plan.checked(true)?;
    let now = state.now();
    let at = Instant::new(now);
    let mut tx = state.store.begin().await?;
    if as_patient {
        let signature = body.signature.as_deref().map(str::trim).unwrap_or("");
        if signature.is_empty() || signature.chars().count() > 200 {
            return Err(Invalid::one("signature", "type the patient's full name to sign").into());
        }
        if !store::sign_patient(
            &mut tx.db(),
            caller.organization_id,
            v.id,
            signature,
            caller.user_id,
            at,
        )
        .await?
        {
            return Err(ApiError::Conflict(
                "the patient has already signed this version".into(),
            ));
        }
        v.patient_signature = Some(signature.to_owned());
        v.patient_signed_by = Some(caller.user_id);
        v.patient_signed_at = Some(at);
    } else {
        let settings =
            super::config::settings_for(state, caller.organization_id, Some(episode)).await?;
        let cosigner =
            super::notes::cosigner_under(state, caller.organization_id, &settings, caller.user_id)
                .await?;
        if !store::sign_clinician(
            &mut tx.db(),
            caller.organization_id,
            v.id,
            caller.user_id,
            cosigner,
            at,
        )
        .await?
        {
            return Err(ApiError::Conflict(
                "a clinician has already signed this version".into(),
            ));
        }
        v.clinician_signed_by = Some(caller.user_id);
        v.clinician_signed_at = Some(at);
        v.cosigner_id = cosigner;
    }
    put_in_force(state, caller, &mut tx, &mut v).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "treatment_plan.sign",
            format!("patients/{}/episodes/{episode}/treatment-plan", patient.id),
        )
        .patient(patient.id)
        .detail(format!("version={} as={}", v.version, body.signer));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    PlanJson::new(&v)
}

/// `POST /api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/sign`
pub async fn post_sign(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id, version)): Ids<(PatientId, EpisodeId, i32)>,
    ApiJson(body): ApiJson<SignBody>,
) -> ApiResult<Json<PlanJson>> {
    Ok(Json(
        sign(&state, &caller, id, episode_id, version, &body).await?,
    ))
}

/// Co-signs a version: only the supervisor the clinician's signature named (API and pages).
pub async fn cosign(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    version: i32,
) -> ApiResult<PlanJson> {
    let (patient, episode, rows) = open(
        state,
        caller,
        id,
        episode_id,
        Access::Write,
        "treatment_plan.cosign",
    )
    .await?;
    let mut v = version_of(&rows, version)?.clone();
    if v.cosigner_id.is_none() || v.cosigned_at.is_some() {
        return Err(ApiError::Conflict(
            "this version is not awaiting a co-signature".into(),
        ));
    }
    if v.cosigner_id != Some(caller.user_id) {
        return Err(ApiError::Forbidden);
    }
    let now = state.now();
    let at = Instant::new(now);
    let mut tx = state.store.begin().await?;
    if !store::cosign(
        &mut tx.db(),
        caller.organization_id,
        v.id,
        caller.user_id,
        at,
    )
    .await?
    {
        return Err(ApiError::Conflict(
            "this version is not awaiting a co-signature".into(),
        ));
    }
    v.cosigned_at = Some(at);
    put_in_force(state, caller, &mut tx, &mut v).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "treatment_plan.cosign",
            format!("patients/{}/episodes/{episode}/treatment-plan", patient.id),
        )
        .patient(patient.id)
        .detail(format!("version={}", v.version));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    PlanJson::new(&v)
}

/// `POST /api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/cosign`
pub async fn post_cosign(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id, version)): Ids<(PatientId, EpisodeId, i32)>,
) -> ApiResult<Json<PlanJson>> {
    Ok(Json(
        cosign(&state, &caller, id, episode_id, version).await?,
    ))
}

/// A plan in force whose review is overdue, for the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueJson {
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub version: i32,
    pub review_due_on: String,
}

/// Overdue plan reviews of the patients the caller reaches (admins: all; clinicians and case
/// managers: their care team and groups, as the patient search filters them).
pub async fn overdue(state: &AppState, caller: &Caller) -> ApiResult<Vec<OverdueJson>> {
    if !matches!(
        caller.role,
        Role::Admin | Role::Clinician | Role::CaseManager
    ) {
        return Ok(Vec::new());
    }
    let today = super::local_today(state, caller).await?;
    let mut conn = state.store.read().await?;
    let rows = store::list_overdue_reviews(&mut conn.db(), caller.organization_id, today).await?;
    let reach = openiop_store::patients::Reach::of(caller.role, caller.user_id, caller.patient_id);
    let reached =
        openiop_store::patients::list_reached_ids(&mut conn.db(), caller.organization_id, reach)
            .await?;
    let out = rows
        .into_iter()
        .filter(|r| {
            reached
                .as_ref()
                .is_none_or(|ids| ids.contains(&r.patient_id))
        })
        .map(|r| OverdueJson {
            patient_id: r.patient_id,
            episode_id: r.episode_id,
            version: r.version,
            review_due_on: openiop_core::validate::format_date(r.review_due_on),
        })
        .collect::<Vec<_>>();
    drop(conn);
    let named: Vec<Uuid> = out.iter().map(|o| o.patient_id).collect();
    super::audit_named(
        state,
        caller,
        "treatment_plan.overdue",
        "treatment-plans/overdue",
        &named,
    )
    .await?;
    Ok(out)
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan", "An episode's newest treatment plan version", get(api::treatment_plans::get_plan)),
    route(M::PUT, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan", "Save the treatment plan: edits an unsigned draft, else starts the next version", put(api::treatment_plans::put_plan))
        .body(treatment_plan_schema),
    route(M::GET, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions", "Every version of an episode's treatment plan, newest first", get(api::treatment_plans::list_versions)),
    route(M::POST, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/sign", "Sign a treatment plan version as its clinician or as the patient (typed name)", post(api::treatment_plans::post_sign))
        .status(200)
        .body(|| object(&["as"], json!({"as": {"enum": ["clinician", "patient"]}, "signature": {"type": "string", "description": "the patient's typed full name"}}))),
    route(M::POST, "/api/v1/patients/{id}/episodes/{episode_id}/treatment-plan/versions/{version}/cosign", "Co-sign a treatment plan version (the clinician's supervisor)", post(api::treatment_plans::post_cosign))
        .status(200),
    ]
}

fn treatment_plan_schema() -> serde_json::Value {
    use crate::routes::prelude::*;
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
