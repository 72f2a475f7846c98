//! The monitoring page of a chart: medications (MAT, naloxone) and drug and alcohol tests
//! with their flags, reviews and the random testing draw.

use crate::ids::PageIds;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use openiop_core::access::{Access, Part};
use openiop_core::id::{DrugTestId, MedicationId, PatientId};
use openiop_core::monitoring::ANALYTES;
use uuid::Uuid;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::monitoring::{
    self as api, MedicationBody, ResultBody, ReviewBody, TestBody, TestJson,
};
use crate::api::open_patient;
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "monitoring.html")]
struct MonitoringPage {
    chrome: Chrome,
    patient_id: Uuid,
    name: String,
    medications: Vec<api::MedicationJson>,
    tests: Vec<TestJson>,
    last_use_at: String,
    analytes: Vec<(&'static str, &'static str)>,
    rows: [usize; 6],
    next_week: String,
    /// The last 30 days of check-ins, newest first, and their trend.
    check_ins: Vec<crate::api::checkins::CheckInJson>,
    check_in_trend: String,
    today: String,
    message: String,
    errors: Vec<openiop_core::FieldError>,
}

/// Days a check-in trend covers.
pub const TREND_DAYS: i64 = 30;

/// Mood and craving of the last days as a chart: one point per date with a check-in.
pub fn check_in_trend(rows: &[openiop_store::checkins::CheckIn], today: time::Date) -> String {
    use super::chart::{Series, line_chart};
    let dates: Vec<time::Date> = (0..TREND_DAYS)
        .rev()
        .map(|back| today - time::Duration::days(back))
        .collect();
    let on = |d: &time::Date| rows.iter().find(|c| c.on_date == *d);
    let series = [
        Series {
            label: "Mood".into(),
            values: dates
                .iter()
                .map(|d| on(d).map(|c| f64::from(c.mood)))
                .collect(),
        },
        Series {
            label: "Craving".into(),
            values: dates
                .iter()
                .map(|d| on(d).map(|c| f64::from(c.craving)))
                .collect(),
        },
    ];
    line_chart("Daily check-ins, last 30 days", 10.0, &series)
}

async fn page(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    message: String,
    errors: Vec<openiop_core::FieldError>,
) -> Result<MonitoringPage, ApiError> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Results,
        Access::Read,
        "monitoring.read",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let medications = openiop_store::monitoring::list_medications(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
    )
    .await?;
    let tests =
        openiop_store::monitoring::list_tests(&mut conn.db(), caller.organization_id, patient.id)
            .await?;
    drop(conn);
    let tests: Vec<TestJson> = tests
        .into_iter()
        .map(|(t, r)| api::test_json(t, &r))
        .collect::<Result<_, _>>()?;
    let last_use_at = tests
        .iter()
        .find(|t| t.results.iter().any(|r| r.counts_as_use))
        .map(|t| t.collected_at.clone())
        .unwrap_or_default();
    let zone = super::schedule::home_zone(state, caller).await?;
    let next_week =
        openiop_core::attendance::week_containing(state.now() + time::Duration::days(7), &zone)
            .map(|w| w.name)
            .unwrap_or_default();
    let (_, check_ins) = crate::api::checkins::recent(state, caller, id, TREND_DAYS).await?;
    let today = crate::api::local_today(state, caller).await?;
    Ok(MonitoringPage {
        check_in_trend: check_in_trend(&check_ins, today),
        check_ins: check_ins
            .iter()
            .map(crate::api::checkins::CheckInJson::new)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .collect(),
        today: openiop_core::validate::format_date(today),
        chrome: Chrome::of(caller),
        patient_id: patient.id,
        name: format!("{} {}", patient.given_name, patient.family_name),
        medications: medications.into_iter().map(Into::into).collect(),
        tests,
        last_use_at,
        analytes: ANALYTES.iter().map(|a| (a.code, a.name)).collect(),
        rows: [0, 1, 2, 3, 4, 5],
        next_week,
        message,
        errors,
    })
}

async fn after<T>(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    outcome: Result<T, ApiError>,
    message: impl FnOnce(T) -> String,
) -> PageResult {
    match outcome {
        Ok(v) => Ok(render(
            &page(state, caller, id, message(v), Vec::new()).await?,
        )),
        Err(ApiError::Invalid(invalid)) => {
            let p = page(state, caller, id, String::new(), invalid.0).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /patients/{id}/monitoring`
pub async fn monitoring(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
) -> PageResult {
    Ok(render(
        &page(&state, &caller, id, String::new(), Vec::new()).await?,
    ))
}

/// `POST /patients/{id}/medications` (form)
pub async fn medication_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = MedicationBody {
        name: form.get("name").to_owned(),
        dose: form.get("dose").to_owned(),
        prescriber: form.optional("prescriber"),
        started_on: form.get("started_on").to_owned(),
        naloxone_on_hand: form.get("naloxone_on_hand") == "yes",
        adherence_note: form.optional("adherence_note"),
    };
    let outcome = api::add_medication(&state, &caller, id, &body).await;
    after(&state, &caller, id, outcome, |m| {
        format!("Added {}.", m.name)
    })
    .await
}

/// `POST /patients/{id}/check-ins` (form)
pub async fn check_in_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let scale = |name: &str| form.get(name).trim().parse::<i64>().unwrap_or(-1);
    let input = openiop_core::checkin::CheckInInput {
        on: form.optional("on"),
        mood: scale("mood"),
        craving: scale("craving"),
        used: form.get("used") == "yes",
        substances: form
            .get("substances")
            .split(',')
            .map(str::to_owned)
            .collect(),
        note: form.optional("note"),
    };
    let outcome = crate::api::checkins::record(&state, &caller, id, &input).await;
    after(&state, &caller, id, outcome, |c| {
        format!("Check-in for {} recorded.", c.on)
    })
    .await
}

/// `POST /patients/{id}/drug-tests` (form): up to six result rows.
pub async fn test_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let zone = super::schedule::home_zone(&state, &caller).await?;
    let collected = openiop_core::program::local_to_instant(&zone, form.get("collected_at"))
        .map(|t| crate::times::rfc3339(openiop_store::Instant::new(t)))
        .unwrap_or_else(|| form.get("collected_at").to_owned());
    let results = (0..6)
        .filter(|n| !form.get(&format!("analyte{n}")).is_empty())
        .map(|n| ResultBody {
            analyte: form.get(&format!("analyte{n}")).to_owned(),
            outcome: form.get(&format!("outcome{n}")).to_owned(),
            level: form.optional(&format!("level{n}")),
        })
        .collect();
    let body = TestBody {
        specimen: form.get("specimen").to_owned(),
        observed: form.get("observed") == "yes",
        collected_at: collected,
        source: form.get("source").to_owned(),
        panel: None,
        results,
    };
    let outcome = api::record_test(&state, &caller, id, &body).await;
    after(&state, &caller, id, outcome, |t| {
        if t.flagged {
            "Recorded; some results are flagged.".to_owned()
        } else {
            "Recorded; nothing flagged.".to_owned()
        }
    })
    .await
}

/// `POST /patients/{id}/drug-tests/{test_id}/review` (form)
pub async fn review_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, test_id)): PageIds<(PatientId, DrugTestId)>,
    form: FormData,
) -> PageResult {
    let body = ReviewBody {
        review: form.get("review").to_owned(),
        reason: form.optional("reason"),
    };
    let outcome = api::review(&state, &caller, (id, test_id, form.get("analyte")), &body).await;
    after(&state, &caller, id, outcome, |_| {
        "Review recorded.".to_owned()
    })
    .await
}

/// `POST /patients/{id}/medications/{medication_id}/stop` (form)
pub async fn stop_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds((id, medication_id)): PageIds<(PatientId, MedicationId)>,
    form: FormData,
) -> PageResult {
    let body = api::StopBody {
        stopped_on: form.get("stopped_on").to_owned(),
        adherence_note: form.optional("adherence_note"),
    };
    let outcome = api::stop(&state, &caller, id, medication_id, &body).await;
    after(&state, &caller, id, outcome, |m| {
        format!("Stopped {}.", m.name)
    })
    .await
}

/// `POST /patients/{id}/testing-draws` (form): next week's random testing days.
pub async fn draw_submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    form: FormData,
) -> PageResult {
    let body = api::DrawBody {
        week: form.get("week").to_owned(),
        count: None,
        days: None,
    };
    let outcome = api::draw(&state, &caller, id, &body).await;
    after(&state, &caller, id, outcome, |(_, d)| {
        format!(
            "Testing days for {}: {} (seed {}).",
            d.week,
            d.days.join(", "),
            d.seed
        )
    })
    .await
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/monitoring", "Medications and drug tests", get(pages::monitoring::monitoring)),
    route(M::POST, "/patients/{id}/medications", "Add a medication (form)", post(pages::monitoring::medication_submit)),
    route(M::POST, "/patients/{id}/medications/{medication_id}/stop", "Stop a medication (form)", post(pages::monitoring::stop_submit)),
    route(M::POST, "/patients/{id}/drug-tests", "Record a drug test (form)", post(pages::monitoring::test_submit)),
    route(M::POST, "/patients/{id}/check-ins", "Record a daily check-in (form)", post(pages::monitoring::check_in_submit)),
    route(M::POST, "/patients/{id}/drug-tests/{test_id}/review", "Review a result (form)", post(pages::monitoring::review_submit)),
    route(M::POST, "/patients/{id}/testing-draws", "Draw random testing days (form)", post(pages::monitoring::draw_submit)),
    ]
}
