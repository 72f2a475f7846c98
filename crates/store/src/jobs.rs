//! Scheduled jobs shared by every instance: each due occurrence is claimed by one instance
//! under a lease and recorded once.

use crate::{Db, Instant, Result, on_db};

/// Makes sure a job exists (the first instance to start sets its cadence).
pub async fn ensure(
    db: &mut Db<'_>,
    name: &str,
    every_seconds: i32,
    first_run: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO jobs (name, every_seconds, next_run_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(every_seconds)
        .bind(first_run)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A claimed occurrence.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claim {
    pub scheduled_for: Instant,
    pub every_seconds: i32,
}

/// Claims the job if it is due and nobody holds it (or their lease ran out).
pub async fn claim(
    db: &mut Db<'_>,
    name: &str,
    instance: &str,
    now: Instant,
    lease_until: Instant,
) -> Result<Option<Claim>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Claim>(
            "UPDATE jobs SET locked_by = $1, locked_until = $2 WHERE name = $3 AND next_run_at <= $4 \
             AND (locked_until IS NULL OR locked_until < $4) RETURNING next_run_at AS scheduled_for, every_seconds",
        )
        .bind(instance)
        .bind(lease_until)
        .bind(name)
        .bind(now)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// Records the run of a claimed occurrence and schedules the next; false when another
/// instance recorded this occurrence already (its lease had run out), in which case nothing
/// is written.
#[allow(clippy::too_many_arguments)]
pub async fn complete(
    db: &mut Db<'_>,
    name: &str,
    instance: &str,
    scheduled_for: Instant,
    started_at: Instant,
    finished_at: Instant,
    outcome: &str,
    next_run_at: Instant,
) -> Result<bool> {
    let recorded = on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO job_runs (job, scheduled_for, instance, started_at, finished_at, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job, scheduled_for) DO NOTHING",
        )
        .bind(name)
        .bind(scheduled_for)
        .bind(instance)
        .bind(started_at)
        .bind(finished_at)
        .bind(outcome)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if recorded == 0 {
        return Ok(false);
    }
    on_db!(db, |c| {
        sqlx::query(
            "UPDATE jobs SET next_run_at = $1, locked_by = NULL, locked_until = NULL WHERE name = $2 AND locked_by = $3",
        )
        .bind(next_run_at)
        .bind(name)
        .bind(instance)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(true)
}

/// Deletes sessions past their end; returns how many.
pub async fn end_expired_sessions(db: &mut Db<'_>, now: Instant) -> Result<u64> {
    Ok(on_db!(db, |c| {
        sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?)
}

/// Deletes login-throttle windows that started before `before`; returns how many.
/// Forgets address windows and unknown usernames' failure counters untouched since `before`
/// (a lock lasts minutes; a day later the count starts afresh either way).
pub async fn forget_throttle_windows(db: &mut Db<'_>, before: Instant) -> Result<u64> {
    let windows = on_db!(db, |c| {
        sqlx::query("DELETE FROM login_throttle WHERE window_start < $1")
            .bind(before)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    let names = on_db!(db, |c| {
        sqlx::query("DELETE FROM login_name_failures WHERE updated_at < $1")
            .bind(before)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(windows + names)
}
