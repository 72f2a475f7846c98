//! Patient pages: list and search, registration, the chart, admission and care team.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use openiop_core::FieldError;
use openiop_core::access::{Access, Action, Part, decide};
use openiop_core::id::PatientId;
use openiop_core::patient::age_on;
use openiop_core::validate::format_date;
use openiop_store::auth as users;
use openiop_store::organization::{self, Track};
use openiop_store::patients::{self as store_patients, Episode, Patient, TeamMember};
use uuid::Uuid;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::open_patient;
use crate::api::patients::{EpisodeBody, PatientBody, SearchQuery, TeamBody};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::ApiQuery;

/// One line of a patient list.
pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub birth_date: String,
    pub status: String,
}

/// List rows with each patient's active track, fetched in one query.
pub async fn rows(
    state: &AppState,
    caller: &Caller,
    patients: Vec<Patient>,
) -> Result<Vec<Row>, ApiError> {
    let ids: Vec<Uuid> = patients.iter().map(|p| p.id).collect();
    let mut conn = state.store.read().await?;
    let active =
        store_patients::list_active_episodes_of(&mut conn.db(), caller.organization_id, &ids)
            .await?;
    Ok(patients
        .into_iter()
        .map(|p| {
            let status = active
                .iter()
                .find(|e| e.patient_id == p.id)
                .map(|e| format!("Admitted: {}", e.track_name))
                .unwrap_or_else(|| "Not admitted".to_owned());
            Row {
                id: p.id,
                name: format!("{}, {}", p.family_name, p.given_name),
                birth_date: format_date(p.birth_date),
                status,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "patients.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    rows: Vec<Row>,
    next: Option<String>,
    can_register: bool,
}

#[derive(Template)]
#[template(path = "patient_rows.html")]
struct RowsFragment {
    q: String,
    rows: Vec<Row>,
    next: Option<String>,
}

/// `GET /patients?q=`: the list; htmx asks for just the results as the user types.
pub async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> PageResult {
    let (found, next) = crate::api::patients::search(&state, &caller, &query).await?;
    let rows = rows(&state, &caller, found).await?;
    if headers.contains_key("hx-request") {
        return Ok(render(&RowsFragment {
            q: query.q,
            rows,
            next,
        }));
    }
    let can_register = decide(
        caller.role,
        Action::RegisterPatient,
        openiop_core::access::Relationship::None,
    )
    .is_allowed();
    Ok(render(&ListPage {
        chrome: Chrome::of(&caller),
        q: query.q,
        rows,
        next,
        can_register,
    }))
}

/// One input of the registration form.
struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    required: bool,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "patient_new.html")]
struct NewPage {
    chrome: Chrome,
    fields: Vec<Field>,
    has_errors: bool,
}

const FIELDS: [(&str, &str, &str, bool); 7] = [
    ("given_name", "Given name", "text", true),
    ("family_name", "Family name", "text", true),
    ("birth_date", "Birth date", "date", true),
    ("preferred_name", "Preferred name (optional)", "text", false),
    ("pronouns", "Pronouns (optional)", "text", false),
    ("phone", "Phone (optional)", "tel", false),
    ("email", "E-mail (optional)", "email", false),
];

fn new_page(caller: &Caller, form: Option<&FormData>, errors: &[FieldError]) -> NewPage {
    let fields = FIELDS
        .iter()
        .map(|&(name, label, kind, required)| Field {
            name,
            label,
            kind,
            required,
            value: form.map(|f| f.get(name).to_owned()).unwrap_or_default(),
            error: errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| e.message.clone()),
        })
        .collect();
    NewPage {
        chrome: Chrome::of(caller),
        fields,
        has_errors: !errors.is_empty(),
    }
}

/// `GET /patients/new`
pub async fn new_form(PageCaller(caller): PageCaller) -> PageResult {
    if !decide(
        caller.role,
        Action::RegisterPatient,
        openiop_core::access::Relationship::None,
    )
    .is_allowed()
    {
        return Err(ApiError::Forbidden.into());
    }
    Ok(render(&new_page(&caller, None, &[])))
}

/// `POST /patients`: registers, then opens the new chart.
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let body = PatientBody {
        given_name: form.get("given_name").to_owned(),
        family_name: form.get("family_name").to_owned(),
        birth_date: form.get("birth_date").to_owned(),
        preferred_name: form.optional("preferred_name"),
        pronouns: form.optional("pronouns"),
        phone: form.optional("phone"),
        email: form.optional("email"),
    };
    match crate::api::patients::register(&state, &caller, &body).await {
        Ok(patient) => Ok(Redirect::to(&format!("/patients/{}", patient.id)).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            let page = new_page(&caller, Some(&form), &invalid.0);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

struct EpisodeRow {
    track: String,
    level: String,
    status: &'static str,
    admitted_on: String,
    discharged_on: String,
}

impl From<&Episode> for EpisodeRow {
    fn from(e: &Episode) -> Self {
        EpisodeRow {
            track: e.track_name.clone(),
            level: e.level.to_uppercase(),
            status: e.status.as_str(),
            admitted_on: format_date(e.admitted_on),
            discharged_on: e.discharged_on.map(format_date).unwrap_or_default(),
        }
    }
}

struct StaffOption {
    id: Uuid,
    label: String,
    on_team: bool,
}

#[derive(Template)]
#[template(path = "chart.html")]
struct ChartPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    preferred_name: String,
    pronouns: String,
    birth_date: String,
    age: i32,
    phone: String,
    email: String,
    show_admissions: bool,
    episodes: Vec<EpisodeRow>,
    can_admit: bool,
    tracks: Vec<Track>,
    today: String,
    team: Vec<TeamMember>,
    show_team: bool,
    can_edit_team: bool,
    staff: Vec<StaffOption>,
    show_clinical: bool,
    can_assess: bool,
    assessments: Vec<AssessmentRow>,
    trends: Vec<(String, String)>,
    alerts: Vec<AlertRow>,
    has_past_alerts: bool,
    alert_actions: &'static [(&'static str, &'static str)],
    consents: Vec<(&'static str, String)>,
    active_episode: Option<Uuid>,
    diagnoses: Vec<(String, String, bool)>,
    show_diagnoses: bool,
    errors: Vec<FieldError>,
}

struct AssessmentRow {
    name: &'static str,
    total: String,
    band: String,
    flags: String,
    at: String,
}

struct AlertRow {
    id: Uuid,
    flags: String,
    raised_at: String,
    acknowledged: bool,
    action: String,
    note: String,
}

impl ChartPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

// Long: the chart's thirty fields are filled in one place, in the order the page shows them;
// each section that needs more than a line is its own function below.
async fn chart_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    errors: Vec<FieldError>,
) -> Result<ChartPage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Demographics,
        Access::Read,
        "patient.chart",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let relationship = store_patients::find_relationship(
        &mut conn.db(),
        caller.organization_id,
        caller.user_id,
        caller.patient_id,
        patient.id,
        openiop_store::Instant::new(state.now()),
    )
    .await?;
    let may =
        |part, access| decide(caller.role, Action::Record(part, access), relationship).is_allowed();
    let show_admissions = may(Part::Admissions, Access::Read);
    let can_admit = may(Part::Admissions, Access::Write);
    let show_team = may(Part::CareTeam, Access::Read);
    let can_edit_team = may(Part::CareTeam, Access::Write);
    let episodes = if show_admissions {
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?
    } else {
        Vec::new()
    };
    let tracks = if can_admit {
        organization::list_tracks(&mut conn.db(), caller.organization_id).await?
    } else {
        Vec::new()
    };
    let (team, staff) =
        team_section(&mut conn.db(), caller, patient.id, show_team, can_edit_team).await?;
    let show_clinical = may(Part::Assessments, Access::Read);
    let (assessments, trends, alerts) = if show_clinical {
        clinical_section(state, caller, &mut conn.db(), patient.id).await?
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let active_episode = episodes
        .iter()
        .find(|e| e.status == openiop_core::program::EpisodeStatus::Active)
        .map(|e| e.id);
    let show_diagnoses = may(Part::Diagnoses, Access::Read);
    let (consents, diagnoses) = records_section(
        &mut conn.db(),
        caller,
        patient.id,
        show_admissions,
        show_diagnoses.then_some(active_episode).flatten(),
    )
    .await?;
    let today = state.now().date();
    Ok(ChartPage {
        chrome: Chrome::of(caller),
        id: patient.id,
        name: format!("{} {}", patient.given_name, patient.family_name),
        preferred_name: patient.preferred_name.unwrap_or_default(),
        pronouns: patient.pronouns.unwrap_or_default(),
        birth_date: format_date(patient.birth_date),
        age: age_on(patient.birth_date, today),
        phone: patient.phone.unwrap_or_default(),
        email: patient.email.unwrap_or_default(),
        show_admissions,
        episodes: episodes.iter().map(EpisodeRow::from).collect(),
        can_admit,
        tracks,
        today: format_date(today),
        team,
        show_team,
        can_edit_team,
        staff,
        show_clinical,
        can_assess: may(Part::Assessments, Access::Write),
        assessments,
        trends,
        has_past_alerts: alerts.iter().any(|a| a.acknowledged),
        alerts,
        alert_actions: super::clinical::alert_actions(),
        consents,
        active_episode,
        diagnoses,
        show_diagnoses,
        errors,
    })
}

/// The chart's admission acknowledgements (label, date) when the role may read admissions,
/// and the diagnoses (code, description, primary) of `diagnoses_of`, the active episode
/// when the role may read diagnoses.
async fn records_section(
    db: &mut openiop_store::Db<'_>,
    caller: &Caller,
    patient_id: Uuid,
    show_admissions: bool,
    diagnoses_of: Option<Uuid>,
) -> Result<(Vec<(&'static str, String)>, Vec<(String, String, bool)>), ApiError> {
    let consents = if show_admissions {
        openiop_store::records::list_acknowledgements(db, caller.organization_id, patient_id)
            .await?
            .into_iter()
            .map(|c| Ok((c.acknowledgement()?.label(), format_date(c.acknowledged_on))))
            .collect::<Result<_, openiop_store::StoreError>>()?
    } else {
        Vec::new()
    };
    let diagnoses = match diagnoses_of {
        Some(e) => openiop_store::records::list_diagnoses(db, caller.organization_id, e)
            .await?
            .into_iter()
            .map(|d| (d.code, d.description, d.is_primary))
            .collect(),
        None => Vec::new(),
    };
    Ok((consents, diagnoses))
}

/// The chart's care team (when the role may read it) and, for a role that may change it,
/// every active staff member to choose from.
async fn team_section(
    db: &mut openiop_store::Db<'_>,
    caller: &Caller,
    patient_id: Uuid,
    show_team: bool,
    can_edit_team: bool,
) -> Result<(Vec<store_patients::TeamMember>, Vec<StaffOption>), ApiError> {
    let team = if show_team {
        store_patients::list_care_team(db, caller.organization_id, patient_id).await?
    } else {
        Vec::new()
    };
    let staff = if can_edit_team {
        users::list_users(db, caller.organization_id)
            .await?
            .into_iter()
            .filter(|u| u.role.is_staff() && u.active)
            .map(|u| StaffOption {
                on_team: team.iter().any(|m| m.user_id == u.id),
                label: format!("{} ({})", u.username, u.role.label()),
                id: u.id,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok((team, staff))
}

/// The chart's clinical section: the last assessments, the trends (check-ins first), and
/// every alert.
async fn clinical_section(
    state: &AppState,
    caller: &Caller,
    db: &mut openiop_store::Db<'_>,
    patient_id: Uuid,
) -> Result<ClinicalSection, ApiError> {
    let rows = openiop_store::clinical::list_assessments(
        db,
        caller.organization_id,
        patient_id,
        None,
        200,
    )
    .await?;
    let mut trends = Vec::new();
    for inst in openiop_core::instrument::catalog() {
        let history: Vec<&openiop_store::clinical::Assessment> =
            rows.iter().filter(|a| a.code == inst.code).collect();
        if history.len() >= 2 {
            trends.push((
                inst.name.to_owned(),
                super::clinical::trend_svg(inst, &history)?,
            ));
        }
    }
    let today = crate::api::local_today(state, caller).await?;
    let from = today - time::Duration::days(super::monitoring::TREND_DAYS - 1);
    let check_ins =
        openiop_store::checkins::list_check_ins_since(db, caller.organization_id, patient_id, from)
            .await?;
    if !check_ins.is_empty() {
        trends.insert(
            0,
            (
                "Daily check-ins (mood and craving)".to_owned(),
                super::monitoring::check_in_trend(&check_ins, today),
            ),
        );
    }
    let listed = rows
        .iter()
        .take(20)
        .map(|a| {
            Ok(AssessmentRow {
                name: openiop_core::instrument::find(&a.code)
                    .map(|i| i.name)
                    .unwrap_or("?"),
                total: super::clinical::score_summary(a)?,
                band: a.band.replace('_', " "),
                flags: a.flags()?.join(", ").replace('_', " "),
                at: crate::times::rfc3339(a.administered_at),
            })
        })
        .collect::<Result<_, openiop_store::StoreError>>()?;
    let alerts = openiop_store::clinical::list_alerts(db, caller.organization_id, patient_id)
        .await?
        .into_iter()
        .map(|a| {
            Ok(AlertRow {
                id: a.id,
                flags: a.flags()?.join(", ").replace('_', " "),
                raised_at: crate::times::rfc3339(a.raised_at),
                acknowledged: a.acknowledged_at.is_some(),
                action: a.action.unwrap_or_default().replace('_', " "),
                note: a.note.unwrap_or_default(),
            })
        })
        .collect::<Result<_, openiop_store::StoreError>>()?;
    Ok((listed, trends, alerts))
}

/// What [`clinical_section`] shows: assessment rows, trends (name, SVG) and alert rows.
type ClinicalSection = (Vec<AssessmentRow>, Vec<(String, String)>, Vec<AlertRow>);

/// `GET /patients/{id}`: the chart, showing only the parts the role may read.
pub async fn chart(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(&chart_page(&state, &caller, id, Vec::new()).await?))
}

/// `POST /patients/{id}/episodes`: admission from the chart.
pub async fn admit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = EpisodeBody {
        track_id: form.get("track_id").to_owned(),
        admitted_on: form.get("admitted_on").to_owned(),
    };
    match crate::api::patients::admit(&state, &caller, id, &body).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}")).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            let page = chart_page(&state, &caller, id, invalid.0).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /patients/{id}/care-team`: replaces the team from the chart (admins).
pub async fn care_team(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = TeamBody {
        user_ids: form.all("user_ids"),
    };
    match crate::api::patients::set_team(&state, &caller, id, &body).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}")).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            let page = chart_page(&state, &caller, id, invalid.0).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients", "Patient list and search", get(pages::patients::list)).many_patients(),
    route(M::GET, "/patients/new", "New patient form", get(pages::patients::new_form)),
    route(M::POST, "/patients", "Register a patient (form)", post(pages::patients::create)),
    route(M::GET, "/patients/{id}", "Patient chart", get(pages::patients::chart)),
    route(M::POST, "/patients/{id}/episodes", "Admit to a track (form)", post(pages::patients::admit)),
    route(M::POST, "/patients/{id}/care-team", "Replace the care team (form)", post(pages::patients::care_team)),
    ]
}
