//! Admission paperwork (consents), medical evaluations and coded diagnoses.

use time::Date;
use uuid::Uuid;

use crate::{Db, Instant, Result, on_db};

/// An admission acknowledgement the patient signed (treatment agreement, program rules and
/// the like; `consents` table). Not a Part 2 consent to disclose (`consents::Part2Consent`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Acknowledgement {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Option<Uuid>,
    pub kind: String,
    pub acknowledged_on: Date,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

pub async fn insert_consent(
    db: &mut Db<'_>,
    organization_id: Uuid,
    c: &Acknowledgement,
) -> Result<()> {
    on_db!(db, |conn| {
        sqlx::query(
            "INSERT INTO consents (id, organization_id, patient_id, episode_id, kind, acknowledged_on, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id)
        .bind(organization_id)
        .bind(c.patient_id)
        .bind(c.episode_id)
        .bind(&c.kind)
        .bind(c.acknowledged_on)
        .bind(c.recorded_by)
        .bind(c.recorded_at)
        .execute(&mut **conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_acknowledgements(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Acknowledgement>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Acknowledgement>(
            "SELECT id, patient_id, episode_id, kind, acknowledged_on, recorded_by, recorded_at FROM consents \
             WHERE organization_id = $2 AND patient_id = $1 ORDER BY acknowledged_on DESC, recorded_at DESC, id",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MedicalEvaluation {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Option<Uuid>,
    pub evaluated_at: Instant,
    pub clinician_id: Uuid,
    pub systolic: Option<i32>,
    pub diastolic: Option<i32>,
    pub pulse: Option<i32>,
    pub respiration: Option<i32>,
    pub temperature_c: Option<f64>,
    pub spo2: Option<i32>,
    pub weight_kg: Option<f64>,
    pub medical_history: Option<String>,
    pub current_medications: Option<String>,
    pub allergies: Option<String>,
    pub pregnancy: String,
    pub withdrawal_assessment_id: Option<Uuid>,
    pub medically_cleared: bool,
    pub notes: Option<String>,
}

pub async fn insert_medical_evaluation(
    db: &mut Db<'_>,
    organization_id: Uuid,
    m: &MedicalEvaluation,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO medical_evaluations (id, organization_id, patient_id, episode_id, evaluated_at, clinician_id, systolic, \
             diastolic, pulse, respiration, temperature_c, spo2, weight_kg, medical_history, current_medications, allergies, \
             pregnancy, withdrawal_assessment_id, medically_cleared, notes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(m.id)
        .bind(organization_id)
        .bind(m.patient_id)
        .bind(m.episode_id)
        .bind(m.evaluated_at)
        .bind(m.clinician_id)
        .bind(m.systolic)
        .bind(m.diastolic)
        .bind(m.pulse)
        .bind(m.respiration)
        .bind(m.temperature_c)
        .bind(m.spo2)
        .bind(m.weight_kg)
        .bind(&m.medical_history)
        .bind(&m.current_medications)
        .bind(&m.allergies)
        .bind(&m.pregnancy)
        .bind(m.withdrawal_assessment_id)
        .bind(m.medically_cleared)
        .bind(&m.notes)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_medical_evaluations(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<MedicalEvaluation>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, MedicalEvaluation>(
            "SELECT id, patient_id, episode_id, evaluated_at, clinician_id, systolic, diastolic, pulse, respiration, temperature_c, \
             spo2, weight_kg, medical_history, current_medications, allergies, pregnancy, withdrawal_assessment_id, \
             medically_cleared, notes FROM medical_evaluations WHERE organization_id = $2 AND patient_id = $1 ORDER BY evaluated_at DESC, id DESC",
        )
        .bind(patient_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Diagnosis {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub code: String,
    pub description: String,
    pub is_primary: bool,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

/// Adds a diagnosis; a new primary diagnosis makes the episode's others secondary.
pub async fn insert_diagnosis(db: &mut Db<'_>, organization_id: Uuid, d: &Diagnosis) -> Result<()> {
    if d.is_primary {
        on_db!(db, |c| {
            sqlx::query(
                "UPDATE diagnoses SET is_primary = $1 WHERE episode_id = $2 AND organization_id = $3",
            )
            .bind(false)
            .bind(d.episode_id)
            .bind(organization_id)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO diagnoses (id, organization_id, patient_id, episode_id, code, description, is_primary, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(d.id)
        .bind(organization_id)
        .bind(d.patient_id)
        .bind(d.episode_id)
        .bind(&d.code)
        .bind(&d.description)
        .bind(d.is_primary)
        .bind(d.recorded_by)
        .bind(d.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn list_diagnoses(
    db: &mut Db<'_>,
    organization_id: Uuid,
    episode_id: Uuid,
) -> Result<Vec<Diagnosis>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, Diagnosis>(
            "SELECT id, patient_id, episode_id, code, description, is_primary, recorded_by, recorded_at FROM diagnoses \
             WHERE organization_id = $2 AND episode_id = $1 ORDER BY is_primary DESC, recorded_at, id",
        )
        .bind(episode_id)
        .bind(organization_id)
        .fetch_all(&mut **c)
        .await
    })?)
}

/// A version of a patient's care document (safety plan, relapse-prevention plan).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CareDocument {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: String,
    pub version: i32,
    pub body: String,
    pub recorded_by: Uuid,
    pub recorded_at: Instant,
}

/// Saves the next version of a document; the (patient, kind, version) key makes two
/// concurrent saves of the same version fail rather than both win.
pub async fn insert_document(
    db: &mut Db<'_>,
    organization_id: Uuid,
    d: &CareDocument,
) -> Result<()> {
    on_db!(db, |c| {
        sqlx::query(
            "INSERT INTO care_documents (id, organization_id, patient_id, kind, version, body, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(d.id)
        .bind(organization_id)
        .bind(d.patient_id)
        .bind(&d.kind)
        .bind(d.version)
        .bind(&d.body)
        .bind(d.recorded_by)
        .bind(d.recorded_at)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn find_current_document(
    db: &mut Db<'_>,
    organization_id: Uuid,
    patient_id: Uuid,
    kind: &str,
) -> Result<Option<CareDocument>> {
    Ok(on_db!(db, |c| {
        sqlx::query_as::<_, CareDocument>(
            "SELECT id, patient_id, kind, version, body, recorded_by, recorded_at FROM care_documents \
             WHERE organization_id = $3 AND patient_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1",
        )
        .bind(patient_id)
        .bind(kind)
        .bind(organization_id)
        .fetch_optional(&mut **c)
        .await
    })?)
}

impl CareDocument {
    /// The document as written (a safety plan, a relapse prevention plan).
    pub fn document<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        crate::json_column("care_documents", self.id, "body", &self.body)
    }
}

crate::enum_columns!(Acknowledgement, "consents", id; {
    /// What the patient acknowledged at admission.
    acknowledgement: kind -> openiop_core::admissions::ConsentKind;
});
