//! Clinical pages: administering an instrument (with a live score), crisis alerts, and the
//! trend of a patient's scores as a server-rendered SVG chart.

use crate::ids::PageIds;
use openiop_core::id::{AlertId, PatientId};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use openiop_core::access::{Access, Part};
use openiop_core::instrument::{self, Instrument};
use openiop_store::clinical::Assessment;
use serde::Deserialize;

use super::{Chrome, FormData, PageCaller, PageResult, render};
use crate::AppState;
use crate::api::instruments::{ALERT_ACTIONS, AcknowledgeBody, AssessmentBody};
use crate::api::open_patient;
use crate::error::ApiError;
use crate::html::escape;
use crate::json::ApiQuery;

#[derive(Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

struct ItemView {
    index: usize,
    label: &'static str,
    wording: Option<&'static str>,
    /// (points, label as shown, checked)
    choices: Vec<(u8, String, bool)>,
}

#[derive(Template)]
#[template(path = "assessment_form.html")]
struct AssessmentForm {
    chrome: Chrome,
    patient_id: String,
    patient_name: String,
    code: &'static str,
    name: &'static str,
    stem: Option<&'static str>,
    licence: &'static str,
    items: Vec<ItemView>,
    needs_sex: bool,
    live: String,
    errors: Vec<openiop_core::FieldError>,
    catalog: Vec<(&'static str, &'static str)>,
}

fn answers_from(form: &FormData, instrument: &Instrument) -> Vec<Option<i64>> {
    (0..instrument.items.len())
        .map(|i| form.get(&format!("a{i}")).parse::<i64>().ok())
        .collect()
}

fn item_views(instrument: &'static Instrument, answers: &[Option<i64>]) -> Vec<ItemView> {
    instrument
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| ItemView {
            index,
            label: item.label,
            wording: item.wording,
            choices: item
                .choices
                .iter()
                .map(|c| {
                    let shown = if c.label == c.points.to_string() {
                        c.label.to_owned()
                    } else {
                        format!("{} ({})", c.label, c.points)
                    };
                    (
                        c.points,
                        shown,
                        answers.get(index).copied().flatten() == Some(i64::from(c.points)),
                    )
                })
                .collect(),
        })
        .collect()
}

/// The live score line for a partly or fully answered form.
fn live_score(instrument: &Instrument, answers: &[Option<i64>], sex: Option<&str>) -> String {
    let answered: Vec<i64> = answers.iter().flatten().copied().collect();
    if answered.len() < answers.len() {
        let partial: i64 = answered.iter().sum();
        return format!(
            "{} of {} answered (running total {partial})",
            answered.len(),
            answers.len()
        );
    }
    match instrument::score(instrument, &answered, sex) {
        Ok(s) => {
            let flags = if s.flags.is_empty() {
                String::new()
            } else {
                format!("; flags: {}", s.flags.join(", ").replace('_', " "))
            };
            let scored = match s.total {
                Some(total) => {
                    format!("Total {total} ({})", s.band.unwrap_or("").replace('_', " "))
                }
                None => s
                    .subscales
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            format!("{scored}{flags}")
        }
        Err(invalid) => invalid
            .0
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn find_instrument(code: &str) -> Result<&'static Instrument, ApiError> {
    instrument::find(if code.is_empty() { "phq9" } else { code }).ok_or(ApiError::NotFound)
}

/// `GET /patients/{id}/assessments/new?code=`
pub async fn new_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    ApiQuery(q): ApiQuery<CodeQuery>,
) -> PageResult {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Assessments,
        Access::Write,
        "assessment.form",
    )
    .await?;
    let instrument = find_instrument(&q.code)?;
    let blank: Vec<Option<i64>> = vec![None; instrument.items.len()];
    Ok(render(&AssessmentForm {
        chrome: Chrome::of(&caller),
        patient_id: patient.id.to_string(),
        patient_name: format!("{} {}", patient.given_name, patient.family_name),
        code: instrument.code,
        name: instrument.name,
        stem: instrument.stem,
        licence: instrument.licence,
        items: item_views(instrument, &blank),
        needs_sex: instrument.needs_sex,
        live: live_score(instrument, &blank, None),
        errors: Vec::new(),
        catalog: instrument::catalog()
            .iter()
            .map(|i| (i.code, i.name))
            .collect(),
    }))
}

/// `POST /patients/{id}/assessments/preview?code=`: the live score fragment (htmx).
pub async fn preview(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    // The path names the chart the form is on; scoring reads nothing of it, but text that
    // is not a patient id still names nothing (404, as everywhere).
    PageIds(_chart): PageIds<PatientId>,
    ApiQuery(q): ApiQuery<CodeQuery>,
    form: FormData,
) -> PageResult {
    // Scoring touches no record: a staff tool, like the scoring API.
    crate::api::require(
        &state,
        &caller,
        openiop_core::access::Action::UseClinicalTools,
        "instrument.score",
    )
    .await?;
    let instrument = find_instrument(&q.code)?;
    let answers = answers_from(&form, instrument);
    let sex = Some(form.get("sex")).filter(|s| !s.is_empty());
    let text = live_score(instrument, &answers, sex);
    Ok(Html(format!(
        "<output id=\"live-score\" for=\"assessment\">{}</output>",
        escape(&text)
    ))
    .into_response())
}

/// `POST /patients/{id}/assessments?code=`: stores the assessment, back to the chart.
pub async fn submit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<PatientId>,
    ApiQuery(q): ApiQuery<CodeQuery>,
    form: FormData,
) -> PageResult {
    let instrument = find_instrument(&q.code)?;
    let answers = answers_from(&form, instrument);
    let mut missing: Vec<openiop_core::FieldError> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_none())
        .map(|(i, _)| openiop_core::FieldError {
            field: format!("answers[{i}]"),
            message: format!("item {} is not answered", i + 1),
        })
        .collect();
    let body = AssessmentBody {
        code: instrument.code.to_owned(),
        answers: answers.iter().map(|a| a.unwrap_or(-1)).collect(),
        sex: Some(form.get("sex").to_owned()).filter(|s| !s.is_empty()),
        episode_id: None,
    };
    let result = if missing.is_empty() {
        crate::api::instruments::administer(&state, &caller, id, &body)
            .await
            .map(|_| ())
    } else {
        Err(ApiError::Invalid(openiop_core::Invalid(std::mem::take(
            &mut missing,
        ))))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/patients/{id}#assessments")).into_response()),
        Err(ApiError::Invalid(invalid)) => {
            let patient = open_patient(
                &state,
                &caller,
                id,
                Part::Assessments,
                Access::Write,
                "assessment.form",
            )
            .await?;
            let page = AssessmentForm {
                chrome: Chrome::of(&caller),
                patient_id: patient.id.to_string(),
                patient_name: format!("{} {}", patient.given_name, patient.family_name),
                code: instrument.code,
                name: instrument.name,
                stem: instrument.stem,
                licence: instrument.licence,
                items: item_views(instrument, &answers),
                needs_sex: instrument.needs_sex,
                live: live_score(instrument, &answers, body.sex.as_deref()),
                errors: invalid.0,
                catalog: instrument::catalog()
                    .iter()
                    .map(|i| (i.code, i.name))
                    .collect(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /alerts/{id}/acknowledge` (form on the chart and dashboard).
pub async fn acknowledge(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    PageIds(id): PageIds<AlertId>,
    form: FormData,
) -> PageResult {
    let body = AcknowledgeBody {
        action: form.get("action").to_owned(),
        note: form.optional("note"),
    };
    let alert = crate::api::instruments::acknowledge(&state, &caller, id, &body).await?;
    Ok(Redirect::to(&format!("/patients/{}", alert.patient_id)).into_response())
}

/// The actions offered when acknowledging an alert.
pub fn alert_actions() -> &'static [(&'static str, &'static str)] {
    &ALERT_ACTIONS
}

/// The trend of one instrument: its totals, or its subscales when it has no total (oldest to
/// newest).
pub fn trend_svg(
    instrument: &Instrument,
    history: &[&Assessment],
) -> Result<String, openiop_store::StoreError> {
    use super::chart::{Series, line_chart};
    let oldest_first = || history.iter().rev();
    if instrument.subscales.is_empty() {
        let values = oldest_first().map(|a| Some(f64::from(a.total))).collect();
        let series = [Series {
            label: "Total".into(),
            values,
        }];
        return Ok(line_chart(
            instrument.name,
            f64::from(instrument.max_total()),
            &series,
        ));
    }
    // Each stored score decoded once (an error when one does not decode), oldest first.
    let sums = oldest_first()
        .map(|a| a.subscales())
        .collect::<Result<Vec<_>, _>>()?;
    let series: Vec<Series> = instrument
        .subscales
        .iter()
        .map(|sub| Series {
            label: sub.code.replace('_', " "),
            values: sums
                .iter()
                .map(|s| {
                    s.as_ref()
                        .and_then(|s| s.get(sub.code).map(|v| f64::from(*v)))
                })
                .collect(),
        })
        .collect();
    let max = instrument
        .subscales
        .iter()
        .map(|sub| sub.items.len() as f64 * 4.0)
        .fold(0.0, f64::max);
    Ok(line_chart(instrument.name, max, &series))
}

/// How a stored score reads on the chart: the total, or the subscales.
pub fn score_summary(a: &Assessment) -> Result<String, openiop_store::StoreError> {
    Ok(openiop_core::instrument::score_summary(
        a.total,
        a.subscales()?.as_ref(),
    ))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/patients/{id}/assessments/new", "Administer an instrument (form)", get(pages::clinical::new_form)),
    route(M::POST, "/patients/{id}/assessments", "Save an assessment (form)", post(pages::clinical::submit)),
    route(M::POST, "/patients/{id}/assessments/preview", "Live score of a partly filled form (htmx)", post(pages::clinical::preview)),
    route(M::POST, "/alerts/{id}/acknowledge", "Acknowledge a crisis alert (form)", post(pages::clinical::acknowledge)),
    ]
}
