//! Record retention and disposal (admins): the closed records past their keeping time, their
//! disposal with the method and approval stated, and the certificates that remain.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openiop_core::access::Action;
use openiop_core::retention::{self, DisposalInput};
use openiop_core::settings::Settings;
use openiop_core::validate::format_date;
use openiop_store::Instant;
use openiop_store::retention::{self as store, Certificate};
use serde::Serialize;
use uuid::Uuid;

use super::{ListPage, local_today, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::times::rfc3339;

/// The organization's keeping time: the longest any of its programs sets, so no program's
/// records leave early.
async fn retention_years(state: &AppState, caller: &Caller) -> ApiResult<u32> {
    let mut conn = state.store.read().await?;
    let programs =
        openiop_store::organization::list_programs(&mut conn.db(), caller.organization_id).await?;
    // A program whose stored settings no longer validate is an error: skipping it could
    // shorten the keeping time and let its records leave early.
    let mut years = retention::DEFAULT_YEARS;
    for program in &programs {
        if let Some(doc) = program.settings_doc()? {
            let settings = Settings::parse(&doc).map_err(|invalid| {
                openiop_store::StoreError::Corrupt(format!(
                    "programs {}: settings: {invalid:?}",
                    program.id
                ))
            })?;
            years = years.max(settings.retention_years);
        }
    }
    Ok(years)
}

#[derive(Debug, Clone, Serialize)]
pub struct DueRecord {
    pub patient_id: Uuid,
    pub name: String,
    pub birth_date: String,
    /// The last discharge, or the registration date of a patient never admitted.
    pub last_service_on: String,
    pub due_on: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionJson {
    pub retention_years: u32,
    /// Closed records past their keeping time, ready for review and disposal.
    pub due: Vec<DueRecord>,
}

struct Due {
    record: DueRecord,
    last_service: time::Date,
    due_on: time::Date,
}

async fn due_records(state: &AppState, caller: &Caller, years: u32) -> ApiResult<Vec<Due>> {
    let today = local_today(state, caller).await?;
    let mut conn = state.store.read().await?;
    let closed = store::list_closed(&mut conn.db(), caller.organization_id).await?;
    Ok(closed
        .into_iter()
        .filter_map(|c| {
            let last_service = c
                .last_discharged
                .unwrap_or_else(|| c.created_at.get().date());
            let due_on = retention::disposal_due(last_service, c.birth_date, years);
            (due_on <= today).then(|| Due {
                record: DueRecord {
                    patient_id: c.id,
                    name: format!("{} {}", c.given_name, c.family_name),
                    birth_date: format_date(c.birth_date),
                    last_service_on: format_date(last_service),
                    due_on: format_date(due_on),
                },
                last_service,
                due_on,
            })
        })
        .collect())
}

/// The records due for disposal (API and pages); each one listed is an audited read.
pub async fn due(state: &AppState, caller: &Caller) -> ApiResult<RetentionJson> {
    require(state, caller, Action::ReadAudit, "retention.review").await?;
    let years = retention_years(state, caller).await?;
    let due = due_records(state, caller, years).await?;
    let now = state.now();
    let events = due
        .iter()
        .map(|d| {
            EventBuilder::for_caller(caller)
                .action("retention.review", "retention")
                .patient(d.record.patient_id)
                .build(now)
        })
        .collect();
    state.store.record(events).await?;
    Ok(RetentionJson {
        retention_years: years,
        due: due.into_iter().map(|d| d.record).collect(),
    })
}

/// `GET /api/v1/retention`
pub async fn get_retention(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<RetentionJson>> {
    Ok(Json(due(&state, &caller).await?))
}

#[derive(Debug, Clone, Serialize)]
pub struct CertificateJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub last_service_on: String,
    pub due_on: String,
    pub retention_years: i32,
    pub method: String,
    pub approved_by: String,
    pub rows_deleted: i64,
    pub files_deleted: i32,
    pub disposed_by: Uuid,
    pub disposed_at: String,
}

impl From<&Certificate> for CertificateJson {
    fn from(c: &Certificate) -> Self {
        CertificateJson {
            id: c.id,
            patient_id: c.patient_id,
            last_service_on: format_date(c.last_service_on),
            due_on: format_date(c.due_on),
            retention_years: c.retention_years,
            method: c.method.clone(),
            approved_by: c.approved_by.clone(),
            rows_deleted: c.rows_deleted,
            files_deleted: c.files_deleted,
            disposed_by: c.disposed_by,
            disposed_at: rfc3339(c.disposed_at),
        }
    }
}

/// Disposes of the named records, all or none: each must be due today. One transaction
/// deletes them and writes a certificate and an audit event per patient; the attachment
/// files go once it has committed (API and pages).
pub async fn dispose(
    state: &AppState,
    caller: &Caller,
    input: &DisposalInput,
) -> ApiResult<Vec<CertificateJson>> {
    require(state, caller, Action::ReadAudit, "retention.dispose").await?;
    let checked = input.checked()?;
    let mut ids = Vec::new();
    for (i, text) in input.patient_ids.iter().enumerate() {
        let id = super::body_id(&format!("patient_ids[{i}]"), text)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let years = retention_years(state, caller).await?;
    let due = due_records(state, caller, years).await?;
    if let Some(id) = ids
        .iter()
        .find(|id| !due.iter().any(|d| d.record.patient_id == **id))
    {
        return Err(ApiError::Conflict(format!(
            "patient {id} is not due for disposal (an open episode, a breach, within retention, or no such record)"
        )));
    }
    let now = state.now();
    let mut certificates = Vec::new();
    let mut files = Vec::new();
    let mut tx = state.store.begin().await?;
    for id in &ids {
        let Some(d) = due.iter().find(|d| d.record.patient_id == *id) else {
            continue;
        };
        let removed = store::dispose(&mut tx.db(), caller.organization_id, *id).await?;
        let certificate = Certificate {
            id: openiop_core::id::new_id(),
            patient_id: *id,
            last_service_on: d.last_service,
            due_on: d.due_on,
            retention_years: i32::try_from(years).unwrap_or(i32::MAX),
            method: checked.method.clone(),
            approved_by: checked.approved_by.clone(),
            rows_deleted: i64::try_from(removed.rows).unwrap_or(i64::MAX),
            files_deleted: i32::try_from(removed.files.len()).unwrap_or(i32::MAX),
            disposed_by: caller.user_id,
            disposed_at: Instant::new(now),
        };
        store::insert_certificate(&mut tx.db(), caller.organization_id, &certificate).await?;
        let event = EventBuilder::for_caller(caller)
            .action(
                "record.dispose",
                format!("retention/disposals/{}", certificate.id),
            )
            .patient(*id)
            .detail(format!(
                "rows={} files={}",
                certificate.rows_deleted, certificate.files_deleted
            ));
        tx.audit(event.build(now)).await?;
        files.extend(removed.files);
        certificates.push(CertificateJson::from(&certificate));
    }
    tx.commit().await?;
    for key in files {
        state.files.remove(&key).await;
    }
    Ok(certificates)
}

/// `POST /api/v1/retention/disposals`
pub async fn post_disposal(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<DisposalInput>,
) -> ApiResult<(StatusCode, Json<ListPage<CertificateJson>>)> {
    Ok((
        StatusCode::CREATED,
        Json(ListPage::whole(dispose(&state, &caller, &input).await?)),
    ))
}

/// The certificates of disposal, newest first (API and pages).
pub async fn certificates(state: &AppState, caller: &Caller) -> ApiResult<Vec<CertificateJson>> {
    require(state, caller, Action::ReadAudit, "retention.certificates").await?;
    let mut conn = state.store.read().await?;
    let rows = store::list_certificates(&mut conn.db(), caller.organization_id).await?;
    Ok(rows.iter().map(CertificateJson::from).collect())
}

/// `GET /api/v1/retention/disposals`: the certificates of disposal.
pub async fn list_disposals(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<CertificateJson>>> {
    Ok(Json(ListPage::whole(certificates(&state, &caller).await?)))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/retention", "Closed records past the keeping time (retention_years after the last service and after 18), for review (admin)", get(api::retention::get_retention)).many_patients(),
    route(M::POST, "/api/v1/retention/disposals", "Dispose of records due (all or none), with the method and approval; certificates remain (admin)", post(api::retention::post_disposal))
        .body(|| object(&["patient_ids", "method", "approved_by"], json!({"patient_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
            "method": string(), "approved_by": string()}))).many_patients(),
    route(M::GET, "/api/v1/retention/disposals", "Certificates of disposal (admin)", get(api::retention::list_disposals)).many_patients(),
    ]
}
