//! Dated sessions, enrollments, attendance and weekly intensity (API.md "Sessions,
//! attendance and intensity").

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use openiop_core::access::{Access, Action, Part};
use openiop_core::attendance::{self, SESSION_KINDS, Status};
use openiop_core::validate::Check;
use openiop_core::{FieldError, Invalid};
use openiop_store::patients as store_patients;
use openiop_store::sessions::{self, Mark, Session};
use openiop_store::{Instant, organization};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::instruments::rfc3339;
use super::{open_patient, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, ApiQuery};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    pub track_id: String,
    pub kind: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i64,
    pub facilitator_id: Option<String>,
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
}

impl From<Session> for SessionJson {
    fn from(s: Session) -> Self {
        SessionJson {
            id: s.id,
            track_id: s.track_id,
            kind: s.kind,
            title: s.title,
            starts_at: rfc3339(s.starts_at),
            ends_at: rfc3339(s.ends_at),
            capacity: s.capacity,
            facilitator_id: s.facilitator_id,
        }
    }
}

/// What every session and template has: a title and a kind of session.
fn check_title_and_kind(check: &mut Check, title: &str, kind: &str) -> Option<String> {
    let title = check.text("title", title, 200);
    if !SESSION_KINDS.contains(&kind) {
        check.fail(
            "kind",
            format!("must be one of {}", SESSION_KINDS.join(", ")),
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

fn instant(check: &mut Check, field: &str, text: &str) -> Option<OffsetDateTime> {
    let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).ok();
    if parsed.is_none() {
        check.fail(
            field,
            "must be a date and time with offset (RFC 3339), e.g. 2026-11-23T18:00:00-06:00",
        );
    }
    parsed
}

/// `POST /api/v1/sessions`
pub async fn post_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SessionBody>,
) -> ApiResult<(StatusCode, Json<SessionJson>)> {
    require(&state, &caller, Action::ManageSchedule, "session.create").await?;
    let mut check = Check::new();
    let title = check_title_and_kind(&mut check, &body.title, &body.kind);
    let starts = instant(&mut check, "starts_at", &body.starts_at);
    let ends = instant(&mut check, "ends_at", &body.ends_at);
    if let (Some(s), Some(e)) = (starts, ends) {
        if e <= s {
            check.fail("ends_at", "must be after starts_at");
        } else if e - s > time::Duration::hours(12) {
            check.fail("ends_at", "a session lasts at most 12 hours");
        }
    }
    let (track, facilitator) = check_track_and_facilitator(
        &state,
        &caller,
        &mut check,
        body.capacity,
        &body.track_id,
        body.facilitator_id.as_deref(),
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
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    sessions::insert_session(
        &mut tx.db(),
        caller.organization_id,
        &session,
        Instant::new(now),
    )
    .await?;
    tx.audit(
        EventBuilder::for_caller(&caller)
            .action("session.create", format!("sessions/{}", session.id))
            .build(now),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Session> {
    let id = openiop_core::id::parse_id(id).ok_or(ApiError::NotFound)?;
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
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EnrollmentBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let session = find(&state, &caller, &id).await?;
    let patient_id = super::body_id("patient_id", &body.patient_id)?;
    let patient = open_patient(
        &state,
        &caller,
        &patient_id.to_string(),
        Part::Schedule,
        Access::Write,
        "enrollment.create",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let enrolled = sessions::enrolled(&mut conn.db(), session.id).await?;
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
        }
    }
}

/// `POST /api/v1/sessions/{id}/attendance`: the current mark; posting again corrects it
/// (every mark is kept). A walk-in is enrolled by their first mark.
pub async fn post_attendance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AttendanceBody>,
) -> ApiResult<Json<MarkJson>> {
    let session = find(&state, &caller, &id).await?;
    let patient_id = super::body_id("patient_id", &body.patient_id)?;
    let patient = open_patient(
        &state,
        &caller,
        &patient_id.to_string(),
        Part::Attendance,
        Access::Write,
        "attendance.mark",
    )
    .await?;
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
        .and_then(|t| instant(&mut check, "check_in", t));
    let check_out = body
        .check_out
        .as_deref()
        .and_then(|t| instant(&mut check, "check_out", t));
    if let (Some(a), Some(b)) = (check_in, check_out)
        && b < a
    {
        check.fail("check_out", "must not be before check_in");
    }
    let status = check.finish(|| status)?;
    let minutes = attendance::attended_minutes(
        status,
        session.starts_at.get(),
        session.ends_at.get(),
        check_in,
        check_out,
    );
    let now = state.now();
    let mark = Mark {
        session_id: session.id,
        patient_id: patient.id,
        status: status.as_str().to_owned(),
        check_in: check_in.map(Instant::new),
        check_out: check_out.map(Instant::new),
        minutes: i32::try_from(minutes).unwrap_or(0),
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    sessions::enroll(
        &mut tx.db(),
        caller.organization_id,
        session.id,
        patient.id,
        Instant::new(now),
    )
    .await?;
    sessions::insert_mark(&mut tx.db(), caller.organization_id, &mark).await?;
    let event = EventBuilder::for_caller(&caller)
        .action("attendance.mark", format!("sessions/{}", session.id))
        .patient(patient.id)
        .detail(status.as_str());
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(Json(mark.into()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WeekQuery {
    pub week: Option<String>,
}

#[derive(Serialize)]
pub struct IntensityJson {
    pub week: String,
    pub hours: f64,
    pub target_hours: f64,
    pub days: usize,
    pub min_days: u8,
    pub met: bool,
}

/// `GET /api/v1/patients/{id}/intensity?week=YYYY-Www`: hours attended in an ISO week of the
/// site's time zone against the episode's targets (its track's, until intensity plans exist).
pub async fn get_intensity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<WeekQuery>,
) -> ApiResult<Json<IntensityJson>> {
    let patient = open_patient(
        &state,
        &caller,
        &id,
        Part::Attendance,
        Access::Read,
        "intensity.read",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let episodes = store_patients::episodes_of(&mut conn.db(), patient.id).await?;
    let episode = episodes
        .iter()
        .find(|e| e.status == openiop_core::program::EpisodeStatus::Active)
        .or(episodes.first())
        .ok_or_else(|| {
            Invalid(vec![FieldError {
                field: String::new(),
                message: "the patient has no episode of care".into(),
            }])
        })?;
    let track = organization::find_track(&mut conn.db(), caller.organization_id, episode.track_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let site = organization::find_site(&mut conn.db(), caller.organization_id, track.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let zone = site.time_zone;
    let week = match query.week.as_deref().filter(|w| !w.is_empty()) {
        Some(text) => attendance::parse_week(text, &zone)
            .ok_or_else(|| Invalid::one("week", "must be an ISO week such as 2026-W48"))?,
        None => attendance::week_containing(state.now(), &zone)
            .ok_or(ApiError::Internal("week".into()))?,
    };
    let marks = sessions::current_marks(
        &mut conn.db(),
        patient.id,
        Instant::new(week.start),
        Instant::new(week.end),
    )
    .await?;
    drop(conn);
    let minutes: i64 = marks.iter().map(|(m, _)| i64::from(m.minutes)).sum();
    let days: std::collections::BTreeSet<String> = marks
        .iter()
        .filter(|(m, _)| m.minutes > 0)
        .filter_map(|(_, starts)| attendance::local_date(starts.get(), &zone))
        .collect();
    let hours = minutes as f64 / 60.0;
    let target_hours = f64::from(track.target_minutes) / 60.0;
    Ok(Json(IntensityJson {
        met: hours >= target_hours && days.len() >= usize::from(track.min_days),
        week: week.name,
        hours,
        target_hours,
        days: days.len(),
        min_days: track.min_days,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub track_id: String,
    pub kind: String,
    pub title: String,
    /// mon..sun
    pub weekday: String,
    /// Local start, HH:MM.
    pub start: String,
    pub minutes: i64,
    pub capacity: i64,
    pub facilitator_id: Option<String>,
}

/// `POST /api/v1/session-templates`: a weekly recurring session of a track.
pub async fn post_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TemplateBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require(
        &state,
        &caller,
        Action::ManageSchedule,
        "session_template.create",
    )
    .await?;
    let mut check = Check::new();
    let title = check_title_and_kind(&mut check, &body.title, &body.kind);
    let weekday = openiop_core::schedule::parse_day(&body.weekday);
    if weekday.is_none() {
        check.fail(
            "weekday",
            "must be one of mon, tue, wed, thu, fri, sat, sun",
        );
    }
    let start = openiop_core::schedule::parse_time(&body.start);
    if start.is_none() {
        check.fail("start", "must be a local time HH:MM");
    }
    if !(1..=720).contains(&body.minutes) {
        check.fail("minutes", "must be from 1 to 720");
    }
    let (track, facilitator) = check_track_and_facilitator(
        &state,
        &caller,
        &mut check,
        body.capacity,
        &body.track_id,
        body.facilitator_id.as_deref(),
    )
    .await?;
    let (title, weekday, start, track) =
        check.finish(|| Some((title?, weekday?, start?, track?)))?;
    let template = sessions::Template {
        id: openiop_core::id::new_id(),
        track_id: track.id,
        kind: body.kind.clone(),
        title,
        weekday: i32::from(weekday),
        start_minute: i32::from(start),
        minutes: i32::try_from(body.minutes).unwrap_or(60),
        capacity: i32::try_from(body.capacity).unwrap_or(1),
        facilitator_id: facilitator,
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    sessions::insert_template(
        &mut tx.db(),
        caller.organization_id,
        &template,
        Instant::new(now),
    )
    .await?;
    tx.audit(
        EventBuilder::for_caller(&caller)
            .action(
                "session_template.create",
                format!("session-templates/{}", template.id),
            )
            .build(now),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "id": template.id, "track_id": template.track_id, "kind": template.kind, "title": template.title,
            "weekday": body.weekday, "start": body.start, "minutes": template.minutes, "capacity": template.capacity,
            "facilitator_id": template.facilitator_id
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpandBody {
    pub from: String,
    pub to: String,
}

/// `POST /api/v1/session-templates/{id}/expand`: dates the template's sessions between two
/// local dates (at most 92 days) in its site's zone; sessions already dated are skipped.
pub async fn post_expand(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ExpandBody>,
) -> ApiResult<(StatusCode, Json<super::ListPage<SessionJson>>)> {
    require(
        &state,
        &caller,
        Action::ManageSchedule,
        "session_template.expand",
    )
    .await?;
    let id = openiop_core::id::parse_id(&id).ok_or(ApiError::NotFound)?;
    let mut conn = state.store.read().await?;
    let template = sessions::find_template(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let track = organization::find_track(&mut conn.db(), caller.organization_id, template.track_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let site = organization::find_site(&mut conn.db(), caller.organization_id, track.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let mut check = Check::new();
    let from = check.date("from", &body.from);
    let to = check.date("to", &body.to);
    if let (Some(f), Some(t)) = (from, to)
        && (t < f || (t - f).whole_days() > 92)
    {
        check.fail("to", "must be on or after from, at most 92 days later");
    }
    let (from, to) = check.finish(|| Some((from?, to?)))?;
    let recurrence = attendance::Recurrence {
        weekday: u8::try_from(template.weekday).unwrap_or(0),
        start: u16::try_from(template.start_minute).unwrap_or(0),
        minutes: u16::try_from(template.minutes).unwrap_or(60),
    };
    let now = state.now();
    let mut created = Vec::new();
    let mut tx = state.store.begin().await?;
    for (starts, ends) in attendance::expand(recurrence, &site.time_zone, from, to) {
        if sessions::dated(&mut tx.db(), template.id, Instant::new(starts)).await? {
            continue;
        }
        let session = Session {
            id: openiop_core::id::new_id(),
            track_id: template.track_id,
            kind: template.kind.clone(),
            title: template.title.clone(),
            starts_at: Instant::new(starts),
            ends_at: Instant::new(ends),
            capacity: template.capacity,
            facilitator_id: template.facilitator_id,
            template_id: Some(template.id),
        };
        sessions::insert_session(
            &mut tx.db(),
            caller.organization_id,
            &session,
            Instant::new(now),
        )
        .await?;
        created.push(session);
    }
    let event = EventBuilder::for_caller(&caller)
        .action(
            "session_template.expand",
            format!("session-templates/{}", template.id),
        )
        .detail(format!("created={}", created.len()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(super::ListPage::whole(
            created.into_iter().map(SessionJson::from).collect(),
        )),
    ))
}
