//! The level-of-care page on an episode: the six dimensions, suicide risk (prefilled from the
//! latest C-SSRS), factors; the recommendation with its reasons, live; accept or override
//! with a reason; and the history of decisions.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use openiop_core::access::{Access, Part};
use openiop_core::id::{EpisodeId, PatientId};
use openiop_core::patient::age_on;
use openiop_core::placement::{CareLevel, Dimension, Factor, SuicideRisk};
use openiop_store::clinical;
use openiop_store::patients as store_patients;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::open_patient;
use crate::api::placement::{DecisionBody, DimensionsBody, PlacementBody};
use crate::auth::Caller;
use crate::error::ApiError;

struct DimensionView {
    key: &'static str,
    label: &'static str,
    value: u8,
}

#[derive(Template)]
#[template(path = "placement.html")]
struct PlacementPage {
    chrome: Chrome,
    patient_id: String,
    episode_id: String,
    name: String,
    age: i32,
    dimensions: Vec<DimensionView>,
    risk: &'static str,
    risk_source: String,
    risks: [&'static str; 4],
    /// (value, label, checked)
    factors: Vec<(&'static str, String, bool)>,
    /// (value, label)
    levels: Vec<(&'static str, String)>,
    recommendation: String,
    history: Vec<(String, String, String, String)>,
    errors: Vec<openiop_core::FieldError>,
    policy: String,
    /// Why the level of care is under review (open placement reviews of the episode).
    reviews: Vec<String>,
}

fn question_from(form: &FormData, age: i32) -> PlacementBody {
    let dim = |d: Dimension| form.get(d.as_str()).parse::<i64>().unwrap_or(-1);
    PlacementBody {
        age: i64::from(age),
        dimensions: DimensionsBody {
            withdrawal: dim(Dimension::Withdrawal),
            biomedical: dim(Dimension::Biomedical),
            emotional: dim(Dimension::Emotional),
            readiness: dim(Dimension::Readiness),
            relapse: dim(Dimension::Relapse),
            environment: dim(Dimension::Environment),
        },
        suicide_risk: form.get("suicide_risk").to_owned(),
        factors: form.all("factors"),
    }
}

/// The recommendation as a fragment: level, reasons and supports with their sentences.
fn recommendation_html(policy: &openiop_core::placement::Policy, body: &PlacementBody) -> String {
    let esc = crate::html::escape;
    match body.parse() {
        Ok(input) => {
            let r = policy.recommend(&input);
            let hours = match r.weekly_hours {
                Some(h) => match h.max {
                    Some(max) => format!(" ({} to {max} hours a week)", h.min),
                    None => format!(" ({} or more hours a week)", h.min),
                },
                None => String::new(),
            };
            let items = |codes: &[String]| -> String {
                codes
                    .iter()
                    .map(|c| {
                        format!(
                            "<li><strong>{}</strong>: {}</li>",
                            esc(&c.replace('_', " ")),
                            esc(r.explanations.get(c).map(String::as_str).unwrap_or(""))
                        )
                    })
                    .collect()
            };
            format!(
                "<div id=\"recommendation\" aria-live=\"polite\"><p class=\"level\">Recommended: <strong>{}</strong>{hours}</p><h3>Reasons</h3><ul>{}</ul>{}</div>",
                r.level.as_str().replace('_', " ").to_uppercase(),
                items(&r.reasons),
                if r.supports.is_empty() {
                    String::new()
                } else {
                    format!("<h3>Supports</h3><ul>{}</ul>", items(&r.supports))
                }
            )
        }
        Err(invalid) => format!(
            "<div id=\"recommendation\" aria-live=\"polite\"><p>{}</p></div>",
            esc(&invalid
                .0
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "))
        ),
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    form: Option<&FormData>,
    errors: Vec<openiop_core::FieldError>,
) -> Result<PlacementPage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Assessments,
        Access::Read,
        "placement.form",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    let episode = episodes
        .into_iter()
        .find(|x| episode_id == x.id)
        .ok_or(ApiError::NotFound)?;
    let latest_cssrs = clinical::list_assessments(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
        Some("cssrs"),
        1,
    )
    .await?;
    let history =
        clinical::list_placements(&mut conn.db(), caller.organization_id, episode.id).await?;
    let reviews = openiop_store::crisis::list_open_reviews(
        &mut conn.db(),
        caller.organization_id,
        Some(episode.id),
    )
    .await?
    .into_iter()
    .map(|r| r.reason)
    .collect();
    drop(conn);
    let age = age_on(patient.birth_date, state.now().date());
    let (risk, risk_source) = match latest_cssrs.first() {
        Some(a) => (
            SuicideRisk::from_cssrs_band(&a.band),
            format!(
                "from the C-SSRS of {}",
                crate::times::rfc3339(a.administered_at)
            ),
        ),
        None => (
            SuicideRisk::None,
            "no C-SSRS on file: ask and record one".to_owned(),
        ),
    };
    let chosen_risk = form
        .map(|f| f.get("suicide_risk"))
        .and_then(SuicideRisk::parse)
        .unwrap_or(risk);
    let body = match form {
        Some(f) => question_from(f, age),
        None => PlacementBody {
            age: i64::from(age),
            dimensions: DimensionsBody {
                withdrawal: 0,
                biomedical: 0,
                emotional: 0,
                readiness: 0,
                relapse: 0,
                environment: 0,
            },
            suicide_risk: chosen_risk.as_str().to_owned(),
            factors: Vec::new(),
        },
    };
    let settings =
        crate::api::config::settings_for(state, caller.organization_id, Some(episode.id)).await?;
    let values = [
        body.dimensions.withdrawal,
        body.dimensions.biomedical,
        body.dimensions.emotional,
        body.dimensions.readiness,
        body.dimensions.relapse,
        body.dimensions.environment,
    ];
    let policy = settings.policy();
    Ok(PlacementPage {
        reviews,
        chrome: Chrome::of(caller),
        patient_id: patient.id.to_string(),
        episode_id: episode.id.to_string(),
        name: format!("{} {}", patient.given_name, patient.family_name),
        age,
        dimensions: Dimension::ALL
            .iter()
            .zip(values)
            .map(|(d, v)| DimensionView {
                key: d.as_str(),
                label: d.label(),
                value: u8::try_from(v).unwrap_or(0),
            })
            .collect(),
        risk: chosen_risk.as_str(),
        risk_source,
        risks: SuicideRisk::ALL.map(|r| r.as_str()),
        factors: Factor::ALL
            .iter()
            .map(|f| {
                (
                    f.as_str(),
                    f.as_str().replace('_', " "),
                    body.factors.iter().any(|x| x == f.as_str()),
                )
            })
            .collect(),
        levels: CareLevel::ALL
            .iter()
            .map(|l| (l.as_str(), l.as_str().replace('_', " ")))
            .collect(),
        recommendation: recommendation_html(policy, &body),
        history: history
            .into_iter()
            .map(|p| {
                let decided = if p.decided_level == p.recommended_level {
                    p.decided_level.clone()
                } else {
                    format!("{} (recommended {})", p.decided_level, p.recommended_level)
                };
                (
                    crate::times::rfc3339(p.decided_at),
                    decided,
                    p.override_reason.unwrap_or_default(),
                    p.policy_version,
                )
            })
            .collect(),
        errors,
        policy: format!("{}, {}", policy.edition, policy.version),
    })
}

/// `GET /patients/{id}/episodes/{episode_id}/placement`
pub async fn form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
) -> PageResult {
    Ok(render(
        &page(&state, &caller, id, episode_id, None, Vec::new()).await?,
    ))
}

/// `POST /patients/{id}/episodes/{episode_id}/placement/preview`: the live recommendation.
pub async fn preview(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode)): PageIds<(PatientId, EpisodeId)>,
    form: FormData,
) -> PageResult {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Assessments,
        Access::Read,
        "placement.preview",
    )
    .await?;
    let age = age_on(patient.birth_date, state.now().date());
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    drop(conn);
    let episode = episodes
        .iter()
        .find(|x| episode == x.id)
        .map(|x| x.id)
        .ok_or(ApiError::NotFound)?;
    let settings =
        crate::api::config::settings_for(&state, caller.organization_id, Some(episode)).await?;
    Ok(Html(recommendation_html(
        settings.policy(),
        &question_from(&form, age),
    ))
    .into_response())
}

/// `POST /patients/{id}/episodes/{episode_id}/placement`: accept or override.
pub async fn decide(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
    form: FormData,
) -> PageResult {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Assessments,
        Access::Read,
        "placement.form",
    )
    .await?;
    let q = question_from(&form, age_on(patient.birth_date, state.now().date()));
    let body = DecisionBody {
        age: q.age,
        dimensions: q.dimensions,
        suicide_risk: q.suicide_risk,
        factors: q.factors,
        level: if form.get("decision") == "override" {
            form.optional("level")
        } else {
            None
        },
        override_reason: form.optional("override_reason"),
    };
    match crate::api::placement::decide(&state, &caller, id, episode_id, &body).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/patients/{id}/episodes/{episode_id}/placement"))
                .into_response(),
        ),
        Err(ApiError::Invalid(invalid)) => {
            let page = page(&state, &caller, id, episode_id, Some(&form), invalid.0).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/episodes/{episode_id}/placement", "Level of care on an episode", get(pages::placement::form)),
    route(M::POST, "/patients/{id}/episodes/{episode_id}/placement", "Record a placement decision (form)", post(pages::placement::decide)),
    route(M::POST, "/patients/{id}/episodes/{episode_id}/placement/preview", "Live recommendation (htmx)", post(pages::placement::preview)),
    ]
}
