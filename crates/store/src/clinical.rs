//! The clinical record's first parts: assessments (instrument results), crisis alerts and
//! placement decisions.

use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

/// A stored assessment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Assessment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Option<Uuid>,
    pub code: String,
    /// JSON array of points.
    pub answers: String,
    pub sex: Option<String>,
    /// 0 for instruments without a total (those with `subscales`).
    pub total: i32,
    /// Empty for instruments without a band.
    pub band: String,
    /// JSON array of flag codes.
    pub flags: String,
    /// JSON object of subscale sums, for instruments read by subscales (the BAM).
    pub subscales: Option<String>,
    pub administered_by: Uuid,
    pub administered_at: Instant,
}

pub async fn insert_assessment(
    db: &mut Db<'_>,
    organization_id: Uuid,
    a: &Assessment,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO assessments (id, organization_id, patient_id, episode_id, code, answers, sex, total, band, flags, \
             subscales, administered_by, administered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(a.id)
        .bind(organization_id)
        .bind(a.patient_id)
        .bind(a.episode_id)
        .bind(&a.code)
        .bind(&a.answers)
        .bind(&a.sex)
        .bind(a.total)
        .bind(&a.band)
        .bind(&a.flags)
        .bind(&a.subscales)
        .bind(a.administered_by)
        .bind(a.administered_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A patient's assessments, newest first, optionally of one instrument.
pub async fn list_assessments(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    code: Option<&str>,
    limit: u32,
) -> Result<Vec<Assessment>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Assessment>(
            "SELECT id, patient_id, episode_id, code, answers, sex, total, band, flags, subscales, administered_by, administered_at \
             FROM assessments WHERE organization_id = $5 AND patient_id = $1 AND ($2 = 0 OR code = $3) \
             ORDER BY administered_at DESC, id DESC LIMIT $4",
        )
        .bind(patient_id)
        .bind(i32::from(code.is_some()))
        .bind(code.unwrap_or(""))
        .bind(i64::from(limit))
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// The newest administration of each instrument for each patient of an organization.
pub async fn list_latest_administrations(
    db: &mut Db<'_>,
    organization_id: Uuid,
) -> Result<Vec<(Uuid, String, Instant)>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, (Uuid, String, Instant)>(
            "SELECT patient_id, code, MAX(administered_at) FROM assessments WHERE organization_id = $1 \
             GROUP BY patient_id, code",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// A crisis alert raised by an assessment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Alert {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub assessment_id: Option<Uuid>,
    pub kind: String,
    pub flags: String,
    pub raised_at: Instant,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<Instant>,
    pub action: Option<String>,
    pub note: Option<String>,
}

pub async fn insert_alert(db: &mut Db<'_>, organization_id: Uuid, alert: &Alert) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO alerts (id, organization_id, patient_id, assessment_id, kind, flags, raised_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(alert.id)
        .bind(organization_id)
        .bind(alert.patient_id)
        .bind(alert.assessment_id)
        .bind(&alert.kind)
        .bind(&alert.flags)
        .bind(alert.raised_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find_alert(db: &mut Db<'_>, organization_id: Uuid, id: Uuid) -> Result<Option<Alert>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Alert>(
            "SELECT a.id, a.patient_id, a.assessment_id, a.kind, a.flags, a.raised_at, a.acknowledged_by, a.acknowledged_at, \
             a.action, a.note FROM alerts a WHERE a.organization_id = $1 AND a.id = $2",
        )
        .bind(organization_id)
        .bind(id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

/// Alerts of one patient, newest first.
pub async fn list_alerts(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Alert>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Alert>(
            "SELECT a.id, a.patient_id, a.assessment_id, a.kind, a.flags, a.raised_at, a.acknowledged_by, a.acknowledged_at, \
             a.action, a.note FROM alerts a WHERE organization_id = $2 AND a.patient_id = $1 ORDER BY a.raised_at DESC, a.id DESC",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Open (unacknowledged) alerts in an organization, for patients a user reaches: all of
/// them (`care_team_of` = None) or those on the user's care team.
pub async fn list_open_alerts(
    db: &mut Db<'_>,
    organization_id: Uuid,
    care_team_of: Option<Uuid>,
) -> Result<Vec<Alert>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Alert>(
            "SELECT a.id, a.patient_id, a.assessment_id, a.kind, a.flags, a.raised_at, a.acknowledged_by, a.acknowledged_at, \
             a.action, a.note FROM alerts a WHERE a.organization_id = $1 AND a.acknowledged_at IS NULL \
             AND ($2 = 0 OR a.patient_id IN (SELECT patient_id FROM care_team_members WHERE user_id = $3)) \
             ORDER BY a.raised_at DESC, a.id DESC",
        )
        .bind(organization_id)
        .bind(i32::from(care_team_of.is_some()))
        .bind(care_team_of.unwrap_or(Uuid::nil()))
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Acknowledges an open alert; false when it was already acknowledged.
pub async fn acknowledge_alert(
    db: &mut Db<'_>,
    organization_id: Uuid,
    id: Uuid,
    by: Uuid,
    at: Instant,
    action: &str,
    note: Option<&str>,
) -> Result<bool> {
    let changed = on_db!(db, |c| {
        sqlx::query(
            "UPDATE alerts SET acknowledged_by = $1, acknowledged_at = $2, action = $3, note = $4 \
             WHERE organization_id = $6 AND id = $5 AND acknowledged_at IS NULL",
        )
        .bind(by)
        .bind(at)
        .bind(action)
        .bind(note)
        .bind(id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(changed == 1)
}

/// A placement decision on an episode.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Placement {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    /// JSON of the placement input.
    pub input: String,
    pub recommended_level: String,
    /// JSON arrays of codes.
    pub reasons: String,
    pub supports: String,
    pub policy_edition: String,
    pub policy_version: String,
    pub decided_level: String,
    pub override_reason: Option<String>,
    pub decided_by: Uuid,
    pub decided_at: Instant,
}

pub async fn insert_placement(db: &mut Db<'_>, organization_id: Uuid, p: &Placement) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO placements (id, organization_id, patient_id, episode_id, input, recommended_level, reasons, supports, \
             policy_edition, policy_version, decided_level, override_reason, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(p.id)
        .bind(organization_id)
        .bind(p.patient_id)
        .bind(p.episode_id)
        .bind(&p.input)
        .bind(&p.recommended_level)
        .bind(&p.reasons)
        .bind(&p.supports)
        .bind(&p.policy_edition)
        .bind(&p.policy_version)
        .bind(&p.decided_level)
        .bind(&p.override_reason)
        .bind(p.decided_by)
        .bind(p.decided_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// An episode's placements, newest first.
pub async fn list_placements(
    db: &mut Db<'_>,
    organization_id: Uuid,
    episode_id: Uuid,
) -> Result<Vec<Placement>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Placement>(
            "SELECT id, patient_id, episode_id, input, recommended_level, reasons, supports, policy_edition, policy_version, \
             decided_level, override_reason, decided_by, decided_at FROM placements WHERE organization_id = $2 AND episode_id = $1 \
             ORDER BY decided_at DESC, id DESC",
        )
        .bind(episode_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

crate::json_columns!(Assessment, "assessments", id, {
    /// The answers, in item order.
    answers: answers -> Vec<i64>;
    /// The flags raised (for example item 9 of the PHQ-9).
    flags: flags -> Vec<String>;
    /// Subscale scores, for instruments scored by subscale.
    subscales: subscales "nullable" -> std::collections::BTreeMap<String, u32>;
});

crate::json_columns!(Alert, "alerts", id, {
    /// The flags that raised the alert.
    flags: flags -> Vec<String>;
});

crate::json_columns!(Placement, "placements", id, {
    /// The reasons the recommendation gave.
    reasons: reasons -> Vec<String>;
    /// The supports the decision named.
    supports: supports -> Vec<String>;
});
