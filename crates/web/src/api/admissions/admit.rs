//! Admitting from an inquiry: a patient (new or linked) and an episode, the three admission
//! acknowledgements, and the inquiry closed as admitted; likely duplicates answered 409.

use super::*;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConsentDates {
    pub treatment_consent: Option<String>,
    pub patient_rights: Option<String>,
    pub confidentiality_notice: Option<String>,
}

impl ConsentDates {
    fn get(&self, kind: ConsentKind) -> Option<&str> {
        match kind {
            ConsentKind::TreatmentConsent => self.treatment_consent.as_deref(),
            ConsentKind::PatientRights => self.patient_rights.as_deref(),
            ConsentKind::ConfidentialityNotice => self.confidentiality_notice.as_deref(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionBody {
    /// Link to this existing patient instead of registering a new one.
    pub patient_id: Option<String>,
    /// The new patient, when `patient_id` is absent.
    pub patient: Option<PatientBody>,
    pub track_id: String,
    pub admitted_on: String,
    /// The date each admission document was acknowledged; all three are required.
    pub consents: ConsentDates,
    /// Register a new patient although likely duplicates exist.
    #[serde(default)]
    pub allow_duplicate: bool,
}

#[derive(Serialize)]
pub struct AdmissionJson {
    pub patient_id: Uuid,
    pub episode_id: Uuid,
    pub inquiry: InquiryJson,
}

/// A 409 listing the likely duplicates, so the client can offer to link to one.
fn duplicate_conflict(found: Vec<Patient>) -> Response {
    let items: Vec<PatientJson> = found.into_iter().map(PatientJson::from).collect();
    let body = serde_json::json!({
        "type": "about:blank", "title": "Conflict", "status": 409,
        "detail": "Likely duplicates exist: link to one with patient_id, or send allow_duplicate: true.",
        "duplicates": items,
    });
    let mut response = (StatusCode::CONFLICT, Json(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// Why an admission did not happen.
pub enum AdmitError {
    Api(ApiError),
    /// Likely duplicates of the new patient exist; link to one or confirm.
    Duplicates(Vec<Patient>),
}

impl IntoResponse for AdmitError {
    fn into_response(self) -> Response {
        match self {
            AdmitError::Api(e) => e.into_response(),
            AdmitError::Duplicates(found) => duplicate_conflict(found),
        }
    }
}

/// Converts an inquiry into a patient (new or linked) and an episode, records the three
/// admission acknowledgements, and closes the inquiry as admitted.
pub async fn admit_inquiry(
    state: &AppState,
    caller: &Caller,
    id: InquiryId,
    body: &AdmissionBody,
) -> Result<(Uuid, Uuid, Inquiry), AdmitError> {
    let fail = AdmitError::Api;
    let (inquiry, _) = open_inquiry(state, caller, id, "inquiry.read")
        .await
        .map_err(fail)?;
    let stage = inquiry.current_stage().map_err(|e| fail(e.into()))?;
    if !stage.can_admit() {
        return Err(fail(
            Invalid::one(
                "",
                format!(
                    "an inquiry in stage {} cannot be admitted; screen or evaluate first",
                    stage.as_str()
                ),
            )
            .into(),
        ));
    }
    let dates = check_admission(state, caller, body).await.map_err(fail)?;
    let patient = admission_patient(state, caller, body).await?;
    let episode = crate::api::patients::admit(
        state,
        caller,
        PatientId::from_uuid(patient.id),
        &EpisodeBody {
            track_id: body.track_id.clone(),
            admitted_on: body.admitted_on.clone(),
        },
    )
    .await
    .map_err(fail)?;
    record_admission(
        state, caller, &inquiry, stage, patient.id, episode.id, &dates,
    )
    .await
    .map_err(fail)?;
    let inquiry = reload(state, caller, inquiry.id).await.map_err(fail)?;
    Ok((patient.id, episode.id, inquiry))
}

/// Everything an admission needs, checked before anything is written: the three
/// acknowledgements' dates (returned), a patient to link or register, the track, the date.
// Long: every check of an admission in one pass, so that all its field errors come back at once.
async fn check_admission(
    state: &AppState,
    caller: &Caller,
    body: &AdmissionBody,
) -> ApiResult<Vec<(ConsentKind, time::Date)>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut dates = Vec::new();
    for kind in ConsentKind::ALL {
        let field = format!("consents.{}", kind.as_str());
        match body.consents.get(kind).map(parse_date) {
            Some(Some(d)) => dates.push((kind, d)),
            Some(None) => errors.push(FieldError {
                field,
                message: "must be a valid date written YYYY-MM-DD".into(),
            }),
            None => errors.push(FieldError {
                field,
                message: "is required: the date the patient acknowledged it".into(),
            }),
        }
    }
    if body.patient_id.is_some() == body.patient.is_some() {
        errors.push(FieldError {
            field: "patient_id".into(),
            message: "send either patient_id (an existing patient) or patient (a new one)".into(),
        });
    }
    // Everything that can be checked is checked before anything is written.
    let track_ok = match openiop_core::id::parse_id(&body.track_id) {
        Some(track) => {
            let mut conn = state.store.read().await?;
            openiop_store::organization::find_track(&mut conn.db(), caller.organization_id, track)
                .await?
                .is_some()
        }
        None => false,
    };
    if !track_ok {
        errors.push(FieldError {
            field: "track_id".into(),
            message: "must name a track of this organization".into(),
        });
    }
    if parse_date(&body.admitted_on).is_none() {
        errors.push(FieldError {
            field: "admitted_on".into(),
            message: "must be a valid date written YYYY-MM-DD".into(),
        });
    }
    if let Some(new) = &body.patient {
        let form = openiop_core::patient::PatientForm {
            given_name: &new.given_name,
            family_name: &new.family_name,
            birth_date: &new.birth_date,
            preferred_name: new.preferred_name.as_deref(),
            pronouns: new.pronouns.as_deref(),
            phone: new.phone.as_deref(),
            email: new.email.as_deref(),
        };
        match openiop_core::patient::NewPatient::parse(&form, state.now().date()) {
            Ok(p) => {
                let today = state.now().date();
                let admission =
                    openiop_core::program::parse_admission(&body.admitted_on, p.birth_date, today);
                if admission.is_err() && parse_date(&body.admitted_on).is_some() {
                    errors.push(FieldError {
                        field: "admitted_on".into(),
                        message: "must be after the birth date and at most 90 days ahead".into(),
                    });
                }
            }
            Err(Invalid(list)) => errors.extend(list.into_iter().map(|e| FieldError {
                field: format!("patient.{}", e.field),
                ..e
            })),
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    Ok(dates)
}

/// The patient of an admission: linked, or registered after the duplicate check.
async fn admission_patient(
    state: &AppState,
    caller: &Caller,
    body: &AdmissionBody,
) -> Result<Patient, AdmitError> {
    let fail = AdmitError::Api;
    Ok(match (&body.patient_id, &body.patient) {
        (Some(existing), _) => open_patient(
            state,
            caller,
            existing.parse().map_err(|_| fail(ApiError::NotFound))?,
            Part::Admissions,
            Access::Write,
            "patient.link",
        )
        .await
        .map_err(fail)?,
        (None, Some(new)) => {
            if !body.allow_duplicate {
                let found = duplicates(
                    state,
                    caller,
                    &new.given_name,
                    &new.family_name,
                    &new.birth_date,
                )
                .await;
                match found {
                    Ok(found) if !found.is_empty() => return Err(AdmitError::Duplicates(found)),
                    Ok(_) => {}
                    Err(ApiError::Invalid(_)) => {} // reported by the registration below
                    Err(e) => return Err(fail(e)),
                }
            }
            crate::api::patients::register(state, caller, new)
                .await
                .map_err(fail)?
        }
        (None, None) => return Err(fail(ApiError::NotFound)),
    })
}

/// Writes the admission: the acknowledgements, the inquiry closed as admitted with its move,
/// and the audit event, in one transaction.
async fn record_admission(
    state: &AppState,
    caller: &Caller,
    inquiry: &Inquiry,
    stage: Stage,
    patient_id: Uuid,
    episode_id: Uuid,
    dates: &[(ConsentKind, time::Date)],
) -> ApiResult<()> {
    let now = state.now();
    let at = Instant::new(now);
    {
        let mut tx = state.store.begin().await?;
        for (kind, on) in dates {
            let consent = Acknowledgement {
                id: openiop_core::id::new_id(),
                patient_id,
                episode_id: Some(episode_id),
                kind: kind.as_str().into(),
                acknowledged_on: *on,
                recorded_by: caller.user_id,
                recorded_at: at,
            };
            records::insert_consent(&mut tx.db(), caller.organization_id, &consent).await?;
        }
        inquiries::set_admitted(
            &mut tx.db(),
            caller.organization_id,
            inquiry.id,
            patient_id,
            episode_id,
        )
        .await?;
        inquiries::set_stage(
            &mut tx.db(),
            caller.organization_id,
            inquiry.id,
            Stage::Admitted.as_str(),
            at,
        )
        .await?;
        inquiries::insert_move(
            &mut tx.db(),
            caller.organization_id,
            inquiry.id,
            at,
            Some(caller.user_id),
            Some(stage.as_str()),
            Stage::Admitted.as_str(),
            None,
        )
        .await?;
        let event = EventBuilder::for_caller(caller)
            .action("inquiry.admit", format!("inquiries/{}", inquiry.id))
            .patient(patient_id)
            .detail(format!("episode={}", episode_id));
        tx.audit(event.build(now)).await?;
        tx.commit().await?;
    }
    Ok(())
}

pub async fn post_admission(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<InquiryId>,
    ApiJson(body): ApiJson<AdmissionBody>,
) -> Response {
    match admit_inquiry(&state, &caller, id, &body).await {
        Ok((patient_id, episode_id, inquiry)) => (
            StatusCode::CREATED,
            Json(AdmissionJson {
                patient_id,
                episode_id,
                inquiry: InquiryJson::from_row(inquiry, None),
            }),
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}
