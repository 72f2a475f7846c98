//! Dated sessions, enrollments, attendance and weekly intensity (API.md "Sessions,
//! attendance and intensity").

use crate::ids::Ids;
use crate::json::Given;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::access::{Access, Action, Part};
use openiop_core::attendance::{self, Status};
use openiop_core::id::{PatientId, SessionId, SessionTemplateId};
use openiop_core::session_kind::SessionKind;
use openiop_core::validate::Check;
use openiop_core::{FieldError, Invalid};
use openiop_store::schedule::{self as schedule_store, Booked};
use openiop_store::sessions::{self, Mark, Session};
use openiop_store::{Instant, organization};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};
use crate::times::rfc3339;

mod appointments;
mod templates;

pub use appointments::*;
pub use templates::*;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    #[schemars(with = "uuid::Uuid")]
    pub track_id: String,
    #[schemars(extend("enum" = crate::routes::names(SessionKind::ALL, SessionKind::as_str)))]
    pub kind: String,
    pub title: String,
    #[schemars(extend("format" = "date-time"))]
    pub starts_at: Given<OffsetDateTime>,
    #[schemars(extend("format" = "date-time"))]
    pub ends_at: Given<OffsetDateTime>,
    #[schemars(range(min = 1, max = 500))]
    pub capacity: i64,
    #[schemars(with = "Option<uuid::Uuid>")]
    pub facilitator_id: Option<String>,
    #[schemars(with = "Option<uuid::Uuid>")]
    pub room_id: Option<String>,
    /// Group therapy: cbt, dbt or other.
    #[schemars(extend("enum" = MODALITIES))]
    pub modality: Option<String>,
    pub topic: Option<String>,
    /// A telehealth session's link (https).
    #[schemars(extend("format" = "uri"))]
    pub video_url: Option<String>,
}

#[derive(Serialize)]
pub struct SessionJson {
    pub id: Uuid,
    pub track_id: Uuid,
    pub kind: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i32,
    pub facilitator_id: Option<Uuid>,
    pub room_id: Option<Uuid>,
    pub modality: Option<String>,
    pub topic: Option<String>,
    /// Whether the session is held by video.
    pub telehealth: bool,
    /// The link itself: only for the facilitator and the enrolled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    /// The front-desk self check-in code (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin_code: Option<String>,
}

impl SessionJson {
    /// The session as `caller` may see it: the video link only for its facilitator and
    /// patients enrolled in it (`enrolled`), the check-in code only for staff.
    pub fn for_caller(s: Session, caller: &Caller, enrolled: bool) -> SessionJson {
        let sees_link = s.facilitator_id == Some(caller.user_id) || enrolled;
        let staff = caller.role.is_staff();
        SessionJson {
            id: s.id,
            track_id: s.track_id,
            kind: s.kind,
            title: s.title,
            starts_at: rfc3339(s.starts_at),
            ends_at: rfc3339(s.ends_at),
            capacity: s.capacity,
            facilitator_id: s.facilitator_id,
            room_id: s.room_id,
            modality: s.modality,
            topic: s.topic,
            telehealth: s.video_url.is_some(),
            video_url: s.video_url.filter(|_| sees_link),
            checkin_code: s.checkin_code.filter(|_| staff),
        }
    }
}

/// What every session and template has: a title and a kind of session.
fn check_title_and_kind(check: &mut Check, title: &str, kind: &str) -> Option<String> {
    let title = check.text("title", title, 200);
    if SessionKind::parse(kind).is_none() {
        check.fail(
            "kind",
            format!(
                "must be one of {}",
                SessionKind::ALL.map(SessionKind::as_str).join(", ")
            ),
        );
    }
    title
}

/// Capacity, then the track and the facilitator, checked against the caller's organization.
async fn check_track_and_facilitator(
    state: &AppState,
    caller: &Caller,
    check: &mut Check,
    capacity: i64,
    track_id: &str,
    facilitator_id: Option<&str>,
) -> ApiResult<(Option<openiop_store::organization::Track>, Option<Uuid>)> {
    if !(1..=500).contains(&capacity) {
        check.fail("capacity", "must be a whole number from 1 to 500");
    }
    let mut conn = state.store.read().await?;
    let track = match openiop_core::id::parse_id(track_id) {
        Some(id) => organization::find_track(&mut conn.db(), caller.organization_id, id).await?,
        None => None,
    };
    drop(conn);
    if track.is_none() {
        check.fail("track_id", "must name a track of this organization");
    }
    let facilitator = match facilitator_id {
        Some(text) => {
            let found = super::staff_in_org(state, caller.organization_id, text).await?;
            if found.is_none() {
                check.fail(
                    "facilitator_id",
                    "must name an active staff member of this organization",
                );
            }
            found
        }
        None => None,
    };
    Ok((track, facilitator))
}

/// Modalities of group therapy.
pub const MODALITIES: [&str; 3] = ["cbt", "dbt", "other"];

/// What a session holds besides its time: room, modality, topic, video link.
pub struct Facts {
    pub room: Option<schedule_store::Room>,
    pub modality: Option<String>,
    pub topic: Option<String>,
    pub video_url: Option<String>,
}

/// Checks a session's room (of the track's site, large enough), modality (group therapy
/// only), topic and video link (https).
#[allow(clippy::too_many_arguments)]
pub async fn check_facts(
    state: &AppState,
    caller: &Caller,
    check: &mut Check,
    kind: &str,
    site_id: Option<Uuid>,
    capacity: i64,
    room_id: Option<&str>,
    modality: Option<&str>,
    topic: Option<&str>,
    video_url: Option<&str>,
) -> ApiResult<Facts> {
    let room = match room_id {
        None => None,
        Some(text) => {
            let found = match openiop_core::id::parse_id(text) {
                Some(id) => {
                    let mut conn = state.store.read().await?;
                    schedule_store::find_room(&mut conn.db(), caller.organization_id, id).await?
                }
                None => None,
            };
            match &found {
                None => check.fail("room_id", "must name a room of this organization"),
                Some(r) if site_id.is_some_and(|s| s != r.site_id) => {
                    check.fail("room_id", "must be a room of the track's site")
                }
                Some(r) if capacity > i64::from(r.capacity) => check.fail(
                    "capacity",
                    format!("is more than the room holds ({})", r.capacity),
                ),
                Some(_) => {}
            }
            found
        }
    };
    let modality = match (kind, modality) {
        ("group_therapy", None) => Some("other".to_owned()),
        ("group_therapy", Some(m)) if MODALITIES.contains(&m) => Some(m.to_owned()),
        ("group_therapy", Some(_)) => {
            check.fail("modality", "must be cbt, dbt or other");
            None
        }
        (_, None) => None,
        (_, Some(_)) => {
            check.fail("modality", "only group therapy has a modality");
            None
        }
    };
    let topic = check.optional_text("topic", topic, 200).flatten();
    let video_url = check.optional_text("video_url", video_url, 500).flatten();
    if let Some(url) = &video_url
        && (!url.starts_with("https://") || url.contains(char::is_whitespace) || url.len() < 12)
    {
        check.fail("video_url", "must be an https:// link");
    }
    Ok(Facts {
        room,
        modality,
        topic,
        video_url,
    })
}

/// Refuses a booking that overlaps another of the same facilitator, room or patient,
/// naming each clash (409).
pub async fn refuse_double_booking(
    state: &AppState,
    organization_id: Uuid,
    bookings: &[(Booked, &str, &str)],
    from: Instant,
    until: Instant,
    except: Option<Uuid>,
) -> ApiResult<()> {
    let mut clashes = Vec::new();
    let mut conn = state.store.read().await?;
    for (booked, field, who) in bookings {
        for c in schedule_store::list_clashes(
            &mut conn.db(),
            organization_id,
            *booked,
            from,
            until,
            except,
        )
        .await?
        {
            clashes.push(FieldError {
                field: (*field).to_owned(),
                message: format!(
                    "{who} is already booked in \"{}\" from {} to {} (session {})",
                    c.title,
                    rfc3339(c.starts_at),
                    rfc3339(c.ends_at),
                    c.session_id
                ),
            });
        }
    }
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::DoubleBooked(Invalid(clashes)))
    }
}

/// A short code for the front-desk check-in screen: 6 characters without look-alikes.
pub fn checkin_code() -> ApiResult<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::caused("random bytes", e))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Creates a session after checking who and what it books; shared by the session,
/// appointment and page routes. `patient` is enrolled in the same transaction.
pub async fn book(
    state: &AppState,
    caller: &Caller,
    session: Session,
    patient: Option<Uuid>,
) -> ApiResult<Session> {
    let mut bookings: Vec<(Booked, &str, &str)> = Vec::new();
    if let Some(f) = session.facilitator_id {
        bookings.push((Booked::Facilitator(f), "facilitator_id", "the facilitator"));
    }
    if let Some(r) = session.room_id {
        bookings.push((Booked::Room(r), "room_id", "the room"));
    }
    if let Some(p) = patient {
        bookings.push((Booked::Patient(p), "patient_id", "the patient"));
    }
    refuse_double_booking(
        state,
        caller.organization_id,
        &bookings,
        session.starts_at,
        session.ends_at,
        None,
    )
    .await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    sessions::insert_session(
        &mut tx.db(),
        caller.organization_id,
        &session,
        Instant::new(now),
    )
    .await?;
    let mut event = EventBuilder::for_caller(caller)
        .action("session.create", format!("sessions/{}", session.id));
    if let Some(p) = patient {
        sessions::enroll(
            &mut tx.db(),
            caller.organization_id,
            session.id,
            p,
            Instant::new(now),
        )
        .await?;
        event = event.patient(p);
    }
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(session)
}

/// `POST /api/v1/sessions`
pub async fn post_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SessionBody>,
) -> ApiResult<(StatusCode, Json<SessionJson>)> {
    let session = create_session(&state, &caller, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(SessionJson::for_caller(session, &caller, false)),
    ))
}

/// Creates a dated session (API and pages).
pub async fn create_session(
    state: &AppState,
    caller: &Caller,
    body: &SessionBody,
) -> ApiResult<Session> {
    require(state, caller, Action::ManageSchedule, "session.create").await?;
    let mut check = Check::new();
    let title = check_title_and_kind(&mut check, &body.title, &body.kind);
    let (starts, ends) = check_span(&mut check, &body.starts_at, &body.ends_at);
    let (track, facilitator) = check_track_and_facilitator(
        state,
        caller,
        &mut check,
        body.capacity,
        &body.track_id,
        body.facilitator_id.as_deref(),
    )
    .await?;
    let facts = check_facts(
        state,
        caller,
        &mut check,
        &body.kind,
        track.as_ref().map(|t| t.site_id),
        body.capacity,
        body.room_id.as_deref(),
        body.modality.as_deref(),
        body.topic.as_deref(),
        body.video_url.as_deref(),
    )
    .await?;
    let (title, starts, ends, track) = check.finish(|| Some((title?, starts?, ends?, track?)))?;
    let session = Session {
        id: openiop_core::id::new_id(),
        track_id: track.id,
        kind: body.kind.clone(),
        title,
        starts_at: Instant::new(starts),
        ends_at: Instant::new(ends),
        capacity: i32::try_from(body.capacity).unwrap_or(1),
        facilitator_id: facilitator,
        template_id: None,
        room_id: facts.room.map(|r| r.id),
        modality: facts.modality,
        topic: facts.topic,
        video_url: facts.video_url,
        checkin_code: Some(checkin_code()?),
    };
    book(state, caller, session, None).await
}

/// A session's start and end, the end after the start, at most 12 hours.
fn check_span(
    check: &mut Check,
    starts_at: &Given<OffsetDateTime>,
    ends_at: &Given<OffsetDateTime>,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let starts = starts_at.instant(check, "starts_at");
    let ends = ends_at.instant(check, "ends_at");
    if let (Some(s), Some(e)) = (starts, ends) {
        if e <= s {
            check.fail("ends_at", "must be after starts_at");
        } else if e - s > time::Duration::hours(12) {
            check.fail("ends_at", "a session lasts at most 12 hours");
        }
    }
    (starts, ends)
}

/// `GET /api/v1/sessions/{id}`: a session; its video link only for the facilitator and the
/// enrolled patients.
pub async fn get_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
) -> ApiResult<Json<SessionJson>> {
    let session = find(&state, &caller, id).await?;
    let mut conn = state.store.read().await?;
    let enrolled =
        sessions::list_enrolled(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    let me = caller.patient_id.filter(|p| enrolled.contains(p));
    if !caller.role.is_staff() && me.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(SessionJson::for_caller(
        session,
        &caller,
        me.is_some(),
    )))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `GET /api/v1/sessions?from=YYYY-MM-DD&to=YYYY-MM-DD` (staff): sessions starting in the
/// range (UTC dates; at most 62 days; default the next 7 days).
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<super::ListPage<SessionJson>>> {
    require(&state, &caller, Action::ReadConfiguration, "session.list").await?;
    let mut check = Check::new();
    let today = state.now().date();
    let from = match query.from.as_deref() {
        Some(t) => check.date("from", t),
        None => Some(today),
    };
    let to = match query.to.as_deref() {
        Some(t) => check.date("to", t),
        None => from.map(|f| f + time::Duration::days(7)),
    };
    if let (Some(f), Some(t)) = (from, to)
        && (t < f || (t - f).whole_days() > 62)
    {
        check.fail("to", "must be on or after from, at most 62 days later");
    }
    let (from, to) = check.finish(|| Some((from?, to?)))?;
    let mut conn = state.store.read().await?;
    let found = sessions::list_sessions_in(
        &mut conn.db(),
        sessions::Whose::Organization(caller.organization_id),
        Instant::new(from.midnight().assume_utc()),
        Instant::new((to + time::Duration::days(1)).midnight().assume_utc()),
    )
    .await?;
    drop(conn);
    Ok(Json(super::ListPage::whole(
        found
            .into_iter()
            .map(|s| SessionJson::for_caller(s, &caller, false))
            .collect(),
    )))
}

async fn find(state: &AppState, caller: &Caller, id: SessionId) -> ApiResult<Session> {
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    sessions::find_session(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentBody {
    pub patient_id: String,
}

/// `POST /api/v1/sessions/{id}/enrollments`
pub async fn post_enrollment(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
    ApiJson(body): ApiJson<EnrollmentBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let session = find(&state, &caller, id).await?;
    let patient_id: PatientId = super::body_id("patient_id", &body.patient_id)?;
    let patient = open_patient(
        &state,
        &caller,
        patient_id,
        Part::Schedule,
        Access::Write,
        "enrollment.create",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let enrolled =
        sessions::list_enrolled(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    if !enrolled.contains(&patient.id)
        && enrolled.len() >= usize::try_from(session.capacity).unwrap_or(0)
    {
        return Err(Invalid::one(
            "patient_id",
            format!(
                "the session is full ({} of {})",
                enrolled.len(),
                session.capacity
            ),
        )
        .into());
    }
    if !enrolled.contains(&patient.id) {
        refuse_double_booking(
            &state,
            caller.organization_id,
            &[(Booked::Patient(patient.id), "patient_id", "the patient")],
            session.starts_at,
            session.ends_at,
            Some(session.id),
        )
        .await?;
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    sessions::enroll(
        &mut tx.db(),
        caller.organization_id,
        session.id,
        patient.id,
        Instant::new(now),
    )
    .await?;
    let event = EventBuilder::for_caller(&caller)
        .action("enrollment.create", format!("sessions/{}", session.id))
        .patient(patient.id);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(
            serde_json::json!({"session_id": session.id, "patient_id": patient.id, "enrolled": true}),
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    pub patient_id: String,
    pub status: String,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    /// Why the patient was absent (absences only).
    pub absence_reason: Option<String>,
}

#[derive(Serialize)]
pub struct MarkJson {
    pub session_id: Uuid,
    pub patient_id: Uuid,
    pub status: String,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    pub minutes: i32,
    pub recorded_at: String,
    pub absence_reason: Option<String>,
}

impl From<Mark> for MarkJson {
    fn from(m: Mark) -> Self {
        MarkJson {
            session_id: m.session_id,
            patient_id: m.patient_id,
            status: m.status,
            check_in: m.check_in.map(rfc3339),
            check_out: m.check_out.map(rfc3339),
            minutes: m.minutes,
            recorded_at: rfc3339(m.recorded_at),
            absence_reason: m.absence_reason,
        }
    }
}

/// `POST /api/v1/sessions/{id}/attendance`: the current mark; posting again corrects it
/// (every mark is kept). A walk-in is enrolled by their first mark.
pub async fn post_attendance(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
    ApiJson(body): ApiJson<AttendanceBody>,
) -> ApiResult<Json<MarkJson>> {
    let session = find(&state, &caller, id).await?;
    let patient_id: PatientId = super::body_id("patient_id", &body.patient_id)?;
    let patient = open_patient(
        &state,
        &caller,
        patient_id,
        Part::Attendance,
        Access::Write,
        "attendance.mark",
    )
    .await?;
    let mark = check_mark(&caller, &session, patient.id, &body, state.now())?;
    record_marks(&state, &caller, &session, std::slice::from_ref(&mark)).await?;
    Ok(Json(mark.into()))
}

/// Checks one attendance mark for a session (status, times, absence reason).
pub fn check_mark(
    caller: &Caller,
    session: &Session,
    patient_id: Uuid,
    body: &AttendanceBody,
    now: OffsetDateTime,
) -> ApiResult<Mark> {
    let mut check = Check::new();
    let status = Status::parse(&body.status);
    if status.is_none() {
        check.fail(
            "status",
            "must be present, late, left_early, absent_excused or absent_unexcused",
        );
    }
    let check_in = body
        .check_in
        .as_deref()
        .and_then(|t| crate::json::read_instant(&mut check, "check_in", t));
    let check_out = body
        .check_out
        .as_deref()
        .and_then(|t| crate::json::read_instant(&mut check, "check_out", t));
    if let (Some(a), Some(b)) = (check_in, check_out)
        && b < a
    {
        check.fail("check_out", "must not be before check_in");
    }
    let reason = check
        .optional_text("absence_reason", body.absence_reason.as_deref(), 500)
        .flatten();
    if reason.is_some() && status.is_some_and(Status::attended) {
        check.fail("absence_reason", "only an absence has a reason");
    }
    let status = check.finish(|| status)?;
    let minutes = attendance::attended_minutes(
        status,
        session.starts_at.get(),
        session.ends_at.get(),
        check_in,
        check_out,
    );
    Ok(Mark {
        session_id: session.id,
        patient_id,
        status: status.as_str().to_owned(),
        check_in: check_in.map(Instant::new),
        check_out: check_out.map(Instant::new),
        minutes: i32::try_from(minutes).unwrap_or(0),
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
        absence_reason: reason,
    })
}

/// Records marks for one session in one transaction, enrolling walk-ins, one audit event
/// per patient.
pub async fn record_marks(
    state: &AppState,
    caller: &Caller,
    session: &Session,
    marks: &[Mark],
) -> ApiResult<()> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    for mark in marks {
        sessions::enroll(
            &mut tx.db(),
            caller.organization_id,
            session.id,
            mark.patient_id,
            Instant::new(now),
        )
        .await?;
        sessions::insert_mark(&mut tx.db(), caller.organization_id, mark).await?;
        let event = EventBuilder::for_caller(caller)
            .action("attendance.mark", format!("sessions/{}", session.id))
            .patient(mark.patient_id)
            .detail(mark.status.as_str());
        tx.audit(event.build(now)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::POST, "/api/v1/sessions", "Create a dated session", post(api::sessions::post_session))
        .body_of::<SessionBody>(),
    route(M::POST, "/api/v1/session-templates", "Create a weekly recurring session", post(api::sessions::post_template))
        .body(|| object(&["track_id", "kind", "title", "weekday", "start", "minutes", "capacity"], json!({
            "track_id": {"type": "string", "format": "uuid"}, "kind": string(), "title": string(),
            "weekday": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "start": {"type": "string", "description": "local HH:MM"},
            "minutes": {"type": "integer", "minimum": 1, "maximum": 720}, "capacity": {"type": "integer", "minimum": 1},
            "facilitator_id": {"type": "string", "format": "uuid"}, "room_id": {"type": "string", "format": "uuid"},
            "modality": {"enum": ["cbt", "dbt", "other"]}, "topic": string(), "video_url": {"type": "string", "format": "uri"}}))),
    route(M::POST, "/api/v1/session-templates/{id}/expand", "Date a template's sessions in the site's time zone", post(api::sessions::post_expand))
        .body(|| object(&["from", "to"], json!({"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}))),
    route(M::POST, "/api/v1/sessions/{id}/enrollments", "Enroll a patient in a session", post(api::sessions::post_enrollment))
        .body(|| object(&["patient_id"], json!({"patient_id": {"type": "string", "format": "uuid"}}))),
    route(M::POST, "/api/v1/sessions/{id}/attendance", "Mark attendance (posting again corrects it; history kept)", post(api::sessions::post_attendance))
        .status(200)
        .body(|| object(&["patient_id", "status"], json!({"patient_id": {"type": "string", "format": "uuid"},
            "status": {"enum": ["present", "late", "left_early", "absent_excused", "absent_unexcused"]},
            "check_in": {"type": "string", "format": "date-time"}, "check_out": {"type": "string", "format": "date-time"},
            "absence_reason": string()}))),
    route(M::GET, "/api/v1/sessions", "Sessions starting between two dates (staff)", get(api::sessions::list_sessions))
        .lists("Session")
        .query(&[("from", "first date YYYY-MM-DD (default today)"), ("to", "last date YYYY-MM-DD (default from + 7 days)")]),
    route(M::GET, "/api/v1/sessions/{id}", "A session (its video link only for the facilitator and the enrolled)", get(api::sessions::get_session)),
    route(M::POST, "/api/v1/appointments", "Book an individual or family appointment on a clinician's calendar", post(api::sessions::post_appointment))
        .body_of::<AppointmentBody>(),
    ]
}
