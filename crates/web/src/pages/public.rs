//! Public pages: the "get help" inquiry form and the "Is an IOP right for me?" self-check.
//! No login, no cookies, nothing stored unless the person sends an inquiry.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use openiop_core::placement::{CareLevel, default_policy};
use openiop_core::selfcheck::{self, Answers, Danger, QUESTIONS, SUBSTANCES};
use serde::Deserialize;

use super::{FormData, render};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, t};
use crate::json::ApiQuery;

#[derive(Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

/// A choice as the template shows it.
pub struct ChoiceView {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

pub struct QuestionView {
    key: &'static str,
    text: &'static str,
    choices: Vec<ChoiceView>,
}

#[derive(Template)]
#[template(path = "selfcheck.html")]
struct SelfCheckPage {
    lang: &'static str,
    other_lang: &'static str,
    other_lang_name: &'static str,
    title: &'static str,
    intro: &'static str,
    not_diagnosis: &'static str,
    age_label: &'static str,
    substances_label: &'static str,
    substances: Vec<ChoiceView>,
    questions: Vec<QuestionView>,
    submit: &'static str,
    error: Option<&'static str>,
}

fn questions(lang: Lang, answers: &Answers) -> (Vec<ChoiceView>, Vec<QuestionView>) {
    let substances = SUBSTANCES
        .iter()
        .map(|(value, label)| ChoiceView {
            value,
            label: t(lang, label),
            checked: answers.substances.contains(*value),
        })
        .collect();
    let questions = QUESTIONS
        .iter()
        .map(|q| {
            let current = answers
                .choices
                .iter()
                .find(|(k, _)| k == q.key)
                .map(|(_, v)| v.as_str());
            QuestionView {
                key: q.key,
                text: t(lang, q.text),
                choices: q
                    .choices
                    .iter()
                    .enumerate()
                    .map(|(i, (value, label))| ChoiceView {
                        value,
                        label: t(lang, label),
                        checked: current.map_or(i == 0, |c| c == *value),
                    })
                    .collect(),
            }
        })
        .collect();
    (substances, questions)
}

fn self_check_page(lang: Lang, answers: &Answers, error: Option<&'static str>) -> SelfCheckPage {
    let (substances, questions) = questions(lang, answers);
    SelfCheckPage {
        lang: lang.code(),
        other_lang: lang.other().code(),
        other_lang_name: t(lang.other(), "lang.name"),
        title: t(lang, "sc.title"),
        intro: t(lang, "sc.intro"),
        not_diagnosis: t(lang, "sc.not_diagnosis"),
        age_label: t(lang, "sc.age"),
        substances_label: t(lang, "sc.substances"),
        substances,
        questions,
        submit: t(lang, "sc.submit"),
        error,
    }
}

/// `GET /self-check`
pub async fn self_check(ApiQuery(q): ApiQuery<LangQuery>, headers: HeaderMap) -> Response {
    let lang = Lang::choose(q.lang.as_deref(), &headers);
    render(&self_check_page(lang, &Answers::default(), None))
}

#[derive(Template)]
#[template(path = "selfcheck_result.html")]
struct ResultPage {
    lang: &'static str,
    title: &'static str,
    danger_title: &'static str,
    danger_lines: Vec<&'static str>,
    result_heading: &'static str,
    level_name: &'static str,
    level_what: &'static str,
    why_heading: &'static str,
    reasons: Vec<&'static str>,
    week_heading: &'static str,
    week: &'static str,
    commitments: Option<&'static str>,
    not_diagnosis: &'static str,
    next_heading: &'static str,
    next_send: &'static str,
    next_call: &'static str,
    send: &'static str,
    summary: String,
}

/// `POST /self-check`: the suggestion, with danger guidance first when any answer calls for
/// it. Nothing is stored.
pub async fn self_check_result(
    ApiQuery(q): ApiQuery<LangQuery>,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let lang = Lang::choose(
        q.lang
            .as_deref()
            .or(Some(form.get("lang")))
            .filter(|l| !l.is_empty()),
        &headers,
    );
    let age = form
        .get("age")
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|a| *a <= 120);
    let answers = Answers {
        age,
        substances: form.all("substances").into_iter().collect(),
        choices: QUESTIONS
            .iter()
            .map(|q| (q.key.to_owned(), form.get(q.key).to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect(),
    };
    if !answers.invalid_keys().is_empty() || (!form.get("age").trim().is_empty() && age.is_none()) {
        let page = self_check_page(lang, &answers, Some(t(lang, "sc.error")));
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    }
    let dangers = selfcheck::dangers(&answers);
    let recommendation = default_policy().recommend(&selfcheck::to_placement(&answers));
    let level = recommendation.level;
    let key = |suffix: &str| -> &'static str {
        let k = format!("level.{}{suffix}", level.as_str());
        t(lang, &k)
    };
    let mut danger_lines = Vec::new();
    if dangers.contains(&Danger::SelfHarm) {
        danger_lines.push(t(lang, "sc.danger.988"));
    }
    if !dangers.is_empty() {
        danger_lines.push(t(lang, "sc.danger.911"));
    }
    let reasons = recommendation
        .reasons
        .iter()
        .map(|code| t(lang, &format!("reason.{code}")))
        .filter(|s| !s.is_empty())
        .collect();
    let commitments = (form.get("commitments") != "none"
        && !form.get("commitments").is_empty()
        && matches!(level, CareLevel::Iop | CareLevel::Op | CareLevel::Php))
    .then(|| t(lang, "commitments.evening"));
    // A plain summary the person may choose to send with an inquiry (in English, for staff).
    let mut summary = format!(
        "Self-check suggestion: {}.",
        t(Lang::En, &format!("level.{}", level.as_str()))
    );
    if let Some(age) = age {
        summary.push_str(&format!(" Age {age}."));
    }
    if !answers.substances.is_empty() {
        summary.push_str(&format!(
            " Substances: {}.",
            answers
                .substances
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for q in QUESTIONS {
        if let Some((_, v)) = answers.choices.iter().find(|(k, _)| k == q.key)
            && let Some((_, label)) = q.choices.iter().find(|(c, _)| c == v)
        {
            summary.push_str(&format!(" {} {}", t(Lang::En, q.text), t(Lang::En, label)));
            summary.push('.');
        }
    }
    let page = ResultPage {
        lang: lang.code(),
        title: t(lang, "sc.title"),
        danger_title: t(lang, "sc.danger.title"),
        danger_lines,
        result_heading: t(lang, "sc.result"),
        level_name: key(""),
        level_what: key(".what"),
        why_heading: t(lang, "sc.why"),
        reasons,
        week_heading: t(lang, "sc.week"),
        week: key(".week"),
        commitments,
        not_diagnosis: t(lang, "sc.not_diagnosis"),
        next_heading: t(lang, "sc.next"),
        next_send: t(lang, "sc.next.send"),
        next_call: t(lang, "sc.next.call"),
        send: t(lang, "sc.send"),
        summary,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "gethelp.html")]
struct GetHelpPage {
    message: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct GetHelpQuery {
    message: Option<String>,
}

/// `GET /get-help`: the confidential inquiry form.
pub async fn get_help(ApiQuery(q): ApiQuery<GetHelpQuery>) -> Response {
    render(&GetHelpPage {
        message: q.message.unwrap_or_default(),
        error: None,
    })
}

#[derive(Template)]
#[template(path = "gethelp_done.html")]
struct GetHelpDone {}

/// `POST /get-help`: the same rules as the API; the confirmation echoes nothing that was sent.
pub async fn get_help_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = match form {
        Ok(form) => crate::api::inquiries::receive(&state, &addr.ip().to_string(), form).await,
        Err(_) => Err(ApiError::NotMultipart),
    };
    match result {
        Ok(_) => render(&GetHelpDone {}),
        Err(err) => {
            let message = match &err {
                ApiError::TooLarge => "A file is larger than 32 MB. Please attach a smaller file, or send the form without it.".to_owned(),
                ApiError::RefusedUpload(why) => why.clone(),
                ApiError::TooManyRequests { .. } => "We have received several requests from this connection. Please call us, or try again later.".to_owned(),
                ApiError::Invalid(invalid) => invalid.0.iter().map(|e| match e.field.as_str() {
                    "contact" => "Please tell us how to reach you.".to_owned(),
                    "attachments" => "Please attach at most 5 files.".to_owned(),
                    other => format!("{other}: {}", e.message),
                }).collect::<Vec<_>>().join(" "),
                ApiError::Internal(_) => "Something went wrong on our side. Please try again, or call us.".to_owned(),
                other => other.detail(),
            };
            let status = err.status();
            if let ApiError::Internal(failure) = &err {
                failure.log("inquiry failed");
            }
            // Nothing of what was sent is shown back (the page may be seen by someone else).
            (
                status,
                render(&GetHelpPage {
                    message: String::new(),
                    error: Some(message),
                }),
            )
                .into_response()
        }
    }
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/get-help", "Get help: the confidential inquiry form", get(pages::public::get_help)).public(),
    route(M::POST, "/get-help", "Send an inquiry (form)", post(pages::public::get_help_submit)
        .layer(axum::extract::DefaultBodyLimit::max(api::inquiries::INQUIRY_BODY_MAX)))
        .public(),
    route(M::GET, "/self-check", "Is an IOP right for me? (public self-check)", get(pages::public::self_check)).public(),
    route(M::POST, "/self-check", "Self-check result (nothing stored)", post(pages::public::self_check_result)).public(),
    ]
}
