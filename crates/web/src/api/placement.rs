//! Level-of-care placement: the pure recommendation, and decisions kept on an episode.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::Invalid;
use openiop_core::access::{Access, Action, Part};
use openiop_core::id::{EpisodeId, PatientId};
use openiop_core::placement::{
    self, CareLevel, Dimension, PlacementForm, PlacementInput, Recommendation,
};
use openiop_store::Instant;
use openiop_store::clinical::{self, Placement};
use openiop_store::patients as store_patients;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::ApiJson;
use crate::times::rfc3339;

#[derive(Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DimensionsBody {
    pub withdrawal: i64,
    pub biomedical: i64,
    pub emotional: i64,
    pub readiness: i64,
    pub relapse: i64,
    pub environment: i64,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct PlacementBody {
    pub age: i64,
    pub dimensions: DimensionsBody,
    pub suicide_risk: String,
    #[serde(default)]
    pub factors: Vec<String>,
}

impl PlacementBody {
    pub fn parse(&self) -> Result<PlacementInput, Invalid> {
        let d = &self.dimensions;
        PlacementInput::parse(&PlacementForm {
            age: self.age,
            dimensions: [
                d.withdrawal,
                d.biomedical,
                d.emotional,
                d.readiness,
                d.relapse,
                d.environment,
            ],
            suicide_risk: &self.suicide_risk,
            factors: &self.factors,
        })
    }
}

#[derive(Serialize)]
pub struct RecommendationJson {
    level: &'static str,
    reasons: Vec<String>,
    supports: Vec<String>,
    weekly_hours: Option<placement::Hours>,
    explanations: std::collections::BTreeMap<String, String>,
    policy: placement::PolicyId,
}

impl From<Recommendation> for RecommendationJson {
    fn from(r: Recommendation) -> Self {
        RecommendationJson {
            level: r.level.as_str(),
            reasons: r.reasons,
            supports: r.supports,
            weekly_hours: r.weekly_hours,
            explanations: r.explanations,
            policy: r.policy,
        }
    }
}

/// `POST /api/v1/placement`: pure; stores nothing.
pub async fn post_placement(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PlacementBody>,
) -> ApiResult<Json<RecommendationJson>> {
    require(
        &state,
        &caller,
        Action::UseClinicalTools,
        "placement.recommend",
    )
    .await?;
    let input = body.parse()?;
    Ok(Json(placement::default_policy().recommend(&input).into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub age: i64,
    pub dimensions: DimensionsBody,
    pub suicide_risk: String,
    #[serde(default)]
    pub factors: Vec<String>,
    /// The level decided: the recommendation's unless overridden.
    pub level: Option<String>,
    /// Required when `level` differs from the recommendation.
    pub override_reason: Option<String>,
}

#[derive(Serialize)]
pub struct PlacementJson {
    pub id: Uuid,
    pub episode_id: Uuid,
    pub recommended_level: String,
    pub decided_level: String,
    pub overridden: bool,
    pub override_reason: Option<String>,
    pub reasons: Vec<String>,
    pub supports: Vec<String>,
    pub policy_edition: String,
    pub policy_version: String,
    pub decided_by: Uuid,
    pub decided_at: String,
}

impl TryFrom<Placement> for PlacementJson {
    type Error = openiop_store::StoreError;

    fn try_from(p: Placement) -> Result<Self, Self::Error> {
        let (reasons, supports) = (p.reasons()?, p.supports()?);
        Ok(PlacementJson {
            id: p.id,
            episode_id: p.episode_id,
            overridden: p.decided_level != p.recommended_level,
            recommended_level: p.recommended_level,
            decided_level: p.decided_level,
            override_reason: p.override_reason,
            reasons,
            supports,
            policy_edition: p.policy_edition,
            policy_version: p.policy_version,
            decided_by: p.decided_by,
            decided_at: rfc3339(p.decided_at),
        })
    }
}

/// Records a placement decision on an episode: the recommendation is accepted, or
/// overridden with a reason. Kept as history; audited.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    patient_id: PatientId,
    episode_id: EpisodeId,
    body: &DecisionBody,
) -> ApiResult<Placement> {
    let patient = open_patient(
        state,
        caller,
        patient_id,
        Part::Assessments,
        Access::Write,
        "placement.create",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    drop(conn);
    let episode = episodes
        .into_iter()
        .find(|e| episode_id == e.id)
        .ok_or(crate::error::ApiError::NotFound)?;
    let question = PlacementBody {
        age: body.age,
        dimensions: body.dimensions.clone(),
        suicide_risk: body.suicide_risk.clone(),
        factors: body.factors.clone(),
    };
    let input = question.parse()?;
    let settings =
        super::config::settings_for(state, caller.organization_id, Some(episode.id)).await?;
    let recommendation = settings.policy().recommend(&input);
    let mut check = openiop_core::validate::Check::new();
    let decided = match body.level.as_deref() {
        None | Some("") => Some(recommendation.level),
        Some(text) => {
            let level = CareLevel::parse(text);
            if level.is_none() {
                check.fail(
                    "level",
                    "must be inpatient, withdrawal_management, residential, php, iop or op",
                );
            }
            level
        }
    };
    let reason = check
        .optional_text("override_reason", body.override_reason.as_deref(), 2000)
        .flatten();
    if decided.is_some_and(|d| d != recommendation.level) && reason.is_none() {
        check.fail(
            "override_reason",
            "is required when the level differs from the recommendation",
        );
    }
    check.finish(|| Some(()))?;
    let decided = decided.unwrap_or(recommendation.level);
    let now = state.now();
    let row = Placement {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        episode_id: episode.id,
        input: serde_json::to_string(&question).unwrap_or_default(),
        recommended_level: recommendation.level.as_str().into(),
        reasons: serde_json::to_string(&recommendation.reasons).unwrap_or_default(),
        supports: serde_json::to_string(&recommendation.supports).unwrap_or_default(),
        policy_edition: recommendation.policy.edition.clone(),
        policy_version: recommendation.policy.version.clone(),
        decided_level: decided.as_str().into(),
        override_reason: if decided == recommendation.level {
            None
        } else {
            reason
        },
        decided_by: caller.user_id,
        decided_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    clinical::insert_placement(&mut tx.db(), caller.organization_id, &row).await?;
    // A decision answers the episode's open placement reviews (opened by crisis events).
    let closed = openiop_store::crisis::close_reviews(
        &mut tx.db(),
        caller.organization_id,
        episode.id,
        caller.user_id,
        &format!("decided {}", row.decided_level),
        Instant::new(now),
    )
    .await?;
    if closed > 0 {
        let event = EventBuilder::for_caller(caller)
            .action(
                "placement_review.close",
                format!("patients/{}/episodes/{}", patient.id, episode.id),
            )
            .patient(patient.id)
            .detail(format!("closed={closed}"));
        tx.audit(event.build(now)).await?;
    }
    let event = EventBuilder::for_caller(caller)
        .action(
            "placement.create",
            format!(
                "patients/{}/episodes/{}/placements/{}",
                patient.id, episode.id, row.id
            ),
        )
        .patient(patient.id)
        .detail(format!(
            "recommended={} decided={}",
            row.recommended_level, row.decided_level
        ));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(row)
}

/// `POST /api/v1/patients/{id}/episodes/{episode_id}/placements`
pub async fn post_decision(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<(StatusCode, Json<PlacementJson>)> {
    let row = decide(&state, &caller, id, episode_id, &body).await?;
    Ok((StatusCode::CREATED, Json(row.try_into()?)))
}

/// `GET /api/v1/patients/{id}/episodes/{episode_id}/placements`: newest first.
pub async fn list_decisions(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
) -> ApiResult<Json<ListPage<PlacementJson>>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Assessments,
        Access::Read,
        "placement.list",
    )
    .await?;
    let episode = episode_id.uuid();
    let mut conn = state.store.read().await?;
    let rows = clinical::list_placements(&mut conn.db(), caller.organization_id, episode).await?;
    let rows = rows
        .into_iter()
        .filter(|p| p.patient_id == patient.id)
        .map(PlacementJson::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(ListPage::whole(rows)))
}

/// The labels of the dimensions, for forms.
pub fn dimension_labels() -> [(&'static str, &'static str); 6] {
    Dimension::ALL.map(|d| (d.as_str(), d.label()))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
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
    ]
}

fn placement_schema() -> serde_json::Value {
    use crate::routes::prelude::*;
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
