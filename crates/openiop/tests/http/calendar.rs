//! Calendar feeds over HTTP on both databases, checked with an independent iCalendar parser
//! (Python `icalendar`, installed by `.ci/run`).

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{PASSWORD, TestApp};

/// Parses a feed with Python's `icalendar` and returns its events as JSON.
fn parse_with_icalendar(text: &str) -> Value {
    let script = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
out = []
for e in cal.walk("VEVENT"):
    out.append({"uid": str(e.get("UID")), "summary": str(e.get("SUMMARY")),
                "location": str(e.get("LOCATION")) if e.get("LOCATION") else None,
                "start": e.decoded("DTSTART").isoformat(), "end": e.decoded("DTEND").isoformat()})
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar (pip install icalendar) rejected the feed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn fetch(app: &TestApp, url: &str) -> (StatusCode, String, String) {
    let resp = app.http.get(app.url(url)).send().await.unwrap();
    let status = resp.status();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    (status, kind, resp.text().await.unwrap())
}

on_both!(calendar_feeds_are_private_secret_and_revocable, |app| {
    let admin = app.admin().await;
    let track = app.chicago_track(&admin).await;
    let (_, sites) = app.get("/api/v1/sites", &admin).await;
    let site = sites["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Lakeview")
        .unwrap()["id"]
        .clone();
    let (_, room) = app
        .post(
            "/api/v1/rooms",
            &admin,
            json!({"site_id": site, "name": "Room A, 2nd floor", "capacity": 12}),
        )
        .await;
    let clinician = app.user(&admin, "dr.feed", "clinician", None).await;
    let patient = app.patient(&admin, "Fe", "Ed").await;
    app.post(
        &format!("/api/v1/patients/{patient}/episodes"),
        &admin,
        json!({"track_id": track, "admitted_on": "2026-11-02"}),
    )
    .await;
    app.user(&admin, "fe.ed", "patient", Some(&patient)).await;
    let soon = app.clock.now() + time::Duration::days(3);
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let group = json!({"track_id": track, "kind": "group_therapy", "title": "Opioid relapse prevention",
        "starts_at": fmt(soon), "ends_at": fmt(soon + time::Duration::hours(3)), "capacity": 12, "room_id": room["id"]});
    let (_, group) = app.post("/api/v1/sessions", &admin, group).await;
    app.post(
        &format!(
            "/api/v1/sessions/{}/enrollments",
            group["id"].as_str().unwrap()
        ),
        &admin,
        json!({"patient_id": patient}),
    )
    .await;
    let later = soon + time::Duration::days(1);
    let (status, _) = app
        .post(
            "/api/v1/appointments",
            &admin,
            json!({"patient_id": patient, "clinician_id": clinician, "kind": "individual", "title": "Methadone dose review",
                "starts_at": fmt(later), "ends_at": fmt(later + time::Duration::minutes(50))}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Staff make the patient's feed; titles stay private.
    let path = format!("/api/v1/patients/{patient}/calendar-feeds");
    let (status, problem) = app.post(&path, &admin, json!({"full_titles": true})).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("full_titles"))
    );
    let (status, feed) = app.post(&path, &admin, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{feed}");
    let url = feed["url"].as_str().unwrap().to_owned();
    let (status, kind, text) = fetch(app, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/calendar"), "{kind}");
    assert!(
        !text.contains("Opioid") && !text.contains("Methadone"),
        "{text}"
    );
    let events = parse_with_icalendar(&text);
    let summaries: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries, ["Group session", "Appointment"]);
    assert_eq!(events[0]["location"], "Room A, 2nd floor");
    assert_eq!(
        events[0]["start"].as_str().unwrap(),
        soon.replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
            .replace('Z', "+00:00")
    );

    // The patient opts into full titles on their own feed.
    let me = app.login("fe.ed", PASSWORD).await;
    let (status, own) = app.post(&path, &me, json!({"full_titles": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let (_, _, text) = fetch(app, own["url"].as_str().unwrap()).await;
    let events = parse_with_icalendar(&text);
    assert_eq!(events[0]["summary"], "Opioid relapse prevention");

    // The clinician's own feed holds the appointment.
    let dr = app.login("dr.feed", PASSWORD).await;
    let (_, mine) = app.post("/api/v1/me/calendar-feeds", &dr, json!({})).await;
    let (_, _, text) = fetch(app, mine["url"].as_str().unwrap()).await;
    let events = parse_with_icalendar(&text);
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["summary"], "Appointment");

    // Revoked: gone at once. Unknown secrets look the same.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/calendar-feeds/{}", feed["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(app, &url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        fetch(app, "/calendar/nothing.ics").await.0,
        StatusCode::NOT_FOUND
    );
    let events = app.audit_actions().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event.action == "calendar_feed.read")
            .count(),
        3
    );
    assert!(
        events
            .iter()
            .any(|e| e.event.action == "calendar_feed.revoke")
    );
    // The secret is not stored.
    let token = url
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics")
        .to_owned();
    let stored = app.count("calendar_feeds").await;
    assert_eq!(stored, 3);
    assert_eq!(
        app.exec(&format!(
            "UPDATE calendar_feeds SET full_titles = full_titles WHERE token_hash = '{token}'"
        ))
        .await,
        0
    );
});
