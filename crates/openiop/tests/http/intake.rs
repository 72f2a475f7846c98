//! Instruments, crisis alerts and placement over HTTP, on both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both;
use crate::support::PASSWORD;

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

on_both!(instruments_score_exactly_over_http, |app| {
    let admin = app.admin().await;
    app.user(&admin, "desk", "front_desk", None).await;
    let desk = app.login("desk", PASSWORD).await;
    let (status, list) = app.get("/api/v1/instruments", &desk).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "every staff role may use the instruments"
    );
    let counts: Vec<(String, u64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["code"].as_str().unwrap().to_owned(),
                i["item_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(counts.contains(&("phq9".into(), 9)) && counts.contains(&("cows".into(), 11)));
    assert_eq!(list["next_cursor"], Value::Null);
    let (status, score) = app
        .post(
            "/api/v1/instruments/gad7/score",
            &desk,
            json!({"answers": [1, 1, 1, 1, 1, 0, 0]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        score,
        json!({"code": "gad7", "total": 5, "band": "mild", "flags": []})
    );
    let (status, problem) = app
        .post(
            "/api/v1/instruments/gad7/score",
            &desk,
            json!({"answers": [1, 1, 1, 1, 1, 0, 9]}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["answers[6]".to_owned()]
        )
    );
    let (status, problem) = app
        .post(
            "/api/v1/instruments/gad7/score",
            &desk,
            json!({"answers": [1, 1]}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["answers".to_owned()])
    );
    let (status, problem) = app
        .post(
            "/api/v1/instruments/gad7/score",
            &desk,
            json!({"answers": [1, 1, 1, 1, 1, 0, "x"]}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["answers[6]".to_owned()]
        )
    );
    assert_eq!(
        app.post(
            "/api/v1/instruments/nope/score",
            &desk,
            json!({"answers": []})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (status, problem) = app
        .post(
            "/api/v1/instruments/auditc/score",
            &desk,
            json!({"answers": [1, 1, 1]}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["sex".to_owned()])
    );
    let (_, score) = app
        .post(
            "/api/v1/instruments/auditc/score",
            &desk,
            json!({"answers": [1, 1, 1], "sex": "unknown"}),
        )
        .await;
    assert_eq!(score["band"], "positive");
    let (_, score) = app
        .post(
            "/api/v1/instruments/cssrs/score",
            &desk,
            json!({"answers": [1, 1, 0, 0, 0, 1, 1]}),
        )
        .await;
    assert_eq!(score["band"], "high");
    let mut flags: Vec<String> = serde_json::from_value(score["flags"].clone()).unwrap();
    flags.sort();
    assert_eq!(flags, ["suicidal_ideation", "suicide_risk_high"]);
    let (status, detail) = app.get("/api/v1/instruments/phq9", &desk).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail["items"][8]["wording"]
            .as_str()
            .unwrap()
            .contains("better off dead")
    );
    assert!(
        detail["licence"]
            .as_str()
            .unwrap()
            .contains("No permission required")
    );
});

on_both!(the_bam_is_read_by_subscales_without_a_total, |app| {
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Weekly", "Monitor").await;
    // Items: health, sleep, mood, alcohol, heavy drinking, drugs, drug details, craving,
    // confidence, meetings, risky situations, spirituality, work, income, family problems,
    // sober support, satisfaction.
    let answers = json!([2, 1, 3, 1, 0, 2, 4, 3, 4, 3, 1, 2, 4, 4, 2, 4, 3]);
    let (status, score) = app
        .post(
            "/api/v1/instruments/bam/score",
            &admin,
            json!({"answers": answers}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{score}");
    assert_eq!(score["total"], Value::Null);
    assert_eq!(
        score["subscales"],
        json!({"use": 3, "risk": 12, "protective": 21})
    );
    let (status, problem) = app
        .post(
            "/api/v1/instruments/bam/score",
            &admin,
            json!({"answers": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&problem),
        ["answers[13]"],
        "income is yes (4) or no (0)"
    );
    let path = format!("/api/v1/patients/{patient}/assessments");
    let (status, stored) = app
        .post(&path, &admin, json!({"code": "bam", "answers": answers}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["subscales"]["protective"], 21);
    let (_, list) = app.get(&format!("{path}?code=bam"), &admin).await;
    assert_eq!(list["items"][0]["total"], Value::Null);
    assert_eq!(list["items"][0]["band"], Value::Null);
    assert_eq!(list["items"][0]["subscales"]["risk"], 12);
    let (_, phq) = app
        .post(
            &path,
            &admin,
            json!({"code": "phq9", "answers": [1, 1, 1, 1, 1, 0, 0, 0, 0]}),
        )
        .await;
    assert_eq!(
        (phq["total"].clone(), phq.get("subscales")),
        (json!(5), None)
    );
});

on_both!(
    assessments_raise_crisis_alerts_that_must_be_acknowledged,
    |app| {
        let admin = app.admin().await;
        app.user(&admin, "clin", "clinician", None).await;
        app.user(&admin, "other", "clinician", None).await;
        app.user(&admin, "desk", "front_desk", None).await;
        let clin = app.login("clin", PASSWORD).await;
        let other = app.login("other", PASSWORD).await;
        let desk = app.login("desk", PASSWORD).await;
        let patient = app.patient(&clin, "Crisis", "Alerted").await;
        let path = format!("/api/v1/patients/{patient}/assessments");

        let (status, calm) = app
            .post(
                &path,
                &clin,
                json!({"code": "gad7", "answers": [0, 0, 0, 0, 0, 0, 0]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{calm}");
        assert!(calm.get("alert_id").is_none());
        let (status, problem) = app
            .post(&path, &clin, json!({"code": "phq9", "answers": [0, 0, 0]}))
            .await;
        assert_eq!(
            (status, fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["answers".to_owned()])
        );
        let (status, problem) = app
            .post(&path, &clin, json!({"code": "bogus", "answers": []}))
            .await;
        assert_eq!(
            (status, fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["code".to_owned()])
        );
        let (status, risky) = app
            .post(
                &path,
                &clin,
                json!({"code": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 2]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            (risky["total"].clone(), risky["band"].clone()),
            (json!(2), json!("minimal"))
        );
        assert_eq!(risky["flags"], json!(["suicidal_ideation"]));
        let alert = risky["alert_id"].as_str().expect("an alert").to_owned();

        // History, newest first; front desk may not read it.
        let (_, history) = app.get(&path, &clin).await;
        let codes: Vec<_> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].clone())
            .collect();
        assert_eq!(codes, [json!("phq9"), json!("gad7")]);
        let (_, phq) = app.get(&format!("{path}?code=phq9"), &clin).await;
        assert_eq!(phq["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.get(&path, &desk).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get(&path, &other).await.0, StatusCode::NOT_FOUND);

        // The care team sees the alert; an unrelated clinician does not.
        let (_, open) = app.get("/api/v1/alerts", &clin).await;
        assert_eq!(open["items"][0]["id"], alert.as_str());
        assert_eq!(open["items"][0]["flags"], json!(["suicidal_ideation"]));
        assert_eq!(
            app.get("/api/v1/alerts", &other).await.1["items"],
            json!([])
        );
        assert_eq!(
            app.get("/api/v1/alerts", &admin).await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        let ack = format!("/api/v1/alerts/{alert}/acknowledge");
        let (status, problem) = app.post(&ack, &clin, json!({"action": "ignored"})).await;
        assert_eq!(
            (status, fields(&problem)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["action".to_owned()])
        );
        assert_eq!(
            app.post(&ack, &other, json!({"action": "safety_planning"}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.post(&ack, &desk, json!({"action": "safety_planning"}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, done) = app
            .post(
                &ack,
                &clin,
                json!({"action": "same_day_evaluation", "note": "Seen by Dr. Lee at 14:00"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["acknowledged"], true);
        assert_eq!(done["action"], "same_day_evaluation");
        assert_eq!(
            app.post(&ack, &clin, json!({"action": "safety_planning"}))
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(app.get("/api/v1/alerts", &clin).await.1["items"], json!([]));

        let events = app.audit_actions().await;
        for action in [
            "assessment.create",
            "alert.raise",
            "alert.acknowledge",
            "assessment.list",
        ] {
            assert!(
                events
                    .iter()
                    .any(|e| e.event.action == action && e.event.outcome.as_str() == "allowed"),
                "{action}"
            );
        }
        assert!(app.verify_audit().await.is_ok());
    }
);

fn vignette() -> Value {
    json!({"age": 40, "dimensions": {"withdrawal": 0, "biomedical": 0, "emotional": 0, "readiness": 0, "relapse": 0, "environment": 0},
           "suicide_risk": "none", "factors": []})
}

on_both!(
    placement_recommends_with_reasons_and_decisions_are_kept,
    |app| {
        let admin = app.admin().await;
        let (status, r) = app.post("/api/v1/placement", &admin, vignette()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(r["level"], "op");
        assert_eq!(r["reasons"], json!(["no_elevated_risk"]));
        assert_eq!(r["weekly_hours"], json!({"min": 1, "max": 8}));
        assert!(r["explanations"]["no_elevated_risk"].is_string());
        let mut body = vignette();
        body["dimensions"]["relapse"] = json!(2);
        body["factors"] = json!(["opioid_use", "co_occurring", "opioid_use"]);
        body["age"] = json!(16);
        let (_, r) = app.post("/api/v1/placement", &admin, body.clone()).await;
        assert_eq!(r["level"], "iop");
        assert_eq!(
            r["reasons"],
            json!(["opioid_use", "co_occurring", "relapse_risk"])
        );
        assert_eq!(
            r["supports"],
            json!(["mat_evaluation", "integrated_mental_health"])
        );
        assert_eq!(r["weekly_hours"], json!({"min": 6, "max": 19}));
        assert_eq!(r["explanations"].as_object().unwrap().len(), 5);
        let mut php = vignette();
        php["suicide_risk"] = json!("moderate");
        assert_eq!(
            app.post("/api/v1/placement", &admin, php).await.1["weekly_hours"],
            json!({"min": 20, "max": null})
        );

        let bad = |mutate: fn(&mut Value)| {
            let mut b = vignette();
            mutate(&mut b);
            b
        };
        for (body, field) in [
            (
                bad(|b| {
                    b["dimensions"].as_object_mut().unwrap().remove("relapse");
                }),
                "dimensions.relapse",
            ),
            (
                bad(|b| b["dimensions"]["emotional"] = json!(5)),
                "dimensions.emotional",
            ),
            (
                bad(|b| b["dimensions"]["emotional"] = json!("high")),
                "dimensions.emotional",
            ),
            (bad(|b| b["factors"] = json!(["astrology"])), "factors[0]"),
            (bad(|b| b["suicide_risk"] = json!("some")), "suicide_risk"),
            (
                bad(|b| {
                    b.as_object_mut().unwrap().remove("age");
                }),
                "age",
            ),
            (bad(|b| b["age"] = json!(130)), "age"),
            (
                bad(|b| b["dimensions"]["mood"] = json!(1)),
                "dimensions.mood",
            ),
        ] {
            let (status, problem) = app.post("/api/v1/placement", &admin, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(
                fields(&problem).contains(&field.to_owned()),
                "{field}: {problem}"
            );
        }

        // Decisions on an episode: accepted, or overridden with a reason; kept as history.
        let track = app.track(&admin, "Day IOP").await;
        let patient = app.patient(&admin, "Placed", "Person").await;
        let (_, episode) = app
            .post(
                &format!("/api/v1/patients/{patient}/episodes"),
                &admin,
                json!({"track_id": track, "admitted_on": "2026-03-02"}),
            )
            .await;
        let path = format!(
            "/api/v1/patients/{patient}/episodes/{}/placements",
            episode["id"].as_str().unwrap()
        );
        let (status, accepted) = app.post(&path, &admin, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{accepted}");
        assert_eq!(
            (
                accepted["decided_level"].clone(),
                accepted["overridden"].clone()
            ),
            (json!("iop"), json!(false))
        );
        assert_eq!(accepted["policy_version"], "openiop-default-1");
        let mut over = body.clone();
        over["level"] = json!("php");
        let (status, problem) = app.post(&path, &admin, over.clone()).await;
        assert_eq!(
            (status, fields(&problem)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["override_reason".to_owned()]
            )
        );
        over["override_reason"] = json!("Lives 2 hours away; PHP day program includes transport");
        let (status, overridden) = app.post(&path, &admin, over).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            (
                overridden["decided_level"].clone(),
                overridden["recommended_level"].clone(),
                overridden["overridden"].clone()
            ),
            (json!("php"), json!("iop"), json!(true))
        );
        let (_, history) = app.get(&path, &admin).await;
        assert_eq!(history["items"].as_array().unwrap().len(), 2);
        assert_eq!(history["items"][0]["decided_level"], "php");
        let missing = format!(
            "/api/v1/patients/{patient}/episodes/{}/placements",
            uuid::Uuid::now_v7()
        );
        assert_eq!(
            app.post(&missing, &admin, body).await.0,
            StatusCode::NOT_FOUND
        );
    }
);

on_both!(
    a_program_sets_its_own_cut_offs_and_placement_policy,
    |app| {
        let admin = app.admin().await;
        let track = app.track(&admin, "Day IOP").await;
        let (_, tracks) = app.get("/api/v1/tracks", &admin).await;
        let program = tracks["items"][0]["program_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/api/v1/programs/{program}/settings");
        let (status, problem) = app
        .call(reqwest::Method::PUT, &path, Some(&admin), Some(json!({"cutoffs": {"gad7": [[0, 21]], "zzz": []}, "placement_policy": {"edition": "x"}})))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            fields(&problem),
            ["cutoffs.gad7", "cutoffs.zzz", "placement_policy"]
        );
        let mut policy: Value =
            serde_json::from_str(include_str!("../../../core/policy/asam3-default-v1.json"))
                .unwrap();
        policy["version"] = json!("riverside-2");
        let settings = json!({"cutoffs": {"gad7": [[0, 3], [4, 9], [10, 14], [15, 21]]}, "placement_policy": policy});
        let (status, _) = app
            .call(reqwest::Method::PUT, &path, Some(&admin), Some(settings))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, programs) = app.get("/api/v1/programs", &admin).await;
        assert_eq!(
            programs["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == program.as_str())
                .unwrap()["settings"]["cutoffs"]["gad7"][1],
            json!([4, 9])
        );

        let patient = app.patient(&admin, "Cut", "Off").await;
        let other = app.patient(&admin, "Default", "Bands").await;
        let (_, episode) = app
            .post(
                &format!("/api/v1/patients/{patient}/episodes"),
                &admin,
                json!({"track_id": track, "admitted_on": "2026-03-02"}),
            )
            .await;
        let answers = json!({"code": "gad7", "answers": [1, 1, 1, 1, 0, 0, 0]});
        let (_, scored) = app
            .post(
                &format!("/api/v1/patients/{patient}/assessments"),
                &admin,
                answers.clone(),
            )
            .await;
        assert_eq!(scored["band"], "mild", "the program's cut-offs");
        let (_, default) = app
            .post(
                &format!("/api/v1/patients/{other}/assessments"),
                &admin,
                answers.clone(),
            )
            .await;
        assert_eq!(default["band"], "minimal", "no episode: the defaults");
        let (_, pure) = app
            .post(
                "/api/v1/instruments/gad7/score",
                &admin,
                json!({"answers": [1, 1, 1, 1, 0, 0, 0]}),
            )
            .await;
        assert_eq!(
            pure["band"], "minimal",
            "the scoring API always uses the defaults"
        );
        let decision = json!({"age": 40, "dimensions": {"withdrawal": 0, "biomedical": 0, "emotional": 0, "readiness": 0, "relapse": 0, "environment": 0}, "suicide_risk": "none"});
        let (_, placed) = app
            .post(
                &format!(
                    "/api/v1/patients/{patient}/episodes/{}/placements",
                    episode["id"].as_str().unwrap()
                ),
                &admin,
                decision,
            )
            .await;
        assert_eq!(placed["policy_version"], "riverside-2");
        let (status, _) = app
            .call(reqwest::Method::PUT, &path, Some(&admin), Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, back) = app
            .post(
                &format!("/api/v1/patients/{patient}/assessments"),
                &admin,
                answers,
            )
            .await;
        assert_eq!(
            back["band"], "minimal",
            "an empty document returns to the defaults"
        );
    }
);

on_both!(the_schedule_solver_follows_the_contract, |app| {
    let admin = app.admin().await;
    let mut inst = json!({"sessions": [{"id": "a", "day": "mon", "start": "18:00", "end": "21:00", "capacity": 1, "track": "evening"},
                                       {"id": "b", "day": "mon", "start": "21:00", "end": "22:00", "capacity": 1, "track": "evening"}],
                          "patients": [{"id": "p", "required_hours": 4, "min_days": 1, "tracks": ["evening"],
                                        "availability": [{"day": "mon", "start": "17:00", "end": "22:00"}]},
                                       {"id": "q", "required_hours": 3, "min_days": 1, "tracks": ["day"], "availability": []}]});
    let (status, solved) = app
        .post("/api/v1/schedule/solve", &admin, inst.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{solved}");
    assert_eq!(
        solved["assignments"][0],
        json!({"patient": "p", "sessions": ["a", "b"], "hours": 4.0, "days": 1, "met": true})
    );
    assert_eq!(solved["assignments"][1]["sessions"], json!([]));
    assert_eq!(
        (
            solved["met_count"].clone(),
            solved["shortfall_hours"].clone()
        ),
        (json!(1), json!(3.0))
    );
    // Invalid input, each named.
    for (mutate, field) in [
        (
            (|b: &mut Value| b["sessions"][0]["day"] = json!("someday")) as fn(&mut Value),
            "sessions[0].day",
        ),
        (
            |b: &mut Value| b["sessions"][0]["start"] = json!("25:00"),
            "sessions[0].start",
        ),
        (
            |b: &mut Value| b["sessions"][1]["end"] = json!("20:00"),
            "sessions[1].end",
        ),
        (
            |b: &mut Value| b["sessions"][1]["id"] = json!("a"),
            "sessions[1].id",
        ),
        (
            |b: &mut Value| b["patients"][1]["id"] = json!("p"),
            "patients[1].id",
        ),
        (
            |b: &mut Value| b["pinned"] = json!([["q", "a"]]),
            "pinned[0]",
        ),
        (
            |b: &mut Value| b["pinned"] = json!([["nobody", "a"]]),
            "pinned[0]",
        ),
        (
            |b: &mut Value| b["patients"][0]["availability"][0]["end"] = json!("16:00"),
            "patients[0].availability[0].end",
        ),
    ] {
        let mut body = inst.clone();
        mutate(&mut body);
        let (status, problem) = app.post("/api/v1/schedule/solve", &admin, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            fields(&problem).contains(&field.to_owned()),
            "{field}: {problem}"
        );
    }
    // A pin is honoured; a forbidden pair is not assigned.
    inst["forbidden"] = json!([["p", "b"]]);
    let (_, solved) = app.post("/api/v1/schedule/solve", &admin, inst).await;
    assert_eq!(solved["assignments"][0]["sessions"], json!(["a"]));
    assert_eq!(solved["met_count"], 0);
});

// Full-width and zero-width variants of a name passed the duplicate check and the search.
// Names are matched with NFKC and without invisible characters (stored as typed), and the
// keys stored before are recomputed at start.
crate::on_both!(look_alike_names_match_for_search_and_duplicates, |app| {
    let admin = app.admin().await;
    let maria = app.patient(&admin, "María", "Núñez").await;
    let ids = |found: &serde_json::Value| -> Vec<String> {
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Full-width "ｍａｒ", "Ma<zero-width space>rí", and "nú" with a combining accent.
    for q in [
        "%EF%BD%8D%EF%BD%81%EF%BD%92",
        "Ma%E2%80%8Br%C3%AD",
        "nu%CC%81%C3%B1ez",
    ] {
        let (status, found) = app.get(&format!("/api/v1/patients?q={q}"), &admin).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{found}");
        assert_eq!(ids(&found), std::slice::from_ref(&maria), "q={q}");
    }
    // The duplicate check at registration sees through full-width letters.
    let (status, found) = app
        .get(
            "/api/v1/patients/duplicates?given_name=%EF%BC%AD%EF%BD%81%EF%BD%92%EF%BD%89%EF%BD%81&family_name=N%C3%BA%C3%B1ez&birth_date=1988-03-14",
            &admin,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{found}");
    assert_eq!(ids(&found), std::slice::from_ref(&maria));
    // A key stored before the rule is recomputed once at start.
    app.exec("UPDATE patients SET name_key = 'stale'").await;
    app.exec("DELETE FROM applied_upgrades").await;
    openiop_web::setup::rekey_patient_names(&app.store)
        .await
        .unwrap();
    let (_, found) = app.get("/api/v1/patients?q=mar%C3%ADa", &admin).await;
    assert_eq!(ids(&found), [maria]);
    assert_eq!(app.count("applied_upgrades").await, 1);
});

// A program's stored settings that no longer decode became the defaults silently: an
// assessment was then scored with cut-offs the program does not use. It is an error now
// (a 500 whose cause is logged), and nothing is stored.
crate::on_both!(
    stored_settings_that_do_not_decode_are_an_error_not_the_defaults,
    |app| {
        let admin = app.admin().await;
        let track = app.track(&admin, "Settings IOP").await;
        let patient = app.patient(&admin, "Set", "Tings").await;
        let (status, _) = app
            .post(
                &format!("/api/v1/patients/{patient}/episodes"),
                &admin,
                json!({"track_id": track, "admitted_on": "2026-11-02"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        app.exec("UPDATE programs SET settings = '{\"cutoffs\": 12'")
            .await;
        let (status, problem) = app
            .post(
                &format!("/api/v1/patients/{patient}/assessments"),
                &admin,
                json!({"code": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 0]}),
            )
            .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{problem}");
        assert!(
            !problem.to_string().contains("cutoffs"),
            "the cause stays in the log"
        );
        assert_eq!(app.count("assessments").await, 0);
    }
);
