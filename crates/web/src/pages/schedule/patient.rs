//! A patient's schedule: hours, sessions, availability, intensity plan, appointments, calendar.

use super::*;

/// One row of the plan form (blank rows for new steps).
#[derive(Default)]
pub struct StepRow {
    pub n: usize,
    pub from_week: String,
    pub phase: &'static str,
    pub level: &'static str,
    pub hours: String,
    pub min_days: String,
}

#[derive(Template)]
#[template(path = "patient_schedule.html")]
struct PatientSchedulePage {
    chrome: Chrome,
    patient_id: Uuid,
    name: String,
    episode_id: Option<Uuid>,
    this_week: Option<crate::api::program::WeekIntensity>,
    last_week: Option<crate::api::program::WeekIntensity>,
    upcoming: Vec<SessionRow>,
    windows: Vec<(usize, &'static str, String, String)>,
    steps: Vec<StepRow>,
    floor_reason: String,
    phases: [(&'static str, &'static str); 4],
    needed: Vec<String>,
    clinicians: Vec<(Uuid, String)>,
    feeds: Vec<(Uuid, bool)>,
    new_feed_url: String,
    can_write: bool,
    errors: Vec<openiop_core::FieldError>,
    message: String,
}

const PHASES: [(&str, &str); 4] = [
    ("engagement", "Engagement"),
    ("early_recovery", "Early recovery"),
    ("maintenance", "Maintenance"),
    ("community_integration", "Community integration"),
];

const DAY_LABELS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

async fn patient_schedule_page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    errors: Vec<openiop_core::FieldError>,
    message: String,
) -> Result<PatientSchedulePage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Schedule,
        Access::Read,
        "schedule.read",
    )
    .await?;
    let org = caller.organization_id;
    let context = crate::api::program::episode_context(state, org, patient.id)
        .await
        .ok();
    let zone = match &context {
        Some((_, _, z)) => z.clone(),
        None => home_zone(state, caller).await?,
    };
    let (this_week, last_week) = if context.is_some() {
        let last = attendance::week_containing(state.now() - time::Duration::days(7), &zone)
            .map(|w| w.name);
        (
            crate::api::program::week_intensity(state, org, patient.id, None)
                .await
                .ok(),
            match last {
                Some(w) => crate::api::program::week_intensity(state, org, patient.id, Some(&w))
                    .await
                    .ok(),
                None => None,
            },
        )
    } else {
        (None, None)
    };
    let now = state.now();
    let mut conn = state.store.read().await?;
    let upcoming = sessions::list_sessions_in(
        &mut conn.db(),
        sessions::Whose::Patient(patient.id),
        Instant::new(now - time::Duration::hours(12)),
        Instant::new(now + time::Duration::days(14)),
    )
    .await?;
    let stored_windows = openiop_store::schedule::list_availability(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
    )
    .await?;
    let plan = match &context {
        Some((episode, _, _)) => {
            openiop_store::schedule::find_current_intensity_plan(&mut conn.db(), episode.id).await?
        }
        None => None,
    };
    let feeds = openiop_store::schedule::list_active_feeds(&mut conn.db(), patient.id).await?;
    let users = openiop_store::auth::list_users(&mut conn.db(), org).await?;
    drop(conn);
    // Two rows per weekday; stored windows fill them in order.
    let mut windows = Vec::new();
    for (day, label) in DAY_LABELS.iter().enumerate() {
        let mine: Vec<_> = stored_windows
            .iter()
            .filter(|w| usize::try_from(w.weekday).ok() == Some(day))
            .collect();
        for slot in 0..2 {
            let (a, b) = mine
                .get(slot)
                .map(|w| {
                    (
                        format!("{:02}:{:02}", w.start_minute / 60, w.start_minute % 60),
                        format!("{:02}:{:02}", w.end_minute / 60, w.end_minute % 60),
                    )
                })
                .unwrap_or_default();
            windows.push((day, *label, a, b));
        }
    }
    let stored_steps = plan.as_ref().map(|p| p.steps()).transpose()?;
    let mut steps: Vec<StepRow> = stored_steps
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let phase = openiop_core::intensity::Phase::parse(&s.phase)?;
            Some(StepRow {
                n: 0,
                from_week: s.from_week.to_string(),
                phase: phase.as_str(),
                level: match s.level.as_deref() {
                    Some("op") => "op",
                    Some("php") => "php",
                    Some("iop") => "iop",
                    _ => "",
                },
                hours: format!("{}", s.target_hours),
                min_days: s.min_days.to_string(),
            })
        })
        .collect();
    steps.truncate(4);
    while steps.len() < 4 {
        steps.push(StepRow::default());
    }
    for (n, step) in steps.iter_mut().enumerate() {
        step.n = n;
    }
    let needed = if context.is_some() {
        crate::api::program::topics_needed(state, org, patient.id)
            .await
            .map(|n| n.needed.into_iter().map(|t| t.title).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let can_write = openiop_core::access::decide(
        caller.role,
        Action::Record(Part::Schedule, Access::Write),
        openiop_core::access::Relationship::CareTeam,
    )
    .is_allowed();
    Ok(PatientSchedulePage {
        chrome: Chrome::of(caller),
        patient_id: patient.id,
        name: format!("{} {}", patient.given_name, patient.family_name),
        episode_id: context.as_ref().map(|(e, _, _)| e.id),
        this_week,
        last_week,
        upcoming: upcoming
            .into_iter()
            .map(|s| session_row(s, &zone))
            .collect(),
        windows,
        steps,
        floor_reason: plan.and_then(|p| p.floor_reason).unwrap_or_default(),
        phases: PHASES,
        needed,
        clinicians: users
            .into_iter()
            .filter(|u| {
                u.active
                    && openiop_core::access::may(
                        u.role,
                        openiop_core::access::Action::HoldAppointments,
                    )
            })
            .map(|u| (u.id, u.username))
            .collect(),
        feeds: feeds.into_iter().map(|f| (f.id, f.full_titles)).collect(),
        new_feed_url: String::new(),
        can_write,
        errors,
        message,
    })
}

/// Renders the page after a form: the message on success, the field errors (422) otherwise.
async fn after_form<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    outcome: Result<T, ApiError>,
    message: impl FnOnce(T) -> String,
) -> PageResult {
    match outcome {
        Ok(value) => Ok(render(
            &patient_schedule_page(state, caller, id, Vec::new(), message(value)).await?,
        )),
        Err(ApiError::Invalid(invalid)) | Err(ApiError::DoubleBooked(invalid)) => {
            let page = patient_schedule_page(state, caller, id, invalid.0, String::new()).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /patients/{id}/schedule`: hours, sessions, availability, plan, topics, calendar.
pub async fn patient_schedule(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(
        &patient_schedule_page(&state, &caller, id, Vec::new(), String::new()).await?,
    ))
}

/// `POST /patients/{id}/availability` (form): rows `day{n}`, `start{n}`, `end{n}`.
pub async fn availability_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let mut windows = Vec::new();
    for n in 0..14 {
        let start = form.get(&format!("start{n}")).trim().to_owned();
        let end = form.get(&format!("end{n}")).trim().to_owned();
        if start.is_empty() && end.is_empty() {
            continue;
        }
        windows.push(crate::api::program::WindowJson {
            day: form.get(&format!("day{n}")).to_owned(),
            start,
            end,
        });
    }
    let body = crate::api::program::AvailabilityBody { windows };
    let outcome = crate::api::program::set_availability(&state, &caller, id, &body).await;
    after_form(&state, &caller, id, outcome, |a| {
        format!("Availability saved: {} windows.", a.windows.len())
    })
    .await
}

/// `POST /patients/{id}/episodes/{episode_id}/intensity-plan` (form): up to four steps.
pub async fn intensity_plan_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, episode_id)): PageIds<(PatientId, EpisodeId)>,
    form: FormData,
) -> PageResult {
    let mut steps = Vec::new();
    let mut check = Check::new();
    for n in 0..4 {
        let week = form.get(&format!("from_week{n}")).trim().to_owned();
        if week.is_empty() {
            continue;
        }
        let parsed = (
            week.parse::<u32>().ok(),
            form.get(&format!("target_hours{n}"))
                .trim()
                .parse::<f64>()
                .ok(),
            form.get(&format!("min_days{n}")).trim().parse::<u8>().ok(),
        );
        let (Some(from_week), Some(target_hours), Some(min_days)) = parsed else {
            check.fail(
                &format!("steps[{n}]"),
                "needs a week, hours and days as numbers",
            );
            continue;
        };
        steps.push(openiop_core::intensity::StepDoc {
            from_week,
            phase: form.get(&format!("phase{n}")).to_owned(),
            level: form.optional(&format!("level{n}")),
            target_hours,
            min_days,
        });
    }
    let outcome = match check.finish(|| Some(())) {
        Err(invalid) => Err(ApiError::Invalid(invalid)),
        Ok(()) => {
            let body = crate::api::program::PlanBody {
                steps,
                floor_reason: form.optional("floor_reason"),
            };
            crate::api::program::set_plan(&state, &caller, id, episode_id, &body).await
        }
    };
    after_form(&state, &caller, id, outcome, |p| {
        format!("Intensity plan saved ({} steps).", p.steps.len())
    })
    .await
}

/// `POST /patients/{id}/appointments` (form): local date and time in the site's zone.
pub async fn appointment_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let zone = match crate::api::program::episode_context(&state, caller.organization_id, id.uuid())
        .await
    {
        Ok((_, _, z)) => z,
        Err(_) => home_zone(&state, &caller).await?,
    };
    let starts = openiop_core::program::local_to_instant(&zone, form.get("at"));
    let minutes: i64 = form.get("minutes").trim().parse().unwrap_or(0);
    let body = crate::api::sessions::AppointmentBody {
        patient_id: Given::Read(Some(id)),
        clinician_id: form.get("clinician_id").to_owned(),
        kind: form.get("kind").to_owned(),
        starts_at: Given::Read(starts),
        ends_at: Given::Read(starts.map(|s| s + time::Duration::minutes(minutes))),
        room_id: form.optional("room_id"),
        video_url: form.optional("video_url"),
        title: form.optional("title"),
    };
    let outcome = crate::api::sessions::book_appointment(&state, &caller, &body).await;
    after_form(&state, &caller, id, outcome, |s| {
        format!(
            "Booked: {} on {}.",
            s.title,
            attendance::local_label(s.starts_at.get(), &zone)
        )
    })
    .await
}

/// `POST /patients/{id}/calendar-feeds` (form): shows the secret address once.
pub async fn feed_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = crate::api::calendar::FeedBody {
        full_titles: form.get("full_titles") == "yes",
    };
    match crate::api::calendar::create_patient_feed(&state, &caller, id, &body).await {
        Ok(feed) => {
            let mut page =
                patient_schedule_page(&state, &caller, id, Vec::new(), String::new()).await?;
            page.new_feed_url = feed.url;
            Ok(render(&page))
        }
        other => after_form(&state, &caller, id, other, |_| String::new()).await,
    }
}

/// `POST /calendar-feeds/{id}/revoke` (form)
pub async fn feed_revoke(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<CalendarFeedId>,
) -> PageResult {
    let patient = crate::api::calendar::revoke(&state, &caller, id).await?;
    match patient {
        Some(p) => {
            let p = PatientId::from_uuid(p);
            Ok(render(
                &patient_schedule_page(
                    &state,
                    &caller,
                    p,
                    Vec::new(),
                    "Calendar link revoked.".into(),
                )
                .await?,
            ))
        }
        None => Ok(axum::response::Redirect::to("/").into_response()),
    }
}
