//! The public inquiry: multipart uploads typed by content, limits, honeypot, throttle, and
//! nothing stored on any refusal.

use openiop_web::Config;
use reqwest::StatusCode;
use serde_json::json;

use crate::on_both;
use crate::support::{Backend, PASSWORD, TestApp};

pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\nstartxref\n9\n%%EOF\n".to_vec()
}

fn png_of(width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&[0u8; 40]);
    b.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    b
}

fn png() -> Vec<u8> {
    png_of(640, 480)
}

fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 8, 0x01, 0xE0, 0x02, 0x80]);
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02]);
    b.extend_from_slice(&[7u8; 100]);
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

fn text(name: &'static str, value: &str) -> (&'static str, Option<&'static str>, Vec<u8>) {
    (name, None, value.as_bytes().to_vec())
}

on_both!(
    an_inquiry_with_attachments_is_received_and_readable_by_staff,
    |app| {
        let (status, body) = app
            .multipart(
                "/api/v1/inquiries",
                &[
                    text("name", "Sam (alias)"),
                    text("contact", "sam.private@example.org"),
                    text("contact_method", "email"),
                    text("safe_times", "weekdays after 6pm"),
                    text("for_whom", "loved_one"),
                    text("substances", "alcohol, opioids"),
                    text("wants", "a call back about evening IOP"),
                    text("message", "My brother needs help."),
                    text("website", ""),
                    ("attachments", Some("referral.pdf"), pdf()),
                    ("attachments", Some("card.png"), png()),
                    ("attachments", Some("photo.jpg"), jpeg()),
                    ("attachments", Some(""), Vec::new()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["id", "received_at"],
            "nothing of what was sent is echoed"
        );
        assert_eq!(app.stored_files(), 3);
        assert!(
            !std::fs::read_dir(app.dir.join("files")).unwrap().any(|f| f
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".part"))
        );

        let admin = app.admin().await;
        app.user(&admin, "desk", "front_desk", None).await;
        app.user(&admin, "bill", "billing", None).await;
        let desk = app.login("desk", PASSWORD).await;
        let (status, list) = app.get("/api/v1/inquiries", &desk).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["items"][0]["contact"], "sam.private@example.org");
        assert_eq!(list["items"][0]["stage"], "inquiry");
        assert_eq!(list["items"][0]["for_whom"], "loved_one");
        let bill = app.login("bill", PASSWORD).await;
        assert_eq!(
            app.get("/api/v1/inquiries", &bill).await.0,
            StatusCode::FORBIDDEN
        );
        let id = body["id"].as_str().unwrap();
        let (_, one) = app.get(&format!("/api/v1/inquiries/{id}"), &desk).await;
        let files = one["attachments"].as_array().unwrap();
        let types: Vec<_> = files
            .iter()
            .map(|f| f["media_type"].as_str().unwrap())
            .collect();
        assert_eq!(types.len(), 3);
        assert!(
            types.contains(&"application/pdf")
                && types.contains(&"image/png")
                && types.contains(&"image/jpeg")
        );
        let pdf_meta = files
            .iter()
            .find(|f| f["media_type"] == "application/pdf")
            .unwrap();
        assert_eq!(pdf_meta["file_name"], "referral.pdf");
        let resp = app
            .http
            .get(app.url(&format!(
                "/api/v1/inquiries/{id}/attachments/{}",
                pdf_meta["id"].as_str().unwrap()
            )))
            .bearer_auth(&desk)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(resp.bytes().await.unwrap().to_vec(), pdf());
        let events = app.audit_actions().await;
        assert!(
            events
                .iter()
                .any(|e| e.event.action == "inquiry.create" && e.event.actor_role == "anonymous")
        );
        assert!(
            events
                .iter()
                .any(|e| e.event.action == "inquiry.attachment.read")
        );
    }
);

on_both!(refused_inquiries_store_nothing, |app| {
    let contact = text("contact", "me@example.org");
    // A type other than PDF, JPEG or PNG, whatever its name says.
    let (status, problem) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                contact.clone(),
                (
                    "attachments",
                    Some("fine.pdf"),
                    b"GIF89a-not-a-pdf".to_vec(),
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("PDF, JPEG or PNG"),
        "the refusal says what is wrong with the upload: {problem}"
    );
    let (status, _) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                contact.clone(),
                ("attachments", Some("a.pdf"), pdf()),
                ("attachments", Some("b.pdf"), b"%PD".to_vec()),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "a tiny truncated file is not a PDF"
    );
    // A sixth file.
    let mut six = vec![contact.clone()];
    for _ in 0..6 {
        six.push(("attachments", Some("x.png"), png()));
    }
    let (status, problem) = app.multipart("/api/v1/inquiries", &six).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "attachments");
    // Rules on the text.
    let (status, problem) = app
        .multipart(
            "/api/v1/inquiries",
            &[text("message", "no way to reach me")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "contact");
    let (status, problem) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                contact.clone(),
                text("for_whom", "neighbour"),
                text("colour", "red"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(fields, ["colour", "for_whom"]);
    // Not multipart at all.
    let resp = app
        .http
        .post(app.url("/api/v1/inquiries"))
        .json(&json!({"contact": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let problem: serde_json::Value = resp.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("multipart/form-data"),
        "{problem}"
    );
    // The honeypot: answered as usual, kept nowhere.
    let (status, body) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                contact.clone(),
                text("website", "http://spam.example"),
                ("attachments", Some("a.pdf"), pdf()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["id"].is_string() && body["received_at"].is_string());

    assert_eq!(app.count("inquiries").await, 0);
    assert_eq!(app.count("inquiry_attachments").await, 0);
    assert_eq!(app.stored_files(), 0, "no file left behind");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_32_mib_is_refused_while_streaming() {
    let app = TestApp::start(Backend::Sqlite).await;
    let mut big = pdf();
    big.resize(32 * 1024 * 1024 + 1, b'x');
    let (status, problem) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                text("contact", "me@example.org"),
                ("attachments", Some("big.pdf"), big),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    // A well-formed PDF of exactly 32 MiB: padding between its objects and its trailer.
    let mut exact = pdf();
    let at = exact.windows(7).position(|w| w == b"trailer").unwrap();
    let pad = 32 * 1024 * 1024 - exact.len();
    exact.splice(at..at, std::iter::repeat_n(b' ', pad));
    let (status, _) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                text("contact", "me@example.org"),
                ("attachments", Some("ok.pdf"), exact),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "exactly 32 MiB is allowed");
    assert_eq!(app.count("inquiries").await, 1);
    assert_eq!(app.stored_files(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_inquiries_from_one_address_are_refused() {
    let config = Config {
        inquiry_limit: 2,
        ..Config::default()
    };
    let app = TestApp::start_with(Backend::Postgres, config).await;
    for _ in 0..2 {
        assert_eq!(
            app.multipart("/api/v1/inquiries", &[text("contact", "me@example.org")])
                .await
                .0,
            StatusCode::CREATED
        );
    }
    let (status, _) = app
        .multipart("/api/v1/inquiries", &[text("contact", "me@example.org")])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("inquiries").await, 2);
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(
        app.multipart("/api/v1/inquiries", &[text("contact", "me@example.org")])
            .await
            .0,
        StatusCode::CREATED
    );
    app.stop().await;
}

// A file name with U+202E was stored as sent (shown as "exe.png"): bidirectional controls are
// stripped from names.
on_both!(file_names_lose_their_bidirectional_controls, |app| {
    let (status, body) = app
        .multipart(
            "/api/v1/inquiries",
            &[
                text("contact", "me@example.org"),
                ("attachments", Some("photo\u{202e}gnp.exe"), png()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let admin = app.admin().await;
    let (_, detail) = app
        .get(
            &format!("/api/v1/inquiries/{}", body["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(detail["attachments"][0]["file_name"], "photognp.exe");
});

// Uploads were judged by their first bytes only. Now a PDF's structure and an image's
// declared size are checked too, and each refusal says what is wrong with the upload.
on_both!(disguised_files_are_refused_saying_why, |app| {
    let contact = text("contact", "me@example.org");
    // More than the magic number: a PDF header in front of an executable, an HTML page or a
    // zip (bomb), and a small PNG declaring 50,000 x 50,000 pixels.
    let mut disguised = Vec::new();
    for behind in [
        &b"MZ\x90\x00\x03"[..],
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04\x14\x00\x08",
    ] {
        let mut file = b"%PDF-1.7\n".to_vec();
        file.extend_from_slice(behind);
        file.extend_from_slice(b"\n1 0 obj\nstartxref\n0\n%%EOF\n");
        disguised.push(("report.pdf", file));
    }
    disguised.push(("scan.png", png_of(50_000, 50_000)));
    for (name, file) in disguised {
        let (status, problem) = app
            .multipart(
                "/api/v1/inquiries",
                &[contact.clone(), ("attachments", Some(name), file)],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}: {problem}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains(name),
            "{problem}"
        );
    }
    assert_eq!(app.stored_files(), 0);
    // A broken multipart body: 400 saying so, not "not valid JSON".
    let resp = app
        .http
        .post(app.url("/api/v1/inquiries"))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"contact\"\r\n\r\nme")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let problem: serde_json::Value = resp.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("The upload could not be read"),
        "{detail}"
    );
    assert_eq!(app.count("inquiries").await, 0);
});
