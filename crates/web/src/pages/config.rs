//! Configuration pages: sites, tracks and users. Everything a clinic needs to set itself up
//! without demo data.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use openiop_core::FieldError;
use openiop_core::access::may;
use openiop_core::access::{Action, Relationship, Role, decide};
use openiop_core::id::UserId;
use openiop_core::program::Level;
use openiop_store::auth::{self as users, User};
use openiop_store::organization::{self, Site, Track};

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::config::{
    SiteBody, TrackBody, UserBody, create_site as api_create_site,
    create_track as api_create_track, create_user as api_create_user,
};
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "config.html")]
struct ConfigPage {
    chrome: Chrome,
    sites: Vec<Site>,
    tracks: Vec<Track>,
    can_configure: bool,
    errors: Vec<FieldError>,
    /// Which form the errors belong to: `site` or `track`.
    failed_form: &'static str,
    levels: [Level; 3],
    rooms: Vec<(String, String, i32)>,
    /// Per phase: (value, label, topics one per line).
    curriculum: Vec<(&'static str, &'static str, String)>,
}

impl ConfigPage {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        if self.failed_form != form {
            return None;
        }
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn errors_for(&self, form: &str) -> &[FieldError] {
        if self.failed_form == form {
            &self.errors
        } else {
            &[]
        }
    }

    fn site_name(&self, track: &Track) -> &str {
        self.sites
            .iter()
            .find(|s| s.id == track.site_id)
            .map(|s| s.name.as_str())
            .unwrap_or("")
    }

    fn hours(&self, track: &Track) -> String {
        format!("{}", f64::from(track.target_minutes) / 60.0)
    }
}

async fn config_page(
    state: &AppState,
    caller: &Caller,
    failed_form: &'static str,
    errors: Vec<FieldError>,
) -> Result<ConfigPage, ApiError> {
    if !decide(caller.role, Action::ReadConfiguration, Relationship::None).is_allowed() {
        return Err(ApiError::Forbidden);
    }
    let mut conn = state.store.read().await?;
    let sites = organization::list_sites(&mut conn.db(), caller.organization_id).await?;
    let rooms = openiop_store::schedule::list_rooms(&mut conn.db(), caller.organization_id).await?;
    drop(conn);
    let topics = crate::api::program::load_curriculum(state, caller.organization_id).await?;
    let mut conn = state.store.read().await?;
    Ok(ConfigPage {
        chrome: Chrome::of(caller),
        rooms: rooms
            .into_iter()
            .map(|r| {
                let site = sites
                    .iter()
                    .find(|s| s.id == r.site_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                (r.name, site, r.capacity)
            })
            .collect(),
        curriculum: openiop_core::intensity::Phase::ALL
            .into_iter()
            .map(|phase| {
                let lines: Vec<&str> = topics
                    .iter()
                    .filter(|t| t.phase == phase)
                    .map(|t| t.title.as_str())
                    .collect();
                (phase.as_str(), phase.label(), lines.join("\n"))
            })
            .collect(),
        sites,
        tracks: organization::list_tracks(&mut conn.db(), caller.organization_id).await?,
        can_configure: may(caller.role, Action::Configure),
        errors,
        failed_form,
        levels: Level::ALL,
    })
}

/// `GET /config`
pub async fn overview(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    Ok(render(&config_page(&state, &caller, "", Vec::new()).await?))
}

async fn after(
    state: &AppState,
    caller: &Caller,
    form: &'static str,
    result: Result<(), ApiError>,
    to: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(to).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            let page = if form == "user" {
                render(&users_page(state, caller, invalid.0).await?)
            } else {
                render(&config_page(state, caller, form, invalid.0).await?)
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /config/sites`
pub async fn create_site(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let body = SiteBody {
        name: form.get("name").to_owned(),
        time_zone: form.get("time_zone").to_owned(),
    };
    let result = api_create_site(&state, &caller, &body).await.map(|_| ());
    after(&state, &caller, "site", result, "/config").await
}

/// `POST /config/tracks`
pub async fn create_track(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let mut bad = Vec::new();
    let target_hours = form
        .get("target_hours")
        .trim()
        .parse::<f64>()
        .unwrap_or_else(|_| {
            bad.push(FieldError {
                field: "target_hours".into(),
                message: "must be a number of hours".into(),
            });
            f64::NAN
        });
    let min_days = form.get("min_days").trim().parse::<i64>().unwrap_or(0);
    let body = TrackBody {
        site_id: form.get("site_id").to_owned(),
        name: form.get("name").to_owned(),
        level: form.get("level").to_owned(),
        target_hours,
        min_days,
        age_group: form.get("age_group").to_owned(),
    };
    let result = api_create_track(&state, &caller, &body).await.map(|_| ());
    after(&state, &caller, "track", result, "/config").await
}

/// `POST /config/rooms`
pub async fn create_room(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let body = crate::api::program::RoomBody {
        site_id: form.get("site_id").to_owned(),
        name: form.get("name").to_owned(),
        capacity: form.get("capacity").trim().parse().unwrap_or(0),
    };
    crate::api::require(&state, &caller, Action::Configure, "room.create").await?;
    let result = crate::api::program::create_room(&state, &caller, &body)
        .await
        .map(|_| ());
    after(&state, &caller, "room", result, "/config").await
}

/// `POST /config/curriculum`: one phase's topics, one per line.
pub async fn set_curriculum(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let topics: Vec<String> = form
        .get("topics")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let result = crate::api::program::save_curriculum(&state, &caller, form.get("phase"), &topics)
        .await
        .map(|_| ());
    after(&state, &caller, "curriculum", result, "/config").await
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
    roles: [Role; 6],
    /// Staff member -> supervisor, by username.
    supervised: Vec<(String, String)>,
    /// Clinicians and admins, and whether they read SUD counseling notes.
    readers: Vec<(uuid::Uuid, String, bool)>,
    mfa_required: bool,
    errors: Vec<FieldError>,
}

impl UsersPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn users_page(
    state: &AppState,
    caller: &Caller,
    errors: Vec<FieldError>,
) -> Result<UsersPage, ApiError> {
    if !decide(caller.role, Action::ManageUsers, Relationship::None).is_allowed() {
        return Err(ApiError::Forbidden);
    }
    let mut conn = state.store.read().await?;
    let users = users::list_users(&mut conn.db(), caller.organization_id).await?;
    let pairs =
        openiop_store::notes::list_supervisors(&mut conn.db(), caller.organization_id).await?;
    let named =
        openiop_store::notes::list_counseling_readers(&mut conn.db(), caller.organization_id)
            .await?;
    let name = |id: uuid::Uuid| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.username.clone())
            .unwrap_or_default()
    };
    let mfa_required =
        openiop_store::organization::find_mfa_required(&mut conn.db(), caller.organization_id)
            .await?;
    Ok(UsersPage {
        mfa_required,
        chrome: Chrome::of(caller),
        supervised: pairs.iter().map(|(u, s)| (name(*u), name(*s))).collect(),
        readers: users
            .iter()
            .filter(|u| u.active && may(u.role, Action::SignAsClinician))
            .map(|u| (u.id, u.username.clone(), named.contains(&u.id)))
            .collect(),
        users,
        roles: Role::ALL,
        errors,
    })
}

/// `GET /config/users`
pub async fn users(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    Ok(render(&users_page(&state, &caller, Vec::new()).await?))
}

/// `POST /config/users/{user_id}/revoke` (form): end a user's sessions.
pub async fn revoke_sessions(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<UserId>,
) -> PageResult {
    crate::api::config::revoke_sessions(&state, &caller, id).await?;
    Ok(Redirect::to("/config/users").into_response())
}

/// `POST /config/security` (form): require multi-factor authentication of all staff.
pub async fn set_security(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    crate::api::account::set_security(&state, &caller, form.get("mfa_required") == "yes").await?;
    Ok(Redirect::to("/config/users").into_response())
}

/// `POST /config/users/supervisor` (form): set or clear a staff member's supervisor.
pub async fn set_supervisor(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let result = crate::api::notes::set_supervisor(
        &state,
        &caller,
        form.get("user_id")
            .parse()
            .map_err(|_| ApiError::NotFound)?,
        form.optional("supervisor_id").as_deref(),
    )
    .await
    .map(|_| ());
    after(&state, &caller, "user", result, "/config/users").await
}

/// `POST /config/counseling-readers` (form): the staff who read SUD counseling notes.
pub async fn set_counseling_readers(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let result = crate::api::notes::set_readers(&state, &caller, &form.all("user_ids"))
        .await
        .map(|_| ());
    after(&state, &caller, "user", result, "/config/users").await
}

/// `POST /config/users`
pub async fn create_user(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let body = UserBody {
        username: form.get("username").to_owned(),
        password: form.get("password").to_owned(),
        role: form.get("role").to_owned(),
        patient_id: form.optional("patient_id"),
    };
    let result = api_create_user(&state, &caller, &body).await.map(|_| ());
    after(&state, &caller, "user", result, "/config/users").await
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/config", "Configuration: sites and tracks", get(pages::config::overview)),
    route(M::POST, "/config/sites", "Create a site (form)", post(pages::config::create_site)),
    route(M::POST, "/config/tracks", "Create a track (form)", post(pages::config::create_track)),
    route(M::POST, "/config/rooms", "Create a room (form)", post(pages::config::create_room)),
    route(M::POST, "/config/curriculum", "Replace a phase's curriculum (form)", post(pages::config::set_curriculum)),
    route(M::GET, "/config/users", "Configuration: users", get(pages::config::users)),
    route(M::POST, "/config/users", "Create a user (form)", post(pages::config::create_user)),
    route(M::POST, "/config/users/{user_id}/revoke", "End every session of a user (form, admin)", post(pages::config::revoke_sessions)),
    route(M::POST, "/config/security", "Require multi-factor authentication (form, admin)", post(pages::config::set_security)),
    route(M::POST, "/config/users/supervisor", "Set a staff member's supervisor (form)", post(pages::config::set_supervisor)),
    route(M::POST, "/config/counseling-readers", "Name the readers of SUD counseling notes (form)", post(pages::config::set_counseling_readers)),
    ]
}
