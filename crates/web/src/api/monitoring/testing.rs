//! Drug and alcohol testing: panels, tests with one result per analyte flagged against the
//! medication list, reviews, and the seeded random testing draw.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelBody {
    pub name: String,
    pub analytes: Vec<String>,
}

#[derive(Serialize)]
pub struct PanelJson {
    pub id: Uuid,
    pub name: String,
    pub analytes: Vec<String>,
}

fn panel_json(p: Panel) -> ApiResult<PanelJson> {
    Ok(PanelJson {
        analytes: p.analyte_codes()?,
        id: p.id,
        name: p.name,
    })
}

fn check_analytes(check: &mut Check, field: &str, codes: &[String]) {
    if codes.is_empty() {
        check.fail(field, "must name at least one analyte");
    }
    for (i, code) in codes.iter().enumerate() {
        if monitoring::analyte(code).is_none() {
            let known: Vec<&str> = monitoring::ANALYTES.iter().map(|a| a.code).collect();
            check.fail(
                &format!("{field}[{i}]"),
                format!("must be one of {}", known.join(", ")),
            );
        }
    }
}

/// `POST /api/v1/drug-panels` (admins): a named set of analytes.
pub async fn post_panel(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PanelBody>,
) -> ApiResult<(StatusCode, Json<PanelJson>)> {
    require(&state, &caller, Action::Configure, "drug_panel.create").await?;
    let mut check = Check::new();
    let name = check.text("name", &body.name, 100);
    check_analytes(&mut check, "analytes", &body.analytes);
    let name = check.finish(|| name)?;
    let panel = Panel {
        id: openiop_core::id::new_id(),
        name,
        analytes: serde_json::to_string(&body.analytes)
            .map_err(|e| ApiError::caused("encoding JSON", e))?,
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    store::insert_panel(&mut tx.db(), caller.organization_id, &panel)
        .await
        .map_err(|e| match e {
            openiop_store::StoreError::Conflict(_) => {
                Invalid::one("name", "a panel of that name exists").into()
            }
            other => ApiError::from(other),
        })?;
    tx.audit(
        EventBuilder::for_caller(&caller)
            .action("drug_panel.create", format!("drug-panels/{}", panel.id))
            .build(now),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(panel_json(panel)?)))
}

/// `GET /api/v1/drug-panels` (staff)
pub async fn list_panels(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListPage<PanelJson>>> {
    require(
        &state,
        &caller,
        Action::ReadConfiguration,
        "drug_panel.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let panels = store::list_panels(&mut conn.db(), caller.organization_id).await?;
    Ok(Json(ListPage::whole(
        panels
            .into_iter()
            .map(panel_json)
            .collect::<ApiResult<_>>()?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    pub analyte: String,
    pub outcome: String,
    pub level: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    pub specimen: String,
    pub observed: bool,
    pub collected_at: String,
    /// `lab` or `point_of_care` (a point-of-care positive is presumptive).
    pub source: String,
    pub panel: Option<String>,
    pub results: Vec<ResultBody>,
}

#[derive(Serialize)]
pub struct ResultJson {
    pub analyte: String,
    pub outcome: String,
    pub level: Option<String>,
    pub flag: Option<String>,
    pub presumptive: bool,
    pub review: Option<String>,
    pub review_reason: Option<String>,
    /// Whether the result moves the sobriety date.
    pub counts_as_use: bool,
}

#[derive(Serialize)]
pub struct TestJson {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub specimen: String,
    pub observed: bool,
    pub collected_at: String,
    pub source: String,
    pub panel: Option<String>,
    pub results: Vec<ResultJson>,
    pub flagged: bool,
}

fn result_json(r: &TestResult) -> ApiResult<ResultJson> {
    let outcome = r.result()?;
    let flag = r.raised_flag()?;
    Ok(ResultJson {
        counts_as_use: monitoring::counts_as_use(
            outcome,
            flag,
            r.presumptive,
            r.review.as_deref() == Some("confirmed"),
            r.review.as_deref() == Some("false_positive"),
        ),
        analyte: r.analyte.clone(),
        outcome: r.outcome.clone(),
        level: r.level.clone(),
        flag: r.flag.clone(),
        presumptive: r.presumptive,
        review: r.review.clone(),
        review_reason: r.review_reason.clone(),
    })
}

pub fn test_json(t: DrugTest, results: &[TestResult]) -> ApiResult<TestJson> {
    let results = results
        .iter()
        .map(result_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(TestJson {
        flagged: results
            .iter()
            .any(|r| r.flag.is_some() && r.review.as_deref() != Some("false_positive")),
        id: t.id,
        patient_id: t.patient_id,
        specimen: t.specimen,
        observed: t.observed,
        collected_at: rfc3339(t.collected_at),
        source: t.source,
        panel: t.panel,
        results,
    })
}

/// `POST /api/v1/patients/{id}/drug-tests`
pub async fn post_test(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<TestBody>,
) -> ApiResult<(StatusCode, Json<TestJson>)> {
    Ok((
        StatusCode::CREATED,
        Json(record_test(&state, &caller, id, &body).await?),
    ))
}

/// `POST /api/v1/patients/{id}/drug-tests`: a test event; each result is flagged against the
/// medications the patient was taking on the day of collection.
pub async fn record_test(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &TestBody,
) -> ApiResult<TestJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Results,
        Access::Write,
        "drug_test.create",
    )
    .await?;
    let mut check = Check::new();
    if !["urine", "oral_fluid", "breath"].contains(&body.specimen.as_str()) {
        check.fail("specimen", "must be urine, oral_fluid or breath");
    }
    if !["lab", "point_of_care"].contains(&body.source.as_str()) {
        check.fail("source", "must be lab or point_of_care");
    }
    let collected = OffsetDateTime::parse(body.collected_at.trim(), &Rfc3339).ok();
    match collected {
        None => check.fail(
            "collected_at",
            "must be a date and time with offset (RFC 3339)",
        ),
        Some(at) if at > state.now() + time::Duration::minutes(5) => {
            check.fail("collected_at", "must not be in the future")
        }
        Some(_) => {}
    }
    let panel = check.optional_text("panel", body.panel.as_deref(), 100);
    let codes: Vec<String> = body.results.iter().map(|r| r.analyte.clone()).collect();
    if body.results.is_empty() || body.results.len() > 40 {
        check.fail("results", "must have from 1 to 40 results");
    }
    for (i, r) in body.results.iter().enumerate() {
        if monitoring::analyte(&r.analyte).is_none() {
            check.fail(&format!("results[{i}].analyte"), "is not a known analyte");
        } else if codes[..i].contains(&r.analyte) {
            check.fail(&format!("results[{i}].analyte"), "appears twice");
        }
        if Outcome::parse(&r.outcome).is_none() {
            check.fail(
                &format!("results[{i}].outcome"),
                "must be negative, positive or invalid",
            );
        }
        if r.level.as_deref().is_some_and(|l| l.chars().count() > 40) {
            check.fail(
                &format!("results[{i}].level"),
                "must be at most 40 characters",
            );
        }
    }
    let (collected, panel) = check.finish(|| Some((collected?, panel?)))?;
    let mut conn = state.store.read().await?;
    let day = collected.date();
    let taking: Vec<String> =
        store::list_medications(&mut conn.db(), caller.organization_id, patient.id)
            .await?
            .into_iter()
            .filter(|m| m.started_on <= day && m.stopped_on.is_none_or(|s| s >= day))
            .map(|m| m.name)
            .collect();
    drop(conn);
    let expected = monitoring::expected_analytes(&taking);
    let test = DrugTest {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        specimen: body.specimen.clone(),
        observed: body.observed,
        collected_at: Instant::new(collected),
        source: body.source.clone(),
        panel,
        recorded_by: caller.user_id,
        recorded_at: Instant::new(state.now()),
    };
    let presumptive = body.source == "point_of_care";
    let results: Vec<TestResult> = body
        .results
        .iter()
        .map(|r| {
            let outcome = Outcome::parse(&r.outcome).unwrap_or(Outcome::Invalid);
            TestResult {
                test_id: test.id,
                analyte: r.analyte.clone(),
                outcome: outcome.as_str().into(),
                level: r.level.clone().filter(|l| !l.trim().is_empty()),
                flag: monitoring::flag(&r.analyte, outcome, &expected)
                    .map(|f| f.as_str().to_owned()),
                presumptive: presumptive && outcome == Outcome::Positive,
                reviewed_by: None,
                reviewed_at: None,
                review: None,
                review_reason: None,
            }
        })
        .collect();
    let flags = results.iter().filter(|r| r.flag.is_some()).count();
    let org = caller.organization_id;
    write_event(
        state,
        caller,
        patient.id,
        "drug_test.create",
        format!("drug-tests/{}", test.id),
        format!("results={} flags={flags}", results.len()),
        async |tx| Ok(store::insert_test(&mut tx.db(), org, &test, &results).await?),
    )
    .await?;
    test_json(test, &results)
}

#[derive(Serialize)]
pub struct TestsJson {
    pub items: Vec<TestJson>,
    pub next_cursor: Option<String>,
    /// When the newest result that counts as use was collected (null: none recorded).
    pub last_use_at: Option<String>,
}

/// `GET /api/v1/patients/{id}/drug-tests`: newest first, and the last use that counts.
pub async fn list_tests(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
) -> ApiResult<Json<TestsJson>> {
    let patient = open_patient(
        &state,
        &caller,
        id,
        Part::Results,
        Access::Read,
        "drug_test.list",
    )
    .await?;
    let mut conn = state.store.read().await?;
    let tests = store::list_tests(&mut conn.db(), caller.organization_id, patient.id).await?;
    drop(conn);
    let items = tests
        .into_iter()
        .map(|(t, r)| test_json(t, &r))
        .collect::<ApiResult<Vec<_>>>()?;
    let last_use_at = items
        .iter()
        .find(|t| t.results.iter().any(|r| r.counts_as_use))
        .map(|t| t.collected_at.clone());
    Ok(Json(TestsJson {
        items,
        next_cursor: None,
        last_use_at,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `confirmed` (a lab confirmed it, or a clinician reviewed it) or `false_positive`.
    pub review: String,
    pub reason: Option<String>,
}

/// `POST /api/v1/patients/{id}/drug-tests/{test_id}/results/{analyte}/review`
pub async fn post_review(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, test_id, analyte)): Ids<(PatientId, DrugTestId, String)>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<Json<TestJson>> {
    Ok(Json(
        review(&state, &caller, (id, test_id, &analyte), &body).await?,
    ))
}

/// `POST /api/v1/patients/{id}/drug-tests/{test_id}/results/{analyte}/review`
pub async fn review(
    state: &AppState,
    caller: &Caller,
    (id, test_id, analyte): (PatientId, DrugTestId, &str),
    body: &ReviewBody,
) -> ApiResult<TestJson> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Results,
        Access::Write,
        "drug_test.review",
    )
    .await?;
    let test_id = test_id.uuid();
    let mut check = Check::new();
    if !["confirmed", "false_positive"].contains(&body.review.as_str()) {
        check.fail("review", "must be confirmed or false_positive");
    }
    let reason = check
        .optional_text("reason", body.reason.as_deref(), 1000)
        .flatten();
    if body.review == "false_positive" && reason.is_none() {
        check.fail("reason", "a false positive needs a reason");
    }
    check.finish(|| Some(()))?;
    let mut found = false;
    let now = Instant::new(state.now());
    write_event(
        state,
        caller,
        patient.id,
        "drug_test.review",
        format!("drug-tests/{test_id}"),
        format!("{analyte}:{}", body.review),
        async |tx| {
            found = store::review_result(
                &mut tx.db(),
                caller.organization_id,
                patient.id,
                test_id,
                analyte,
                &body.review,
                reason.as_deref(),
                caller.user_id,
                now,
            )
            .await?;
            if found {
                Ok(())
            } else {
                Err(ApiError::NotFound)
            }
        },
    )
    .await?;
    let mut conn = state.store.read().await?;
    let (test, results) = store::list_tests(&mut conn.db(), caller.organization_id, patient.id)
        .await?
        .into_iter()
        .find(|(t, _)| t.id == test_id)
        .ok_or(ApiError::NotFound)?;
    test_json(test, &results)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    pub week: String,
    /// How many testing days (default 2).
    pub count: Option<u8>,
    /// Which weekdays may be drawn (default mon..fri).
    pub days: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct DrawJson {
    pub patient_id: Uuid,
    pub week: String,
    /// The recorded seed: `core::monitoring::draw_days(seed, days, count)` repeats the draw.
    pub seed: i64,
    pub days: Vec<String>,
    pub drawn_at: String,
}

/// `POST /api/v1/patients/{id}/testing-draws`
pub async fn post_draw(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PatientId>,
    ApiJson(body): ApiJson<DrawBody>,
) -> ApiResult<(StatusCode, Json<DrawJson>)> {
    let (status, drawn) = draw(&state, &caller, id, &body).await?;
    Ok((status, Json(drawn)))
}

/// `POST /api/v1/patients/{id}/testing-draws`: this patient's random testing days for a week,
/// drawn once with a recorded seed (a second call returns the first draw, 200).
pub async fn draw(
    state: &AppState,
    caller: &Caller,
    id: PatientId,
    body: &DrawBody,
) -> ApiResult<(StatusCode, DrawJson)> {
    let patient = open_patient(
        state,
        caller,
        id,
        Part::Results,
        Access::Write,
        "testing_draw.create",
    )
    .await?;
    let mut check = Check::new();
    if openiop_core::attendance::parse_week(&body.week, "UTC").is_none() {
        check.fail("week", "must be an ISO week such as 2026-W49");
    }
    let count = body.count.unwrap_or(2);
    if !(1..=7).contains(&count) {
        check.fail("count", "must be from 1 to 7");
    }
    let pool: Vec<u8> = match &body.days {
        None => vec![0, 1, 2, 3, 4],
        Some(days) => days
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let parsed = openiop_core::schedule::parse_day(d);
                if parsed.is_none() {
                    check.fail(&format!("days[{i}]"), "must be one of mon..sun");
                }
                parsed
            })
            .collect(),
    };
    check.finish(|| Some(()))?;
    let to_json = |d: &store::Draw| -> ApiResult<DrawJson> {
        Ok(DrawJson {
            patient_id: d.patient_id,
            week: d.week.clone(),
            seed: d.seed,
            days: d
                .drawn_days()?
                .into_iter()
                .filter_map(|n| {
                    openiop_core::schedule::DAYS
                        .get(usize::from(n))
                        .map(|d| (*d).to_owned())
                })
                .collect(),
            drawn_at: rfc3339(d.drawn_at),
        })
    };
    let mut conn = state.store.read().await?;
    if let Some(existing) = store::find_draw(
        &mut conn.db(),
        caller.organization_id,
        patient.id,
        &body.week,
    )
    .await?
    {
        return Ok((StatusCode::OK, to_json(&existing)?));
    }
    drop(conn);
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::caused("random bytes", e))?;
    let seed = i64::from_le_bytes(bytes) & i64::MAX;
    let days = monitoring::draw_days(u64::try_from(seed).unwrap_or(0), &pool, usize::from(count));
    let draw = store::Draw {
        id: openiop_core::id::new_id(),
        patient_id: patient.id,
        week: body.week.clone(),
        seed,
        days: serde_json::to_string(&days).map_err(|e| ApiError::caused("encoding JSON", e))?,
        drawn_by: caller.user_id,
        drawn_at: Instant::new(state.now()),
    };
    let org = caller.organization_id;
    write_event(
        state,
        caller,
        patient.id,
        "testing_draw.create",
        format!("testing-draws/{}", draw.id),
        format!("week={} seed={seed}", draw.week),
        async |tx| Ok(store::insert_draw(&mut tx.db(), org, &draw).await?),
    )
    .await?;
    Ok((StatusCode::CREATED, to_json(&draw)?))
}
