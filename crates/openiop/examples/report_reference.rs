//! Bench reference for the reports at scale (bench/reports.sh): the best hand-written SQL for
//! the same answers as `GET /api/v1/reports/census` and `GET /api/v1/reports/intensity`, each
//! in its own dialect, timed on the same database. Where several formulations exist, each is
//! timed and the fastest counts. Prints one JSON line: median milliseconds per report and the
//! answers, which bench/reports.sh checks against OpenIOP's.
//!
//! The intensity reference applies the tracks' targets: the bench dataset has no intensity
//! plans (OpenIOP applies an episode's plan when it has one).
//!
//! `cargo run --release --example report_reference -- URL WEEK RUNS`

use std::str::FromStr;
use std::time::{Duration, Instant};

use openiop_core::attendance;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};
use time::Date;
use uuid::Uuid;

const CENSUS: &str = "SELECT t.id, COUNT(e.id) FROM tracks t \
    LEFT JOIN episodes e ON e.track_id = t.id AND e.status = 'active' \
    WHERE t.organization_id = $1 GROUP BY t.id";

/// PostgreSQL knows time zones: a session's local day is computed in the query.
const INTENSITY_PG: &str = "WITH current_marks AS ( \
      SELECT DISTINCT ON (m.patient_id, m.session_id) m.patient_id, m.minutes, \
             (s.starts_at AT TIME ZONE si.time_zone)::date AS day \
      FROM sessions s JOIN tracks t ON t.id = s.track_id JOIN sites si ON si.id = t.site_id \
           JOIN attendance_marks m ON m.session_id = s.id \
      WHERE s.organization_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 \
      ORDER BY m.patient_id, m.session_id, m.recorded_at DESC, m.id DESC), \
    per_patient AS ( \
      SELECT patient_id, SUM(minutes) AS minutes, COUNT(DISTINCT day) AS days FROM current_marks \
      WHERE minutes > 0 AND day BETWEEN $4 AND $5 GROUP BY patient_id) \
    SELECT COUNT(e.id), COUNT(e.id) FILTER (WHERE e.admitted_on <= $5), \
           COUNT(e.id) FILTER (WHERE e.admitted_on <= $5 AND COALESCE(p.minutes, 0) >= t.target_minutes \
                                 AND COALESCE(p.days, 0) >= t.min_days) \
    FROM tracks t JOIN episodes e ON e.track_id = t.id AND e.status = 'active' \
         LEFT JOIN per_patient p ON p.patient_id = e.patient_id \
    WHERE t.organization_id = $1";

/// SQLite does not: the week's local midnights of each zone are parameters ($2..$9), and the
/// newest mark of a (patient, session) is found with a window function (`newest`) or with
/// `NOT EXISTS` a newer one; both are timed.
fn intensity_sqlite(newest_by_window: bool) -> String {
    let current = if newest_by_window {
        "SELECT patient_id, minutes, day FROM ( \
           SELECT m.patient_id, m.minutes, s.starts_at, \
             ROW_NUMBER() OVER (PARTITION BY m.patient_id, m.session_id ORDER BY m.recorded_at DESC, m.id DESC) AS newest, \
             CASE WHEN s.starts_at < $3 THEN 0 WHEN s.starts_at < $4 THEN 1 WHEN s.starts_at < $5 THEN 2 \
                  WHEN s.starts_at < $6 THEN 3 WHEN s.starts_at < $7 THEN 4 WHEN s.starts_at < $8 THEN 5 ELSE 6 END AS day \
           FROM sessions s JOIN tracks t ON t.id = s.track_id JOIN sites si ON si.id = t.site_id \
                JOIN attendance_marks m ON m.session_id = s.id \
           WHERE s.organization_id = $1 AND si.time_zone = $10 AND s.starts_at >= $2 AND s.starts_at < $9) \
         WHERE newest = 1"
    } else {
        "SELECT m.patient_id, m.minutes, \
             CASE WHEN s.starts_at < $3 THEN 0 WHEN s.starts_at < $4 THEN 1 WHEN s.starts_at < $5 THEN 2 \
                  WHEN s.starts_at < $6 THEN 3 WHEN s.starts_at < $7 THEN 4 WHEN s.starts_at < $8 THEN 5 ELSE 6 END AS day \
         FROM sessions s JOIN tracks t ON t.id = s.track_id JOIN sites si ON si.id = t.site_id \
              JOIN attendance_marks m ON m.session_id = s.id \
         WHERE s.organization_id = $1 AND si.time_zone = $10 AND s.starts_at >= $2 AND s.starts_at < $9 \
           AND NOT EXISTS (SELECT 1 FROM attendance_marks n WHERE n.session_id = m.session_id \
               AND n.patient_id = m.patient_id AND (n.recorded_at > m.recorded_at \
               OR (n.recorded_at = m.recorded_at AND n.id > m.id)))"
    };
    format!(
        "WITH current_marks AS ({current}), \
         per_patient AS (SELECT patient_id, SUM(minutes) AS minutes, COUNT(DISTINCT day) AS days \
                         FROM current_marks WHERE minutes > 0 GROUP BY patient_id) \
         SELECT COUNT(e.id), COALESCE(SUM(e.admitted_on <= $11), 0), \
                COALESCE(SUM(e.admitted_on <= $11 AND COALESCE(p.minutes, 0) >= t.target_minutes \
                             AND COALESCE(p.days, 0) >= t.min_days), 0) \
         FROM tracks t JOIN sites si ON si.id = t.site_id \
              JOIN episodes e ON e.track_id = t.id AND e.status = 'active' \
              LEFT JOIN per_patient p ON p.patient_id = e.patient_id \
         WHERE t.organization_id = $1 AND si.time_zone = $10"
    )
}

/// `[active, measured, met]` of the whole program.
type Compliance = [i64; 3];

fn median(mut runs: Vec<Duration>) -> f64 {
    runs.sort();
    runs.get(runs.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// Runs `$body` (an expression awaiting one answer) `$runs` times; `(median ms, last answer)`.
macro_rules! timed {
    ($runs:expr, $body:expr) => {{
        let mut times = Vec::new();
        let mut answer = None;
        for _ in 0..$runs {
            let started = Instant::now();
            answer = Some($body);
            times.push(started.elapsed());
        }
        (median(times), answer.expect("at least one run"))
    }};
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, week, runs] = args.as_slice() else {
        return Err("usage: report_reference URL WEEK RUNS".into());
    };
    let runs: usize = runs.parse()?;
    let (census_ms, census, intensity_ms, intensity, formulation) = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .read_only(true)
            .pragma("mmap_size", (1u64 << 30).to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let org: Uuid = sqlx::query_scalar("SELECT id FROM organizations LIMIT 1")
            .fetch_one(&pool)
            .await?;
        let (census_ms, census) = timed!(runs, sqlite_census(&pool, org).await?);
        let mut best = None;
        for (window, name) in [(true, "ROW_NUMBER"), (false, "NOT EXISTS")] {
            let sql = intensity_sqlite(window);
            let (ms, answer) = timed!(runs, sqlite_intensity(&pool, org, week, &sql).await?);
            if best.as_ref().is_none_or(|(b, _, _)| ms < *b) {
                best = Some((ms, answer, name));
            }
        }
        let (ms, answer, name) = best.ok_or("no formulation")?;
        (census_ms, census, ms, answer, name)
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(PgConnectOptions::from_str(url)?)
            .await?;
        let org: Uuid = sqlx::query_scalar("SELECT id FROM organizations LIMIT 1")
            .fetch_one(&pool)
            .await?;
        let (census_ms, census) = timed!(runs, pg_census(&pool, org).await?);
        let (ms, answer) = timed!(runs, pg_intensity(&pool, org, week).await?);
        (census_ms, census, ms, answer, "DISTINCT ON")
    };
    println!(
        "{}",
        serde_json::json!({
            "census_ms": census_ms, "census_total": census,
            "intensity_ms": intensity_ms, "formulation": formulation,
            "active": intensity[0], "measured": intensity[1], "met": intensity[2],
        })
    );
    Ok(())
}

async fn sqlite_census(pool: &SqlitePool, org: Uuid) -> sqlx::Result<i64> {
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(CENSUS).bind(org).fetch_all(pool).await?;
    Ok(rows.iter().map(|r| r.1).sum())
}

async fn pg_census(pool: &PgPool, org: Uuid) -> sqlx::Result<i64> {
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(CENSUS).bind(org).fetch_all(pool).await?;
    Ok(rows.iter().map(|r| r.1).sum())
}

/// The week's Monday (local, the same date in every zone) and Sunday.
fn week_dates(week: &str) -> Result<(Date, Date), Box<dyn std::error::Error>> {
    let parsed = attendance::parse_week(week, "UTC").ok_or("week")?;
    let monday = parsed.start.date();
    Ok((monday, monday + time::Duration::days(6)))
}

async fn sqlite_intensity(
    pool: &SqlitePool,
    org: Uuid,
    week: &str,
    sql: &str,
) -> Result<Compliance, Box<dyn std::error::Error>> {
    let (_, sunday) = week_dates(week)?;
    let zones: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT time_zone FROM sites WHERE organization_id = $1")
            .bind(org)
            .fetch_all(pool)
            .await?;
    let mut total = [0; 3];
    for zone in zones {
        let local = attendance::parse_week(week, &zone).ok_or("week")?;
        let midnights = attendance::week_midnights(&local, &zone).ok_or("midnights")?;
        let mut q =
            sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql.to_owned())).bind(org);
        for m in midnights {
            q = q.bind(openiop_store::Instant::new(m));
        }
        let (active, measured, met) = q.bind(&zone).bind(sunday).fetch_one(pool).await?;
        total = [total[0] + active, total[1] + measured, total[2] + met];
    }
    Ok(total)
}

async fn pg_intensity(
    pool: &PgPool,
    org: Uuid,
    week: &str,
) -> Result<Compliance, Box<dyn std::error::Error>> {
    let (monday, sunday) = week_dates(week)?;
    // Every zone's week lies within a day of the UTC one.
    let utc = attendance::parse_week(week, "UTC").ok_or("week")?;
    let (from, until) = (
        utc.start - time::Duration::days(1),
        utc.end + time::Duration::days(1),
    );
    let (active, measured, met): (i64, i64, i64) = sqlx::query_as(INTENSITY_PG)
        .bind(org)
        .bind(from)
        .bind(until)
        .bind(monday)
        .bind(sunday)
        .fetch_one(pool)
        .await?;
    Ok([active, measured, met])
}
