//! Configuration: sites, tracks and users. Reading sites and tracks is open to staff (every
//! form needs them); changing them, and anything about users, is for admins.

use crate::ids::Ids;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::access::{Action, Role};
use openiop_core::audit::Outcome;
use openiop_core::id::{ProgramId, UserId};
use openiop_core::program::{AgeGroup, Level, NewSite, NewTrack, TrackForm};
use openiop_core::validate::Check;
use openiop_core::{Invalid, login};
use openiop_store::auth::{self as users, NewUser};
use openiop_store::organization::{self, Site, Track};
use openiop_store::{Instant, StoreError, patients as store_patients};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;

#[derive(Serialize)]
pub struct SiteJson {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
}

impl From<Site> for SiteJson {
    fn from(s: Site) -> Self {
        SiteJson {
            id: s.id,
            name: s.name,
            time_zone: s.time_zone,
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    pub name: String,
    /// IANA time zone
    pub time_zone: String,
}

pub async fn list_sites(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<SiteJson>>> {
    require(&state, &caller, Action::ReadConfiguration, "site.list").await?;
    let mut conn = state.store.read().await?;
    let sites = organization::list_sites(&mut conn.db(), caller.organization_id).await?;
    Ok(Json(ListPage::whole(
        sites.into_iter().map(SiteJson::from).collect(),
    )))
}

/// Creates a site (and its program). Shared by the API and the configuration page.
pub async fn create_site(state: &AppState, caller: &Caller, body: &SiteBody) -> ApiResult<Site> {
    require(state, caller, Action::Configure, "site.create").await?;
    let site = NewSite::parse(&body.name, &body.time_zone)?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let created = organization::insert_site(
        &mut tx.db(),
        caller.organization_id,
        &site,
        Instant::new(now),
    )
    .await
    .map_err(|e| taken(e, "name", "a site with this name exists"))?;
    let event =
        EventBuilder::for_caller(caller).action("site.create", format!("sites/{}", created.id));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn post_site(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SiteBody>,
) -> ApiResult<(StatusCode, Json<SiteJson>)> {
    let site = create_site(&state, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(site.into())))
}

/// Turns a uniqueness conflict into a 422 on `field`.
pub(crate) fn taken(err: StoreError, field: &str, message: &str) -> ApiError {
    match err {
        StoreError::Conflict(_) => Invalid::one(field, message).into(),
        other => other.into(),
    }
}

#[derive(Serialize)]
pub struct TrackJson {
    pub id: Uuid,
    pub site_id: Uuid,
    pub program_id: Uuid,
    pub name: String,
    pub level: &'static str,
    pub target_hours: f64,
    pub min_days: u8,
    pub age_group: &'static str,
}

impl From<Track> for TrackJson {
    fn from(t: Track) -> Self {
        TrackJson {
            id: t.id,
            site_id: t.site_id,
            program_id: t.program_id,
            name: t.name,
            level: t.level.as_str(),
            target_hours: f64::from(t.target_minutes) / 60.0,
            min_days: t.min_days,
            age_group: t.age_group.as_str(),
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackBody {
    #[schemars(with = "uuid::Uuid")]
    pub site_id: String,
    pub name: String,
    #[schemars(extend("enum" = crate::routes::names(Level::ALL, Level::as_str)))]
    pub level: String,
    pub target_hours: f64,
    #[schemars(range(min = 1, max = 7))]
    pub min_days: i64,
    #[schemars(extend("enum" = crate::routes::names(AgeGroup::ALL, AgeGroup::as_str)))]
    pub age_group: String,
}

pub async fn list_tracks(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<TrackJson>>> {
    require(&state, &caller, Action::ReadConfiguration, "track.list").await?;
    let mut conn = state.store.read().await?;
    let tracks = organization::list_tracks(&mut conn.db(), caller.organization_id).await?;
    Ok(Json(ListPage::whole(
        tracks.into_iter().map(TrackJson::from).collect(),
    )))
}

/// Adds a track to a site's program. Shared by the API and the configuration page.
pub async fn create_track(state: &AppState, caller: &Caller, body: &TrackBody) -> ApiResult<Track> {
    require(state, caller, Action::Configure, "track.create").await?;
    let site_id = openiop_core::id::parse_id(&body.site_id);
    let parsed = NewTrack::parse(&TrackForm {
        name: &body.name,
        level: &body.level,
        target_hours: body.target_hours,
        min_days: body.min_days,
        age_group: &body.age_group,
    });
    let mut conn = state.store.read().await?;
    let site = match site_id {
        Some(id) => organization::find_site(&mut conn.db(), caller.organization_id, id).await?,
        None => None,
    };
    drop(conn);
    let (track, site) = match (parsed, site) {
        (Ok(track), Some(site)) => (track, site),
        (parsed, site) => {
            let mut errors = parsed.err().map(|e| e.0).unwrap_or_default();
            if site.is_none() {
                errors.insert(
                    0,
                    openiop_core::FieldError {
                        field: "site_id".into(),
                        message: "must name a site of this organization".into(),
                    },
                );
            }
            return Err(Invalid(errors).into());
        }
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let created = organization::insert_track(
        &mut tx.db(),
        caller.organization_id,
        site.id,
        &track,
        Instant::new(now),
    )
    .await
    .map_err(|e| taken(e, "name", "this site already has a track with this name"))?;
    let event =
        EventBuilder::for_caller(caller).action("track.create", format!("tracks/{}", created.id));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn post_track(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TrackBody>,
) -> ApiResult<(StatusCode, Json<TrackJson>)> {
    let track = create_track(&state, &caller, &body).await?;
    Ok((StatusCode::CREATED, Json(track.into())))
}

#[derive(Serialize)]
pub struct AccountJson {
    pub id: Uuid,
    pub username: String,
    pub role: &'static str,
    pub patient_id: Option<Uuid>,
    pub active: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub username: String,
    #[schemars(length(min = 12))]
    pub password: String,
    #[schemars(extend("enum" = crate::routes::names(Role::ALL, Role::as_str)))]
    pub role: String,
    #[schemars(with = "Option<uuid::Uuid>")]
    pub patient_id: Option<String>,
}

pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<AccountJson>>> {
    require(&state, &caller, Action::ManageUsers, "user.list").await?;
    let mut conn = state.store.read().await?;
    let all = users::list_users(&mut conn.db(), caller.organization_id).await?;
    let items = all
        .into_iter()
        .map(|u| AccountJson {
            id: u.id,
            username: u.username,
            role: u.role.as_str(),
            patient_id: u.patient_id,
            active: u.active,
        })
        .collect();
    Ok(Json(ListPage::whole(items)))
}

/// A validated account request.
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub patient_id: Option<Uuid>,
}

/// Checks an account request's own rules (not yet whether the patient exists).
pub fn parse_account(body: &UserBody) -> Result<NewAccount, Invalid> {
    let mut check = Check::new();
    let username = login::check_username(&mut check, "username", &body.username);
    openiop_core::password::check_password(
        &mut check,
        "password",
        &body.password,
        username.as_deref(),
        // Every account starts with its password as the only factor.
        false,
    );
    let role = Role::parse(&body.role);
    if role.is_none() {
        check.fail(
            "role",
            "must be one of admin, clinician, case_manager, front_desk, billing, patient",
        );
    }
    let patient_id = match body.patient_id.as_deref() {
        None | Some("") => None,
        Some(text) => {
            let id = openiop_core::id::parse_id(text);
            if id.is_none() {
                check.fail("patient_id", "must be an id (UUID)");
            }
            id
        }
    };
    match (role, patient_id) {
        (Some(Role::Patient), None) => {
            check.fail("patient_id", "is required for a patient account")
        }
        (Some(r), Some(_)) if !r.is_patient() => check.fail(
            "patient_id",
            "only a patient account is linked to a patient",
        ),
        _ => {}
    }
    check.finish(|| {
        Some(NewAccount {
            username: username?,
            password: body.password.clone(),
            role: role?,
            patient_id,
        })
    })
}

/// Creates an account in an organization (used by the API, the page and the command line).
pub async fn insert_account(
    state: &AppState,
    organization_id: Uuid,
    account: &NewAccount,
    event: EventBuilder,
) -> ApiResult<Uuid> {
    if let Some(patient_id) = account.patient_id {
        let mut conn = state.store.read().await?;
        if store_patients::find_patient(&mut conn.db(), organization_id, patient_id)
            .await?
            .is_none()
        {
            return Err(
                Invalid::one("patient_id", "must name a patient of this organization").into(),
            );
        }
    }
    let hash = auth::hash_password(&account.password).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let new = NewUser {
        organization_id,
        username: &account.username,
        password_hash: &hash,
        role: account.role,
        patient_id: account.patient_id,
    };
    let id = users::insert_user(&mut tx.db(), &new, Instant::new(now))
        .await
        .map_err(|e| taken(e, "username", "this username is taken"))?;
    let mut event = event
        .action("user.create", format!("users/{id}"))
        .detail(account.role.as_str());
    if let Some(patient_id) = account.patient_id {
        event = event.patient(patient_id);
    }
    tx.audit(event.outcome(Outcome::Allowed).build(now)).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn create_user(
    state: &AppState,
    caller: &Caller,
    body: &UserBody,
) -> ApiResult<AccountJson> {
    require(state, caller, Action::ManageUsers, "user.create").await?;
    let account = parse_account(body)?;
    let id = insert_account(
        state,
        caller.organization_id,
        &account,
        EventBuilder::for_caller(caller),
    )
    .await?;
    Ok(AccountJson {
        id,
        username: account.username,
        role: account.role.as_str(),
        patient_id: account.patient_id,
        active: true,
    })
}

pub async fn post_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<UserBody>,
) -> ApiResult<(StatusCode, Json<AccountJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(create_user(&state, &caller, &body).await?),
    ))
}

#[derive(Serialize)]
pub struct ProgramJson {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    /// The program's own settings; `null` when it uses the defaults.
    pub settings: Option<openiop_core::settings::SettingsDoc>,
}

/// `GET /api/v1/programs`: programs with their own settings (null: the defaults).
pub async fn list_programs(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<ProgramJson>>> {
    require(&state, &caller, Action::ReadConfiguration, "program.list").await?;
    let mut conn = state.store.read().await?;
    let programs = organization::list_programs(&mut conn.db(), caller.organization_id).await?;
    let items = programs
        .into_iter()
        .map(|p| {
            Ok(ProgramJson {
                settings: p.settings_doc()?,
                id: p.id,
                site_id: p.site_id,
                name: p.name,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(ListPage::whole(items)))
}

/// `PUT /api/v1/programs/{id}/settings` (admins): the program's instrument cut-offs and
/// placement policy; an empty document returns the program to the defaults.
pub async fn put_program_settings(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<ProgramId>,
    ApiJson(doc): ApiJson<openiop_core::settings::SettingsDoc>,
) -> ApiResult<Json<openiop_core::settings::SettingsDoc>> {
    require(&state, &caller, Action::Configure, "program.settings").await?;
    let id = id.uuid();
    openiop_core::settings::Settings::parse(&doc)?;
    let empty = doc == openiop_core::settings::SettingsDoc::default();
    let text = if empty {
        None
    } else {
        Some(serde_json::to_string(&doc).map_err(|e| ApiError::caused("encoding JSON", e))?)
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !organization::set_program_settings(
        &mut tx.db(),
        caller.organization_id,
        id,
        text.as_deref(),
    )
    .await?
    {
        return Err(ApiError::NotFound);
    }
    let event = EventBuilder::for_caller(&caller)
        .action("program.settings", format!("programs/{id}"))
        .detail(if empty { "defaults" } else { "custom" });
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(Json(doc))
}

/// The clinical settings that apply to an episode (its program's, else the defaults).
/// The settings of the program a patient is active in (the defaults when none).
pub async fn settings_of_patient(
    state: &AppState,
    organization_id: Uuid,
    patient_id: Uuid,
) -> ApiResult<openiop_core::settings::Settings> {
    let mut conn = state.store.read().await?;
    let episodes =
        openiop_store::patients::list_episodes(&mut conn.db(), organization_id, patient_id).await?;
    drop(conn);
    let active = episodes
        .iter()
        .find(|e| e.status == openiop_core::program::EpisodeStatus::Active)
        .map(|e| e.id);
    settings_for(state, organization_id, active).await
}

pub async fn settings_for(
    state: &AppState,
    organization_id: Uuid,
    episode_id: Option<Uuid>,
) -> ApiResult<openiop_core::settings::Settings> {
    let Some(episode) = episode_id else {
        return Ok(openiop_core::settings::Settings::default());
    };
    let mut conn = state.store.read().await?;
    let text =
        organization::find_settings_of_episode(&mut conn.db(), organization_id, episode).await?;
    drop(conn);
    let Some(text) = text else {
        return Ok(openiop_core::settings::Settings::default());
    };
    // Stored settings were checked when saved: if they no longer decode or check out, the
    // program's own cut-offs are unknown, and scoring with the defaults instead would be
    // silently wrong. That is an error (logged with its cause), never the defaults.
    let doc: openiop_core::settings::SettingsDoc = serde_json::from_str(&text).map_err(|e| {
        ApiError::caused(
            format!("programs.settings of episode {episode} does not decode"),
            e,
        )
    })?;
    openiop_core::settings::Settings::parse(&doc).map_err(|e| {
        ApiError::internal(format!(
            "programs.settings of episode {episode}: no longer valid: {e:?}"
        ))
    })
}

/// Ends every session and API token of a user (admin): the user must log in again.
pub async fn revoke_sessions(state: &AppState, caller: &Caller, id: UserId) -> ApiResult<u64> {
    require(state, caller, Action::ManageUsers, "user.sessions.revoke").await?;
    let user = super::staff_member(state, caller.organization_id, id).await?;
    let user = match user {
        Some(u) => u,
        // Patient accounts can be revoked too.
        None => {
            let parsed = id.uuid();
            let mut conn = state.store.read().await?;
            openiop_store::auth::find_user(&mut conn.db(), caller.organization_id, parsed)
                .await?
                .ok_or(ApiError::NotFound)?
                .id
        }
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let ended = openiop_store::auth::delete_login_sessions_of(&mut tx.db(), user).await?;
    let event = EventBuilder::for_caller(caller)
        .action("user.sessions.revoke", format!("users/{user}"))
        .detail(format!("ended={ended}"));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(ended)
}

/// `POST /api/v1/users/{user_id}/sessions/revoke` (admin)
pub async fn post_revoke_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<UserId>,
) -> ApiResult<Json<serde_json::Value>> {
    let ended = revoke_sessions(&state, &caller, id).await?;
    Ok(Json(serde_json::json!({"revoked": ended})))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/sites", "List sites", get(api::config::list_sites))
        .lists("Site"),
    route(M::POST, "/api/v1/sites", "Create a site (admin)", post(api::config::post_site))
        .returns("Site").body_of::<SiteBody>(),
    route(M::GET, "/api/v1/tracks", "List tracks", get(api::config::list_tracks))
        .lists("Track"),
    route(M::POST, "/api/v1/tracks", "Create a track (admin)", post(api::config::post_track))
        .returns("Track").body_of::<TrackBody>(),
    route(M::GET, "/api/v1/programs", "List programs with their own clinical settings", get(api::config::list_programs)),
    route(M::PUT, "/api/v1/programs/{id}/settings", "Set a program's instrument cut-offs and placement policy (admin)", put(api::config::put_program_settings))
        .body(|| object(&[], json!({
            "cutoffs": {"type": "object", "description": "instrument code -> [[min, max], ...] per band, in order",
                "additionalProperties": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}}},
            "placement_policy": {"type": ["object", "null"], "description": "a policy in the default file's format"},
            "billable": {"type": ["object", "null"], "description": "billable-day thresholds"},
            "cosignature_required": {"type": "boolean", "description": "notes of supervised staff need the supervisor's co-signature"},
            "plan_review_days": {"type": "integer", "minimum": 1, "maximum": 365},
            "minor_consent": {"enum": ["minor", "guardian", "both"]},
            "retention_years": {"type": "integer", "minimum": 6, "maximum": 100},
            "measures": {"type": "object", "description": "instrument code -> days between administrations (0: not scheduled)",
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 365}}}))),
    route(M::GET, "/api/v1/users", "List users (admin)", get(api::config::list_users))
        .lists("Account"),
    route(M::POST, "/api/v1/users", "Create a user (admin)", post(api::config::post_user))
        .returns("Account").body_of::<UserBody>(),
    route(M::POST, "/api/v1/users/{user_id}/sessions/revoke", "End every session and token of a user (admin)", post(api::config::post_revoke_sessions))
        .status(200),
    ]
}
