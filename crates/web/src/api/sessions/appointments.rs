//! Appointments: one-to-one sessions booked on a clinician's calendar.

use super::*;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentBody {
    #[schemars(extend("format" = "uuid"))]
    pub patient_id: Given<PatientId>,
    #[schemars(with = "uuid::Uuid")]
    pub clinician_id: String,
    /// individual, family or medication_management
    #[schemars(extend("enum" = crate::routes::names(SessionKind::APPOINTMENTS, SessionKind::as_str)))]
    pub kind: String,
    #[schemars(extend("format" = "date-time"))]
    pub starts_at: Given<OffsetDateTime>,
    #[schemars(extend("format" = "date-time"))]
    pub ends_at: Given<OffsetDateTime>,
    #[schemars(with = "Option<uuid::Uuid>")]
    pub room_id: Option<String>,
    #[schemars(extend("format" = "uri"))]
    pub video_url: Option<String>,
    pub title: Option<String>,
}

/// `POST /api/v1/appointments`: an individual or family appointment on a clinician's
/// calendar. Double-booking the clinician, the room or the patient -> 409 naming the clash.
pub async fn post_appointment(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AppointmentBody>,
) -> ApiResult<(StatusCode, Json<SessionJson>)> {
    let session = book_appointment(&state, &caller, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(SessionJson::for_caller(session, &caller, false)),
    ))
}

/// Books an appointment (API and pages).
pub async fn book_appointment(
    state: &AppState,
    caller: &Caller,
    body: &AppointmentBody,
) -> ApiResult<Session> {
    require(state, caller, Action::ManageSchedule, "appointment.create").await?;
    let patient_id = body.patient_id.id("patient_id")?;
    let patient = open_patient(
        state,
        caller,
        patient_id,
        Part::Schedule,
        Access::Write,
        "appointment.create",
    )
    .await?;
    let mut check = Check::new();
    let appointment = SessionKind::parse(&body.kind).filter(|k| k.is_appointment());
    if appointment.is_none() {
        check.fail(
            "kind",
            "must be individual, family or medication_management",
        );
    }
    let (starts, ends) = check_span(&mut check, &body.starts_at, &body.ends_at);
    let clinician =
        crate::api::staff_in_org(state, caller.organization_id, &body.clinician_id).await?;
    if clinician.is_none() {
        check.fail(
            "clinician_id",
            "must name an active staff member of this organization",
        );
    }
    let title = check
        .optional_text("title", body.title.as_deref(), 200)
        .flatten();
    let context =
        match crate::api::program::episode_context(state, caller.organization_id, patient.id).await
        {
            Ok(context) => Some(context),
            Err(ApiError::Invalid(_)) => None,
            Err(other) => return Err(other),
        };
    if context.is_none() {
        check.fail("patient_id", "the patient has no episode of care");
    }
    let track_site = context.as_ref().map(|(_, track, _)| track.site_id);
    let episode = context.map(|(episode, _, _)| episode);
    let facts = check_facts(
        state,
        caller,
        &mut check,
        &body.kind,
        track_site,
        1,
        body.room_id.as_deref(),
        None,
        None,
        body.video_url.as_deref(),
    )
    .await?;
    let (starts, ends, clinician, episode) =
        check.finish(|| Some((starts?, ends?, clinician?, episode?)))?;
    let default_title = appointment.map_or("Individual session", SessionKind::label);
    let session = Session {
        id: openiop_core::id::new_id(),
        track_id: episode.track_id,
        kind: body.kind.clone(),
        title: title.unwrap_or_else(|| default_title.to_owned()),
        starts_at: Instant::new(starts),
        ends_at: Instant::new(ends),
        capacity: 1,
        facilitator_id: Some(clinician),
        template_id: None,
        room_id: facts.room.map(|r| r.id),
        modality: None,
        topic: None,
        video_url: facts.video_url,
        checkin_code: Some(checkin_code()?),
    };
    book(state, caller, session, Some(patient.id)).await
}
