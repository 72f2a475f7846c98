//! The roster sheet of one session, its marks, and the front desk's check-in screen.

use super::*;

pub struct Line {
    pub patient_id: Uuid,
    pub name: String,
    pub status: String,
    pub check_in: String,
    pub check_out: String,
    pub minutes: String,
    pub reason: String,
    pub corrected: bool,
}

#[derive(Template)]
#[template(path = "roster.html")]
struct RosterPage {
    chrome: Chrome,
    session_id: Uuid,
    title: String,
    when: String,
    code: String,
    /// A group session whose note the caller writes (its facilitator, or an admin).
    group_note: bool,
    /// A medication-management appointment: each patient's medications are a click away.
    medication_management: bool,
    lines: Vec<Line>,
    walk_ins: Vec<(Uuid, String)>,
    statuses: [(&'static str, &'static str); 5],
    errors: Vec<openiop_core::FieldError>,
    message: String,
}

const STATUSES: [(&str, &str); 5] = [
    ("present", "Present"),
    ("late", "Late"),
    ("left_early", "Left early"),
    ("absent_excused", "Absent, excused"),
    ("absent_unexcused", "Absent, unexcused"),
];

async fn roster_page(
    state: &AppState,
    caller: &Caller,
    session: &Session,
    errors: Vec<openiop_core::FieldError>,
    message: String,
) -> Result<RosterPage, ApiError> {
    let zone = zone_of(state, caller, session.track_id).await?;
    let lines = api_attendance::roster(state, caller, session).await?;
    let enrolled: Vec<Uuid> = lines.iter().map(|l| l.patient_id).collect();
    // Walk-ins: patients active in the session's track and not on the roster.
    let mut conn = state.store.read().await?;
    let census =
        store_patients::list_active_episodes(&mut conn.db(), caller.organization_id).await?;
    let candidates: Vec<Uuid> = census
        .iter()
        .filter(|e| e.track_id == session.track_id && !enrolled.contains(&e.patient_id))
        .map(|e| e.patient_id)
        .collect();
    drop(conn);
    // Only those the caller could mark (the policy asked for each); each one named is audited.
    let candidates: Vec<Uuid> = crate::api::permitted_patients(
        state,
        caller,
        openiop_core::access::Part::Attendance,
        openiop_core::access::Access::Write,
        &candidates,
    )
    .await?
    .into_iter()
    .collect();
    let mut conn = state.store.read().await?;
    let found =
        store_patients::find_patients(&mut conn.db(), caller.organization_id, &candidates).await?;
    drop(conn);
    let now = state.now();
    let events = found
        .iter()
        .map(|p| {
            crate::audit_log::EventBuilder::for_caller(caller)
                .action("roster.walk_ins", format!("sessions/{}", session.id))
                .patient(p.id)
                .build(now)
        })
        .collect();
    state.store.record(events).await?;
    let mut walk_ins: Vec<(Uuid, String)> = found
        .into_iter()
        .map(|p| {
            (
                p.id,
                format!("{}, {} ({})", p.family_name, p.given_name, p.birth_date),
            )
        })
        .collect();
    walk_ins.sort_by(|a, b| a.1.cmp(&b.1));
    let hhmm = |at: Option<Instant>| {
        at.and_then(|a| attendance::local_parts(a.get(), &zone))
            .map(|p| p.2)
            .unwrap_or_default()
    };
    Ok(RosterPage {
        chrome: Chrome::of(caller),
        session_id: session.id,
        title: session.title.clone(),
        when: format!(
            "{} to {}",
            attendance::local_label(session.starts_at.get(), &zone),
            attendance::local_parts(session.ends_at.get(), &zone)
                .map(|p| p.2)
                .unwrap_or_default()
        ),
        code: session.checkin_code.clone().unwrap_or_default(),
        medication_management: session.kind
            == openiop_core::session_kind::SessionKind::MedicationManagement.as_str(),
        group_note: crate::api::notes::is_group_session(&session.kind)
            && openiop_core::access::decide(
                caller.role,
                openiop_core::access::Action::WriteGroupNote,
                crate::api::facilitation(caller, session.facilitator_id),
            )
            .is_allowed(),
        lines: lines
            .into_iter()
            .map(|l| Line {
                patient_id: l.patient_id,
                name: format!("{}, {}", l.family_name, l.given_name),
                status: l.status.clone().unwrap_or_default(),
                check_in: hhmm(l.check_in),
                check_out: hhmm(l.check_out),
                minutes: l.minutes.map(|m| m.to_string()).unwrap_or_default(),
                reason: l.absence_reason.unwrap_or_default(),
                corrected: l.marks > 1,
            })
            .collect(),
        walk_ins,
        statuses: STATUSES,
        errors,
        message,
    })
}

/// `GET /sessions/{id}`: the roster sheet.
pub async fn roster(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, id).await?;
    Ok(render(
        &roster_page(&state, &caller, &session, Vec::new(), String::new()).await?,
    ))
}

/// `POST /sessions/{id}/all-present`
pub async fn all_present(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, id).await?;
    let n = api_attendance::mark_all_present(&state, &caller, &session).await?;
    let message = format!("{n} marked present.");
    Ok(render(
        &roster_page(&state, &caller, &session, Vec::new(), message).await?,
    ))
}

/// `POST /sessions/{id}/marks`: one line of the roster (a correction keeps the history), or
/// a walk-in.
pub async fn mark(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<SessionId>,
    form: FormData,
) -> PageResult {
    let session = api_attendance::open_roster(&state, &caller, id).await?;
    let zone = zone_of(&state, &caller, session.track_id).await?;
    let outcome = async {
        let patient = open_patient(
            &state,
            &caller,
            form.get("patient_id")
                .parse()
                .map_err(|_| ApiError::NotFound)?,
            Part::Attendance,
            Access::Write,
            "attendance.mark",
        )
        .await
        .map_err(|e| match e {
            ApiError::NotFound => {
                openiop_core::Invalid::one("patient_id", "choose a patient").into()
            }
            other => other,
        })?;
        let mut check = Check::new();
        let start = session.starts_at.get();
        let check_in = api_attendance::local_time_on(
            &mut check,
            "check_in",
            start,
            &zone,
            form.get("check_in"),
        );
        let check_out = api_attendance::local_time_on(
            &mut check,
            "check_out",
            start,
            &zone,
            form.get("check_out"),
        );
        check.finish(|| Some(()))?;
        let body = api_attendance::line_body(
            patient.id,
            form.get("status"),
            check_in,
            check_out,
            form.optional("absence_reason"),
        );
        let mark =
            crate::api::sessions::check_mark(&caller, &session, patient.id, &body, state.now())?;
        crate::api::sessions::record_marks(&state, &caller, &session, std::slice::from_ref(&mark))
            .await?;
        Ok::<_, ApiError>(format!(
            "Saved: {}, {} minutes.",
            mark.status.replace('_', " "),
            mark.minutes
        ))
    }
    .await;
    let page = match outcome {
        Ok(message) => roster_page(&state, &caller, &session, Vec::new(), message).await?,
        Err(ApiError::Invalid(invalid)) => {
            roster_page(&state, &caller, &session, invalid.0, String::new()).await?
        }
        Err(other) => return Err(other.into()),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckInPage {
    chrome: Chrome,
    outcome: &'static str,
    message: &'static str,
}

/// `GET /check-in`: the front-desk screen. It lists nobody: a patient types the code shown
/// in the room, their family name and birth date.
pub async fn check_in(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult {
    require(
        &state,
        &caller,
        Action::ManageSchedule,
        "attendance.self_check_in",
    )
    .await?;
    Ok(render(&CheckInPage {
        chrome: Chrome::of(&caller),
        outcome: "",
        message: "",
    }))
}

/// `POST /check-in`
pub async fn check_in_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    require(
        &state,
        &caller,
        Action::ManageSchedule,
        "attendance.self_check_in",
    )
    .await?;
    let body = CheckInBody {
        code: form.get("code").to_owned(),
        family_name: form.get("family_name").to_owned(),
        birth_date: form.get("birth_date").to_owned(),
    };
    let done = api_attendance::self_check_in(&state, &caller, &body).await?;
    Ok(render(&CheckInPage {
        chrome: Chrome::of(&caller),
        outcome: if done.is_some() { "ok" } else { "refused" },
        message: if done.is_some() {
            "You are checked in. Welcome; please take a seat."
        } else {
            api_attendance::CHECK_IN_REFUSED
        },
    }))
}
