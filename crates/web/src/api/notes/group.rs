//! Group notes: one narrative per group session, a copy per attendee, signed together.

use super::*;

/// Session kinds documented by one group note.
pub fn is_group_session(kind: &str) -> bool {
    SessionKind::parse(kind).is_some_and(SessionKind::is_group)
}

/// One attendee as the group note shows them.
#[derive(Debug, Clone, Serialize)]
pub struct AttendeeJson {
    pub patient_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupNoteJson {
    pub session_id: Uuid,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    /// `new` (nothing saved yet: prefilled from attendance), `draft` or `signed`.
    pub status: &'static str,
    pub author_id: Option<Uuid>,
    pub signed_at: Option<String>,
    /// Everyone marked present, late or left early; absent members get no note.
    pub attendees: Vec<AttendeeJson>,
    pub note: GroupNote,
    /// After signing: each attendee's note.
    pub notes: Vec<SignedCopy>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignedCopy {
    pub patient_id: Uuid,
    pub note_id: Uuid,
}

/// A group session's note is written by its facilitator (or an admin).
async fn open_group_session(
    state: &AppState,
    caller: &Caller,
    id: SessionId,
    action: &str,
) -> ApiResult<Session> {
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    let session = store_sessions::find_session(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let allowed = decide(
        caller.role,
        Action::WriteGroupNote,
        crate::api::facilitation(caller, session.facilitator_id),
    )
    .is_allowed();
    if !allowed {
        require(state, caller, Action::Configure, action).await?;
    }
    if !is_group_session(&session.kind) {
        return Err(ApiError::Conflict(
            "this session is an appointment: write its note on the patient's chart".into(),
        ));
    }
    Ok(session)
}

/// The session's attendees (current mark present, late or left early), in roster order:
/// only those whose notes the policy lets the caller read or write (`access`), asked for each.
async fn attendees(
    state: &AppState,
    caller: &Caller,
    session: &Session,
    access: Access,
) -> ApiResult<Vec<AttendeeJson>> {
    let mut conn = state.store.read().await?;
    let lines =
        store_sessions::list_roster(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    let ids: Vec<Uuid> = lines.iter().map(|l| l.patient_id).collect();
    let permitted = permitted_patients(state, caller, Part::Notes, access, &ids).await?;
    Ok(lines
        .into_iter()
        .filter(|l| permitted.contains(&l.patient_id))
        .filter_map(|l| {
            let status = l.status.as_deref().and_then(Status::parse)?;
            status.attended().then(|| AttendeeJson {
                patient_id: l.patient_id,
                given_name: l.given_name,
                family_name: l.family_name,
                status: status.as_str().to_owned(),
            })
        })
        .collect())
}

fn audit_each(
    caller: &Caller,
    action: &str,
    session: &Session,
    patients: &[Uuid],
    now: OffsetDateTime,
) -> Vec<openiop_core::audit::Event> {
    patients
        .iter()
        .map(|p| {
            EventBuilder::for_caller(caller)
                .action(action, format!("sessions/{}/group-note", session.id))
                .patient(*p)
                .build(now)
        })
        .collect()
}

/// Reads a session's group note, or a new one prefilled from the session and its
/// attendance. One audit event per attendee shown.
pub async fn group_note(
    state: &AppState,
    caller: &Caller,
    id: SessionId,
) -> ApiResult<GroupNoteJson> {
    let session = open_group_session(state, caller, id, "group_note.read").await?;
    let people = attendees(state, caller, &session, Access::Read).await?;
    let mut conn = state.store.read().await?;
    let stored = store::find_group_note(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    let ids: Vec<Uuid> = people.iter().map(|a| a.patient_id).collect();
    let now = state.now();
    state
        .store
        .record(audit_each(caller, "group_note.read", &session, &ids, now))
        .await?;
    let json = match stored {
        None => GroupNoteJson {
            session_id: session.id,
            title: session.title.clone(),
            starts_at: rfc3339(session.starts_at),
            ends_at: rfc3339(session.ends_at),
            status: "new",
            author_id: None,
            signed_at: None,
            note: GroupNote::prefilled(
                session.topic.as_deref().unwrap_or(&session.title),
                &session.modality.as_deref().unwrap_or("").to_uppercase(),
                &ids,
            ),
            attendees: people,
            notes: Vec::new(),
        },
        Some(g) => {
            let note = g.note()?;
            let mut conn = state.store.read().await?;
            let notes = store::list_copies(&mut conn.db(), caller.organization_id, g.id)
                .await?
                .into_iter()
                .map(|(patient_id, note_id)| SignedCopy {
                    patient_id,
                    note_id,
                })
                .collect();
            GroupNoteJson {
                session_id: session.id,
                title: session.title.clone(),
                starts_at: rfc3339(session.starts_at),
                ends_at: rfc3339(session.ends_at),
                status: if g.signed_at.is_some() {
                    "signed"
                } else {
                    "draft"
                },
                author_id: Some(g.author_id),
                signed_at: g.signed_at.map(rfc3339),
                note,
                attendees: people,
                notes,
            }
        }
    };
    Ok(json)
}

/// `GET /api/v1/sessions/{id}/group-note`
pub async fn get_group_note(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
) -> ApiResult<Json<GroupNoteJson>> {
    Ok(Json(group_note(&state, &caller, id).await?))
}

/// Saves a group note, and signs it when `sign` is set: one signed note per attendee, each
/// holding the shared narrative and that attendee's lines only, in one transaction.
pub async fn save_group_note(
    state: &AppState,
    caller: &Caller,
    id: SessionId,
    body: &GroupNote,
    sign: bool,
) -> ApiResult<GroupNoteJson> {
    let action = if sign {
        "group_note.sign"
    } else {
        "group_note.update"
    };
    let session = open_group_session(state, caller, id, action).await?;
    let people = attendees(state, caller, &session, Access::Write).await?;
    let ids: Vec<Uuid> = people.iter().map(|a| a.patient_id).collect();
    let note = body.checked(&ids, sign)?;
    let mut conn = state.store.read().await?;
    let stored = store::find_group_note(&mut conn.db(), caller.organization_id, session.id).await?;
    drop(conn);
    if stored.as_ref().is_some_and(|g| g.signed_at.is_some()) {
        return Err(ApiError::Conflict(
            "the group note is signed and locked; add an addendum to an attendee's note".into(),
        ));
    }
    if stored.as_ref().is_some_and(|g| {
        let author = if g.author_id == caller.user_id {
            Relationship::Author
        } else {
            Relationship::None
        };
        !decide(caller.role, Action::ReviseGroupNote, author).is_allowed()
    }) {
        return Err(ApiError::Forbidden);
    }
    let text = serde_json::to_string(&note).map_err(|e| ApiError::caused("encoding JSON", e))?;
    let now = state.now();
    let at = Instant::new(now);
    let signed_at = sign.then_some(at);
    let cosigners = if sign {
        attendee_cosigners(state, caller, &ids).await?
    } else {
        Vec::new()
    };
    let mut tx = state.store.begin().await?;
    let group_id = match &stored {
        Some(g) => {
            if !store::update_group_note(&mut tx.db(), g.id, &text, at, signed_at).await? {
                return Err(ApiError::Conflict(
                    "the group note is signed and locked".into(),
                ));
            }
            g.id
        }
        None => {
            let g = store::GroupNote {
                id: openiop_core::id::new_id(),
                session_id: session.id,
                author_id: caller.user_id,
                body: text,
                created_at: at,
                updated_at: at,
                signed_at,
            };
            store::insert_group_note(&mut tx.db(), caller.organization_id, &g).await?;
            g.id
        }
    };
    let mut copies = Vec::new();
    if sign {
        for (patient_id, cosigner) in ids.iter().zip(&cosigners) {
            let sections = note
                .copy_for(*patient_id)
                .ok_or_else(|| ApiError::internal("an attendee without an entry"))?;
            let copy = Note {
                id: openiop_core::id::new_id(),
                patient_id: *patient_id,
                session_id: Some(session.id),
                group_note_id: Some(group_id),
                kind: NoteKind::Group.as_str().to_owned(),
                format: NoteFormat::Group.as_str().to_owned(),
                sections: serde_json::to_string(&sections)
                    .map_err(|e| ApiError::caused("encoding JSON", e))?,
                service_start: session.starts_at,
                service_end: session.ends_at,
                author_id: caller.user_id,
                created_at: at,
                updated_at: at,
                signed_at: Some(at),
                cosigner_id: *cosigner,
                cosigned_at: None,
            };
            store::insert_note(&mut tx.db(), caller.organization_id, &copy).await?;
            copies.push(SignedCopy {
                patient_id: *patient_id,
                note_id: copy.id,
            });
        }
    }
    for event in audit_each(caller, action, &session, &ids, now) {
        tx.audit(event).await?;
    }
    tx.commit().await?;
    Ok(GroupNoteJson {
        session_id: session.id,
        title: session.title.clone(),
        starts_at: rfc3339(session.starts_at),
        ends_at: rfc3339(session.ends_at),
        status: if sign { "signed" } else { "draft" },
        author_id: Some(stored.map(|g| g.author_id).unwrap_or(caller.user_id)),
        signed_at: signed_at.map(rfc3339),
        attendees: people,
        note,
        notes: copies,
    })
}

/// `PUT /api/v1/sessions/{id}/group-note`: save the draft.
pub async fn put_group_note(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
    ApiJson(body): ApiJson<GroupNote>,
) -> ApiResult<Json<GroupNoteJson>> {
    Ok(Json(
        save_group_note(&state, &caller, id, &body, false).await?,
    ))
}

/// `POST /api/v1/sessions/{id}/group-note/sign`: save and sign; one note per attendee.
pub async fn post_group_note_sign(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SessionId>,
    ApiJson(body): ApiJson<GroupNote>,
) -> ApiResult<Json<GroupNoteJson>> {
    Ok(Json(
        save_group_note(&state, &caller, id, &body, true).await?,
    ))
}
