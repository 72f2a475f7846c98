//! The admission records about a patient: acknowledgements, the medical evaluation,
//! coded diagnoses and SUD severity, and merging a duplicate record.

use super::*;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    #[schemars(extend("enum" = crate::routes::names(ConsentKind::ALL, ConsentKind::as_str)))]
    pub kind: String,
    #[schemars(extend("format" = "date"))]
    pub acknowledged_on: String,
    #[schemars(with = "Option<uuid::Uuid>")]
    pub episode_id: Option<String>,
}

#[derive(Serialize)]
pub struct ConsentJson {
    pub id: Uuid,
    pub kind: String,
    pub acknowledged_on: String,
    pub episode_id: Option<Uuid>,
    pub recorded_by: Uuid,
}

impl From<Acknowledgement> for ConsentJson {
    fn from(c: Acknowledgement) -> Self {
        ConsentJson {
            id: c.id,
            kind: c.kind,
            acknowledged_on: format_date(c.acknowledged_on),
            episode_id: c.episode_id,
            recorded_by: c.recorded_by,
        }
    }
}

pub async fn post_consent(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<ConsentBody>,
) -> ApiResult<(StatusCode, Json<ConsentJson>)> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Admissions,
        Access::Write,
        "consent.create",
    )
    .await?;
    let mut check = Check::new();
    let kind = ConsentKind::parse(&body.kind);
    if kind.is_none() {
        check.fail(
            "kind",
            "must be treatment_consent, patient_rights or confidentiality_notice",
        );
    }
    let on = check.date("acknowledged_on", &body.acknowledged_on);
    let episode_id = match body.episode_id.as_deref() {
        Some(text) => {
            let mut conn = state.store.read().await?;
            let episodes =
                store_patients::list_episodes(&mut conn.db(), patient.organization_id, patient.id)
                    .await?;
            let id =
                openiop_core::id::parse_id(text).filter(|i| episodes.iter().any(|e| e.id == *i));
            if id.is_none() {
                check.fail("episode_id", "must name an episode of this patient");
            }
            id
        }
        None => None,
    };
    let (kind, on) = check.finish(|| Some((kind?, on?)))?;
    let now = state.now();
    let consent = Acknowledgement {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        episode_id,
        kind: kind.as_str().into(),
        acknowledged_on: on,
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    records::insert_consent(&mut tx.db(), caller.organization_id, &consent).await?;
    let event = EventBuilder::for_caller(&caller)
        .action(
            "consent.create",
            format!("patients/{}/consents/{}", patient.id, consent.id),
        )
        .patient(patient.id)
        .detail(kind.as_str());
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(consent.into())))
}

pub async fn list_consents(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<ConsentJson>>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Admissions,
        Access::Read,
        "consent.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let rows =
        records::list_acknowledgements(&mut conn.db(), caller.organization_id, patient.id).await?;
    Ok(Json(ListPage::whole(
        rows.into_iter().map(ConsentJson::from).collect(),
    )))
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct VitalsBody {
    pub systolic: Option<i64>,
    pub diastolic: Option<i64>,
    pub pulse: Option<i64>,
    pub respiration: Option<i64>,
    pub temperature_c: Option<f64>,
    pub spo2: Option<i64>,
    pub weight_kg: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicalEvaluationBody {
    #[serde(default)]
    pub vitals: VitalsBody,
    pub medical_history: Option<String>,
    pub current_medications: Option<String>,
    pub allergies: Option<String>,
    pub pregnancy: String,
    /// A CIWA-Ar or COWS assessment of this patient.
    pub withdrawal_assessment_id: Option<String>,
    pub medically_cleared: bool,
    pub notes: Option<String>,
}

#[derive(Serialize)]
pub struct MedicalEvaluationJson {
    pub id: Uuid,
    pub episode_id: Option<Uuid>,
    pub evaluated_at: String,
    pub clinician_id: Uuid,
    pub vitals: VitalsBody,
    pub medical_history: Option<String>,
    pub current_medications: Option<String>,
    pub allergies: Option<String>,
    pub pregnancy: String,
    pub withdrawal_assessment_id: Option<Uuid>,
    pub medically_cleared: bool,
    pub notes: Option<String>,
}

impl From<MedicalEvaluation> for MedicalEvaluationJson {
    fn from(m: MedicalEvaluation) -> Self {
        MedicalEvaluationJson {
            id: m.id,
            episode_id: m.episode_id,
            evaluated_at: rfc3339(m.evaluated_at),
            clinician_id: m.clinician_id,
            vitals: VitalsBody {
                systolic: m.systolic.map(i64::from),
                diastolic: m.diastolic.map(i64::from),
                pulse: m.pulse.map(i64::from),
                respiration: m.respiration.map(i64::from),
                temperature_c: m.temperature_c,
                spo2: m.spo2.map(i64::from),
                weight_kg: m.weight_kg,
            },
            medical_history: m.medical_history,
            current_medications: m.current_medications,
            allergies: m.allergies,
            pregnancy: m.pregnancy,
            withdrawal_assessment_id: m.withdrawal_assessment_id,
            medically_cleared: m.medically_cleared,
            notes: m.notes,
        }
    }
}

fn vital(
    check: &mut Check,
    field: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i32> {
    let v = value?;
    if range.contains(&v) {
        i32::try_from(v).ok()
    } else {
        check.fail(
            field,
            format!("must be from {} to {}", range.start(), range.end()),
        );
        None
    }
}

fn measure(check: &mut Check, field: &str, value: Option<f64>, low: f64, high: f64) -> Option<f64> {
    let v = value?;
    if v.is_finite() && (low..=high).contains(&v) {
        Some(v)
    } else {
        check.fail(field, format!("must be from {low} to {high}"));
        None
    }
}

/// Records a medical evaluation (the clinician is the caller).
/// Records a medical evaluation (the clinician is the caller).
pub async fn record_medical_evaluation(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &MedicalEvaluationBody,
) -> ApiResult<MedicalEvaluation> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Medications,
        Access::Write,
        "medical_evaluation.create",
    )
    .await?;
    let mut check = Check::new();
    let v = &body.vitals;
    let systolic = vital(&mut check, "vitals.systolic", v.systolic, 50..=260);
    let diastolic = vital(&mut check, "vitals.diastolic", v.diastolic, 20..=180);
    let pulse = vital(&mut check, "vitals.pulse", v.pulse, 20..=250);
    let respiration = vital(&mut check, "vitals.respiration", v.respiration, 4..=60);
    let spo2 = vital(&mut check, "vitals.spo2", v.spo2, 50..=100);
    let temperature_c = measure(
        &mut check,
        "vitals.temperature_c",
        v.temperature_c,
        30.0,
        45.0,
    );
    let weight_kg = measure(&mut check, "vitals.weight_kg", v.weight_kg, 1.0, 400.0);
    let text = |check: &mut Check, f: &str, t: &Option<String>| {
        check.optional_text(f, t.as_deref(), 5000).flatten()
    };
    let medical_history = text(&mut check, "medical_history", &body.medical_history);
    let current_medications = text(&mut check, "current_medications", &body.current_medications);
    let allergies = text(&mut check, "allergies", &body.allergies);
    let notes = text(&mut check, "notes", &body.notes);
    if !["not_applicable", "no", "yes", "unknown"].contains(&body.pregnancy.as_str()) {
        check.fail("pregnancy", "must be not_applicable, no, yes or unknown");
    }
    let mut conn = state.store.read().await?;
    let withdrawal_assessment_id = match body.withdrawal_assessment_id.as_deref() {
        Some(text) => {
            let found = openiop_store::clinical::list_assessments(
                &mut conn.db(),
                caller.organization_id,
                patient.id,
                None,
                1000,
            )
            .await?;
            let id = openiop_core::id::parse_id(text).filter(|i| {
                found
                    .iter()
                    .any(|a| a.id == *i && (a.code == "ciwaar" || a.code == "cows"))
            });
            if id.is_none() {
                check.fail(
                    "withdrawal_assessment_id",
                    "must name a CIWA-Ar or COWS assessment of this patient",
                );
            }
            id
        }
        None => None,
    };
    let episodes =
        store_patients::list_episodes(&mut conn.db(), patient.organization_id, patient.id).await?;
    drop(conn);
    check.finish(|| Some(()))?;
    let now = state.now();
    let row = MedicalEvaluation {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        episode_id: episodes
            .iter()
            .find(|e| e.status == openiop_core::program::EpisodeStatus::Active)
            .map(|e| e.id),
        evaluated_at: Instant::new(now),
        clinician_id: caller.user_id,
        systolic,
        diastolic,
        pulse,
        respiration,
        temperature_c,
        spo2,
        weight_kg,
        medical_history,
        current_medications,
        allergies,
        pregnancy: body.pregnancy.clone(),
        withdrawal_assessment_id,
        medically_cleared: body.medically_cleared,
        notes,
    };
    let mut tx = state.store.begin().await?;
    records::insert_medical_evaluation(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "medical_evaluation.create",
            format!("patients/{}/medical-evaluations/{}", patient.id, row.id),
        )
        .patient(patient.id)
        .detail(format!("cleared={}", row.medically_cleared));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(row)
}

/// `POST /api/v1/patients/{id}/medical-evaluations`
pub async fn post_medical_evaluation(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<MedicalEvaluationBody>,
) -> ApiResult<(StatusCode, Json<MedicalEvaluationJson>)> {
    let row = record_medical_evaluation(&state, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

pub async fn list_medical_evaluations(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<ListPage<MedicalEvaluationJson>>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Medications,
        Access::Read,
        "medical_evaluation.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let rows =
        records::list_medical_evaluations(&mut conn.db(), caller.organization_id, patient.id)
            .await?;
    Ok(Json(ListPage::whole(
        rows.into_iter().map(MedicalEvaluationJson::from).collect(),
    )))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisBody {
    /// An ICD-10-CM code.
    #[schemars(extend("pattern" = r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"))]
    pub code: String,
    pub description: String,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Serialize)]
pub struct DiagnosisJson {
    pub id: Uuid,
    pub episode_id: Uuid,
    pub code: String,
    pub description: String,
    pub primary: bool,
    pub recorded_by: Uuid,
    pub recorded_at: String,
}

impl From<Diagnosis> for DiagnosisJson {
    fn from(d: Diagnosis) -> Self {
        DiagnosisJson {
            id: d.id,
            episode_id: d.episode_id,
            code: d.code,
            description: d.description,
            primary: d.is_primary,
            recorded_by: d.recorded_by,
            recorded_at: rfc3339(d.recorded_at),
        }
    }
}

/// The episode of this patient that `episode_id` names (404 otherwise).
pub(crate) async fn episode_of(
    state: &AppState,
    patient: &Patient,
    episode_id: EpisodeId,
) -> ApiResult<Uuid> {
    let mut conn = state.store.read().await?;
    let episodes =
        store_patients::list_episodes(&mut conn.db(), patient.organization_id, patient.id).await?;
    episodes
        .iter()
        .find(|e| episode_id == e.id)
        .map(|e| e.id)
        .ok_or(ApiError::NotFound)
}

/// Adds a coded diagnosis to an episode.
pub async fn record_diagnosis(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    episode_id: EpisodeId,
    body: &DiagnosisBody,
) -> ApiResult<Diagnosis> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Diagnoses,
        Access::Write,
        "diagnosis.create",
    )
    .await?;
    let episode = episode_of(state, &patient, episode_id).await?;
    let mut check = Check::new();
    let code = body.code.trim().to_uppercase();
    if !diagnosis::is_icd10cm(&code) {
        check.fail("code", "must be an ICD-10-CM code such as F11.20");
    }
    let description = check.text("description", &body.description, 300);
    let description = check.finish(|| description)?;
    let now = state.now();
    let row = Diagnosis {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        episode_id: episode,
        code,
        description,
        is_primary: body.primary,
        recorded_by: caller.user_id,
        recorded_at: Instant::new(now),
    };
    let mut tx = state.store.begin().await?;
    records::insert_diagnosis(&mut tx.db(), caller.organization_id, &row).await?;
    let event = EventBuilder::for_caller(caller)
        .action(
            "diagnosis.create",
            format!(
                "patients/{}/episodes/{episode}/diagnoses/{}",
                patient.id, row.id
            ),
        )
        .patient(patient.id)
        .detail(row.code.clone());
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(row)
}

/// `POST /api/v1/patients/{id}/episodes/{episode_id}/diagnoses`
pub async fn post_diagnosis(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
    ApiJson(body): ApiJson<DiagnosisBody>,
) -> ApiResult<(StatusCode, Json<DiagnosisJson>)> {
    let row = record_diagnosis(&state, &caller, id, episode_id, &body).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

pub async fn list_diagnoses(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, episode_id)): Ids<(PatientId, EpisodeId)>,
) -> ApiResult<Json<ListPage<DiagnosisJson>>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Diagnoses,
        Access::Read,
        "diagnosis.list",
    )
    .await?;
    let episode = episode_of(&state, &patient, episode_id).await?;
    let mut conn = state.store.read().await?;
    let rows = records::list_diagnoses(&mut conn.db(), caller.organization_id, episode).await?;
    Ok(Json(ListPage::whole(
        rows.into_iter().map(DiagnosisJson::from).collect(),
    )))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SudBody {
    pub substance: String,
    /// The eleven DSM-5 criteria, in the manual's order.
    #[schemars(length(min = 11, max = 11))]
    pub criteria: Vec<bool>,
}

/// `POST /api/v1/sud-severity`: the DSM-5 checklist for one substance (pure).
pub async fn post_sud_severity(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SudBody>,
) -> ApiResult<Json<serde_json::Value>> {
    require(
        &state,
        &caller,
        Action::UseClinicalTools,
        "diagnosis.sud_severity",
    )
    .await?;
    let mut check = Check::new();
    let substance = check.text("substance", &body.substance, 60);
    if body.criteria.len() != diagnosis::SUD_CRITERIA.len() {
        check.fail(
            "criteria",
            format!(
                "needs exactly {} answers, one per criterion",
                diagnosis::SUD_CRITERIA.len()
            ),
        );
    }
    let substance = check.finish(|| substance)?;
    let met = body.criteria.iter().filter(|c| **c).count();
    Ok(Json(
        serde_json::json!({"substance": substance, "criteria_met": met, "severity": diagnosis::sud_severity(met).as_str()}),
    ))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    #[schemars(with = "uuid::Uuid")]
    pub duplicate_id: String,
}

/// Folds a duplicate record into `id` (admins).
pub async fn merge_into(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    duplicate_id: &str,
) -> ApiResult<Patient> {
    require(state, caller, Action::MergePatients, "patient.merge").await?;
    let survivor = open_patient(
        state,
        caller,
        id,
        Part::Demographics,
        Access::Write,
        "patient.merge",
    )
    .await?;
    let duplicate_id = crate::api::body_id("duplicate_id", duplicate_id)?;
    let mut conn = state.store.read().await?;
    let duplicate =
        store_patients::find_patient(&mut conn.db(), caller.organization_id, duplicate_id).await?;
    drop(conn);
    let duplicate = match duplicate {
        Some(d) if d.id != survivor.id && d.merged_into.is_none() => d,
        _ => {
            return Err(Invalid::one(
                "duplicate_id",
                "must name another, unmerged patient of this organization",
            )
            .into());
        }
    };
    if survivor.merged_into.is_some() {
        return Err(Invalid::one("", "this record was itself merged into another").into());
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    store_patients::merge(
        &mut tx.db(),
        caller.organization_id,
        survivor.id,
        duplicate.id,
    )
    .await?;
    for (patient, role) in [(survivor.id, "survivor"), (duplicate.id, "merged")] {
        let event = EventBuilder::for_caller(caller)
            .action("patient.merge", format!("patients/{}", survivor.id))
            .patient(patient)
            .detail(format!(
                "{role}; duplicate={} survivor={}",
                duplicate.id, survivor.id
            ));
        tx.audit(event.build(now)).await?;
    }
    tx.commit().await?;
    Ok(survivor)
}

/// `POST /api/v1/patients/{id}/merge` (admins): folds a duplicate record into this one.
pub async fn post_merge(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<MergeBody>,
) -> ApiResult<Json<PatientJson>> {
    Ok(Json(
        merge_into(&state, &caller, id, &body.duplicate_id)
            .await?
            .into(),
    ))
}
