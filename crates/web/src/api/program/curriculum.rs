//! The psychoeducation curriculum: each track's topics in phases, and which topics a patient
//! still needs.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurriculumBody {
    pub topics: Vec<String>,
}

#[derive(Serialize)]
pub struct TopicJson {
    pub phase: Phase,
    pub position: u32,
    pub title: String,
}

impl From<&intensity::Topic> for TopicJson {
    fn from(t: &intensity::Topic) -> Self {
        TopicJson {
            phase: t.phase,
            position: t.position,
            title: t.title.clone(),
        }
    }
}

/// `PUT /api/v1/curriculum/{phase}` (admins): the ordered psychoeducation topics of a phase.
pub async fn put_curriculum(
    State(state): State<AppState>,
    caller: Caller,
    Path(phase): Path<String>,
    ApiJson(body): ApiJson<CurriculumBody>,
) -> ApiResult<Json<ListPage<TopicJson>>> {
    Ok(Json(
        save_curriculum(&state, &caller, &phase, &body.topics).await?,
    ))
}

/// Replaces a phase's topics (API and the configuration page).
pub async fn save_curriculum(
    state: &AppState,
    caller: &Caller,
    phase: &str,
    topics: &[String],
) -> ApiResult<ListPage<TopicJson>> {
    require(state, caller, Action::Configure, "curriculum.update").await?;
    let phase = Phase::parse(phase).ok_or(ApiError::NotFound)?;
    let mut check = Check::new();
    if topics.len() > 100 {
        check.fail("topics", "at most 100 topics");
    }
    let mut titles = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, t) in topics.iter().enumerate() {
        if let Some(title) = check.text(&format!("topics[{i}]"), t, 200) {
            if !seen.insert(intensity::topic_key(&title)) {
                check.fail(&format!("topics[{i}]"), "is already in this phase");
            }
            titles.push(title);
        }
    }
    let titles = check.finish(|| Some(titles))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    schedule_store::set_curriculum(
        &mut tx.db(),
        caller.organization_id,
        phase.as_str(),
        &titles,
    )
    .await?;
    tx.audit(
        EventBuilder::for_caller(caller)
            .action(
                "curriculum.update",
                format!("curriculum/{}", phase.as_str()),
            )
            .build(now),
    )
    .await?;
    tx.commit().await?;
    Ok(ListPage::whole(
        titles
            .into_iter()
            .enumerate()
            .map(|(i, title)| TopicJson {
                phase,
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                title,
            })
            .collect(),
    ))
}

/// The whole curriculum, in phase and topic order.
pub async fn load_curriculum(
    state: &AppState,
    organization_id: Uuid,
) -> ApiResult<Vec<intensity::Topic>> {
    let mut conn = state.store.read().await?;
    let rows = schedule_store::list_curriculum(&mut conn.db(), organization_id).await?;
    let mut topics: Vec<intensity::Topic> = rows
        .into_iter()
        .filter_map(|r| {
            Some(intensity::Topic {
                phase: Phase::parse(&r.phase)?,
                position: u32::try_from(r.position).ok()?,
                title: r.title,
            })
        })
        .collect();
    topics.sort_by_key(|t| (t.phase, t.position));
    Ok(topics)
}

/// `GET /api/v1/curriculum` (staff)
pub async fn get_curriculum(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<TopicJson>>> {
    require(
        &state,
        &caller,
        Action::ReadConfiguration,
        "curriculum.read",
    )
    .await?;
    let topics = load_curriculum(&state, caller.organization_id).await?;
    Ok(Json(ListPage::whole(
        topics.iter().map(TopicJson::from).collect(),
    )))
}

#[derive(Serialize)]
pub struct NeededJson {
    pub phase: Phase,
    pub needed: Vec<TopicJson>,
    pub attended: Vec<String>,
}

/// Which curriculum topics a patient still needs, up to their current phase.
pub async fn topics_needed(
    state: &AppState,
    organization_id: Uuid,
    patient_id: Uuid,
) -> ApiResult<NeededJson> {
    let (episode, track, zone) = episode_context(state, organization_id, patient_id).await?;
    let week =
        attendance::week_containing(state.now(), &zone).ok_or_else(crate::times::unplaced_week)?;
    let phase = targets(state, &episode, &track, &week, &zone)
        .await?
        .phase
        .unwrap_or(Phase::Engagement);
    let curriculum = load_curriculum(state, organization_id).await?;
    let mut conn = state.store.read().await?;
    let attended: BTreeSet<String> =
        schedule_store::list_attended_topics(&mut conn.db(), organization_id, patient_id)
            .await?
            .into_iter()
            .collect();
    drop(conn);
    let needed = intensity::topics_needed(&curriculum, phase, &attended)
        .into_iter()
        .map(TopicJson::from)
        .collect();
    Ok(NeededJson {
        phase,
        needed,
        attended: attended.into_iter().collect(),
    })
}

/// `GET /api/v1/patients/{id}/curriculum`: the psychoeducation topics the patient still
/// needs (a patient who joined mid-cycle sees what they missed).
pub async fn get_patient_curriculum(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<NeededJson>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Schedule,
        Access::Read,
        "curriculum.needed",
    )
    .await?;
    Ok(Json(
        topics_needed(&state, caller.organization_id, patient.id).await?,
    ))
}
