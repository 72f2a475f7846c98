//! Signing a note, the supervisor's co-signature, and who must co-sign.

use super::*;

/// Signs a draft: every section filled; the author's supervisor becomes the co-signer when
/// the program requires co-signatures. The note is locked from then on.
pub async fn sign(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    note_id: NoteId,
) -> ApiResult<NoteJson> {
    let (patient, note, addenda) =
        open_note(state, caller, id, note_id, Access::Write, "note.sign").await?;
    only_author(caller, &note)?;
    if note.signed_at.is_some() {
        return Err(locked());
    }
    let sections = note.sections()?;
    check_sections(format_of(&note)?, &sections, true)?;
    let cosigner =
        required_cosigner(state, caller.organization_id, patient.id, caller.user_id).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::sign_note(
        &mut tx.db(),
        caller.organization_id,
        note.id,
        cosigner,
        Instant::new(now),
    )
    .await?
    {
        return Err(locked());
    }
    let event = note_event(caller, "note.sign", &note);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    let signed = Note {
        signed_at: Some(Instant::new(now)),
        updated_at: Instant::new(now),
        cosigner_id: cosigner,
        ..note
    };
    NoteJson::new(&signed, &addenda)
}

/// The supervisor who must co-sign what `author` signs for this patient, if any.
pub(super) async fn required_cosigner(
    state: &AppState,
    organization_id: Uuid,
    patient_id: Uuid,
    author: Uuid,
) -> ApiResult<Option<Uuid>> {
    let settings =
        crate::api::config::settings_of_patient(state, organization_id, patient_id).await?;
    cosigner_under(state, organization_id, &settings, author).await
}

/// The co-signer of each attendee's copy, in `attendees` order: the settings of each program
/// the attendees are active in are read once, the author's supervisor at most once.
pub(super) async fn attendee_cosigners(
    state: &AppState,
    caller: &Caller,
    attendees: &[Uuid],
) -> ApiResult<Vec<Option<Uuid>>> {
    let mut conn = state.store.read().await?;
    let episodes = openiop_store::patients::list_active_episodes_of(
        &mut conn.db(),
        caller.organization_id,
        attendees,
    )
    .await?;
    drop(conn);
    let mut by_track: std::collections::BTreeMap<Uuid, Option<Uuid>> = Default::default();
    let mut out = Vec::with_capacity(attendees.len());
    for patient in attendees {
        let episode = episodes.iter().find(|e| e.patient_id == *patient);
        let cosigner = match episode {
            None => {
                cosigner_under(
                    state,
                    caller.organization_id,
                    &Default::default(),
                    caller.user_id,
                )
                .await?
            }
            Some(e) => match by_track.get(&e.track_id) {
                Some(c) => *c,
                None => {
                    let settings =
                        crate::api::config::settings_for(state, caller.organization_id, Some(e.id))
                            .await?;
                    let c =
                        cosigner_under(state, caller.organization_id, &settings, caller.user_id)
                            .await?;
                    by_track.insert(e.track_id, c);
                    c
                }
            },
        };
        out.push(cosigner);
    }
    Ok(out)
}

/// The supervisor who must co-sign what `author` signs under a program's settings, if any
/// (notes and treatment plans).
pub(crate) async fn cosigner_under(
    state: &AppState,
    organization_id: Uuid,
    settings: &openiop_core::settings::Settings,
    author: Uuid,
) -> ApiResult<Option<Uuid>> {
    if !settings.cosignature_required {
        return Ok(None);
    }
    let mut conn = state.store.read().await?;
    let supervisor = store::find_supervisor(&mut conn.db(), organization_id, author).await?;
    Ok(notes::cosigner(settings.cosignature_required, supervisor))
}

/// `POST /api/v1/patients/{id}/notes/{note_id}/sign`
pub async fn post_sign(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, note_id)): Ids<(PatientId, NoteId)>,
) -> ApiResult<Json<NoteJson>> {
    Ok(Json(sign(&state, &caller, id, note_id).await?))
}

/// Co-signs a signed note: only the supervisor it names, once.
pub async fn cosign(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    note_id: NoteId,
) -> ApiResult<NoteJson> {
    let (_, note, addenda) =
        open_note(state, caller, id, note_id, Access::Write, "note.cosign").await?;
    if status(&note) != NoteStatus::AwaitingCosignature {
        return Err(ApiError::Conflict(
            "the note is not awaiting a co-signature".into(),
        ));
    }
    if note.cosigner_id != Some(caller.user_id) {
        return Err(ApiError::Forbidden);
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::cosign_note(
        &mut tx.db(),
        caller.organization_id,
        note.id,
        caller.user_id,
        Instant::new(now),
    )
    .await?
    {
        return Err(ApiError::Conflict(
            "the note is not awaiting a co-signature".into(),
        ));
    }
    let event = note_event(caller, "note.cosign", &note);
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    let cosigned = Note {
        cosigned_at: Some(Instant::new(now)),
        ..note
    };
    NoteJson::new(&cosigned, &addenda)
}

/// `POST /api/v1/patients/{id}/notes/{note_id}/cosign`
pub async fn post_cosign(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, note_id)): Ids<(PatientId, NoteId)>,
) -> ApiResult<Json<NoteJson>> {
    Ok(Json(cosign(&state, &caller, id, note_id).await?))
}
