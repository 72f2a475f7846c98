//! The program view of attendance and "build next week".

use super::*;

pub struct AttentionRow {
    pub patient_id: Uuid,
    pub name: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "program.html")]
struct ProgramPage {
    chrome: Chrome,
    week: String,
    previous: String,
    next: String,
    below: Vec<AttentionRow>,
    missed: Vec<AttentionRow>,
    by_track: Vec<(String, u32, u32, String)>,
    by_kind: Vec<(String, u32, u32, String)>,
}

/// Names for the attention lists (one query).
pub async fn names(
    state: &AppState,
    caller: &Caller,
    ids: &[Uuid],
) -> Result<std::collections::BTreeMap<Uuid, String>, ApiError> {
    let mut conn = state.store.read().await?;
    let found = store_patients::find_patients(&mut conn.db(), caller.organization_id, ids).await?;
    Ok(found
        .into_iter()
        .map(|p| (p.id, format!("{} {}", p.given_name, p.family_name)))
        .collect())
}

/// `GET /program?week=`: the program view of attendance.
pub async fn program(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    ApiQuery(param): ApiQuery<WeekParam>,
) -> PageResult {
    require(
        &state,
        &caller,
        Action::ReadConfiguration,
        "program.attendance",
    )
    .await?;
    let view = api_attendance::program_view(&state, &caller, param.week.as_deref()).await?;
    let mut ids: Vec<Uuid> = view.below_target.iter().map(|b| b.patient_id).collect();
    ids.extend(view.missed_two_in_a_row.iter().copied());
    let names = names(&state, &caller, &ids).await?;
    crate::api::audit_named(
        &state,
        &caller,
        "program.attendance",
        "program/attendance",
        &ids,
    )
    .await?;
    let zone = home_zone(&state, &caller).await?;
    let week = attendance::parse_week(&view.week, &zone).ok_or_else(crate::times::unplaced_week)?;
    let (previous, next) = neighbours(&week, &zone);
    let name = |p: &Uuid| names.get(p).cloned().unwrap_or_default();
    let rates = |v: &[api_attendance::GroupRate]| {
        v.iter()
            .map(|g| {
                (
                    g.group.replace('_', " "),
                    g.marked,
                    g.no_shows,
                    format!("{:.0} %", g.rate * 100.0),
                )
            })
            .collect()
    };
    Ok(render(&ProgramPage {
        chrome: Chrome::of(&caller),
        below: view
            .below_target
            .iter()
            .map(|b| AttentionRow {
                patient_id: b.patient_id,
                name: name(&b.patient_id),
                detail: format!(
                    "{:.1} h of {:.1} h, {} of {} days",
                    b.hours, b.target_hours, b.days, b.min_days
                ),
            })
            .collect(),
        missed: view
            .missed_two_in_a_row
            .iter()
            .map(|p| AttentionRow {
                patient_id: *p,
                name: name(p),
                detail: "missed the last two sessions".into(),
            })
            .collect(),
        by_track: rates(&view.no_shows_by_track),
        by_kind: rates(&view.no_shows_by_kind),
        week: view.week,
        previous,
        next,
    }))
}

#[derive(Template)]
#[template(path = "build.html")]
struct BuildPage {
    chrome: Chrome,
    plan: crate::api::week::WeekPlan,
    rows: Vec<BuildRow>,
    pins: Vec<String>,
    errors: Vec<openiop_core::FieldError>,
    applied: bool,
}

pub struct BuildRow {
    pub patient_id: Uuid,
    pub name: String,
    pub summary: String,
    pub met: bool,
    pub reason: String,
    pub assigned: Vec<(String, String)>,
    pub others: Vec<(String, String)>,
    /// Forbids made earlier for this patient, carried to the next preview.
    pub kept_forbids: Vec<String>,
}

fn pairs(values: Vec<String>) -> Vec<(String, String)> {
    values
        .into_iter()
        .filter_map(|v| {
            let (p, s) = v.split_once(':')?;
            Some((p.to_owned(), s.to_owned()))
        })
        .collect()
}

async fn build_page(
    state: &AppState,
    caller: &Caller,
    week: &str,
    form: Option<&FormData>,
    apply: bool,
) -> PageResult {
    require(state, caller, Action::ManageSchedule, "schedule.preview").await?;
    let pins = form.map(|f| f.all("pin")).unwrap_or_default();
    let pins: Vec<String> = pins.into_iter().filter(|p| !p.is_empty()).collect();
    let forbids = form.map(|f| f.all("forbid")).unwrap_or_default();
    let body = crate::api::week::BuildBody {
        pinned: pairs(pins.clone()),
        forbidden: pairs(forbids.clone()),
    };
    let (plan, errors) = match crate::api::week::plan_week(state, caller, week, &body, apply).await
    {
        Ok(plan) => (plan, Vec::new()),
        Err(ApiError::Invalid(invalid)) => {
            let empty = crate::api::week::BuildBody::default();
            (
                crate::api::week::plan_week(state, caller, week, &empty, false).await?,
                invalid.0,
            )
        }
        Err(other) => return Err(other.into()),
    };
    let title: std::collections::BTreeMap<Uuid, String> = plan
        .sessions
        .iter()
        .map(|s| (s.id, format!("{} {}", s.when, s.title)))
        .collect();
    let rows = plan
        .patients
        .iter()
        .map(|p| BuildRow {
            patient_id: p.patient_id,
            name: p.name.clone(),
            summary: format!(
                "{:.1} h over {} days (target {:.1} h over {})",
                p.hours, p.days, p.target_hours, p.min_days
            ),
            met: p.met,
            reason: p.reason.clone().unwrap_or_default(),
            assigned: p
                .sessions
                .iter()
                .map(|s| {
                    (
                        format!("{}:{s}", p.patient_id),
                        title.get(s).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            others: plan
                .sessions
                .iter()
                .filter(|s| !p.sessions.contains(&s.id))
                .map(|s| {
                    (
                        format!("{}:{}", p.patient_id, s.id),
                        format!("{} {}", s.when, s.title),
                    )
                })
                .collect(),
            kept_forbids: forbids
                .iter()
                .filter(|f| f.starts_with(&p.patient_id.to_string()))
                .cloned()
                .collect(),
        })
        .collect();
    Ok(render(&BuildPage {
        chrome: Chrome::of(caller),
        rows,
        pins,
        errors,
        applied: apply,
        plan,
    }))
}

/// The week after the current one, in the organization's zone.
async fn next_week(state: &AppState, caller: &Caller) -> Result<String, ApiError> {
    let zone = home_zone(state, caller).await?;
    attendance::week_containing(state.now() + time::Duration::days(7), &zone)
        .map(|w| w.name)
        .ok_or_else(crate::times::unplaced_week)
}

/// `GET /schedule/build?week=`: "build next week": the preview.
pub async fn build(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    ApiQuery(param): ApiQuery<WeekParam>,
) -> PageResult {
    let week = match param.week.filter(|w| !w.is_empty()) {
        Some(w) => w,
        None => next_week(&state, &caller).await?,
    };
    build_page(&state, &caller, &week, None, false).await
}

/// `POST /schedule/build`: preview again with the staff's pins and forbids.
pub async fn build_preview(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let week = form.get("week").to_owned();
    build_page(&state, &caller, &week, Some(&form), false).await
}

/// `POST /schedule/build/apply`: enroll the previewed assignments.
pub async fn build_apply(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: FormData,
) -> PageResult {
    let week = form.get("week").to_owned();
    build_page(&state, &caller, &week, Some(&form), true).await
}
