//! Medications, drug test panels, drug and alcohol tests with their results, and the
//! recorded random testing draws.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Medication {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub name: String,
    pub dose: String,
    pub prescriber: Option<String>,
    pub started_on: Date,
    pub stopped_on: Option<Date>,
    pub mat: bool,
    pub naloxone_on_hand: bool,
    pub adherence_note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

pub async fn insert_medication(
    db: &mut Db<'_>,
    organization_id: Uuid,
    m: &Medication,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO medications (id, organization_id, patient_id, name, dose, prescriber, started_on, stopped_on, mat, \
             naloxone_on_hand, adherence_note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(m.id)
        .bind(organization_id)
        .bind(m.patient_id)
        .bind(&m.name)
        .bind(&m.dose)
        .bind(&m.prescriber)
        .bind(m.started_on)
        .bind(m.stopped_on)
        .bind(m.mat)
        .bind(m.naloxone_on_hand)
        .bind(&m.adherence_note)
        .bind(m.recorded_by)
        .bind(m.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_medications(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Medication>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Medication>(
            "SELECT id, patient_id, name, dose, prescriber, started_on, stopped_on, mat, naloxone_on_hand, adherence_note, \
             recorded_by, recorded_at FROM medications WHERE organization_id = $2 AND patient_id = $1 ORDER BY started_on, id",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// Stops a medication (and records an adherence note); false when there is no such
/// medication of the patient.
pub async fn stop_medication(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    id: Uuid,
    stopped_on: Date,
    note: Option<&str>,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE medications SET stopped_on = $1, adherence_note = COALESCE($2, adherence_note) WHERE organization_id = $5 AND id = $3 AND patient_id = $4",
        )
        .bind(stopped_on)
        .bind(note)
        .bind(id)
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Panel {
    pub id: Uuid,
    pub name: String,
    /// JSON array of analyte codes.
    pub analytes: String,
}

pub async fn insert_panel(db: &mut Db<'_>, organization_id: Uuid, p: &Panel) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO drug_panels (id, organization_id, name, analytes) VALUES ($1, $2, $3, $4)",
        )
        .bind(p.id)
        .bind(organization_id)
        .bind(&p.name)
        .bind(&p.analytes)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_panels(db: &mut Db<'_>, organization_id: Uuid) -> Result<Vec<Panel>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Panel>(
            "SELECT id, name, analytes FROM drug_panels WHERE organization_id = $1 ORDER BY name",
        )
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DrugTest {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub specimen: String,
    pub observed: bool,
    pub collected_at: Instant,
    pub source: String,
    pub panel: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TestResult {
    pub test_id: Uuid,
    pub analyte: String,
    pub outcome: String,
    pub level: Option<String>,
    pub flag: Option<String>,
    pub presumptive: bool,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<Instant>,
    pub review: Option<String>,
    pub review_reason: Option<String>,
}

pub async fn insert_test(
    db: &mut Db<'_>,
    organization_id: Uuid,
    t: &DrugTest,
    results: &[TestResult],
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO drug_tests (id, organization_id, patient_id, specimen, observed, collected_at, source, panel, recorded_by, \
             recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.id)
        .bind(organization_id)
        .bind(t.patient_id)
        .bind(&t.specimen)
        .bind(t.observed)
        .bind(t.collected_at)
        .bind(&t.source)
        .bind(&t.panel)
        .bind(t.recorded_by)
        .bind(t.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    for r in results {
        on_db!(db, |c| {
            sqlx::query(
                "INSERT INTO drug_test_results (test_id, analyte, outcome, level, flag, presumptive) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(r.test_id)
            .bind(&r.analyte)
            .bind(&r.outcome)
            .bind(&r.level)
            .bind(&r.flag)
            .bind(r.presumptive)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// A patient's tests, newest first, with their results.
pub async fn list_tests(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<(DrugTest, Vec<TestResult>)>> {
    let tests = on_db!(db, |c| {
        sqlx::query_as::<_, DrugTest>(
            "SELECT id, patient_id, specimen, observed, collected_at, source, panel, recorded_by, recorded_at FROM drug_tests \
             WHERE patient_id = $1 AND organization_id = $2 ORDER BY collected_at DESC, id DESC",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    let results = on_db!(db, |c| {
        sqlx::query_as::<_, TestResult>(
            "SELECT r.test_id, r.analyte, r.outcome, r.level, r.flag, r.presumptive, r.reviewed_by, r.reviewed_at, r.review, \
             r.review_reason FROM drug_test_results r JOIN drug_tests t ON t.id = r.test_id WHERE t.patient_id = $1 \
             AND t.organization_id = $2 ORDER BY r.test_id, r.analyte",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?;
    Ok(tests
        .into_iter()
        .map(|t| {
            let mine = results
                .iter()
                .filter(|r| r.test_id == t.id)
                .cloned()
                .collect();
            (t, mine)
        })
        .collect())
}

/// Records a clinician's review of one result (`confirmed` or `false_positive`); false when
/// the test has no such analyte for this patient.
#[allow(clippy::too_many_arguments)]
pub async fn review_result(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    test_id: Uuid,
    analyte: &str,
    review: &str,
    reason: Option<&str>,
    by: Uuid,
    at: Instant,
) -> Result<bool> {
    let n = on_db!(db, |c| {
        sqlx::query(
            "UPDATE drug_test_results SET review = $1, review_reason = $2, reviewed_by = $3, reviewed_at = $4 \
             WHERE test_id = $5 AND analyte = $6 \
             AND test_id IN (SELECT id FROM drug_tests WHERE patient_id = $7 AND organization_id = $8)",
        )
        .bind(review)
        .bind(reason)
        .bind(by)
        .bind(at)
        .bind(test_id)
        .bind(analyte)
        .bind(patient_id)
        .bind(organization_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Draw {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub week: String,
    pub seed: i64,
    /// JSON array of weekdays (0 = Monday).
    pub days: String,
    pub drawn_by: Uuid,
    pub drawn_at: Instant,
}

pub async fn insert_draw(db: &mut Db<'_>, organization_id: Uuid, d: &Draw) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO testing_draws (id, organization_id, patient_id, week, seed, days, drawn_by, drawn_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(d.id)
        .bind(organization_id)
        .bind(d.patient_id)
        .bind(&d.week)
        .bind(d.seed)
        .bind(&d.days)
        .bind(d.drawn_by)
        .bind(d.drawn_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find_draw(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    week: &str,
) -> Result<Option<Draw>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Draw>(
            "SELECT id, patient_id, week, seed, days, drawn_by, drawn_at FROM testing_draws WHERE organization_id = $3 AND patient_id = $1 AND week = $2",
        )
        .bind(patient_id)
        .bind(week)
        .bind(organization_id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

crate::json_columns!(Panel, "drug_panels", id, {
    /// The panel's analyte codes.
    analyte_codes: analytes -> Vec<String>;
});

crate::json_columns!(Draw, "testing_draws", id, {
    /// The drawn days (0 = Monday).
    drawn_days: days -> Vec<u8>;
});

crate::enum_columns!(TestResult, "drug_test_results", test_id, analyte; {
    /// What the test found for this analyte.
    result: outcome -> openiop_core::monitoring::Outcome;
});

impl TestResult {
    /// The flag the result raised, if any.
    pub fn raised_flag(&self) -> Result<Option<openiop_core::monitoring::Flag>> {
        self.flag
            .as_deref()
            .map(|text| {
                openiop_core::monitoring::Flag::parse(text).ok_or_else(|| {
                    crate::StoreError::Corrupt(format!(
                        "drug_test_results {}/{}: flag: unknown value {text:?}",
                        self.test_id, self.analyte
                    ))
                })
            })
            .transpose()
    }
}
