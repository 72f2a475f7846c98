//! Program reports at scale: aggregates computed in the database, so a report over 100,000
//! patients and a year of attendance returns a few rows instead of every mark.
//!
//! A (patient, session)'s attendance is its newest mark (posting again corrects a mark; the
//! history stays). A week is each site's local week. PostgreSQL knows time zones and tells a
//! session's local day itself, in one statement; SQLite does not, so the caller passes each
//! zone's eight local midnights (Monday's through the next Monday's) and SQLite runs one
//! statement per zone. The two statements answer the same (the tests run both); this module
//! is the only place where the SQL differs per dialect, because here that makes it faster.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

/// The tracks of one time zone and that zone's week.
#[derive(Debug, Clone)]
pub struct ZoneWeek {
    pub track_ids: Vec<Uuid>,
    /// The week's eight local midnights, Monday's through the next Monday's.
    pub midnights: [Instant; 8],
}

/// Weekly compliance of a track's active episodes that follow the track's targets (those
/// without an intensity plan; the caller applies plans).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrackWeek {
    pub track_id: Uuid,
    /// Active episodes without an intensity plan.
    pub active: i64,
    /// Of those, admitted by the end of the week.
    pub measured: i64,
    /// Of those, at or above the track's minutes and days.
    pub met: i64,
}

/// One active episode with an intensity plan and its attendance in the week.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlannedWeek {
    pub episode_id: Uuid,
    pub patient_id: Uuid,
    pub track_id: Uuid,
    pub admitted_on: Date,
    pub minutes: i64,
    pub days: i64,
}

/// SQLite, one zone: the current marks of the week's sessions and each patient's minutes and
/// local days. `$1` organization, `$2`..`$9` the midnights; `TRACKS` becomes the tracks'
/// placeholders and `PATIENTS` a filter on the patients (or nothing).
const ZONE_ATTENDANCE: &str = "WITH current_marks AS ( \
       SELECT m.patient_id, m.minutes, \
         CASE WHEN s.starts_at < $3 THEN 0 WHEN s.starts_at < $4 THEN 1 WHEN s.starts_at < $5 THEN 2 \
              WHEN s.starts_at < $6 THEN 3 WHEN s.starts_at < $7 THEN 4 WHEN s.starts_at < $8 THEN 5 ELSE 6 END AS day \
       FROM sessions s JOIN attendance_marks m ON m.session_id = s.id \
       WHERE s.organization_id = $1 AND s.starts_at >= $2 AND s.starts_at < $9 AND s.track_id IN (TRACKS) PATIENTS \
         AND NOT EXISTS (SELECT 1 FROM attendance_marks newer WHERE newer.session_id = m.session_id \
             AND newer.patient_id = m.patient_id AND (newer.recorded_at > m.recorded_at \
             OR (newer.recorded_at = m.recorded_at AND newer.id > m.id)))), \
     per_patient AS ( \
       SELECT patient_id, SUM(minutes) AS minutes, COUNT(DISTINCT day) AS days \
       FROM current_marks WHERE minutes > 0 GROUP BY patient_id) ";

/// PostgreSQL, every zone at once: `$1` organization, `$2`..`$3` an instant window holding
/// every zone's week, `$4`..`$5` the week's Monday and Sunday (the same dates everywhere).
const PG_ATTENDANCE: &str = "WITH current_marks AS ( \
       SELECT DISTINCT ON (m.patient_id, m.session_id) m.patient_id, m.minutes, \
              (s.starts_at AT TIME ZONE si.time_zone)::date AS day \
       FROM sessions s JOIN tracks t ON t.id = s.track_id JOIN sites si ON si.id = t.site_id \
            JOIN attendance_marks m ON m.session_id = s.id \
       WHERE s.organization_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 \
       ORDER BY m.patient_id, m.session_id, m.recorded_at DESC, m.id DESC), \
     per_patient AS ( \
       SELECT patient_id, SUM(minutes) AS minutes, COUNT(DISTINCT day) AS days FROM current_marks \
       WHERE minutes > 0 AND day BETWEEN $4 AND $5 GROUP BY patient_id) ";

/// Counts per track from `per_patient`; `LAST` is the week's Sunday, `TRACK_FILTER` limits
/// the tracks (SQLite: the zone's).
const COUNTS: &str = "SELECT t.id AS track_id, COUNT(e.id) AS active, \
       COALESCE(SUM(CASE WHEN e.admitted_on <= LAST THEN 1 ELSE 0 END), 0) AS measured, \
       COALESCE(SUM(CASE WHEN e.admitted_on <= LAST AND COALESCE(p.minutes, 0) >= t.target_minutes \
         AND COALESCE(p.days, 0) >= t.min_days THEN 1 ELSE 0 END), 0) AS met \
     FROM tracks t JOIN episodes e ON e.track_id = t.id AND e.organization_id = $1 AND e.status = 'active' \
       LEFT JOIN per_patient p ON p.patient_id = e.patient_id \
     WHERE t.organization_id = $1 TRACK_FILTER \
       AND NOT EXISTS (SELECT 1 FROM intensity_plans ip WHERE ip.episode_id = e.id) \
     GROUP BY t.id";

/// `$first, $first+1, ...` for `n` values, comma-separated.
fn list(first: usize, n: usize) -> String {
    crate::values_placeholders(first, 1, n).replace(['(', ')'], "")
}

/// Per track: active episodes without an intensity plan, how many were admitted by the end of
/// the week, and how many of those attended at least the track's minutes on at least its
/// number of local days. `monday` and `sunday` are the week's dates.
pub async fn list_week_compliance(
    db: &mut Db<'_>,
    organization_id: Uuid,
    zones: &[ZoneWeek],
    (monday, sunday): (Date, Date),
) -> Result<Vec<TrackWeek>> {
    let mut out = Vec::new();
    match db {
        Db::Sqlite(c) => {
            for zone in zones.iter().filter(|z| !z.track_ids.is_empty()) {
                let n = zone.track_ids.len();
                let sql = format!("{ZONE_ATTENDANCE}{COUNTS}")
                    .replace("TRACKS", &list(10, n))
                    .replace("PATIENTS", "")
                    .replace(
                        "TRACK_FILTER",
                        &format!("AND t.id IN ({})", list(11 + n, n)),
                    )
                    .replace("LAST", &format!("${}", 10 + n));
                let mut q =
                    sqlx::query_as::<_, TrackWeek>(sqlx::AssertSqlSafe(sql)).bind(organization_id);
                for midnight in zone.midnights {
                    q = q.bind(midnight);
                }
                for id in &zone.track_ids {
                    q = q.bind(*id);
                }
                q = q.bind(sunday);
                for id in &zone.track_ids {
                    q = q.bind(*id);
                }
                out.extend(q.fetch_all(&mut **c).await?);
            }
        }
        Db::Postgres(c) => {
            let Some((from, until)) = window(zones) else {
                return Ok(out);
            };
            let sql = format!("{PG_ATTENDANCE}{COUNTS}")
                .replace("TRACK_FILTER", "")
                .replace("LAST", "$5");
            out = sqlx::query_as::<_, TrackWeek>(sqlx::AssertSqlSafe(sql))
                .bind(organization_id)
                .bind(from)
                .bind(until)
                .bind(monday)
                .bind(sunday)
                .fetch_all(&mut **c)
                .await?;
        }
    }
    Ok(out)
}

/// The instants from the earliest zone's Monday to the latest zone's next Monday.
fn window(zones: &[ZoneWeek]) -> Option<(Instant, Instant)> {
    let from = zones.iter().map(|z| z.midnights[0]).min()?;
    let until = zones.iter().map(|z| z.midnights[7]).max()?;
    Some((from, until))
}

/// Minutes and local days attended in the week by each active episode with an intensity plan
/// (every such episode, attended or not), one zone at a time on both databases: plans are few.
pub async fn list_planned_week(
    db: &mut Db<'_>,
    organization_id: Uuid,
    zones: &[ZoneWeek],
) -> Result<Vec<PlannedWeek>> {
    let mut out = Vec::new();
    for zone in zones.iter().filter(|z| !z.track_ids.is_empty()) {
        let n = zone.track_ids.len();
        let sql = format!(
            "{ZONE_ATTENDANCE} \
             SELECT e.id AS episode_id, e.patient_id, e.track_id, e.admitted_on, \
               COALESCE(p.minutes, 0) AS minutes, COALESCE(p.days, 0) AS days \
             FROM episodes e LEFT JOIN per_patient p ON p.patient_id = e.patient_id \
             WHERE e.organization_id = $1 AND e.status = 'active' AND e.track_id IN (TRACKS) \
               AND EXISTS (SELECT 1 FROM intensity_plans ip WHERE ip.episode_id = e.id)"
        )
        .replace("TRACKS", &list(10, n))
        // Only the planned episodes' patients' marks are summed.
        .replace(
            "PATIENTS",
            "AND m.patient_id IN (SELECT pe.patient_id FROM episodes pe WHERE pe.organization_id = $1 \
               AND pe.status = 'active' AND EXISTS (SELECT 1 FROM intensity_plans pp WHERE pp.episode_id = pe.id))",
        );
        let lines = on_db!(db, |c| {
            let mut q = sqlx::query_as::<_, PlannedWeek>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(organization_id);
            for midnight in zone.midnights {
                q = q.bind(midnight);
            }
            for id in &zone.track_ids {
                q = q.bind(*id);
            }
            q.fetch_all(&mut **c).await
        })?;
        out.extend(lines);
    }
    Ok(out)
}
