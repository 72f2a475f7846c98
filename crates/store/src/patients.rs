//! Patients, episodes of care and care teams.

use openiop_core::access::Relationship;
use openiop_core::patient::NewPatient;
use openiop_core::program::EpisodeStatus;
use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, StoreError, like_pattern, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Patient {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub name_key: String,
    pub birth_date: Date,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub created_at: Instant,
    /// Set when this record was merged into another (it is kept, not deleted).
    pub merged_into: Option<Uuid>,
}

macro_rules! patient_columns {
    () => {
        "id, organization_id, given_name, family_name, name_key, birth_date, preferred_name, pronouns, phone, email, created_at, merged_into"
    };
}

pub async fn insert_patient(
    db: &mut Db<'_>,
    organization_id: Uuid,
    p: &NewPatient,
    now: Instant,
) -> Result<Patient> {
    let id = openiop_core::id::new_id();
    let name_key = p.name_key();
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO patients (id, organization_id, given_name, family_name, name_key, birth_date, preferred_name, pronouns, phone, email, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(&p.given_name)
        .bind(&p.family_name)
        .bind(&name_key)
        .bind(p.birth_date)
        .bind(&p.preferred_name)
        .bind(&p.pronouns)
        .bind(&p.phone)
        .bind(&p.email)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(Patient {
        id,
        organization_id,
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        name_key,
        birth_date: p.birth_date,
        preferred_name: p.preferred_name.clone(),
        pronouns: p.pronouns.clone(),
        phone: p.phone.clone(),
        email: p.email.clone(),
        created_at: now,
        merged_into: None,
    })
}

pub async fn find_patient(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<Patient>> {
    let sql = concat!(
        "SELECT ",
        patient_columns!(),
        " FROM patients WHERE organization_id = $1 AND id = $2"
    );
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Patient>(sql)
            .bind(organization_id)
            .bind(id)
            .fetch_optional(&mut **c)
            .await
    })?)
}

pub async fn count_patients(db: &mut Db<'_>, organization_id: Uuid) -> Result<i64> {
    Ok(on_db!(db, |c| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM patients WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_one(&mut **c)
            .await
    })?)
}

pub use openiop_core::access::Reach;

/// A page of a patient search.
#[derive(Debug, Clone)]
pub struct PatientPage {
    pub items: Vec<Patient>,
    /// The `(name_key, id)` of the last item, when more may follow.
    pub next: Option<(String, Uuid)>,
}

/// Searches patients by a case-insensitive substring of either name, in name order, paged
/// by `(name_key, id)`. `needle` must already be folded with [`openiop_core::patient::fold`].
pub async fn search_patients(
    db: &mut Db<'_>,
    organization_id: Uuid,
    reach: Reach,
    needle: &str,
    after: Option<(&str, Uuid)>,
    limit: u32,
) -> Result<PatientPage> {
    let (scope, scope_id) = match reach {
        Reach::Organization => (0_i32, Uuid::nil()),
        Reach::RelatedTo(user) => (1, user),
        Reach::Only(patient) => (2, patient),
        Reach::CareTeamOf(user) => (3, user),
    };
    let (after_key, after_id) = after.unwrap_or(("", Uuid::nil()));
    let sql = concat!(
        "SELECT ",
        patient_columns!(),
        " FROM patients p WHERE p.organization_id = $1 \
         AND ($2 = 0 \
              OR ($2 IN (1, 3) AND p.id IN (SELECT patient_id FROM care_team_members WHERE user_id = $3)) \
              OR ($2 = 1 AND p.id IN (SELECT e.patient_id FROM session_enrollments e JOIN sessions s ON s.id = e.session_id \
                                      WHERE s.facilitator_id = $3)) \
              OR ($2 = 2 AND p.id = $3)) \
         AND p.merged_into IS NULL \
         AND p.name_key LIKE $4 ESCAPE '\\' \
         AND ($5 = 0 OR p.name_key > $6 OR (p.name_key = $6 AND p.id > $7)) \
         ORDER BY p.name_key, p.id LIMIT $8"
    );
    let fetch = i64::from(limit) + 1;
    let mut items = on_db!(db, |c| {
        sqlx::query_as::<_, Patient>(sql)
            .bind(organization_id)
            .bind(scope)
            .bind(scope_id)
            .bind(like_pattern(needle))
            .bind(i32::from(after.is_some()))
            .bind(after_key)
            .bind(after_id)
            .bind(fetch)
            .fetch_all(&mut **c)
            .await
    })?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|p| (p.name_key.clone(), p.id))
    } else {
        None
    };
    Ok(PatientPage { items, next })
}

/// The ids of the patients a reach covers, for filtering lists in one query; `None` for the
/// whole organization (no filter needed).
pub async fn list_reached_ids(
    db: &mut Db<'_>,
    organization_id: Uuid,
    reach: Reach,
) -> Result<Option<std::collections::BTreeSet<Uuid>>> {
    let (scope, scope_id) = match reach {
        Reach::Organization => return Ok(None),
        Reach::RelatedTo(user) => (1_i32, user),
        Reach::Only(patient) => return Ok(Some([patient].into_iter().collect())),
        Reach::CareTeamOf(user) => (3, user),
    };
    let ids = on_db!(db, |c| {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT p.id FROM patients p WHERE p.organization_id = $1 \
             AND (p.id IN (SELECT patient_id FROM care_team_members WHERE user_id = $3) \
                  OR ($2 = 1 AND p.id IN (SELECT e.patient_id FROM session_enrollments e JOIN sessions s ON s.id = e.session_id \
                                          WHERE s.facilitator_id = $3)))",
        )
        .bind(organization_id)
        .bind(scope)
        .bind(scope_id)
        .fetch_all(&mut **c)
        .await
    })?;
    Ok(Some(ids.into_iter().collect()))
}

/// How a user stands to a patient (for the access policy).
pub async fn find_relationship(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    user_patient_id: Option<Uuid>,
    patient_id: Uuid,
    now: Instant,
) -> Result<Relationship> {
    if user_patient_id == Some(patient_id) {
        return Ok(Relationship::Myself);
    }
    // One round trip for every relationship: this runs on every patient read.
    let (on_team, facilitating, emergency): (i64, i64, i64) = on_db!(db, |c| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM care_team_members WHERE user_id = $1 AND patient_id = $2 \
                     AND organization_id = $4), \
                    (SELECT COUNT(*) FROM session_enrollments e JOIN sessions s ON s.id = e.session_id \
                     WHERE e.patient_id = $2 AND s.facilitator_id = $1 AND e.organization_id = $4), \
                    (SELECT COUNT(*) FROM emergency_access WHERE user_id = $1 AND patient_id = $2 AND expires_at > $3 \
                     AND organization_id = $4)",
        )
        .bind(user_id)
        .bind(patient_id)
        .bind(now)
        .bind(organization_id)
        .fetch_one(&mut **c)
        .await
    })?;
    Ok(if on_team > 0 {
        Relationship::CareTeam
    } else if facilitating > 0 {
        Relationship::Facilitator
    } else if emergency > 0 {
        Relationship::Emergency
    } else {
        Relationship::None
    })
}

/// How a user stands to each of several patients, in three queries whatever their number
/// (for operations over many patients, which ask the policy for each). Patients the user has
/// no relationship with are answered [`Relationship::None`].
pub async fn list_relationships(
    db: &mut Db<'_>,
    organization_id: Uuid,
    user_id: Uuid,
    user_patient_id: Option<Uuid>,
    patient_ids: &[Uuid],
    now: Instant,
) -> Result<std::collections::BTreeMap<Uuid, Relationship>> {
    // Every patient the user relates to, with how (1 care team, 2 facilitator, 3 broken
    // glass): one round trip, bounded by the user's caseload, not by `patient_ids`.
    let rows: Vec<(Uuid, i32)> = on_db!(db, |c| {
        sqlx::query_as(
            "SELECT patient_id, 1 FROM care_team_members WHERE user_id = $1 AND organization_id = $3 \
             UNION ALL SELECT e.patient_id, 2 FROM session_enrollments e \
             JOIN sessions s ON s.id = e.session_id WHERE s.facilitator_id = $1 AND e.organization_id = $3 \
             UNION ALL SELECT patient_id, 3 FROM emergency_access \
             WHERE user_id = $1 AND expires_at > $2 AND organization_id = $3",
        )
        .bind(user_id)
        .bind(now)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    // The closest relationship wins, as in `relationship`.
    let mut how: std::collections::BTreeMap<Uuid, i32> = std::collections::BTreeMap::new();
    for (patient, kind) in rows {
        let slot = how.entry(patient).or_insert(kind);
        *slot = (*slot).min(kind);
    }
    Ok(patient_ids
        .iter()
        .map(|id| {
            let rel = if user_patient_id == Some(*id) {
                Relationship::Myself
            } else {
                match how.get(id) {
                    Some(1) => Relationship::CareTeam,
                    Some(2) => Relationship::Facilitator,
                    Some(3) => Relationship::Emergency,
                    _ => Relationship::None,
                }
            };
            (*id, rel)
        })
        .collect())
}

/// Several patients of an organization at once (for lists, without N+1 queries).
pub async fn find_patients(
    db: &mut Db<'_>,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Patient>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {} FROM patients WHERE organization_id = $1 AND id IN ({})",
        patient_columns!(),
        placeholders.join(", ")
    );
    Ok(on_db!(db, |c| {
        let mut q =
            sqlx::query_as::<_, Patient>(sqlx::AssertSqlSafe(sql.clone())).bind(organization_id);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut **c).await
    })?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TeamMember {
    pub user_id: Uuid,
    pub username: String,
    pub role: String,
}

pub async fn list_care_team(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<TeamMember>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, TeamMember>(
            "SELECT u.id AS user_id, u.username, u.role FROM care_team_members m \
             JOIN users u ON u.id = m.user_id WHERE m.patient_id = $1 AND m.organization_id = $2 ORDER BY u.username",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Adds one member (no-op if already there).
pub async fn add_to_care_team(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    user_id: Uuid,
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO care_team_members (organization_id, patient_id, user_id, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (patient_id, user_id) DO NOTHING",
        )
        .bind(organization_id)
        .bind(patient_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Replaces the care team with exactly `user_ids`.
pub async fn set_care_team(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    user_ids: &[Uuid],
    now: Instant,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("DELETE FROM care_team_members WHERE patient_id = $1 AND organization_id = $2")
            .bind(patient_id)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    for user_id in user_ids {
        add_to_care_team(db, organization_id, patient_id, *user_id, now).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct EpisodeRow {
    id: Uuid,
    patient_id: Uuid,
    track_id: Uuid,
    track_name: String,
    level: String,
    status: String,
    admitted_on: Date,
    discharged_on: Option<Date>,
}

/// An episode of care: one admission of a patient to a track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub track_id: Uuid,
    pub track_name: String,
    pub level: String,
    pub status: EpisodeStatus,
    pub admitted_on: Date,
    pub discharged_on: Option<Date>,
}

impl TryFrom<EpisodeRow> for Episode {
    type Error = StoreError;
    fn try_from(r: EpisodeRow) -> Result<Episode> {
        let status = EpisodeStatus::parse(&r.status).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode("bad episode status".into()))
        })?;
        Ok(Episode {
            id: r.id,
            patient_id: r.patient_id,
            track_id: r.track_id,
            track_name: r.track_name,
            level: r.level,
            status,
            admitted_on: r.admitted_on,
            discharged_on: r.discharged_on,
        })
    }
}

pub async fn insert_episode(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    track_id: Uuid,
    admitted_on: Date,
    now: Instant,
) -> Result<Uuid> {
    let id = openiop_core::id::new_id();
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO episodes (id, organization_id, patient_id, track_id, status, admitted_on, created_at) \
             VALUES ($1, $2, $3, $4, 'active', $5, $6)",
        )
        .bind(id)
        .bind(organization_id)
        .bind(patient_id)
        .bind(track_id)
        .bind(admitted_on)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(id)
}

/// Ends an episode (used by demo data now; the transitions issue adds the workflow).
pub async fn discharge_episode(
    db: &mut Db<'_>,
    organization_id: Uuid,
    episode_id: Uuid,
    on: Date,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query("UPDATE episodes SET status = 'discharged', discharged_on = $1 WHERE organization_id = $3 AND id = $2")
            .bind(on)
            .bind(episode_id)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_episodes(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Episode>> {
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, EpisodeRow>(
            "SELECT e.id, e.patient_id, e.track_id, t.name AS track_name, t.level, e.status, e.admitted_on, e.discharged_on \
             FROM episodes e JOIN tracks t ON t.id = e.track_id WHERE e.patient_id = $1 AND e.organization_id = $2 ORDER BY e.admitted_on DESC, e.id DESC",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    rows.into_iter().map(Episode::try_from).collect()
}

/// The active episodes of several patients at once (for lists, without N+1 queries).
pub async fn list_active_episodes_of(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_ids: &[Uuid],
) -> Result<Vec<Episode>> {
    if patient_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (2..=patient_ids.len() + 1)
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "SELECT e.id, e.patient_id, e.track_id, t.name AS track_name, t.level, e.status, e.admitted_on, e.discharged_on \
         FROM episodes e JOIN tracks t ON t.id = e.track_id WHERE e.organization_id = $1 AND e.status = 'active' \
         AND e.patient_id IN ({}) \
         ORDER BY e.admitted_on DESC",
        placeholders.join(", ")
    );
    let rows = on_db!(db, |c| {
        let mut q =
            sqlx::query_as::<_, EpisodeRow>(sqlx::AssertSqlSafe(sql.clone())).bind(organization_id);
        for id in patient_ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut **c).await
    })?;
    rows.into_iter().map(Episode::try_from).collect()
}

/// Patients of an organization born on a date (candidates for the duplicate check), except
/// merged records.
pub async fn list_born_on(
    db: &mut Db<'_>,
    organization_id: Uuid,
    birth_date: Date,
) -> Result<Vec<Patient>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Patient>(concat!(
            "SELECT ",
            patient_columns!(),
            " FROM patients WHERE organization_id = $1 AND birth_date = $2 AND merged_into IS NULL ORDER BY name_key, id"
        ))
        .bind(organization_id)
        .bind(birth_date)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Merges `duplicate` into `survivor`: every record that names the duplicate moves to the
/// survivor; the duplicate's row stays, marked `merged_into`, so its audit events still
/// resolve. Runs inside the caller's transaction.
/// Every table with a `patient_id` that [`merge`] carries over to the survivor (a test checks
/// the schema has no other, so a new patient table cannot be left behind by a merge).
pub const MERGED_TABLES: &[&str] = &[
    "alerts",
    "amendment_requests",
    "assessments",
    "attendance_marks",
    "availability_windows",
    "breach_patients",
    "calendar_feeds",
    "care_documents",
    "care_team_members",
    "check_ins",
    "consents",
    "crisis_events",
    "diagnoses",
    "disclosures",
    "drug_tests",
    "emergency_access",
    "emergency_disclosures",
    "episodes",
    "inquiries",
    "medical_evaluations",
    "medications",
    "notes",
    "notifications",
    "part2_consents",
    "patient_contacts",
    "placement_reviews",
    "placements",
    "session_enrollments",
    "testing_draws",
    "treatment_plans",
    "users",
];

pub async fn merge(
    db: &mut Db<'_>,
    organization_id: Uuid,
    survivor: Uuid,
    duplicate: Uuid,
) -> Result<()> {
    // Care documents keep their history: the duplicate's versions follow the survivor's,
    // per kind (the offsets are read first, so both databases number them alike).
    let offsets: Vec<(String, i32)> = on_db!(db, |c| {
        sqlx::query_as::<_, (String, i32)>(
            "SELECT kind, MAX(version) FROM care_documents WHERE patient_id = $1 AND organization_id = $2 \
             GROUP BY kind",
        )
        .bind(survivor)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    for (kind, offset) in &offsets {
        on_db!(db, |c| {
            sqlx::query(
                "UPDATE care_documents SET version = version + $1 WHERE patient_id = $2 AND kind = $3 \
                 AND organization_id = $4",
            )
            .bind(*offset)
            .bind(duplicate)
            .bind(kind)
            .bind(organization_id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    for sql in [
        "UPDATE episodes SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE assessments SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE alerts SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE placements SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE consents SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE medical_evaluations SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE diagnoses SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE inquiries SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE users SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE medications SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE drug_tests SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE care_documents SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE attendance_marks SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE calendar_feeds SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE notes SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE treatment_plans SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE check_ins SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE crisis_events SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE placement_reviews SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE notifications SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE emergency_access SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE part2_consents SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE disclosures SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE emergency_disclosures SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE amendment_requests SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE patient_contacts SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3",
        // A breach that reached both records counts the accesses of both on the survivor.
        "UPDATE breach_patients SET accesses = accesses + COALESCE((SELECT d.accesses FROM breach_patients d \
         WHERE d.patient_id = $2 AND d.breach_id = breach_patients.breach_id), 0) WHERE patient_id = $1 \
         AND organization_id = $3",
        "INSERT INTO breach_patients (organization_id, breach_id, patient_id, accesses, notified_at) \
         SELECT organization_id, breach_id, $1, accesses, notified_at FROM breach_patients d WHERE d.patient_id = $2 \
         AND d.organization_id = $3 AND NOT EXISTS (SELECT 1 FROM breach_patients s WHERE s.patient_id = $1 AND s.breach_id = d.breach_id)",
        "DELETE FROM breach_patients WHERE patient_id = $2 AND organization_id = $3",
        // Rows keyed by patient move where the survivor has none of the same key; the rest
        // stay on the merged record (kept, and pointing to the survivor), never deleted.
        "UPDATE testing_draws SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3 \
         AND week NOT IN (SELECT s.week FROM testing_draws s WHERE s.patient_id = $1)",
        "UPDATE availability_windows SET patient_id = $1 WHERE patient_id = $2 AND organization_id = $3 \
         AND NOT EXISTS (SELECT 1 FROM availability_windows s WHERE s.patient_id = $1 \
             AND s.weekday = availability_windows.weekday AND s.start_minute = availability_windows.start_minute)",
        // Enrollments and care-team members of the duplicate join the survivor's once.
        "INSERT INTO session_enrollments (organization_id, session_id, patient_id, enrolled_at) \
         SELECT organization_id, session_id, $1, enrolled_at FROM session_enrollments d WHERE d.patient_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM session_enrollments s WHERE s.patient_id = $1 AND s.session_id = d.session_id)",
        "DELETE FROM session_enrollments WHERE patient_id = $2 AND organization_id = $3",
        "INSERT INTO care_team_members (organization_id, patient_id, user_id, added_at) \
         SELECT organization_id, $1, user_id, added_at FROM care_team_members d WHERE d.patient_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM care_team_members s WHERE s.patient_id = $1 AND s.user_id = d.user_id)",
        "DELETE FROM care_team_members WHERE patient_id = $2 AND organization_id = $3",
        "UPDATE patients SET merged_into = $1 WHERE id = $2",
    ] {
        // Statements that name the organization take it as their third parameter.
        let scoped = sql.contains("$3");
        on_db!(db, |c| {
            let query = sqlx::query(sql).bind(survivor).bind(duplicate);
            let query = if scoped {
                query.bind(organization_id)
            } else {
                query
            };
            query.execute(&mut **c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Every active episode of an organization (the program's census), oldest admission first.
pub async fn list_active_episodes(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Episode>> {
    let rows = on_db!(db, |c| {
        sqlx::query_as::<_, EpisodeRow>(
            "SELECT e.id, e.patient_id, e.track_id, t.name AS track_name, t.level, e.status, e.admitted_on, e.discharged_on \
             FROM episodes e JOIN tracks t ON t.id = e.track_id WHERE e.organization_id = $1 AND e.status = 'active' \
             ORDER BY e.admitted_on, e.id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    rows.into_iter().map(Episode::try_from).collect()
}

/// One line of the program census: a track and how many active episodes it holds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CensusLine {
    pub track_id: Uuid,
    pub name: String,
    pub level: String,
    pub active: i64,
}

/// The program census: active episodes per track (every track, empty ones included).
pub async fn count_census(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<CensusLine>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, CensusLine>(
            "SELECT t.id AS track_id, t.name, t.level, COUNT(e.id) AS active FROM tracks t \
             LEFT JOIN episodes e ON e.track_id = t.id AND e.status = 'active' AND e.organization_id = $1 \
             WHERE t.organization_id = $1 GROUP BY t.id, t.name, t.level ORDER BY t.name, t.id",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Recomputes every patient's stored matching key with `key_of(family, given)`, once: the
/// upgrade is recorded under `upgrade` and skipped afterwards. Returns how many keys changed
/// (`None` when the upgrade had run before).
pub async fn rekey_names(
    db: &mut Db<'_>,
    upgrade: &str,
    key_of: impl Fn(&str, &str) -> String,
    now: Instant,
) -> Result<Option<u64>> {
    let done: i64 = on_db!(db, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM applied_upgrades WHERE name = $1")
            .bind(upgrade)
            .fetch_one(&mut **c)
            .await
    })?;
    if done > 0 {
        return Ok(None);
    }
    let rows: Vec<(Uuid, String, String, String)> = on_db!(db, |c| {
        sqlx::query_as("SELECT id, family_name, given_name, name_key FROM patients")
            .fetch_all(&mut **c)
            .await
    })?;
    let mut changed = 0;
    for (id, family, given, stored) in rows {
        let key = key_of(&family, &given);
        if key != stored {
            on_db!(db, |c| {
                sqlx::query("UPDATE patients SET name_key = $1 WHERE id = $2")
                    .bind(&key)
                    .bind(id)
                    .execute(&mut **c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            changed += 1;
        }
    }
    on_db!(db, |c| {
        sqlx::query("INSERT INTO applied_upgrades (name, applied_at) VALUES ($1, $2)")
            .bind(upgrade)
            .bind(now)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(Some(changed))
}
