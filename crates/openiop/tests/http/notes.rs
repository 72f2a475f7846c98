//! Progress notes over HTTP on both databases: session notes on their appointment, the
//! lifecycle (draft, signed and locked, addenda, co-signature, late entries), group notes
//! signed into each attendee's chart, documentation latency, and SUD counseling notes kept
//! apart.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::on_both;
use crate::support::{PASSWORD, TestApp};

fn at(hours_from_now: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::hours(hours_from_now))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

struct Clinic {
    admin: String,
    clinician: String,
    clinician_id: String,
    colleague: String,
    track: String,
}

async fn clinic(app: &TestApp) -> Clinic {
    let admin = app.admin().await;
    let track = app.track(&admin, "Notes IOP").await;
    let clinician_id = app.user(&admin, "author", "clinician", None).await;
    let colleague_id = app.user(&admin, "colleague", "clinician", None).await;
    let _ = colleague_id;
    Clinic {
        clinician: app.login("author", PASSWORD).await,
        colleague: app.login("colleague", PASSWORD).await,
        admin,
        clinician_id,
        track,
    }
}

async fn on_team(app: &TestApp, c: &Clinic, patient: &str, members: &[&str]) {
    let (status, body) = put(
        app,
        &format!("/api/v1/patients/{patient}/care-team"),
        &c.admin,
        json!({"user_ids": members}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

on_both!(session_notes_lock_when_signed_and_take_addenda, |app| {
    let c = clinic(app).await;
    let colleague_id = app.get("/api/v1/auth/me", &c.colleague).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patient = app.patient(&c.admin, "Dana", "Appointment").await;
    on_team(app, &c, &patient, &[&c.clinician_id, &colleague_id]).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &c.admin,
            json!({"track_id": c.track, "admitted_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, appointment) = app
        .post(
            "/api/v1/appointments",
            &c.admin,
            json!({"patient_id": patient, "clinician_id": c.clinician_id, "kind": "individual",
                "starts_at": at(1), "ends_at": at(2)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{appointment}");
    let session = appointment["id"].as_str().unwrap().to_owned();
    let notes = format!("/api/v1/patients/{patient}/notes");

    // A format other than DAP, SOAP or BIRP, or a section of another format: 422, nothing kept.
    let (status, problem) = app
        .post(
            &notes,
            &c.clinician,
            json!({"session_id": session, "format": "narrative"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = app
        .post(
            &notes,
            &c.clinician,
            json!({"session_id": session, "format": "dap", "sections": {"subjective": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "sections.subjective");
    assert_eq!(app.count("notes").await, 0);

    let (status, draft) = app
        .post(
            &notes,
            &c.clinician,
            json!({"session_id": session, "format": "dap", "sections": {"data": "Reports 5 days abstinent."}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(
        (draft["status"].clone(), draft["kind"].clone()),
        (json!("draft"), json!("individual"))
    );
    assert_eq!(draft["session_id"], json!(session));
    let note = format!("{notes}/{}", draft["id"].as_str().unwrap());

    // Only the author edits or signs a draft; a signature needs every section.
    let (status, _) = put(app, &note, &c.colleague, json!({"sections": {"data": "x"}})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .post(&format!("{note}/sign"), &c.clinician, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["sections.assessment", "sections.plan"]);
    let (status, saved) = put(
        app,
        &note,
        &c.clinician,
        json!({"sections": {"data": "Reports 5 days abstinent.", "assessment": "Engaged, cravings 3/10.",
            "plan": "Continue CBT; review relapse plan."}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    // Signed three days after the session: a late entry, written when signed.
    app.clock.advance(Duration::days(3));
    let c = Clinic {
        clinician: app.login("author", PASSWORD).await,
        colleague: app.login("colleague", PASSWORD).await,
        admin: app.admin().await,
        ..c
    };
    let (status, signed) = app
        .post(&format!("{note}/sign"), &c.clinician, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["late_entry"], true);
    assert!(signed["signed_at"].is_string());

    // Locked: edits and a second signature are refused; addenda are kept in order.
    let (status, _) = put(
        app,
        &note,
        &c.clinician,
        json!({"sections": {"data": "changed"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .post(&format!("{note}/sign"), &c.clinician, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, amended) = app
        .post(
            &format!("{note}/addenda"),
            &c.colleague,
            json!({"text": "Patient called: dose schedule confirmed."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{amended}");
    let (_, read) = app.get(&note, &c.admin).await;
    assert_eq!(
        read["sections"]["data"], "Reports 5 days abstinent.",
        "the signed text is unchanged"
    );
    assert_eq!(read["addenda"].as_array().unwrap().len(), 1);
    assert_eq!(read["addenda"][0]["author_id"], json!(colleague_id));

    // Roles: front desk, billing and case managers read no notes; outsiders do not see the
    // patient at all.
    app.user(&c.admin, "desk", "front_desk", None).await;
    app.user(&c.admin, "bill", "billing", None).await;
    let case_id = app.user(&c.admin, "case", "case_manager", None).await;
    app.user(&c.admin, "outsider", "clinician", None).await;
    on_team(
        app,
        &c,
        &patient,
        &[&c.clinician_id, &colleague_id, &case_id],
    )
    .await;
    for (who, expected) in [
        ("desk", StatusCode::FORBIDDEN),
        ("bill", StatusCode::FORBIDDEN),
        ("case", StatusCode::FORBIDDEN),
        ("outsider", StatusCode::NOT_FOUND),
    ] {
        let token = app.login(who, PASSWORD).await;
        assert_eq!(app.get(&notes, &token).await.0, expected, "{who}");
        assert_eq!(app.get(&note, &token).await.0, expected, "{who}");
    }
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|e| format!("{} {}", e.event.action, e.event.outcome.as_str()))
        .collect();
    for expected in [
        "note.create allowed",
        "note.sign allowed",
        "note.addendum allowed",
        "note.list denied",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected}");
    }
    app.verify_audit().await.expect("audit chain intact");
});

on_both!(
    supervised_notes_wait_for_the_supervisors_co_signature,
    |app| {
        let c = clinic(app).await;
        let supervisor_id = app.user(&c.admin, "supervisor", "clinician", None).await;
        let supervisor = app.login("supervisor", PASSWORD).await;
        let (status, _) = put(
            app,
            &format!("/api/v1/users/{}/supervisor", c.clinician_id),
            &c.admin,
            json!({"supervisor_id": supervisor_id}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, problem) = put(
            app,
            &format!("/api/v1/users/{}/supervisor", c.clinician_id),
            &c.clinician,
            json!({"supervisor_id": null}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        let program = app.get("/api/v1/programs", &c.admin).await.1["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = put(
            app,
            &format!("/api/v1/programs/{program}/settings"),
            &c.admin,
            json!({"cosignature_required": true}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let patient = app.patient(&c.admin, "Sam", "Supervised").await;
        let (status, _) = app
            .post(
                &format!("/api/v1/patients/{patient}/episodes"),
                &c.admin,
                json!({"track_id": c.track, "admitted_on": "2026-11-02"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        on_team(app, &c, &patient, &[&c.clinician_id, &supervisor_id]).await;
        let (_, appointment) = app
            .post(
                "/api/v1/appointments",
                &c.admin,
                json!({"patient_id": patient, "clinician_id": c.clinician_id, "kind": "family",
                "starts_at": at(-3), "ends_at": at(-2)}),
            )
            .await;
        let sections = json!({"behavior": "Arrived with partner.", "intervention": "Communication skills.",
        "response": "Both practised reflective listening.", "plan": "Family session in two weeks."});
        let (status, draft) = app
            .post(
                &format!("/api/v1/patients/{patient}/notes"),
                &c.clinician,
                json!({"session_id": appointment["id"], "format": "birp", "sections": sections}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        assert_eq!(draft["kind"], "family");
        let note = format!(
            "/api/v1/patients/{patient}/notes/{}",
            draft["id"].as_str().unwrap()
        );
        let (_, signed) = app
            .post(&format!("{note}/sign"), &c.clinician, json!({}))
            .await;
        assert_eq!(signed["status"], "awaiting_cosignature");
        assert_eq!(signed["cosigner_id"], json!(supervisor_id));
        assert_eq!(signed["late_entry"], false);
        let (status, _) = app
            .post(&format!("{note}/cosign"), &c.clinician, json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the author cannot co-sign");
        let (status, cosigned) = app
            .post(&format!("{note}/cosign"), &supervisor, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{cosigned}");
        assert_eq!(cosigned["status"], "signed");
        let (status, _) = app
            .post(&format!("{note}/cosign"), &supervisor, json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "once");
    }
);

on_both!(
    a_group_note_is_written_once_and_signed_into_each_chart,
    |app| {
        let c = clinic(app).await;
        let (status, session) = app
        .post(
            "/api/v1/sessions",
            &c.admin,
            json!({"track_id": c.track, "kind": "group_therapy", "title": "Evening CBT", "modality": "cbt",
                "topic": "Coping with cravings", "starts_at": at(1), "ends_at": at(4), "capacity": 12,
                "facilitator_id": c.clinician_id}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        let session = session["id"].as_str().unwrap().to_owned();
        let mut patients = Vec::new();
        for (family, status) in [
            ("Ames", "present"),
            ("Baker", "late"),
            ("Cole", "left_early"),
            ("Drew", "absent_unexcused"),
        ] {
            let p = app.patient(&c.admin, "Group", family).await;
            let (s, _) = app
                .post(
                    &format!("/api/v1/sessions/{session}/enrollments"),
                    &c.admin,
                    json!({"patient_id": p}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED);
            let (s, _) = app
                .post(
                    &format!("/api/v1/sessions/{session}/attendance"),
                    &c.admin,
                    json!({"patient_id": p, "status": status}),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            patients.push(p);
        }
        let path = format!("/api/v1/sessions/{session}/group-note");
        // Prefilled from attendance: three attendees, the absent member gets no entry.
        let (status, fresh) = app.get(&path, &c.clinician).await;
        assert_eq!(status, StatusCode::OK, "{fresh}");
        assert_eq!(fresh["status"], "new");
        assert_eq!(fresh["note"]["topic"], "Coping with cravings");
        assert_eq!(fresh["note"]["modality"], "CBT");
        let entries: Vec<&str> = fresh["note"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["patient_id"].as_str().unwrap())
            .collect();
        assert_eq!(entries, [&patients[0], &patients[1], &patients[2]]);
        // Only the facilitator (or an admin) writes it.
        assert_eq!(app.get(&path, &c.colleague).await.0, StatusCode::FORBIDDEN);

        // Two days later it is overdue on the dashboard list.
        app.clock.advance(Duration::days(2));
        let c = Clinic {
            clinician: app.login("author", PASSWORD).await,
            colleague: app.login("colleague", PASSWORD).await,
            admin: app.admin().await,
            ..c
        };
        let (_, unsigned) = app.get("/api/v1/notes/unsigned", &c.clinician).await;
        assert_eq!(unsigned["items"][0]["session_id"], json!(session));
        let (_, others) = app.get("/api/v1/notes/unsigned", &c.colleague).await;
        assert_eq!(others["items"], json!([]), "another clinician's sessions");

        let mut note = fresh["note"].clone();
        note["interventions"] = json!("Urge surfing; thought records");
        note["narrative"] = json!("Members practised urge surfing and logged cravings.");
        let (status, draft) = put(app, &path, &c.clinician, note.clone()).await;
        assert_eq!(status, StatusCode::OK, "{draft}");
        assert_eq!(draft["status"], "draft");
        // Signing needs every attendee's observation, participation and plan.
        let (status, problem) = app
            .post(&format!("{path}/sign"), &c.clinician, note.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        for (i, e) in note["entries"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            e["observation"] = json!(format!("Observation for member {i}"));
            e["participation"] = json!(["active", "moderate", "minimal"][i]);
            e["plan"] = json!("Continue weekly group");
        }
        // An absent member cannot be given an entry.
        let mut with_absent = note.clone();
        with_absent["entries"]
        .as_array_mut()
        .unwrap()
        .push(json!({"patient_id": patients[3], "observation": "x", "participation": "none", "plan": "x"}));
        let (status, problem) = app
            .post(&format!("{path}/sign"), &c.clinician, with_absent)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "entries[3].patient_id");
        assert_eq!(app.count("notes").await, 0);

        let (status, signed) = app
            .post(&format!("{path}/sign"), &c.clinician, note.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{signed}");
        assert_eq!(signed["status"], "signed");
        assert_eq!(signed["notes"].as_array().unwrap().len(), 3);
        assert_eq!(app.count("notes").await, 3);
        for (i, p) in patients.iter().enumerate() {
            let (_, list) = app
                .get(&format!("/api/v1/patients/{p}/notes"), &c.clinician)
                .await;
            let items = list["items"].as_array().unwrap();
            if i == 3 {
                assert!(items.is_empty(), "absent members get no note");
                continue;
            }
            assert_eq!(items.len(), 1);
            let copy = &items[0];
            assert_eq!(copy["kind"], "group");
            assert_eq!(copy["status"], "signed");
            assert_eq!(
                copy["late_entry"], true,
                "signed two days after the session"
            );
            assert_eq!(copy["sections"]["narrative"], note["narrative"]);
            assert_eq!(
                copy["sections"]["observation"],
                json!(format!("Observation for member {i}"))
            );
            let text = copy["sections"].to_string();
            for j in (0..3).filter(|j| *j != i) {
                assert!(
                    !text.contains(&format!("member {j}")),
                    "no other attendee's lines"
                );
            }
        }
        let (status, _) = put(app, &path, &c.clinician, note).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "signed group notes are locked"
        );
        let (_, unsigned) = app.get("/api/v1/notes/unsigned", &c.clinician).await;
        assert_eq!(unsigned["items"], json!([]));
        let (_, read) = app.get(&path, &c.admin).await;
        assert_eq!(read["status"], "signed");
        assert_eq!(read["notes"].as_array().unwrap().len(), 3);
        app.verify_audit().await.expect("audit chain intact");
    }
);

on_both!(counseling_notes_are_kept_apart, |app| {
    let c = clinic(app).await;
    let colleague_id = app.get("/api/v1/auth/me", &c.colleague).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patient = app.patient(&c.admin, "Pat", "Private").await;
    on_team(app, &c, &patient, &[&c.clinician_id, &colleague_id]).await;
    let path = format!("/api/v1/patients/{patient}/counseling-notes");
    let (status, created) = app
        .post(
            &path,
            &c.clinician,
            json!({"text": "Process note: transference themes."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "sud_counseling");
    let note = format!(
        "/api/v1/patients/{patient}/notes/{}",
        created["id"].as_str().unwrap()
    );
    // Not part of the ordinary record.
    let (_, progress) = app
        .get(&format!("/api/v1/patients/{patient}/notes"), &c.clinician)
        .await;
    assert_eq!(progress["items"], json!([]));
    // The author reads it; a colleague on the team and the admin do not, until named.
    let (_, mine) = app.get(&path, &c.clinician).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    for token in [&c.colleague, &c.admin] {
        let (_, theirs) = app.get(&path, token).await;
        assert_eq!(theirs["items"], json!([]));
        assert_eq!(app.get(&note, token).await.0, StatusCode::NOT_FOUND);
    }
    app.user(&c.admin, "desk", "front_desk", None).await;
    let desk = app.login("desk", PASSWORD).await;
    assert_eq!(app.get(&path, &desk).await.0, StatusCode::FORBIDDEN);
    let (status, _) = put(
        app,
        "/api/v1/counseling-note-readers",
        &c.admin,
        json!({"user_ids": [colleague_id]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = put(
        app,
        "/api/v1/counseling-note-readers",
        &c.admin,
        json!({"user_ids": ["not-an-id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "user_ids[0]");
    let (_, theirs) = app.get(&path, &c.colleague).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&note, &c.colleague).await.0, StatusCode::OK);
    // Named readers read; only the author signs and amends.
    assert_eq!(
        app.post(&format!("{note}/sign"), &c.colleague, json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, signed) = app
        .post(&format!("{note}/sign"), &c.clinician, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(
        app.post(
            &format!("{note}/addenda"),
            &c.colleague,
            json!({"text": "x"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
});

on_both!(notes_are_written_signed_and_amended_from_the_pages, |app| {
    let c = clinic(app).await;
    let patient = app.patient(&c.admin, "Robin", "Pages").await;
    on_team(app, &c, &patient, &[&c.clinician_id]).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{patient}/episodes"),
            &c.admin,
            json!({"track_id": c.track, "admitted_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, appointment) = app
        .post(
            "/api/v1/appointments",
            &c.admin,
            json!({"patient_id": patient, "clinician_id": c.clinician_id, "kind": "individual",
                "starts_at": at(-5), "ends_at": at(-4)}),
        )
        .await;
    let session = appointment["id"].as_str().unwrap();
    let (cookie, csrf) = app.browser_session("author", PASSWORD).await;
    let (status, html) = app
        .page(&format!("/patients/{patient}/notes"), &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Write a session note") && html.contains("SUD counseling notes"));
    let (status, location, _) = app
        .form(
            &format!("/patients/{patient}/notes"),
            &cookie,
            &format!("csrf={csrf}&session_id={session}&format=soap"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with(&format!("/patients/{patient}/notes/")));
    // Signing with an empty section is refused with the section named, and saves the rest.
    let (status, _, html) = app
        .form(
            &location,
            &cookie,
            &format!("csrf={csrf}&action=sign&subjective=Slept+better&objective=Calm&assessment=Stable&plan="),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("sections.plan"));
    assert!(html.contains("Slept better"), "the draft was saved");
    let (status, _, html) = app
        .form(
            &location,
            &cookie,
            &format!("csrf={csrf}&action=sign&subjective=Slept+better&objective=Calm&assessment=Stable&plan=Weekly"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Signed. The note is now locked."));
    assert!(!html.contains("id=\"note-form\""), "no more editing");
    let (status, _, html) = app
        .form(
            &format!("{location}/addenda"),
            &cookie,
            &format!("csrf={csrf}&text=Phoned+to+confirm+the+next+visit"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Phoned to confirm the next visit"));
    let (_, html) = app
        .page(&format!("/patients/{patient}/notes"), &cookie)
        .await;
    assert!(html.contains("Individual session") && html.contains("Signed"));
    // The front desk reads no notes, not even the page.
    app.user(&c.admin, "desk", "front_desk", None).await;
    let (desk, _) = app.browser_session("desk", PASSWORD).await;
    let (status, _) = app.page(&format!("/patients/{patient}/notes"), &desk).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});
