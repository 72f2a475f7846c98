//! Weekly session templates, and the dated sessions they expand into.

use super::*;

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
    pub room_id: Option<String>,
    pub modality: Option<String>,
    pub topic: Option<String>,
    pub video_url: Option<String>,
}

/// `POST /api/v1/session-templates`: a weekly recurring session of a track.
pub async fn post_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TemplateBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let template = create_template(&state, &caller, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "id": template.id, "track_id": template.track_id, "kind": template.kind, "title": template.title,
            "weekday": body.weekday, "start": body.start, "minutes": template.minutes, "capacity": template.capacity,
            "facilitator_id": template.facilitator_id, "room_id": template.room_id, "modality": template.modality,
            "topic": template.topic, "telehealth": template.video_url.is_some()
        })),
    ))
}

/// Creates a weekly template (API and pages).
pub async fn create_template(
    state: &AppState,
    caller: &Caller,
    body: &TemplateBody,
) -> ApiResult<sessions::Template> {
    require(
        state,
        caller,
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
        room_id: facts.room.map(|r| r.id),
        modality: facts.modality,
        topic: facts.topic,
        video_url: facts.video_url,
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
        EventBuilder::for_caller(caller)
            .action(
                "session_template.create",
                format!("session-templates/{}", template.id),
            )
            .build(now),
    )
    .await?;
    tx.commit().await?;
    Ok(template)
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
    Ids(id): Ids<SessionTemplateId>,
    ApiJson(body): ApiJson<ExpandBody>,
) -> ApiResult<(StatusCode, Json<crate::api::ListPage<SessionJson>>)> {
    let created = expand_template(&state, &caller, id, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(crate::api::ListPage::whole(
            created
                .into_iter()
                .map(|s| SessionJson::for_caller(s, &caller, false))
                .collect(),
        )),
    ))
}

/// Dates a template's sessions (API and pages).
pub async fn expand_template(
    state: &AppState,
    caller: &Caller,
    id: SessionTemplateId,
    body: &ExpandBody,
) -> ApiResult<Vec<Session>> {
    require(
        state,
        caller,
        Action::ManageSchedule,
        "session_template.expand",
    )
    .await?;
    let id = id.uuid();
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
    let mut conn = state.store.read().await?;
    for (starts, ends) in attendance::expand(recurrence, &site.time_zone, from, to) {
        if sessions::is_dated(&mut conn.db(), template.id, Instant::new(starts)).await? {
            continue;
        }
        created.push(Session {
            id: openiop_core::id::new_id(),
            track_id: template.track_id,
            kind: template.kind.clone(),
            title: template.title.clone(),
            starts_at: Instant::new(starts),
            ends_at: Instant::new(ends),
            capacity: template.capacity,
            facilitator_id: template.facilitator_id,
            template_id: Some(template.id),
            room_id: template.room_id,
            modality: template.modality.clone(),
            topic: template.topic.clone(),
            video_url: template.video_url.clone(),
            checkin_code: Some(checkin_code()?),
        });
    }
    drop(conn);
    // The facilitator and the room must be free at every new date.
    let mut bookings: Vec<(Booked, &str, &str)> = Vec::new();
    if let Some(f) = template.facilitator_id {
        bookings.push((Booked::Facilitator(f), "facilitator_id", "the facilitator"));
    }
    if let Some(r) = template.room_id {
        bookings.push((Booked::Room(r), "room_id", "the room"));
    }
    for session in &created {
        refuse_double_booking(
            state,
            caller.organization_id,
            &bookings,
            session.starts_at,
            session.ends_at,
            None,
        )
        .await?;
    }
    let mut tx = state.store.begin().await?;
    for session in &created {
        sessions::insert_session(
            &mut tx.db(),
            caller.organization_id,
            session,
            Instant::new(now),
        )
        .await?;
    }
    let event = EventBuilder::for_caller(caller)
        .action(
            "session_template.expand",
            format!("session-templates/{}", template.id),
        )
        .detail(format!("created={}", created.len()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(created)
}
