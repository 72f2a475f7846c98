//! Patients, their episodes of care and care teams.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openiop_core::access::{Access, Action, Part};
use openiop_core::id::PatientId;
use openiop_core::patient::{NewPatient, PatientForm, fold};
use openiop_core::program::parse_admission;
use openiop_core::validate::format_date;
use openiop_core::{FieldError, Invalid};
use openiop_store::organization;
use openiop_store::patients::{self as store_patients, Episode, Patient, Reach, TeamMember};
use openiop_store::{Instant, auth as users};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, body_id, open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::json::{ApiJson, ApiQuery};

#[derive(Serialize)]
pub struct PatientJson {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Set when this record was merged into another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
}

impl From<Patient> for PatientJson {
    fn from(p: Patient) -> Self {
        PatientJson {
            id: p.id,
            given_name: p.given_name,
            family_name: p.family_name,
            birth_date: format_date(p.birth_date),
            preferred_name: p.preferred_name,
            pronouns: p.pronouns,
            phone: p.phone,
            email: p.email,
            merged_into: p.merged_into,
        }
    }
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientBody {
    pub given_name: String,
    pub family_name: String,
    #[schemars(extend("format" = "date"))]
    pub birth_date: String,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub phone: Option<String>,
    #[schemars(extend("format" = "email"))]
    pub email: Option<String>,
}

/// Registers a patient. A clinician or case manager who registers someone joins their care
/// team (otherwise they could not see the record they just made).
pub async fn register(state: &AppState, caller: &Caller, body: &PatientBody) -> ApiResult<Patient> {
    require(state, caller, Action::RegisterPatient, "patient.create").await?;
    let now = state.now();
    let new = NewPatient::parse(
        &PatientForm {
            given_name: &body.given_name,
            family_name: &body.family_name,
            birth_date: &body.birth_date,
            preferred_name: body.preferred_name.as_deref(),
            pronouns: body.pronouns.as_deref(),
            phone: body.phone.as_deref(),
            email: body.email.as_deref(),
        },
        now.date(),
    )?;
    let at = Instant::new(now);
    let mut tx = state.store.begin().await?;
    let patient =
        store_patients::insert_patient(&mut tx.db(), caller.organization_id, &new, at).await?;
    // Roles that reach patients only through a relationship join the care team of the
    // patient they register, or they could not open the chart they just made.
    if openiop_core::access::needs_relationship(caller.role) {
        store_patients::add_to_care_team(
            &mut tx.db(),
            caller.organization_id,
            patient.id,
            caller.user_id,
            at,
        )
        .await?;
    }
    let event = EventBuilder::for_caller(caller)
        .action("patient.create", format!("patients/{}", patient.id))
        .patient(patient.id);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(patient)
}

pub async fn post_patient(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PatientBody>,
) -> ApiResult<(StatusCode, Json<PatientJson>)> {
    let patient = register(&state, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(patient.into())))
}

pub async fn get_patient(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<PatientJson>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Demographics,
        Access::Read,
        "patient.read",
    )
    .await?;
    Ok(Json(patient.into()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The largest page a search returns.
pub const PAGE_MAX: u32 = 200;

/// Searches the patients the caller may see; one audit event records the search and how
/// many it returned.
pub async fn search(
    state: &AppState,
    caller: &Caller,
    query: &SearchQuery,
) -> ApiResult<(Vec<Patient>, Option<String>)> {
    require(state, caller, Action::SearchPatients, "patient.search").await?;
    let limit = match query.limit.as_deref() {
        None | Some("") => 50,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=PAGE_MAX).contains(&n) => n,
            _ => {
                return Err(Invalid::one(
                    "limit",
                    format!("must be a whole number from 1 to {PAGE_MAX}"),
                )
                .into());
            }
        },
    };
    let after = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(
            decode_cursor(cursor)
                .ok_or_else(|| Invalid::one("cursor", "is not a cursor from this list"))?,
        ),
    };
    if query.q.chars().count() > 100 {
        return Err(Invalid::one("q", "must be at most 100 characters").into());
    }
    let reach = Reach::of(caller.role, caller.user_id, caller.patient_id);
    let mut conn = state.store.read().await?;
    let page = store_patients::search_patients(
        &mut conn.db(),
        caller.organization_id,
        reach,
        &fold(&query.q),
        after.as_ref().map(|(k, id)| (k.as_str(), *id)),
        limit,
    )
    .await?;
    drop(conn);
    let named: Vec<Uuid> = page.items.iter().map(|p| p.id).collect();
    super::audit_search(state, caller, "patient.search", "patients", &named).await?;
    let next = page.next.map(|(key, id)| encode_cursor(&key, id));
    Ok((page.items, next))
}

fn encode_cursor(key: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{id}\u{1e}{key}"))
}

fn decode_cursor(cursor: &str) -> Option<(String, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, key) = text.split_once('\u{1e}')?;
    Some((key.to_owned(), Uuid::try_parse(id).ok()?))
}

pub async fn list_patients(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<ListPage<PatientJson>>> {
    let (items, next_cursor) = search(&state, &caller, &query).await?;
    Ok(Json(ListPage {
        items: items.into_iter().map(PatientJson::from).collect(),
        next_cursor,
    }))
}

#[derive(Serialize)]
pub struct EpisodeJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub track_id: Uuid,
    pub track_name: String,
    pub level: String,
    pub status: &'static str,
    pub admitted_on: String,
    pub discharged_on: Option<String>,
}

impl From<Episode> for EpisodeJson {
    fn from(e: Episode) -> Self {
        EpisodeJson {
            id: e.id,
            patient_id: e.patient_id,
            track_id: e.track_id,
            track_name: e.track_name,
            level: e.level,
            status: e.status.as_str(),
            admitted_on: format_date(e.admitted_on),
            discharged_on: e.discharged_on.map(format_date),
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeBody {
    #[schemars(with = "uuid::Uuid")]
    pub track_id: String,
    #[schemars(extend("format" = "date"))]
    pub admitted_on: String,
}

/// Admits a patient to a track: a new episode of care. A patient has at most one active
/// episode; moving between tracks is a discharge and a new admission.
pub async fn admit(
    state: &AppState,
    caller: &Caller,
    patient_id: PatientId,
    body: &EpisodeBody,
) -> ApiResult<Episode> {
    let patient = open_patient(
        state,
        caller,
        patient_id,
        Part::Admissions,
        Access::Write,
        "episode.create",
    )
    .await?;
    let now = state.now();
    let track_id = openiop_core::id::parse_id(&body.track_id);
    let mut conn = state.store.read().await?;
    let track = match track_id {
        Some(id) => organization::find_track(&mut conn.db(), caller.organization_id, id).await?,
        None => None,
    };
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    drop(conn);
    let mut errors: Vec<FieldError> = Vec::new();
    if track.is_none() {
        errors.push(FieldError {
            field: "track_id".into(),
            message: "must name a track of this organization".into(),
        });
    }
    let admitted_on = parse_admission(&body.admitted_on, patient.birth_date, now.date())
        .map_err(|e| errors.extend(e.0))
        .ok();
    if let Some(active) = episodes
        .iter()
        .find(|e| e.status == openiop_core::program::EpisodeStatus::Active)
    {
        errors.push(FieldError {
            field: "track_id".into(),
            message: format!(
                "the patient is already admitted to {}; discharge first",
                active.track_name
            ),
        });
    }
    let (Some(track), Some(admitted_on), true) = (track, admitted_on, errors.is_empty()) else {
        return Err(Invalid(errors).into());
    };
    let mut tx = state.store.begin().await?;
    let id = store_patients::insert_episode(
        &mut tx.db(),
        caller.organization_id,
        patient.id,
        track.id,
        admitted_on,
        Instant::new(now),
    )
    .await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "episode.create",
            format!("patients/{}/episodes/{id}", patient.id),
        )
        .patient(patient.id);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(Episode {
        id,
        patient_id: patient.id,
        track_id: track.id,
        track_name: track.name,
        level: track.level.as_str().to_owned(),
        status: openiop_core::program::EpisodeStatus::Active,
        admitted_on,
        discharged_on: None,
    })
}

pub async fn post_episode(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<EpisodeBody>,
) -> ApiResult<(StatusCode, Json<EpisodeJson>)> {
    let episode = admit(&state, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(episode.into())))
}

pub async fn list_episodes(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<EpisodeJson>>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Admissions,
        Access::Read,
        "episode.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok(Json(ListPage::whole(
        episodes.into_iter().map(EpisodeJson::from).collect(),
    )))
}

#[derive(Serialize)]
pub struct TeamJson {
    pub patient_id: Uuid,
    pub user_ids: Vec<Uuid>,
    pub members: Vec<MemberJson>,
}

#[derive(Serialize)]
pub struct MemberJson {
    pub user_id: Uuid,
    pub username: String,
    pub role: String,
}

fn team_json(patient_id: Uuid, members: Vec<TeamMember>) -> TeamJson {
    TeamJson {
        patient_id,
        user_ids: members.iter().map(|m| m.user_id).collect(),
        members: members
            .into_iter()
            .map(|m| MemberJson {
                user_id: m.user_id,
                username: m.username,
                role: m.role,
            })
            .collect(),
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    #[schemars(with = "Vec<uuid::Uuid>")]
    pub user_ids: Vec<String>,
}

/// Replaces a patient's care team. Every member must be a staff account of the organization.
pub async fn set_team(
    state: &AppState,
    caller: &Caller,
    patient_id: PatientId,
    body: &TeamBody,
) -> ApiResult<TeamJson> {
    let patient = open_patient(
        state,
        caller,
        patient_id,
        Part::CareTeam,
        Access::Write,
        "care_team.update",
    )
    .await?;
    if body.user_ids.len() > 50 {
        return Err(Invalid::one("user_ids", "at most 50 members").into());
    }
    let mut errors = Vec::new();
    let mut ids = Vec::new();
    let mut conn = state.store.read().await?;
    for (i, text) in body.user_ids.iter().enumerate() {
        let field = format!("user_ids[{i}]");
        let Ok(id) = body_id(&field, text) else {
            errors.push(FieldError {
                field,
                message: "must be an id (UUID)".into(),
            });
            continue;
        };
        match users::find_user(&mut conn.db(), caller.organization_id, id).await? {
            Some(user) if user.role.is_staff() => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Some(_) => errors.push(FieldError {
                field,
                message: "must be a staff account, not a patient".into(),
            }),
            None => errors.push(FieldError {
                field,
                message: "must name a user of this organization".into(),
            }),
        }
    }
    drop(conn);
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    store_patients::set_care_team(
        &mut tx.db(),
        caller.organization_id,
        patient.id,
        &ids,
        Instant::new(now),
    )
    .await?;
    let members =
        store_patients::list_care_team(&mut tx.db(), caller.organization_id, patient.id).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "care_team.update",
            format!("patients/{}/care-team", patient.id),
        )
        .patient(patient.id)
        .detail(format!("members={}", ids.len()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(team_json(patient.id, members))
}

pub async fn put_team(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<TeamBody>,
) -> ApiResult<Json<TeamJson>> {
    Ok(Json(set_team(&state, &caller, id, &body).await?))
}

pub async fn get_team(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<TeamJson>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::CareTeam,
        Access::Read,
        "care_team.read",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let members =
        store_patients::list_care_team(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok(Json(team_json(patient.id, members)))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/patients", "Search patients by name (q, limit, cursor)", get(api::patients::list_patients))
        .lists("Patient")
        .query(&[
            ("q", "Case-insensitive substring of the given or family name"),
            ("limit", "Page size, 1 to 200 (default 50)"),
            ("cursor", "The next_cursor of the previous page"),
        ]).many_patients(),
    route(M::POST, "/api/v1/patients", "Register a patient", post(api::patients::post_patient))
        .returns("Patient").body_of::<PatientBody>(),
    route(M::GET, "/api/v1/patients/{id}", "Read a patient's demographics", get(api::patients::get_patient))
        .returns("Patient"),
    route(M::GET, "/api/v1/patients/{id}/episodes", "List a patient's episodes of care", get(api::patients::list_episodes))
        .lists("Episode"),
    route(M::POST, "/api/v1/patients/{id}/episodes", "Admit a patient to a track", post(api::patients::post_episode))
        .returns("Episode").body_of::<EpisodeBody>(),
    route(M::GET, "/api/v1/patients/{id}/care-team", "Read a patient's care team", get(api::patients::get_team))
        .returns("CareTeam"),
    route(M::PUT, "/api/v1/patients/{id}/care-team", "Replace a patient's care team (admin)", put(api::patients::put_team))
        .returns("CareTeam").body_of::<TeamBody>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::from_u128(7);
        let cursor = encode_cursor("ruiz\u{1f}ana", id);
        assert_eq!(
            decode_cursor(&cursor),
            Some(("ruiz\u{1f}ana".to_owned(), id))
        );
        assert_eq!(decode_cursor("%%%"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("no separator")), None);
    }
}
