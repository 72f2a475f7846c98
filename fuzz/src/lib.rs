//! Fuzz targets for every parser of outside input: instrument answers, schedule requests,
//! upload type sniffing and file names, Part 2 consents, and the public multipart inquiry
//! form (through the real router on a real SQLite database).
//!
//! Each target takes arbitrary bytes, must never panic, and checks the invariants its parser
//! promises (a panic is what AFL reports as a crash). `cargo afl build --features afl` builds
//! one AFL binary per target (`src/bin`); `scripts/fuzz-targets` runs them for a bounded time
//! and keeps what they find in `fuzz/corpus`. The test below replays the whole corpus on the
//! stable toolchain in every test run, so a crash once found stays fixed.

#![allow(clippy::missing_panics_doc)]

use std::sync::OnceLock;

use openiop_core::consent::{self, ConsentInput, MinorSigner};
use openiop_core::instrument;
use openiop_core::upload;
use openiop_web::api::schedule::{SolveBody, problem_from};

/// Instrument answers: the first byte picks the instrument, the second the sex, the rest
/// is the JSON list of answers. A score, when given, has only known flags and a total
/// within what the items can add up to.
pub fn instrument_answers(data: &[u8]) {
    let [which, sex, rest @ ..] = data else {
        return;
    };
    let catalog = instrument::catalog();
    let inst = &catalog[usize::from(*which) % catalog.len()];
    let Ok(answers) = serde_json::from_slice::<Vec<i64>>(rest) else {
        return;
    };
    let sex = match sex % 4 {
        0 => None,
        1 => Some("female"),
        2 => Some("male"),
        _ => Some("unknown"),
    };
    if let Ok(score) = instrument::score(inst, &answers, sex) {
        assert_eq!(
            answers.len(),
            inst.items.len(),
            "{}: scored a wrong count",
            inst.code
        );
        let most: i64 = inst
            .items
            .iter()
            .map(|item| {
                item.choices
                    .iter()
                    .map(|c| i64::from(c.points))
                    .max()
                    .unwrap_or(0)
            })
            .sum();
        if let Some(total) = score.total {
            assert!(
                i64::from(total) <= most,
                "{}: total {total} outside 0..={most}",
                inst.code
            );
        }
    }
}

/// A schedule request as the API takes it: when it is valid (and small enough to solve in a
/// fuzzing loop), the solution keeps every pin, avoids every forbidden pair and never puts
/// more patients in a session than its capacity.
pub fn schedule_request(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<SolveBody>(data) else {
        return;
    };
    let Ok(problem) = problem_from(&body) else {
        return;
    };
    if problem.sessions.len() > 24 || problem.patients.len() > 24 {
        return;
    }
    let solution = openiop_core::schedule::solve(&problem);
    assert_eq!(solution.sessions.len(), problem.patients.len());
    for &(p, s) in &problem.pinned {
        assert!(solution.sessions[p].contains(&s), "pin ({p}, {s}) dropped");
    }
    for &(p, s) in &problem.forbidden {
        assert!(
            !solution.sessions[p].contains(&s),
            "forbidden ({p}, {s}) used"
        );
    }
    let mut seats = vec![0u32; problem.sessions.len()];
    for chosen in &solution.sessions {
        for &s in chosen {
            seats[s] += 1;
        }
    }
    for (s, used) in seats.iter().enumerate() {
        assert!(
            *used <= problem.sessions[s].capacity,
            "session {s} over capacity"
        );
    }
}

/// Upload sniffing and file-name cleaning: a sniffed type really starts with its magic
/// bytes; a cleaned name is never empty, has no path, quote or control character, and keeps
/// at most 200 characters.
pub fn upload_sniffing(data: &[u8]) {
    if let Some(kind) = upload::sniff(data) {
        let magic: &[u8] = match kind.mime() {
            "application/pdf" => b"%PDF-",
            "image/jpeg" => &[0xFF, 0xD8, 0xFF],
            _ => &[0x89, b'P', b'N', b'G'],
        };
        assert!(data.starts_with(magic));
        // The structural check reads any bytes without panicking.
        let _ = upload::inspect(kind, data, data);
    }
    let name = upload::clean_file_name(&String::from_utf8_lossy(data));
    assert!(!name.is_empty());
    assert!(name.chars().count() <= 200);
    assert!(
        !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '"' | ';')),
        "{name:?}"
    );
    assert!(!name.starts_with('.'));
}

/// A Part 2 consent as the API takes it: a consent that checks out has every element, a
/// signature, and the statements the rule requires.
pub fn consent_input(data: &[u8]) {
    let Ok(input) = serde_json::from_slice::<ConsentInput>(data) else {
        return;
    };
    let today = time::macros::date!(2026 - 11 - 29);
    for (birth, signer) in [
        (time::macros::date!(1990 - 01 - 01), MinorSigner::Minor),
        (time::macros::date!(2011 - 06 - 01), MinorSigner::Both),
    ] {
        if let Ok(c) = consent::check(&input, birth, signer, today) {
            assert!(!c.recipients.is_empty() && !c.signatures.is_empty());
            assert!(!c.purpose.trim().is_empty() && !c.information.trim().is_empty());
            assert!(
                c.statements
                    .iter()
                    .any(|s| s.contains("prohibits unauthorized use or disclosure")),
                "the 2.32 statement is written in"
            );
        }
    }
}

/// Where the multipart target's server keeps its database and files (one per process).
pub fn server_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("openiop-fuzz-{}", std::process::id()))
}

struct Server {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = server_dir();
        std::fs::create_dir_all(&dir).expect("temp dir");
        let router = runtime.block_on(async {
            let url = format!("sqlite://{}/fuzz.db", dir.display());
            let key = dir.join("audit.key").to_string_lossy().into_owned();
            let store = openiop_web::setup::open_store(
                &url,
                Some(&key),
                true,
                &openiop_store::StoreOptions::default(),
            )
            .await
            .expect("store");
            let config = openiop_web::Config {
                inquiry_limit: u32::MAX,
                ..openiop_web::Config::default()
            };
            let state = openiop_web::AppState::new(store, config, openiop_web::Clock::system())
                .with_files(openiop_store::files::FileStore::new(dir.join("files")));
            openiop_web::setup::bootstrap(&state, &openiop_web::setup::Bootstrap::default())
                .await
                .expect("bootstrap");
            openiop_web::app(state)
        });
        Server { runtime, router }
    })
}

/// The boundary the multipart target's bodies use.
pub const BOUNDARY: &str = "openiopfuzz";

/// The public "get help" form as multipart: whatever the body, the answer is a 2xx or a
/// 4xx, never a server error.
pub fn multipart_inquiry(data: &[u8]) {
    let status = inquiry_status(data);
    assert!(!status.is_server_error(), "multipart answered {status}");
}

/// What the server answers a multipart body sent to the public inquiry form.
pub fn inquiry_status(data: &[u8]) -> axum::http::StatusCode {
    use tower::ServiceExt;
    let s = server();
    let request = axum::http::Request::post("/api/v1/inquiries")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            9,
        ))))
        .body(axum::body::Body::from(data.to_vec()))
        .expect("request");
    s.runtime
        .block_on(s.router.clone().oneshot(request))
        .expect("infallible")
        .status()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Replays every input of the committed corpus through its target, after checking that
    /// the multipart target reaches the real form (a good inquiry is received, an unknown
    /// field refused with a field-level 422). One test, so the server's temporary database is
    /// removed once nothing uses it.
    #[test]
    fn the_corpus_replays_without_a_crash() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let seeds = root.join("multipart_inquiry");
        let status =
            |name: &str| super::inquiry_status(&std::fs::read(seeds.join(name)).expect("seed"));
        assert_eq!(status("text_only").as_u16(), 201);
        assert_eq!(status("with_pdf").as_u16(), 201);
        assert_eq!(status("unknown_field").as_u16(), 422);
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 5] = [
            ("instrument_answers", super::instrument_answers),
            ("schedule_request", super::schedule_request),
            ("upload_sniffing", super::upload_sniffing),
            ("consent_input", super::consent_input),
            ("multipart_inquiry", super::multipart_inquiry),
        ];
        for (name, target) in targets {
            let dir = root.join(name);
            let mut n = 0;
            for entry in std::fs::read_dir(&dir).expect("corpus directory") {
                let path = entry.expect("entry").path();
                target(&std::fs::read(&path).expect("input"));
                n += 1;
            }
            assert!(n >= 3, "{name}: only {n} inputs in the corpus");
        }
        let _ = std::fs::remove_dir_all(super::server_dir());
    }
}
