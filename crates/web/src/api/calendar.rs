//! Calendar feeds: a patient's or a staff member's sessions at a secret, revocable URL
//! (`/calendar/{secret}.ics`). The secret is 256 random bits, stored only as its SHA-256.
//! Events say only "Appointment" or "Group session", the time and the room unless the
//! feed's owner opted into full titles.

use crate::ids::Ids;
use openiop_core::access::{Action, may};
use openiop_core::id::{CalendarFeedId, PatientId};
use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use openiop_core::access::{Access, Part};
use openiop_core::calendar::{self, Event};
use openiop_store::schedule::{self as schedule_store, Feed};
use openiop_store::{Instant, sessions};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::open_patient;
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::idempotency::CarriesSecret;
use crate::json::ApiJson;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FeedBody {
    /// Show sessions' real titles (the owner's own choice; off by default).
    #[serde(default)]
    pub full_titles: bool,
}

#[derive(Serialize)]
pub struct FeedJson {
    pub id: Uuid,
    /// The secret address; shown once, at creation.
    pub url: String,
    pub full_titles: bool,
}

async fn create(
    state: &AppState,
    caller: &Caller,
    patient_id: Option<Uuid>,
    user_id: Option<Uuid>,
    full_titles: bool,
) -> ApiResult<FeedJson> {
    let (token, hash) = crate::auth::new_secret()?;
    let feed = Feed {
        id: openiop_core::id::new_id(),
        organization_id: caller.organization_id,
        patient_id,
        user_id,
        full_titles,
        revoked_at: None,
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    schedule_store::insert_feed(
        &mut tx.db(),
        &feed,
        &hash,
        caller.user_id,
        Instant::new(now),
    )
    .await?;
    let mut event = EventBuilder::for_caller(caller)
        .action(
            "calendar_feed.create",
            format!("calendar-feeds/{}", feed.id),
        )
        .detail(if full_titles {
            "full_titles"
        } else {
            "private_titles"
        });
    if let Some(p) = patient_id {
        event = event.patient(p);
    }
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(FeedJson {
        id: feed.id,
        url: format!("/calendar/{token}.ics"),
        full_titles,
    })
}

/// `POST /api/v1/patients/{id}/calendar-feeds`: a feed of the patient's sessions. Staff who
/// schedule the patient may create one; only the patient may opt into full titles.
pub async fn post_patient_feed(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<FeedBody>,
) -> ApiResult<CarriesSecret<(StatusCode, Json<FeedJson>)>> {
    let feed = create_patient_feed(&state, &caller, id, &body).await?;
    Ok(CarriesSecret((StatusCode::CREATED, Json(feed))))
}

/// Creates a patient's feed (API and pages).
pub async fn create_patient_feed(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &FeedBody,
) -> ApiResult<FeedJson> {
    let myself = caller.role.is_patient();
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Schedule,
        if myself { Access::Read } else { Access::Write },
        "calendar_feed.create",
    )
    .await?;
    if body.full_titles && !myself {
        return Err(openiop_core::Invalid::one(
            "full_titles",
            "only the patient may choose to show session titles in their calendar",
        )
        .into());
    }
    create(state, caller, Some(patient.id), None, body.full_titles).await
}

/// `POST /api/v1/me/calendar-feeds` (staff): a feed of the sessions the caller runs.
pub async fn post_my_feed(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<FeedBody>,
) -> ApiResult<CarriesSecret<(StatusCode, Json<FeedJson>)>> {
    if !caller.role.is_staff() {
        return Err(ApiError::Forbidden);
    }
    let feed = create(
        &state,
        &caller,
        None,
        Some(caller.user_id),
        body.full_titles,
    )
    .await?;
    Ok(CarriesSecret((StatusCode::CREATED, Json(feed))))
}

/// `DELETE /api/v1/calendar-feeds/{id}`: revokes a feed at once (its owner, staff who
/// schedule the patient, or an admin).
pub async fn delete_feed(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<CalendarFeedId>,
) -> ApiResult<StatusCode> {
    revoke(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a feed (API and pages); returns the patient it belonged to, if any.
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: CalendarFeedId,
) -> ApiResult<Option<Uuid>> {
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    let feed = schedule_store::find_feed(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    match (feed.patient_id, feed.user_id) {
        (Some(p), _) => {
            let myself = caller.patient_id == Some(p);
            open_patient(
                state,
                caller,
                PatientId::from_uuid(p),
                Part::Schedule,
                if myself { Access::Read } else { Access::Write },
                "calendar_feed.revoke",
            )
            .await?;
        }
        (None, Some(u)) if u == caller.user_id || may(caller.role, Action::ManageOthersAccess) => {}
        _ => return Err(ApiError::NotFound),
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    schedule_store::revoke_feed(
        &mut tx.db(),
        caller.organization_id,
        feed.id,
        Instant::new(now),
    )
    .await?;
    let mut event = EventBuilder::for_caller(caller).action(
        "calendar_feed.revoke",
        format!("calendar-feeds/{}", feed.id),
    );
    if let Some(p) = feed.patient_id {
        event = event.patient(p);
    }
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(feed.patient_id)
}

/// `GET /calendar/{secret}.ics`: public (the secret is the credential). Unknown or revoked
/// -> 404. Sessions from 30 days back to 180 days ahead. Every read is audited.
pub async fn get_feed(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(secret): Path<String>,
) -> ApiResult<Response> {
    let token = secret.strip_suffix(".ics").unwrap_or(&secret);
    if token.is_empty() || token.len() > 128 {
        return Err(ApiError::NotFound);
    }
    let mut conn = state.store.read().await?;
    let feed = schedule_store::find_feed_by_token(&mut conn.db(), &crate::auth::hash_secret(token))
        .await?
        .filter(|f| f.revoked_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let now = state.now();
    let from = Instant::new(now - time::Duration::days(30));
    let until = Instant::new(now + time::Duration::days(180));
    let found = match (feed.patient_id, feed.user_id) {
        (Some(p), _) => {
            sessions::list_sessions_in(&mut conn.db(), sessions::Whose::Patient(p), from, until)
                .await?
        }
        (None, Some(u)) => {
            sessions::list_sessions_in(&mut conn.db(), sessions::Whose::Facilitator(u), from, until)
                .await?
        }
        (None, None) => Vec::new(),
    };
    let rooms = schedule_store::list_rooms(&mut conn.db(), feed.organization_id).await?;
    drop(conn);
    let events: Vec<Event> = found
        .iter()
        .map(|s| Event {
            uid: format!("{}@openiop", s.id),
            starts: s.starts_at.get(),
            ends: s.ends_at.get(),
            summary: calendar::summary(&s.kind, &s.title, feed.full_titles),
            location: s
                .room_id
                .and_then(|r| rooms.iter().find(|room| room.id == r))
                .map(|room| room.name.clone())
                .or_else(|| s.video_url.as_ref().map(|_| "Video session".to_owned())),
        })
        .collect();
    let mut event = EventBuilder::anonymous(feed.organization_id, &addr.ip().to_string())
        .action("calendar_feed.read", format!("calendar-feeds/{}", feed.id))
        .detail(format!("events={}", events.len()));
    if let Some(p) = feed.patient_id {
        event = event.patient(p);
    }
    state.store.record(vec![event.build(now)]).await?;
    let body = calendar::render("OpenIOP schedule", &events, now);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::POST, "/api/v1/patients/{id}/calendar-feeds", "A secret calendar feed of the patient's sessions", post(api::calendar::post_patient_feed))
        .body(|| object(&[], json!({"full_titles": {"type": "boolean", "description": "only the patient may choose true"}}))),
    route(M::POST, "/api/v1/me/calendar-feeds", "A secret calendar feed of the sessions the caller runs (staff)", post(api::calendar::post_my_feed))
        .body(|| object(&[], json!({"full_titles": {"type": "boolean"}}))),
    route(M::DELETE, "/api/v1/calendar-feeds/{id}", "Revoke a calendar feed", delete(api::calendar::delete_feed)).status(204),
    route(M::GET, "/calendar/{secret}", "A calendar feed (iCalendar; the secret is the credential)", get(api::calendar::get_feed)).public(),
    ]
}
