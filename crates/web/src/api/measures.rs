//! Measurement-based care: which repeated measures (PHQ-9, GAD-7, the BAM, or a program's own
//! cadence) are overdue for the patients in care.

use openiop_core::access::{Action, may};
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use openiop_core::measures;
use openiop_store::patients::{self as store_patients, Reach};
use serde::Serialize;
use uuid::Uuid;

use super::{ListPage, local_today};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::times::rfc3339;

#[derive(Debug, Clone, Serialize)]
pub struct DueJson {
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub code: String,
    pub due_on: String,
    /// The last administration in this episode, if any.
    pub last_administered_at: Option<String>,
}

/// Overdue measures of the active episodes the caller reaches (none for roles that do not
/// administer instruments), oldest due first. Reads the organization's census, the newest
/// administration per patient and instrument, and each track's settings once.
pub async fn overdue(state: &AppState, caller: &Caller) -> ApiResult<Vec<DueJson>> {
    if !may(caller.role, Action::WorkClinicalQueues) {
        return Ok(Vec::new());
    }
    let today = local_today(state, caller).await?;
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_active_episodes(&mut conn.db(), caller.organization_id).await?;
    let latest = openiop_store::clinical::list_latest_administrations(
        &mut conn.db(),
        caller.organization_id,
    )
    .await?;
    let reach = Reach::of(caller.role, caller.user_id, caller.patient_id);
    let reached =
        store_patients::list_reached_ids(&mut conn.db(), caller.organization_id, reach).await?;
    drop(conn);
    let last: BTreeMap<(Uuid, &str), openiop_store::Instant> = latest
        .iter()
        .map(|(p, code, at)| ((*p, code.as_str()), *at))
        .collect();
    let mut cadence_of_track: BTreeMap<Uuid, BTreeMap<String, u32>> = BTreeMap::new();
    let mut out = Vec::new();
    for e in episodes.iter().filter(|e| {
        reached
            .as_ref()
            .is_none_or(|ids| ids.contains(&e.patient_id))
    }) {
        if let std::collections::btree_map::Entry::Vacant(slot) = cadence_of_track.entry(e.track_id)
        {
            slot.insert(
                super::config::settings_for(state, caller.organization_id, Some(e.id))
                    .await?
                    .measures,
            );
        }
        let Some(cadence) = cadence_of_track.get(&e.track_id) else {
            continue;
        };
        for (code, every) in cadence {
            let at = last.get(&(e.patient_id, code.as_str())).copied();
            let due = measures::due_on(at.map(|a| a.get().date()), e.admitted_on, *every);
            if measures::is_overdue(due, today) {
                out.push(DueJson {
                    patient_id: e.patient_id,
                    episode_id: e.id,
                    code: code.clone(),
                    due_on: openiop_core::validate::format_date(due),
                    last_administered_at: at
                        .filter(|a| a.get().date() >= e.admitted_on)
                        .map(rfc3339),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.due_on
            .cmp(&b.due_on)
            .then(a.patient_id.cmp(&b.patient_id))
    });
    let named: Vec<Uuid> = out.iter().map(|d| d.patient_id).collect();
    super::audit_named(
        state,
        caller,
        "measures.overdue",
        "measures/overdue",
        &named,
    )
    .await?;
    Ok(out)
}

/// `GET /api/v1/measures/overdue`
pub async fn get_overdue(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<DueJson>>> {
    super::require(
        &state,
        &caller,
        openiop_core::access::Action::UseClinicalTools,
        "measures.overdue",
    )
    .await?;
    Ok(Json(ListPage::whole(overdue(&state, &caller).await?)))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/measures/overdue", "Repeated measures (PHQ-9, GAD-7, BAM) overdue for the caller's patients", get(api::measures::get_overdue)).many_patients(),
    ]
}
