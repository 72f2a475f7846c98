//! The audit trail is tamper-evident: an edited, deleted or inserted event breaks it.

use openiop_core::audit::Break;

use crate::on_both;
use crate::support::TestApp;

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

fn id_literal(app: &TestApp, id: &str) -> String {
    match app.backend() {
        crate::support::Backend::Sqlite => format!("X'{}'", id.replace('-', "")),
        crate::support::Backend::Postgres => format!("'{id}'"),
    }
}

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
