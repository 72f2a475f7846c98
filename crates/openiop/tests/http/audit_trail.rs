//! The audit trail is tamper-evident: an edited, deleted or inserted event breaks it.

use openiop_core::audit::Break;

use crate::on_both;
use crate::support::TestApp;
use serde_json::json;

/// Fills the trail with real events and returns the second-oldest event's id as text.
async fn busy_trail(app: &TestApp) -> (String, String) {
    let admin = app.admin().await;
    let patient = app.patient(&admin, "Audit", "Subject").await;
    for _ in 0..3 {
        app.get(&format!("/api/v1/patients/{patient}"), &admin)
            .await;
    }
    let events = app.audit_actions().await;
    let read = events
        .iter()
        .find(|e| e.event.action == "patient.read")
        .expect("a read event");
    assert!(app.verify_audit().await.is_ok());
    (read.event.id.to_string(), patient)
}

use crate::support::id_literal;

on_both!(an_edited_event_is_detected, |app| {
    let (id, _) = busy_trail(app).await;
    let changed = app
        .exec(&format!(
            "UPDATE audit_events SET outcome = 'denied' WHERE id = {}",
            id_literal(app, &id)
        ))
        .await;
    assert_eq!(changed, 1);
    assert!(matches!(
        app.verify_audit().await,
        Err(Break::Edited { .. })
    ));
});

on_both!(a_deleted_event_is_detected, |app| {
    let (id, _) = busy_trail(app).await;
    assert_eq!(
        app.exec(&format!(
            "DELETE FROM audit_events WHERE id = {}",
            id_literal(app, &id)
        ))
        .await,
        1
    );
    assert!(app.verify_audit().await.is_err());
});

on_both!(the_newest_event_deleted_is_detected_by_the_head, |app| {
    busy_trail(app).await;
    let newest = app.audit_actions().await.remove(0);
    let id = newest.event.id.to_string();
    assert_eq!(
        app.exec(&format!(
            "DELETE FROM audit_events WHERE id = {}",
            id_literal(app, &id)
        ))
        .await,
        1
    );
    assert!(matches!(
        app.verify_audit().await,
        Err(Break::HeadMismatch { .. })
    ));
});

on_both!(an_inserted_event_is_detected, |app| {
    let (id, _) = busy_trail(app).await;
    // Copy an event into the place of the next one with a new id: a forged duplicate.
    let lit = id_literal(app, &id);
    let new_id = id_literal(app, &uuid::Uuid::now_v7().to_string());
    app.exec(&format!("UPDATE audit_events SET seq = seq + 1000 WHERE chain = (SELECT chain FROM audit_events WHERE id = {lit}) AND seq > (SELECT seq FROM audit_events WHERE id = {lit})")).await;
    app.exec(&format!(
        "INSERT INTO audit_events (id, chain, seq, prev_hash, hash, organization_id, at, actor_user_id, actor_role, action, patient_id, resource, outcome, client_addr, detail) \
         SELECT {new_id}, chain, seq + 1, hash, hash, organization_id, at, actor_user_id, actor_role, action, patient_id, resource, outcome, client_addr, 'forged' FROM audit_events WHERE id = {lit}"
    ))
    .await;
    app.exec("UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000")
        .await;
    assert!(app.verify_audit().await.is_err());
});

on_both!(an_intact_trail_counts_every_event, |app| {
    busy_trail(app).await;
    let summary = app.verify_audit().await.expect("intact");
    assert_eq!(summary.events as i64, app.count("audit_events").await);
    assert_eq!(summary.head_hash.len(), 64);
});

on_both!(
    concurrent_reads_are_each_audited_and_the_trail_holds,
    |app| {
        let admin = app.admin().await;
        let patient = app.patient(&admin, "Busy", "Reader").await;
        let before = app.count("audit_events").await;
        let path = format!("/api/v1/patients/{patient}");
        let reads = (0..40).map(|_| app.get(&path, &admin));
        let answers = crate::support::join_all(reads).await;
        assert!(
            answers
                .iter()
                .all(|(status, _)| *status == reqwest::StatusCode::OK)
        );
        let reads = app
            .audit_actions()
            .await
            .into_iter()
            .filter(|e| e.event.action == "patient.read")
            .count();
        assert_eq!(reads, 40);
        assert_eq!(app.count("audit_events").await, before + 40);
        assert!(app.verify_audit().await.is_ok());
    }
);

// Every response that names a patient records which patients it named, lists included (the
// breach log finds its affected patients, and the accounting its readers, in these events):
// the overdue measures, notifications, crisis alerts, placement reviews and patient searches
// each write one event per patient they name, and nothing for patients they leave out.
async fn seen(app: &crate::support::TestApp) -> std::collections::BTreeSet<uuid::Uuid> {
    app.audit_actions()
        .await
        .iter()
        .map(|e| e.event.id)
        .collect()
}

fn fresh(
    events: &[openiop_core::audit::Sealed],
    before: &std::collections::BTreeSet<uuid::Uuid>,
) -> Vec<openiop_core::audit::Sealed> {
    events
        .iter()
        .filter(|e| !before.contains(&e.event.id))
        .cloned()
        .collect()
}

on_both!(every_list_that_names_patients_audits_each_one, |app| {
    let admin = app.admin().await;
    let track = app.track(&admin, "Listed IOP").await;
    let first_id = app.user(&admin, "l.first", "clinician", None).await;
    let second_id = app.user(&admin, "l.second", "clinician", None).await;
    let first = app.login("l.first", crate::support::PASSWORD).await;
    let second = app.login("l.second", crate::support::PASSWORD).await;
    let patient = app.patient(&admin, "Lena", "Listed").await;
    let stranger = app.patient(&admin, "Sam", "Stranger").await;
    let admitted = openiop_core::validate::format_date(
        time::OffsetDateTime::now_utc().date() - time::Duration::days(40),
    );
    for p in [&patient, &stranger] {
        let (status, _) = app
            .post(
                &format!("/api/v1/patients/{p}/episodes"),
                &admin,
                json!({"track_id": track, "admitted_on": admitted}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED);
    }
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&admin),
            Some(json!({"user_ids": [first_id, second_id]})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    // An open alert (a PHQ-9 item 9 answer), and a crisis event that escalates and notifies
    // the second clinician.
    let (_, assessment) = app
        .post(
            &format!("/api/v1/patients/{patient}/assessments"),
            &first,
            json!({"code": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]}),
        )
        .await;
    assert!(assessment["alert_id"].is_string(), "{assessment}");
    let (status, event) = app
        .post(
            &format!("/api/v1/patients/{patient}/crisis-events"),
            &first,
            json!({"kind": "return_to_use", "severity": "moderate", "description": "Used after a funeral",
                "actions_taken": "Reviewed the relapse plan", "escalate": true}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{event}");
    let named = |events: &[openiop_core::audit::Sealed], action: &str| -> Vec<String> {
        let mut ids: Vec<String> = events
            .iter()
            .filter(|e| e.event.action == action)
            .filter_map(|e| e.event.patient_id.map(|p| p.to_string()))
            .collect();
        ids.sort();
        ids
    };
    for (path, action, token) in [
        ("/api/v1/measures/overdue", "measures.overdue", &second),
        ("/api/v1/notifications", "notification.list", &second),
        ("/api/v1/alerts", "alert.list", &second),
        (
            "/api/v1/placement-reviews",
            "placement_review.list",
            &second,
        ),
        ("/api/v1/patients?q=", "patient.search", &second),
    ] {
        let before = seen(app).await;
        let (status, body) = app.get(path, token).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{path}: {body}");
        assert!(
            body.to_string().contains(&patient),
            "{path} names the patient: {body}"
        );
        assert!(!body.to_string().contains(&stranger), "{path}: {body}");
        let events = app.audit_actions().await;
        assert_eq!(
            named(&fresh(&events, &before), action),
            std::slice::from_ref(&patient),
            "{path}: one event naming the patient it listed, none for anyone else"
        );
    }
    // The admin's lists name both patients, and say so.
    let before = seen(app).await;
    let (_, body) = app.get("/api/v1/measures/overdue", &admin).await;
    assert!(body.to_string().contains(&stranger));
    let events = app.audit_actions().await;
    let mut both = vec![patient.clone(), stranger.clone()];
    both.sort();
    assert_eq!(named(&fresh(&events, &before), "measures.overdue"), both);
    // A search that finds nobody still leaves one event.
    let before = seen(app).await;
    app.get("/api/v1/patients?q=zzz", &second).await;
    let events = app.audit_actions().await;
    assert_eq!(
        fresh(&events, &before)
            .iter()
            .filter(|e| e.event.action == "patient.search" && e.event.detail == "results=0")
            .count(),
        1
    );
});
