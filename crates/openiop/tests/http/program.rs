//! Program structure over HTTP on both databases: rooms and double-booking, telehealth
//! links, availability, intensity plans with the level's floor, billable days, curriculum.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{PASSWORD, TestApp};

/// A Chicago site, an adult IOP track on it (9 h over 3 days), a room of 10.
async fn setup(app: &TestApp, admin: &str) -> (String, String, String) {
    let (_, site) = app
        .post(
            "/api/v1/sites",
            admin,
            json!({"name": "Lakeview", "time_zone": "America/Chicago"}),
        )
        .await;
    let body = json!({"site_id": site["id"], "name": "Evening IOP", "level": "iop", "target_hours": 9, "min_days": 3, "age_group": "adult"});
    let track = app.post("/api/v1/tracks", admin, body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, room) = app
        .post(
            "/api/v1/rooms",
            admin,
            json!({"site_id": site["id"], "name": "Room A", "capacity": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    (
        site["id"].as_str().unwrap().to_owned(),
        track,
        room["id"].as_str().unwrap().to_owned(),
    )
}

async fn admitted(
    app: &TestApp,
    admin: &str,
    track: &str,
    family: &str,
    on: &str,
) -> (String, String) {
    let patient = app.patient(admin, "Pat", family).await;
    let (status, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            admin,
            json!({"track_id": track, "admitted_on": on}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{episode}");
    (patient, episode["id"].as_str().unwrap().to_owned())
}

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

on_both!(double_booking_is_refused_naming_the_clash, |app| {
    let admin = app.admin().await;
    let (_, track, room) = setup(app, &admin).await;
    let clinician = app.user(&admin, "dr.lee", "clinician", None).await;
    let group = json!({"track_id": track, "kind": "group_therapy", "modality": "dbt", "title": "DBT skills",
        "starts_at": "2026-11-23T18:00:00-06:00", "ends_at": "2026-11-23T21:00:00-06:00", "capacity": 10,
        "facilitator_id": clinician, "room_id": room});
    let (status, first) = app.post("/api/v1/sessions", &admin, group.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["modality"], "dbt");
    assert_eq!(first["checkin_code"].as_str().unwrap().len(), 6);
    // The same room an hour later, with someone else: the room clashes.
    let mut other = group.clone();
    other["facilitator_id"] = Value::Null;
    other["starts_at"] = json!("2026-11-23T20:00:00-06:00");
    other["ends_at"] = json!("2026-11-23T22:00:00-06:00");
    let (status, problem) = app.post("/api/v1/sessions", &admin, other.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(fields(&problem), ["room_id"]);
    assert!(problem["detail"].as_str().unwrap().contains("DBT skills"));
    // Touching ends do not overlap.
    other["starts_at"] = json!("2026-11-23T21:00:00-06:00");
    assert_eq!(
        app.post("/api/v1/sessions", &admin, other).await.0,
        StatusCode::CREATED
    );
    // A room too small, a modality on a non-group, a link that is not https.
    let mut bad = group.clone();
    bad["capacity"] = json!(11);
    bad["starts_at"] = json!("2026-11-24T18:00:00-06:00");
    bad["ends_at"] = json!("2026-11-24T19:00:00-06:00");
    bad["kind"] = json!("skills");
    bad["video_url"] = json!("http://meet.example.org/x");
    let (status, problem) = app.post("/api/v1/sessions", &admin, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["capacity", "modality", "video_url"]);

    // An individual appointment for a patient in the group: the clinician and the patient
    // are both booked at 19:00.
    let (patient, _) = admitted(app, &admin, &track, "Booked", "2026-11-02").await;
    let session = first["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/sessions/{session}/enrollments"),
        &admin,
        json!({"patient_id": patient}),
    )
    .await;
    let appointment = json!({"patient_id": patient, "clinician_id": clinician, "kind": "individual",
        "starts_at": "2026-11-23T19:00:00-06:00", "ends_at": "2026-11-23T19:50:00-06:00"});
    let (status, problem) = app
        .post("/api/v1/appointments", &admin, appointment.clone())
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(fields(&problem), ["facilitator_id", "patient_id"]);
    let mut moved = appointment.clone();
    moved["starts_at"] = json!("2026-11-23T16:00:00-06:00");
    moved["ends_at"] = json!("2026-11-23T16:50:00-06:00");
    let (status, booked) = app.post("/api/v1/appointments", &admin, moved).await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(
        (booked["kind"].clone(), booked["capacity"].clone()),
        (json!("individual"), json!(1))
    );
    // Enrolling the patient in a second group at the same time as the first.
    other_group_clash(app, &admin, &track, &patient).await;
    // Nothing was stored by the refusals: 3 sessions (2 groups + 1 appointment) + 1 below.
    assert_eq!(app.count("sessions").await, 4);
});

async fn other_group_clash(app: &TestApp, admin: &str, track: &str, patient: &str) {
    let body = json!({"track_id": track, "kind": "skills", "title": "Coping skills",
        "starts_at": "2026-11-23T20:30:00-06:00", "ends_at": "2026-11-23T21:30:00-06:00", "capacity": 10});
    let (_, s) = app.post("/api/v1/sessions", admin, body).await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/sessions/{}/enrollments", s["id"].as_str().unwrap()),
            admin,
            json!({"patient_id": patient}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(fields(&problem), ["patient_id"]);
}

on_both!(
    a_video_link_is_only_for_the_enrolled_and_the_facilitator,
    |app| {
        let admin = app.admin().await;
        let (_, track, _) = setup(app, &admin).await;
        let lead = app.user(&admin, "tele.lead", "clinician", None).await;
        app.user(&admin, "front.desk", "front_desk", None).await;
        let (patient, _) = admitted(app, &admin, &track, "Remote", "2026-11-02").await;
        let (other, _) = admitted(app, &admin, &track, "Elsewhere", "2026-11-02").await;
        app.user(&admin, "remote.pat", "patient", Some(&patient))
            .await;
        app.user(&admin, "other.pat", "patient", Some(&other)).await;
        let body = json!({"track_id": track, "kind": "psychoeducation", "title": "Psychoeducation", "topic": "Sleep and recovery",
        "starts_at": "2026-11-24T18:00:00-06:00", "ends_at": "2026-11-24T19:30:00-06:00", "capacity": 10,
        "facilitator_id": lead, "video_url": "https://video.example.org/room/abc123"});
        let (status, created) = app.post("/api/v1/sessions", &admin, body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["telehealth"], true);
        assert!(
            created.get("video_url").is_none(),
            "the scheduler is neither: {created}"
        );
        let id = created["id"].as_str().unwrap();
        app.post(
            &format!("/api/v1/sessions/{id}/enrollments"),
            &admin,
            json!({"patient_id": patient}),
        )
        .await;
        let link = |who: &'static str| {
            let path = format!("/api/v1/sessions/{id}");
            async move {
                let token = app.login(who, PASSWORD).await;
                let (status, s) = app.get(&path, &token).await;
                (status, s["video_url"].as_str().map(str::to_owned))
            }
        };
        let url = Some("https://video.example.org/room/abc123".to_owned());
        assert_eq!(link("tele.lead").await, (StatusCode::OK, url.clone()));
        assert_eq!(link("remote.pat").await, (StatusCode::OK, url));
        assert_eq!(link("front.desk").await, (StatusCode::OK, None));
        assert_eq!(link("other.pat").await.0, StatusCode::NOT_FOUND);
        // Patients never see the check-in code.
        let token = app.login("remote.pat", PASSWORD).await;
        assert!(
            app.get(&format!("/api/v1/sessions/{id}"), &token)
                .await
                .1
                .get("checkin_code")
                .is_none()
        );
    }
);

on_both!(intensity_plans_taper_and_keep_the_floor, |app| {
    let admin = app.admin().await;
    let (_, track, _) = setup(app, &admin).await;
    // Admitted on Monday 2026-11-02: week 1 is 2026-W45, week 5 is 2026-W49.
    let (patient, episode) = admitted(app, &admin, &track, "Taper", "2026-11-02").await;
    let path = format!("/api/v1/patients/{patient}/episodes/{episode}/intensity-plan");
    assert_eq!(app.get(&path, &admin).await.0, StatusCode::NOT_FOUND);
    let put = |body: Value| {
        let path = path.clone();
        let token = admin.clone();
        async move { app.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };
    let tapering = json!({"steps": [
        {"from_week": 1, "phase": "engagement", "target_hours": 12, "min_days": 4},
        {"from_week": 5, "phase": "early_recovery", "target_hours": 6, "min_days": 2},
        {"from_week": 9, "phase": "maintenance", "level": "op", "target_hours": 3, "min_days": 1}]});
    let (status, problem) = put(tapering.clone()).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "6 h is under the adult IOP floor"
    );
    assert_eq!(fields(&problem), ["steps[1].target_hours"]);
    assert_eq!(app.count("intensity_plans").await, 0);
    let mut with_reason = tapering.clone();
    with_reason["floor_reason"] = json!("Night shifts; team agreed to 6 h for four weeks");
    let (status, plan) = put(with_reason).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["steps"][2]["level"], "op");
    assert_eq!(app.get(&path, &admin).await.1["id"], plan["id"]);
    let week = |w: &'static str| {
        let path = format!("/api/v1/patients/{patient}/intensity?week={w}");
        let token = admin.clone();
        async move { app.get(&path, &token).await.1 }
    };
    assert_eq!(
        (
            week("2026-W45").await["target_hours"].clone(),
            week("2026-W45").await["min_days"].clone()
        ),
        (json!(12.0), json!(4))
    );
    assert_eq!(week("2026-W49").await["target_hours"], 6.0);
    assert_eq!(week("2026-W53").await["target_hours"], 3.0);
    // Before admission the first step applies from week 1 only: the track's targets.
    assert_eq!(week("2026-W44").await["target_hours"], 9.0);
    let (_, detail) = app
        .get(
            &format!("/api/v1/patients/{patient}/week?week=2026-W49"),
            &admin,
        )
        .await;
    assert_eq!(
        (
            detail["episode_week"].clone(),
            detail["phase"].clone(),
            detail["targets_from"].clone()
        ),
        (json!(5), json!("early_recovery"), json!("plan"))
    );
    // Adolescents' floor is 6 h; PHP's 20 h.
    let (status, problem) = put(
        json!({"steps": [{"from_week": 2, "phase": "later", "target_hours": 0, "min_days": 8}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&problem),
        [
            "steps[0].from_week",
            "steps[0].phase",
            "steps[0].target_hours",
            "steps[0].min_days"
        ]
    );
});

on_both!(billable_days_follow_the_payer_rule, |app| {
    let admin = app.admin().await;
    let (site, track, _) = setup(app, &admin).await;
    let (patient, _) = admitted(app, &admin, &track, "Billable", "2026-11-02").await;
    // Mon 3 h, Tue 2 h, Wed 3 h: two billable days, the week does not count (needs 3).
    for (day, end) in [(23, "21:00"), (24, "20:00"), (25, "21:00")] {
        let body = json!({"track_id": track, "kind": "group_therapy", "title": "Group",
            "starts_at": format!("2026-11-{day}T18:00:00-06:00"), "ends_at": format!("2026-11-{day}T{end}:00-06:00"), "capacity": 10});
        let s = app.post("/api/v1/sessions", &admin, body).await.1["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post(
            &format!("/api/v1/sessions/{s}/attendance"),
            &admin,
            json!({"patient_id": patient, "status": "present"}),
        )
        .await;
    }
    let path = format!("/api/v1/patients/{patient}/week?week=2026-W48");
    let (_, week) = app.get(&path, &admin).await;
    assert_eq!(week["billable_days"], json!(["2026-11-23", "2026-11-25"]));
    assert_eq!(week["billable_week"], false);
    // A payer that counts 2 h days and 2-day weeks.
    let (_, programs) = app.get("/api/v1/programs", &admin).await;
    let program = programs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["site_id"] == site.as_str())
        .expect("the site's program")["id"]
        .as_str()
        .unwrap();
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/programs/{program}/settings"),
            Some(&admin),
            Some(json!({"billable": {"day_minutes": 120, "days_per_week": 2}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, week) = app.get(&path, &admin).await;
    assert_eq!(week["billable_days"].as_array().unwrap().len(), 3);
    assert_eq!(week["billable_week"], true);
});

on_both!(availability_and_the_curriculum_still_needed, |app| {
    let admin = app.admin().await;
    let (_, track, _) = setup(app, &admin).await;
    let (patient, _) = admitted(app, &admin, &track, "Evenings", "2026-11-02").await;
    let path = format!("/api/v1/patients/{patient}/availability");
    let windows = json!({"windows": [
        {"day": "mon", "start": "17:30", "end": "22:00"}, {"day": "wed", "start": "17:30", "end": "22:00"},
        {"day": "sat", "start": "09:00", "end": "15:00"}]});
    let (status, saved) = app
        .call(Method::PUT, &path, Some(&admin), Some(windows.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        app.get(&path, &admin).await.1["windows"],
        windows["windows"]
    );
    let bad = json!({"windows": [{"day": "mon", "start": "22:00", "end": "02:00"},
        {"day": "tue", "start": "09:00", "end": "12:00"}, {"day": "tue", "start": "11:00", "end": "13:00"}]});
    let (status, problem) = app.call(Method::PUT, &path, Some(&admin), Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["windows[0].end", "windows[2]"]);
    assert_eq!(
        app.count("availability_windows").await,
        3,
        "a refusal changes nothing"
    );

    for (phase, topics) in [
        (
            "engagement",
            json!(["Welcome and goals", "The disease model"]),
        ),
        ("early_recovery", json!(["Triggers and cravings"])),
        ("maintenance", json!(["Relapse warning signs"])),
    ] {
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/curriculum/{phase}"),
                Some(&admin),
                Some(json!({"topics": topics})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Joined mid-cycle: attended "The disease model" only.
    let body = json!({"track_id": track, "kind": "psychoeducation", "title": "Psychoeducation", "topic": "The disease model",
        "starts_at": "2026-11-23T18:00:00-06:00", "ends_at": "2026-11-23T19:00:00-06:00", "capacity": 10});
    let s = app.post("/api/v1/sessions", &admin, body).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/sessions/{s}/attendance"),
        &admin,
        json!({"patient_id": patient, "status": "present"}),
    )
    .await;
    let (_, needed) = app
        .get(&format!("/api/v1/patients/{patient}/curriculum"), &admin)
        .await;
    assert_eq!(needed["phase"], "engagement");
    let titles: Vec<&str> = needed["needed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Welcome and goals"]);
    let (status, problem) = app
        .call(
            Method::PUT,
            "/api/v1/curriculum/engagement",
            Some(&admin),
            Some(json!({"topics": ["A", " a "]})),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["topics[1]".to_owned()]
        )
    );
});

on_both!(the_schedule_pages_do_what_the_api_does, |app| {
    let admin = app.admin().await;
    let (site, track, _) = setup(app, &admin).await;
    let clinician = app.user(&admin, "dr.page", "clinician", None).await;
    let (patient, episode) = admitted(app, &admin, &track, "Pages", "2026-11-02").await;
    let (cookie, csrf) = app.browser_session("admin", crate::support::ADMIN.1).await;
    let form = |path: String, body: String| {
        let cookie = cookie.clone();
        let csrf = csrf.clone();
        async move {
            app.form(&path, &cookie, &format!("csrf={csrf}&{body}"))
                .await
        }
    };
    // Configuration: a room and a phase's curriculum.
    let (status, _, _) = form(
        "/config/rooms".into(),
        format!("site_id={site}&name=Room+B&capacity=8"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = form(
        "/config/curriculum".into(),
        "phase=engagement&topics=Welcome%0D%0AThe+disease+model%0D%0A".into(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = app.page("/config", &cookie).await;
    assert!(
        html.contains("Room B") && html.contains("The disease model"),
        "{html}"
    );
    // The patient's schedule page: availability, plan, appointment, calendar link.
    let path = format!("/patients/{patient}/schedule");
    let (status, html) = app.page(&path, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Welcome"), "topics still needed are listed");
    let (status, _, html) = form(
        format!("/patients/{patient}/availability"),
        "day0=mon&start0=17%3A00&end0=22%3A00&day2=tue&start2=09%3A00&end2=12%3A00".into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Availability saved: 2 windows."));
    let (status, _, html) = form(
        format!("/patients/{patient}/availability"),
        "day0=mon&start0=22%3A00&end0=02%3A00".into(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("windows[0].end"));
    let (status, _, html) = form(
        format!("/patients/{patient}/episodes/{episode}/intensity-plan"),
        "from_week0=1&phase0=engagement&target_hours0=6&min_days0=2".into(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "below the 9 h floor"
    );
    assert!(html.contains("steps[0].target_hours"));
    let (status, _, html) = form(
        format!("/patients/{patient}/episodes/{episode}/intensity-plan"),
        "from_week0=1&phase0=engagement&target_hours0=12&min_days0=4&from_week1=5&phase1=early_recovery&target_hours1=9&min_days1=3".into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Intensity plan saved (2 steps)."));
    let (status, _, html) = form(
        format!("/patients/{patient}/appointments"),
        format!("kind=individual&clinician_id={clinician}&at=2026-12-01T10%3A00&minutes=50"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Booked: Individual session on Tue 2026-12-01 10:00."),
        "{html}"
    );
    // A time the form cannot read is named as the person typed it, not as RFC 3339 text the
    // page would have written only for the operation to read back (issue 15, item 3).
    let (status, _, html) = form(
        format!("/patients/{patient}/appointments"),
        format!("kind=individual&clinician_id={clinician}&at=next+tuesday&minutes=50"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("must be a date and a time of day"), "{html}");
    assert!(!html.contains("RFC 3339"), "{html}");
    // The same hour again: the clinician and the patient are booked.
    let (status, _, html) = form(
        format!("/patients/{patient}/appointments"),
        format!("kind=family&clinician_id={clinician}&at=2026-12-01T10%3A30&minutes=50"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("already booked"));
    let (status, _, html) =
        form(format!("/patients/{patient}/calendar-feeds"), String::new()).await;
    assert_eq!(status, StatusCode::OK);
    let url = html
        .split("id=\"feed-url\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        app.http.get(app.url(&url)).send().await.unwrap().status(),
        StatusCode::OK
    );
    // Sessions page: a dated session and a weekly one.
    let (status, _, html) = form(
        "/sessions".into(),
        format!("track_id={track}&kind=group_therapy&modality=cbt&title=CBT+group&at=2026-12-02T18%3A00&minutes=180&capacity=10"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Created: CBT group."));
    assert!(
        html.contains("<title>Sessions 2026-W49 · OpenIOP</title>"),
        "{html}"
    );
    assert!(
        html.contains("CBT group</a>"),
        "the week of the new session is shown"
    );
    let (status, _, html) = form(
        "/session-templates".into(),
        format!("track_id={track}&kind=skills&title=Skills&weekday=thu&start=18%3A00&minutes=120&capacity=10&from=2026-12-01&to=2026-12-31"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("5 weekly sessions dated."), "{html}");
    let (_, sessions) = app
        .get("/api/v1/sessions?from=2026-12-01&to=2027-01-01", &admin)
        .await;
    assert_eq!(sessions["items"].as_array().unwrap().len(), 7);
});
