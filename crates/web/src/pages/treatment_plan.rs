//! The treatment plan page of an episode: the version shown (printable), its signatures and
//! review date, signing and co-signing, the versions, and for clinicians an editing form that
//! always offers one empty slot at each level (problem, goal, objective, intervention), so a
//! plan grows without scripts.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use openiop_core::FieldError;
use openiop_core::access::may;
use openiop_core::access::{Access, Action, Part, Relationship, decide};
use openiop_core::id::{EpisodeId, PatientId};
use openiop_core::placement::Dimension;
use openiop_core::treatment_plan::{
    Goal, Intervention, Objective, Plan, PlanStatus, Preferences, Problem,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::treatment_plans::{self as api, PlanJson, SignBody};
use crate::auth::Caller;
use crate::error::ApiError;

/// Slots per level the form reads back (existing entries plus one empty slot each).
const MAX_SLOTS: usize = 40;

pub struct InterventionForm {
    prefix: String,
    modality: String,
    frequency: String,
    responsible: Option<Uuid>,
}

pub struct ObjectiveForm {
    prefix: String,
    statement: String,
    target_date: String,
    interventions: Vec<InterventionForm>,
}

pub struct GoalForm {
    prefix: String,
    statement: String,
    objectives: Vec<ObjectiveForm>,
}

pub struct ProblemForm {
    prefix: String,
    statement: String,
    dimensions: Vec<(&'static str, &'static str, bool)>,
    diagnoses: String,
    goals: Vec<GoalForm>,
}

fn intervention_form(prefix: String, i: Option<&Intervention>) -> InterventionForm {
    InterventionForm {
        prefix,
        modality: i.map(|i| i.modality.clone()).unwrap_or_default(),
        frequency: i.map(|i| i.frequency.clone()).unwrap_or_default(),
        responsible: i.map(|i| i.responsible_id),
    }
}

fn objective_form(prefix: String, o: Option<&Objective>) -> ObjectiveForm {
    let existing = o.map(|o| o.interventions.as_slice()).unwrap_or_default();
    ObjectiveForm {
        statement: o.map(|o| o.statement.clone()).unwrap_or_default(),
        target_date: o.map(|o| o.target_date.clone()).unwrap_or_default(),
        interventions: (0..=existing.len())
            .map(|m| intervention_form(format!("{prefix}_i{m}"), existing.get(m)))
            .collect(),
        prefix,
    }
}

fn goal_form(prefix: String, g: Option<&Goal>) -> GoalForm {
    let existing = g.map(|g| g.objectives.as_slice()).unwrap_or_default();
    GoalForm {
        statement: g.map(|g| g.statement.clone()).unwrap_or_default(),
        objectives: (0..=existing.len())
            .map(|o| objective_form(format!("{prefix}_o{o}"), existing.get(o)))
            .collect(),
        prefix,
    }
}

fn problem_form(prefix: String, p: Option<&Problem>) -> ProblemForm {
    let existing = p.map(|p| p.goals.as_slice()).unwrap_or_default();
    ProblemForm {
        statement: p.map(|p| p.statement.clone()).unwrap_or_default(),
        dimensions: Dimension::ALL
            .iter()
            .map(|d| {
                (
                    d.as_str(),
                    d.label(),
                    p.is_some_and(|p| p.dimensions.contains(d)),
                )
            })
            .collect(),
        diagnoses: p.map(|p| p.diagnoses.join(", ")).unwrap_or_default(),
        goals: (0..=existing.len())
            .map(|g| goal_form(format!("{prefix}_g{g}"), existing.get(g)))
            .collect(),
        prefix,
    }
}

/// The editing form of a plan: its entries plus an empty slot at each level.
fn editor(plan: &Plan) -> Vec<ProblemForm> {
    (0..=plan.problems.len())
        .map(|k| problem_form(format!("p{k}"), plan.problems.get(k)))
        .collect()
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads the editing form back; empty slots are skipped.
fn plan_from_form(form: &FormData) -> Plan {
    let blank = |names: &[String]| names.iter().all(|n| form.get(n).trim().is_empty());
    let mut problems = Vec::new();
    for k in 0..MAX_SLOTS {
        let p = format!("p{k}");
        let mut goals = Vec::new();
        for j in 0..MAX_SLOTS {
            let g = format!("{p}_g{j}");
            let mut objectives = Vec::new();
            for o in 0..MAX_SLOTS {
                let ob = format!("{g}_o{o}");
                let mut interventions = Vec::new();
                for m in 0..MAX_SLOTS {
                    let i = format!("{ob}_i{m}");
                    let names = [format!("{i}_modality"), format!("{i}_frequency")];
                    if blank(&names) {
                        continue;
                    }
                    interventions.push(Intervention {
                        modality: form.get(&names[0]).to_owned(),
                        frequency: form.get(&names[1]).to_owned(),
                        responsible_id: openiop_core::id::parse_id(
                            form.get(&format!("{i}_responsible")),
                        )
                        .unwrap_or(Uuid::nil()),
                    });
                }
                let names = [format!("{ob}_statement"), format!("{ob}_target_date")];
                if blank(&names) && interventions.is_empty() {
                    continue;
                }
                objectives.push(Objective {
                    statement: form.get(&names[0]).to_owned(),
                    target_date: form.get(&names[1]).to_owned(),
                    interventions,
                });
            }
            let statement = form.get(&format!("{g}_statement")).to_owned();
            if statement.trim().is_empty() && objectives.is_empty() {
                continue;
            }
            goals.push(Goal {
                statement,
                objectives,
            });
        }
        let statement = form.get(&format!("{p}_statement")).to_owned();
        let diagnoses: Vec<String> = form
            .get(&format!("{p}_diagnoses"))
            .split([',', ' '])
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        if statement.trim().is_empty() && goals.is_empty() && diagnoses.is_empty() {
            continue;
        }
        let chosen = form.all(&format!("{p}_dimensions"));
        problems.push(Problem {
            statement,
            dimensions: Dimension::ALL
                .into_iter()
                .filter(|d| chosen.iter().any(|c| c == d.as_str()))
                .collect(),
            diagnoses,
            goals,
        });
    }
    Plan {
        problems,
        strengths: lines(form.get("strengths")),
        preferences: Preferences {
            culture: form.get("culture").to_owned(),
            spirituality: form.get("spirituality").to_owned(),
            language: form.get("language").to_owned(),
            other: form.get("other_preferences").to_owned(),
        },
    }
}

#[derive(Template)]
#[template(path = "treatment_plan.html")]
struct PlanPage {
    chrome: Chrome,
    patient_id: Uuid,
    episode_id: Uuid,
    name: String,
    /// The version shown (the newest unless `?version=` names another).
    shown: Option<PlanJson>,
    /// The version in force (the newest signed in full), if any.
    in_force: Option<i32>,
    overdue: bool,
    versions: Vec<PlanJson>,
    can_edit: bool,
    can_sign_clinician: bool,
    can_sign_patient: bool,
    can_cosign: bool,
    editor: Vec<ProblemForm>,
    strengths: String,
    preferences: Preferences,
    staff: Vec<(Uuid, String)>,
    message: String,
    errors: Vec<FieldError>,
}

impl PlanPage {
    fn staff_name(&self, id: &Uuid) -> String {
        self.staff
            .iter()
            .find(|(s, _)| s == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "?".into())
    }

    fn dimension_labels(&self, p: &Problem) -> String {
        p.dimensions
            .iter()
            .map(|d| d.label())
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn picked(&self, i: &InterventionForm, id: &Uuid) -> bool {
        i.responsible == Some(*id)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    pub version: Option<i32>,
}

struct Draft {
    plan: Option<Plan>,
    message: String,
    errors: Vec<FieldError>,
}

async fn page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    version: Option<i32>,
    draft: Draft,
) -> Result<PlanPage, ApiError> {
    let (patient, episode, versions) = api::versions(state, caller, id, episode_id).await?;
    let newest = versions.first();
    let shown = match version {
        Some(n) => versions.iter().find(|v| v.version == n).cloned(),
        None => newest.cloned(),
    };
    let in_force = versions
        .iter()
        .find(|v| v.status == PlanStatus::Signed.as_str())
        .map(|v| v.version);
    let overdue = versions
        .iter()
        .find(|v| v.status == PlanStatus::Signed.as_str())
        .and_then(|v| v.review_due_on.as_deref())
        .and_then(openiop_core::validate::parse_date)
        .is_some_and(|due| due < state.now().date());
    let writer = decide(
        caller.role,
        Action::Record(Part::Plans, Access::Write),
        Relationship::CareTeam,
    )
    .is_allowed();
    let unsigned_newest = newest.filter(|v| v.status != PlanStatus::Signed.as_str());
    let mut conn = state.store.read().await?;
    let staff: Vec<(Uuid, String)> =
        openiop_store::auth::list_users(&mut conn.db(), caller.organization_id)
            .await?
            .into_iter()
            .filter(|u| u.role.is_staff() && u.active)
            .map(|u| (u.id, u.username))
            .collect();
    drop(conn);
    let base = draft
        .plan
        .or_else(|| newest.map(|v| v.plan.clone()))
        .unwrap_or_default();
    Ok(PlanPage {
        chrome: Chrome::of(caller),
        patient_id: patient.id,
        episode_id: episode,
        name: format!("{} {}", patient.given_name, patient.family_name),
        in_force,
        overdue,
        can_edit: writer,
        can_sign_clinician: may(caller.role, Action::SignAsClinician)
            && unsigned_newest.is_some_and(|v| v.clinician_signed_at.is_none()),
        can_sign_patient: (writer || caller.role.is_patient())
            && unsigned_newest.is_some_and(|v| v.patient_signed_at.is_none()),
        can_cosign: unsigned_newest
            .is_some_and(|v| v.cosigner_id == Some(caller.user_id) && v.cosigned_at.is_none()),
        editor: editor(&base),
        strengths: base.strengths.join("\n"),
        preferences: base.preferences.clone(),
        staff,
        shown,
        versions,
        message: draft.message,
        errors: draft.errors,
    })
}

/// `GET /patients/{id}/episodes/{episode_id}/treatment-plan`
pub async fn plan(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
    Query(q): Query<VersionQuery>,
) -> PageResult {
    let draft = Draft {
        plan: None,
        message: String::new(),
        errors: Vec::new(),
    };
    Ok(render(
        &page(&state, &caller, id, episode_id, q.version, draft).await?,
    ))
}

async fn after<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    outcome: Result<T, ApiError>,
    message: &str,
    plan: Option<Plan>,
) -> PageResult {
    let errors = match outcome {
        Ok(_) => {
            let draft = Draft {
                plan: None,
                message: message.to_owned(),
                errors: Vec::new(),
            };
            return Ok(render(
                &page(state, caller, id, episode_id, None, draft).await?,
            ));
        }
        Err(ApiError::Invalid(invalid)) => invalid.0,
        Err(ApiError::Conflict(why)) => vec![FieldError {
            field: "plan".into(),
            message: why,
        }],
        Err(other) => return Err(other.into()),
    };
    let draft = Draft {
        plan,
        message: String::new(),
        errors,
    };
    let p = page(state, caller, id, episode_id, None, draft).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
}

/// `POST /patients/{id}/episodes/{episode_id}/treatment-plan` (form): save.
pub async fn save_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
    form: FormData,
) -> PageResult {
    let plan = plan_from_form(&form);
    let outcome = api::save(&state, &caller, id, episode_id, &plan).await;
    let message = match &outcome {
        Ok(v) => format!("Saved as version {} (draft).", v.version),
        Err(_) => String::new(),
    };
    after(
        &state,
        &caller,
        id,
        episode_id,
        outcome,
        &message,
        Some(plan),
    )
    .await
}

/// `POST /patients/{id}/episodes/{episode_id}/treatment-plan/sign` (form): sign the newest
/// version as its clinician, record the patient's typed signature, or co-sign.
pub async fn sign_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
    form: FormData,
) -> PageResult {
    // A version that is not a number names no version: the same answer as an unknown one.
    let version = form.get("version").parse::<i32>().unwrap_or(0);
    let outcome = match form.get("as") {
        "cosign" => api::cosign(&state, &caller, id, episode_id, version).await,
        signer => {
            let body = SignBody {
                signer: signer.to_owned(),
                signature: form.optional("signature"),
            };
            api::sign(&state, &caller, id, episode_id, version, &body).await
        }
    };
    let message = match &outcome {
        Ok(v) if v.status == PlanStatus::Signed.as_str() => format!(
            "Signed in full: version {} is in force, review due {}.",
            v.version,
            v.review_due_on.clone().unwrap_or_default()
        ),
        Ok(_) => "Signature recorded.".to_owned(),
        Err(_) => String::new(),
    };
    after(&state, &caller, id, episode_id, outcome, &message, None).await
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/episodes/{episode_id}/treatment-plan", "An episode's treatment plan (printable), signatures and versions", get(pages::treatment_plan::plan)),
    route(M::POST, "/patients/{id}/episodes/{episode_id}/treatment-plan", "Save the treatment plan (form)", post(pages::treatment_plan::save_submit)),
    route(M::POST, "/patients/{id}/episodes/{episode_id}/treatment-plan/sign", "Sign or co-sign the treatment plan (form)", post(pages::treatment_plan::sign_submit)),
    ]
}
