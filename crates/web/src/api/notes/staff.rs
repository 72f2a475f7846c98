//! The notes staff owe (documentation latency), supervisors who co-sign, and the named
//! readers of counseling notes.

use super::*;

#[derive(Debug, Clone, Serialize)]
pub struct UnsignedJson {
    pub session_id: Uuid,
    pub title: String,
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub facilitator_id: Option<Uuid>,
    /// For an appointment, its patient (whose chart holds the note).
    pub patient_id: Option<Uuid>,
    /// Hours since the session ended.
    pub hours_since: i64,
}

/// Sessions of the last 30 days that ended more than 24 hours ago with attendees and no
/// signed note: the caller's own sessions for clinicians, every session for admins.
pub async fn unsigned(state: &AppState, caller: &Caller) -> ApiResult<Vec<UnsignedJson>> {
    let facilitator = match caller.role {
        Role::Admin => None,
        Role::Clinician => Some(caller.user_id),
        _ => {
            require(state, caller, Action::Configure, "note.unsigned").await?;
            None
        }
    };
    let now = state.now();
    let mut conn = state.store.read().await?;
    let rows = store::list_unsigned_sessions(
        &mut conn.db(),
        caller.organization_id,
        facilitator,
        Instant::new(now - Duration::days(30)),
        Instant::new(now - notes::SIGN_WITHIN),
    )
    .await?;
    drop(conn);
    let named: Vec<Uuid> = rows
        .iter()
        .filter(|r| !is_group_session(&r.kind))
        .filter_map(|r| r.first_patient)
        .collect();
    crate::api::audit_named(state, caller, "note.unsigned", "notes/unsigned", &named).await?;
    Ok(rows
        .into_iter()
        .map(|r| UnsignedJson {
            patient_id: r.first_patient.filter(|_| !is_group_session(&r.kind)),
            session_id: r.session_id,
            title: r.title,
            kind: r.kind,
            starts_at: rfc3339(r.starts_at),
            ends_at: rfc3339(r.ends_at),
            facilitator_id: r.facilitator_id,
            hours_since: (now - r.ends_at.get()).whole_hours(),
        })
        .collect())
}

/// `GET /api/v1/notes/unsigned`: documentation latency.
pub async fn get_unsigned(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<UnsignedJson>>> {
    Ok(Json(ListPage::whole(unsigned(&state, &caller).await?)))
}

// Configuration: supervisors and the named readers of counseling notes.

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisorBody {
    pub supervisor_id: Option<String>,
}

/// Sets a staff member's supervisor (admin); `null` clears it.
pub async fn set_supervisor(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    supervisor: Option<&str>,
) -> ApiResult<serde_json::Value> {
    require(state, caller, Action::ManageUsers, "user.supervisor").await?;
    let user = crate::api::staff_member(state, caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let supervisor_id = match supervisor {
        None => None,
        Some(text) => {
            let s = crate::api::staff_in_org(state, caller.organization_id, text)
                .await?
                .ok_or_else(|| Invalid::one("supervisor_id", "must be an active staff member"))?;
            if s == user {
                return Err(
                    Invalid::one("supervisor_id", "cannot be the staff member themselves").into(),
                );
            }
            Some(s)
        }
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    store::set_supervisor(&mut tx.db(), caller.organization_id, user, supervisor_id).await?;
    let event = EventBuilder::for_caller(caller)
        .action("user.supervisor", format!("users/{user}"))
        .detail(
            supervisor_id
                .map(|s| s.to_string())
                .unwrap_or_else(|| "none".into()),
        );
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(serde_json::json!({"user_id": user, "supervisor_id": supervisor_id}))
}

/// `PUT /api/v1/users/{id}/supervisor`
pub async fn put_supervisor(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<UserId>,
    ApiJson(body): ApiJson<SupervisorBody>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(
        set_supervisor(&state, &caller, id, body.supervisor_id.as_deref()).await?,
    ))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadersBody {
    pub user_ids: Vec<String>,
}

/// `GET /api/v1/counseling-note-readers` (admin)
pub async fn get_readers(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    require(
        &state,
        &caller,
        Action::ManageUsers,
        "counseling_readers.read",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let ids = store::list_counseling_readers(&mut conn.db(), caller.organization_id).await?;
    Ok(Json(serde_json::json!({"user_ids": ids})))
}

/// Replaces the staff named as readers of SUD counseling notes (admin).
pub async fn set_readers(
    state: &AppState,
    caller: &Caller,
    user_ids: &[String],
) -> ApiResult<Vec<Uuid>> {
    require(
        state,
        caller,
        Action::ManageUsers,
        "counseling_readers.update",
    )
    .await?;
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for (i, text) in user_ids.iter().enumerate() {
        let mut conn = state.store.read().await?;
        let user = match openiop_core::id::parse_id(text) {
            Some(id) => {
                openiop_store::auth::find_user(&mut conn.db(), caller.organization_id, id).await?
            }
            None => None,
        };
        match user {
            Some(u) if u.active && may(u.role, Action::SignAsClinician) => {
                if !ids.contains(&u.id) {
                    ids.push(u.id);
                }
            }
            _ => errors.push(openiop_core::FieldError {
                field: format!("user_ids[{i}]"),
                message: "must be an active clinician or admin".into(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    store::set_counseling_readers(&mut tx.db(), caller.organization_id, &ids).await?;
    let event = EventBuilder::for_caller(caller)
        .action("counseling_readers.update", "counseling-note-readers")
        .detail(format!("{} named", ids.len()));
    tx.audit(event.build(now)).await?;
    tx.commit().await?;
    Ok(ids)
}

/// `PUT /api/v1/counseling-note-readers` (admin)
pub async fn put_readers(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ReadersBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let ids = set_readers(&state, &caller, &body.user_ids).await?;
    Ok(Json(serde_json::json!({"user_ids": ids})))
}
