//! Program reports: read-only, served from the read replica when one is configured
//! (`OPENIOP_READ_DATABASE_URL`), so a busy report never competes with the primary's writes.
//!
//! They answer counts and name no patient, so reading one writes no audit event (a refused
//! attempt is audited, as everywhere); the program view, which names patients, audits each.

use axum::Json;
use axum::extract::State;
use openiop_core::access::Action;
use serde::Serialize;
use uuid::Uuid;

use super::require;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::times::rfc3339;

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
    let lines =
        openiop_store::patients::count_census(&mut conn.db(), caller.organization_id).await?;
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

/// Weekly intensity compliance of one track (or of the whole program): how many active
/// episodes it holds, how many were under way in the week, and how many of those met their
/// week's targets (hours and days, from the episode's intensity plan or else the track).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Compliance {
    pub active: i64,
    pub measured: i64,
    pub met: i64,
    pub below_target: i64,
    /// `met / measured`, three decimals; `null` when no episode was under way.
    pub rate: Option<f64>,
}

impl Compliance {
    fn count(&mut self, measured: bool, met: bool) {
        self.active += 1;
        self.measured += i64::from(measured);
        self.met += i64::from(measured && met);
    }

    fn add(&mut self, active: i64, measured: i64, met: i64) {
        self.active += active;
        self.measured += measured;
        self.met += met;
    }

    /// Derives `below_target` and `rate` from the counts.
    fn finish(mut self) -> Compliance {
        self.below_target = self.measured - self.met;
        self.rate = (self.measured > 0)
            .then(|| (self.met as f64 / self.measured as f64 * 1000.0).round() / 1000.0);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TrackCompliance {
    pub track_id: Uuid,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    pub compliance: Compliance,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntensityReport {
    pub week: String,
    pub as_of: String,
    pub total: Compliance,
    pub tracks: Vec<TrackCompliance>,
    /// `replica` or `primary`, as for the census.
    pub source: &'static str,
}

/// Weekly intensity compliance for every active episode, per track and in total (counts only,
/// no patient data; the program view names the patients). Each site's tracks are measured in
/// the site's own local week. The database counts the episodes that follow their track's
/// targets (one row per track); episodes with an intensity plan come back one row each, and
/// their plan's step for the week is applied here.
pub async fn intensity(
    state: &AppState,
    caller: &Caller,
    week: Option<&str>,
) -> ApiResult<IntensityReport> {
    use openiop_core::attendance;
    use openiop_store::{Instant, organization, reports, schedule};
    use std::collections::HashMap;
    require(state, caller, Action::ReadConfiguration, "report.intensity").await?;
    let org = caller.organization_id;
    let mut conn = state.store.report_read().await?;
    let sites = organization::list_sites(&mut conn.db(), org).await?;
    let tracks = organization::list_tracks(&mut conn.db(), org).await?;
    let first_zone = sites
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_else(|| "UTC".into());
    let name = match week.filter(|w| !w.is_empty()) {
        Some(text) => {
            attendance::parse_week(text, &first_zone)
                .ok_or_else(|| {
                    openiop_core::Invalid::one("week", "must be an ISO week such as 2026-W48")
                })?
                .name
        }
        None => {
            attendance::week_containing(state.now() - time::Duration::days(7), &first_zone)
                .ok_or_else(crate::times::unplaced_week)?
                .name
        }
    };
    let plans: HashMap<Uuid, schedule::StoredIntensityPlan> =
        schedule::list_current_intensity_plans(&mut conn.db(), org)
            .await?
            .into_iter()
            .map(|p| (p.episode_id, p))
            .collect();
    // Each site's tracks in the site's local week; the week's dates are the same everywhere.
    let mut zones: Vec<(&str, attendance::Week, reports::ZoneWeek)> = Vec::new();
    for track in &tracks {
        let zone = sites
            .iter()
            .find(|s| s.id == track.site_id)
            .map_or(first_zone.as_str(), |s| s.time_zone.as_str());
        if let Some((_, _, week)) = zones.iter_mut().find(|(z, _, _)| *z == zone) {
            week.track_ids.push(track.id);
            continue;
        }
        let internal = || crate::error::ApiError::internal(format!("the week of a date in {zone}"));
        let local_week = attendance::parse_week(&name, zone).ok_or_else(internal)?;
        let midnights = attendance::week_midnights(&local_week, zone).ok_or_else(internal)?;
        let week = reports::ZoneWeek {
            track_ids: vec![track.id],
            midnights: midnights.map(Instant::new),
        };
        zones.push((zone, local_week, week));
    }
    let dates = zones.first().and_then(|(zone, _, week)| {
        let date = |at: Instant| {
            attendance::local_date(at.get(), zone)
                .and_then(|d| openiop_core::validate::parse_date(&d))
        };
        Some((date(week.midnights[0])?, date(week.midnights[6])?))
    });
    let zone_weeks: Vec<reports::ZoneWeek> = zones.iter().map(|(_, _, w)| w.clone()).collect();
    let mut per_track: HashMap<Uuid, Compliance> = HashMap::new();
    if let Some(dates) = dates {
        for line in reports::list_week_compliance(&mut conn.db(), org, &zone_weeks, dates).await? {
            per_track
                .entry(line.track_id)
                .or_default()
                .add(line.active, line.measured, line.met);
        }
    }
    let planned = if plans.is_empty() {
        Vec::new()
    } else {
        reports::list_planned_week(&mut conn.db(), org, &zone_weeks).await?
    };
    for line in planned {
        let (Some(track), Some((zone, local_week, _))) = (
            tracks.iter().find(|t| t.id == line.track_id),
            zones
                .iter()
                .find(|(_, _, w)| w.track_ids.contains(&line.track_id)),
        ) else {
            continue;
        };
        let episode = openiop_store::patients::Episode {
            id: line.episode_id,
            patient_id: line.patient_id,
            track_id: track.id,
            track_name: track.name.clone(),
            level: track.level.as_str().to_owned(),
            status: openiop_core::program::EpisodeStatus::Active,
            admitted_on: line.admitted_on,
            discharged_on: None,
        };
        let targets = super::program::targets_from(
            plans.get(&line.episode_id),
            &episode,
            track,
            local_week,
            zone,
        )?;
        let met =
            line.minutes >= i64::from(targets.minutes) && line.days >= i64::from(targets.min_days);
        per_track
            .entry(track.id)
            .or_default()
            .count(targets.episode_week >= 1, met);
    }
    drop(conn);
    let mut total = Compliance::default();
    for c in per_track.values() {
        total.add(c.active, c.measured, c.met);
    }
    Ok(IntensityReport {
        week: name,
        as_of: rfc3339(Instant::new(state.now())),
        total: total.finish(),
        tracks: tracks
            .iter()
            .map(|t| TrackCompliance {
                track_id: t.id,
                name: t.name.clone(),
                level: t.level.as_str().to_owned(),
                compliance: per_track.remove(&t.id).unwrap_or_default().finish(),
            })
            .collect(),
        source: if state.store.has_report_replica() {
            "replica"
        } else {
            "primary"
        },
    })
}

/// `GET /api/v1/reports/intensity?week=YYYY-Www` (default: the last complete week)
pub async fn get_intensity(
    State(state): State<AppState>,
    caller: Caller,
    crate::json::ApiQuery(query): crate::json::ApiQuery<super::attendance::WeekQuery>,
) -> ApiResult<Json<IntensityReport>> {
    Ok(Json(
        intensity(&state, &caller, query.week.as_deref()).await?,
    ))
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::GET, "/api/v1/reports/census", "The program census: active episodes per track (read from the replica when configured)", get(api::reports::get_census)),
    route(M::GET, "/api/v1/reports/intensity", "Weekly intensity compliance of every active episode, per track and in total (counts; read from the replica when configured)", get(api::reports::get_intensity))
        .query(&[("week", "ISO week YYYY-Www (default: the last complete week)")]),
    ]
}
