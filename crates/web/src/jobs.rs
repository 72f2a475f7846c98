//! Scheduled jobs. Every instance runs this loop; the database decides which instance runs
//! each due occurrence (a claim with a lease), so a job runs once however many instances
//! serve. The jobs are housekeeping every deployment needs: ending expired sessions,
//! forgetting old login-throttle windows and idempotency keys.

use std::time::Duration;

use openiop_store::{Instant, Store, jobs};
use time::OffsetDateTime;

use crate::AppState;

/// Idempotency keys are kept this long.
pub const IDEMPOTENCY_KEPT: time::Duration = time::Duration::hours(24);

/// The jobs and their default cadence.
const JOBS: [(&str, i64); 3] = [
    ("end_expired_sessions", 3600),
    ("forget_throttle_windows", 3600),
    ("forget_idempotency_keys", 3600),
];

/// How long a claim holds before another instance may take the occurrence over.
const LEASE: time::Duration = time::Duration::minutes(5);

/// Why a job did not run to the end.
#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error("unknown job {0}")]
    Unknown(String),
    #[error("the store")]
    Store(#[from] openiop_store::StoreError),
}

async fn run_job(store: &Store, name: &str, now: OffsetDateTime) -> Result<u64, JobError> {
    let mut tx = store.begin().await?;
    let done = match name {
        "end_expired_sessions" => jobs::end_expired_sessions(&mut tx.db(), Instant::new(now)).await,
        "forget_throttle_windows" => {
            jobs::forget_throttle_windows(&mut tx.db(), Instant::new(now - time::Duration::days(1)))
                .await
        }
        "forget_idempotency_keys" => {
            openiop_store::idempotency::forget(&mut tx.db(), Instant::new(now - IDEMPOTENCY_KEPT))
                .await
        }
        other => return Err(JobError::Unknown(other.to_owned())),
    }?;
    tx.commit().await?;
    Ok(done)
}

/// Runs each due job this instance can claim; returns how many it ran.
pub async fn tick(state: &AppState) -> usize {
    let mut ran = 0;
    for (name, _) in JOBS {
        let now = state.now();
        let claimed = async {
            let mut tx = state.store.begin().await?;
            let claim = jobs::claim(
                &mut tx.db(),
                name,
                &state.instance,
                Instant::new(now),
                Instant::new(now + LEASE),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, openiop_store::StoreError>(claim)
        }
        .await;
        let claim = match claimed {
            Ok(claim) => claim,
            Err(e) => {
                tracing::warn!(job = name, cause = %crate::error::chain(&e), "a job could not be claimed");
                None
            }
        };
        let Some(claim) = claim else { continue };
        let outcome = match run_job(&state.store, name, now).await {
            Ok(n) => format!("ok: {n}"),
            Err(e) => {
                let cause = crate::error::chain(&e);
                tracing::error!(job = name, %cause, "a scheduled job failed");
                format!("failed: {cause}")
            }
        };
        let finished = state.now();
        let every = time::Duration::seconds(i64::from(claim.every_seconds.max(1)));
        let next = (claim.scheduled_for.get() + every).max(finished);
        if let Ok(mut tx) = state.store.begin().await {
            let recorded = jobs::complete(
                &mut tx.db(),
                name,
                &state.instance,
                claim.scheduled_for,
                Instant::new(now),
                Instant::new(finished),
                &outcome,
                Instant::new(next),
            )
            .await;
            if matches!(recorded, Ok(true)) && tx.commit().await.is_ok() {
                ran += 1;
                tracing::info!(job = name, outcome = %outcome, "scheduled job ran");
            }
        }
    }
    ran
}

/// Registers the jobs (at the configured cadence) and runs the loop until the task is
/// dropped.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = state.config.job_every;
        if let Ok(mut tx) = state.store.begin().await {
            for (name, default) in JOBS {
                let seconds = every.map_or(default, |d| d.whole_seconds().max(1));
                let first = Instant::new(state.now());
                let ok = jobs::ensure(
                    &mut tx.db(),
                    name,
                    i32::try_from(seconds).unwrap_or(i32::MAX),
                    first,
                )
                .await;
                if ok.is_err() {
                    return;
                }
            }
            if tx.commit().await.is_err() {
                return;
            }
        }
        let tick_every = every
            .map_or(Duration::from_secs(30), |d| {
                Duration::from_millis(u64::try_from(d.whole_milliseconds() / 4).unwrap_or(250))
            })
            .max(Duration::from_millis(50));
        let mut interval = tokio::time::interval(tick_every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            tick(&state).await;
        }
    })
}
