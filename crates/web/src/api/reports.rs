//! Program reports: read-only, served from the read replica when one is configured
//! (`OPENIOP_READ_DATABASE_URL`), so a busy report never competes with the primary's writes.

use axum::Json;
use axum::extract::State;
use openiop_core::access::Action;
use serde::Serialize;
use uuid::Uuid;

use super::instruments::rfc3339;
use super::require;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

#[derive(Debug, Clone, Serialize)]
pub struct CensusTrack {
    pub track_id: Uuid,
    pub name: String,
    pub level: String,
    pub active: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Census {
    pub as_of: String,
    pub total_active: i64,
    pub tracks: Vec<CensusTrack>,
    /// `replica` or `primary`: where the report was read (a replica may lag a little).
    pub source: &'static str,
}

/// The program census: active episodes per track (counts only, no patient data).
pub async fn census(state: &AppState, caller: &Caller) -> ApiResult<Census> {
    require(state, caller, Action::ReadConfiguration, "report.census").await?;
    let mut conn = state.store.report_read().await?;
    let lines = openiop_store::patients::census(&mut conn.db(), caller.organization_id).await?;
    Ok(Census {
        as_of: rfc3339(openiop_store::Instant::new(state.now())),
        total_active: lines.iter().map(|l| l.active).sum(),
        tracks: lines
            .into_iter()
            .map(|l| CensusTrack {
                track_id: l.track_id,
                name: l.name,
                level: l.level,
                active: l.active,
            })
            .collect(),
        source: if state.store.has_report_replica() {
            "replica"
        } else {
            "primary"
        },
    })
}

/// `GET /api/v1/reports/census`
pub async fn get_census(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Census>> {
    Ok(Json(census(&state, &caller).await?))
}
