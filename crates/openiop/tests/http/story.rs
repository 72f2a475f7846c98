//! The foundation's story, end to end, on both databases.

use reqwest::StatusCode;
use serde_json::json;

use crate::on_both;
use crate::support::PASSWORD;

on_both!(clinic_story, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Evening IOP").await;
    let clinician_id = app.user(&admin, "dr.lee", "clinician", None).await;
    app.user(&admin, "frontdesk", "front_desk", None).await;
    app.user(&admin, "dr.other", "clinician", None).await;

    // A clinician registers a patient and admits them to a track.
    let clinician = app.login("dr.lee", PASSWORD).await;
    let patient = app.patient(&clinician, "Élodie", "Marchand").await;
    let (status, episode) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &clinician,
            json!({"track_id": track, "admitted_on": "2026-01-05"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{episode}");
    assert_eq!(episode["status"], "active");
    assert_eq!(episode["track_id"], track.as_str());

    // A second admission while the first is active is refused, naming the field.
    let (status, problem) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &clinician,
            json!({"track_id": track, "admitted_on": "2026-01-06"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "track_id");

    // They find the patient by name, case-insensitively, Unicode included.
    for q in ["marCH", "élo", "ÉLODIE"] {
        let (status, list) = app
            .get(&format!("/api/v1/patients?q={}", urlencode(q)), &clinician)
            .await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<_> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].clone())
            .collect();
        assert_eq!(ids, vec![json!(patient)], "search {q}");
    }

    // The registering clinician joined the care team.
    let (status, team) = app
        .get(&format!("/api/v1/patients/{patient}/care-team"), &clinician)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(team["user_ids"], json!([clinician_id]));

    // Front desk sees demographics and admissions; an unrelated clinician sees nothing.
    let desk = app.login("frontdesk", PASSWORD).await;
    let (status, seen) = app.get(&format!("/api/v1/patients/{patient}"), &desk).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["family_name"], "Marchand");
    assert_eq!(
        app.get(&format!("/api/v1/patients/{patient}/episodes"), &desk)
            .await
            .0,
        StatusCode::OK
    );
    let other = app.login("dr.other", PASSWORD).await;
    let (status, problem) = app
        .get(&format!("/api/v1/patients/{patient}"), &other)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["status"], 404);
    let (_, list) = app.get("/api/v1/patients?q=marchand", &other).await;
    assert_eq!(list["items"], json!([]));

    // The admin puts the other clinician on the team: now they see the patient.
    let other_id = app.get("/api/v1/auth/me", &other).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, team) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&admin),
            Some(json!({"user_ids": [clinician_id, other_id]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(&format!("/api/v1/patients/{patient}"), &other)
            .await
            .0,
        StatusCode::OK
    );
    // A clinician may not change the team (they see the patient: 403, not 404).
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&clinician),
            Some(json!({"user_ids": []})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Every one of those reads and writes is in the audit trail, and the trail verifies.
    let events = app.audit_actions().await;
    let has = |action: &str, outcome: &str| {
        events
            .iter()
            .any(|e| e.event.action == action && e.event.outcome.as_str() == outcome)
    };
    for action in [
        "patient.create",
        "episode.create",
        "patient.search",
        "patient.read",
        "care_team.update",
        "care_team.read",
        "episode.list",
        "auth.login",
    ] {
        assert!(has(action, "allowed"), "no allowed {action} event");
    }
    assert!(
        has("patient.read", "denied"),
        "the unrelated clinician's attempt is recorded"
    );
    assert!(has("care_team.update", "denied"));
    let search = events
        .iter()
        .find(|e| e.event.action == "patient.search")
        .unwrap();
    assert!(search.event.detail.starts_with("results="));
    let desk_read = events
        .iter()
        .find(|e| e.event.action == "patient.read" && e.event.actor_role == "front_desk")
        .expect("front desk read audited");
    assert_eq!(
        desk_read.event.patient_id.map(|p| p.to_string()),
        Some(patient.clone())
    );
    assert_eq!(desk_read.event.client_addr, "127.0.0.1");
    let summary = app.verify_audit().await.expect("intact trail");
    assert_eq!(summary.events as usize, events.len());
});

on_both!(search_pages_through_everyone_in_name_order, |app| {
    let admin = app.admin().await;
    for (given, family) in [
        ("Ana", "Zed"),
        ("Bo", "Young"),
        ("Cy", "Xu"),
        ("Di", "Xu"),
        ("Ed", "Ward"),
    ] {
        app.patient(&admin, given, family).await;
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/patients?limit=2&cursor={c}"),
            None => "/api/v1/patients?limit=2".to_owned(),
        };
        let (status, page) = app.get(&path, &admin).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        names.extend(items.iter().map(|p| {
            format!(
                "{} {}",
                p["family_name"].as_str().unwrap(),
                p["given_name"].as_str().unwrap()
            )
        }));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["Ward Ed", "Xu Cy", "Xu Di", "Young Bo", "Zed Ana"]);
    // Wildcards in a query are literal text.
    let (_, none) = app.get("/api/v1/patients?q=%25", &admin).await;
    assert_eq!(none["items"], json!([]));
    let (_, under) = app.get("/api/v1/patients?q=_", &admin).await;
    assert_eq!(under["items"], json!([]));
});

on_both!(patients_see_only_themselves, |app| {
    let admin = app.admin().await;
    let me = app.patient(&admin, "Pat", "Self").await;
    let other = app.patient(&admin, "Oth", "Er").await;
    app.user(&admin, "pat.self", "patient", Some(&me)).await;
    let token = app.login("pat.self", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/api/v1/patients/{me}"), &token).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/patients/{other}"), &token)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = app.get("/api/v1/patients", &token).await;
    let ids: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![me]);
    assert_eq!(
        app.get("/api/v1/sites", &token).await.0,
        StatusCode::FORBIDDEN
    );
});

on_both!(configuration_rules, |app| {
    let admin = app.admin().await;
    let (status, site) = app
        .post(
            "/api/v1/sites",
            &admin,
            json!({"name": "Lakeview", "time_zone": "America/Chicago"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(site["time_zone"], "America/Chicago");
    let (status, problem) = app
        .post(
            "/api/v1/sites",
            &admin,
            json!({"name": "Lakeview", "time_zone": "Mars/Base"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "time_zone");
    let (status, problem) = app
        .post(
            "/api/v1/sites",
            &admin,
            json!({"name": "Lakeview", "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate site name: {problem}"
    );
    assert_eq!(problem["errors"][0]["field"], "name");
    let site_id = site["id"].as_str().unwrap();
    let track = |level: &str, hours: f64| json!({"site_id": site_id, "name": format!("{level} {hours}"), "level": level, "target_hours": hours, "min_days": 3, "age_group": "adult"});
    assert_eq!(
        app.post("/api/v1/tracks", &admin, track("iop", 9.0))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post("/api/v1/tracks", &admin, track("php", 20.0))
            .await
            .0,
        StatusCode::CREATED
    );
    let (status, problem) = app.post("/api/v1/tracks", &admin, track("iop", 6.0)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "target_hours");
    let (_, tracks) = app.get("/api/v1/tracks", &admin).await;
    let levels: Vec<_> = tracks["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["level"].clone())
        .collect();
    assert_eq!(levels, [json!("iop"), json!("php")]);
    assert_eq!(tracks["items"][0]["target_hours"], json!(9.0));
    // Users: duplicate names (any case), short passwords, unknown roles.
    app.user(&admin, "casey", "case_manager", None).await;
    let (status, problem) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "CASEY", "password": PASSWORD, "role": "billing"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "username");
    let (status, problem) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "sam", "password": "short", "role": "wizard"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["password", "role"]);
    let (status, problem) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "pat", "password": PASSWORD, "role": "patient"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "patient_id");
});

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
