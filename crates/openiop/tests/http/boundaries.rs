//! The code's boundaries, checked over its source: rules the compiler cannot see.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source line of the crates outside the core (tests excluded).
fn lines_outside_the_core() -> Vec<(String, usize, String)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for name in ["web/src", "store/src", "openiop/src"] {
        rust_files(&crates.join(name), &mut files);
    }
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        // Unit tests at the end of a file may build whatever they like.
        let code = text.split("\n#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            out.push((file.display().to_string(), n + 1, line.to_owned()));
        }
    }
    out
}

/// One access policy (ARCHITECTURE.md, invariant 2): every decision that depends on a role
/// goes through `core::access` (`decide`, `may`, or a role's own predicate there). Code
/// outside the core that compares roles itself fails this test.
#[test]
fn no_role_is_compared_outside_the_core() {
    let compares = |line: &str| {
        let code = line.split("//").next().unwrap_or("");
        [
            "role ==",
            "role !=",
            "== Role::",
            "!= Role::",
            "r == Role::",
        ]
        .iter()
        .any(|pattern| code.contains(pattern))
            || (code.contains("matches!(") && code.contains("Role::"))
    };
    let found: Vec<String> = lines_outside_the_core()
        .into_iter()
        .filter(|(_, _, line)| compares(line))
        .map(|(file, n, line)| format!("{file}:{n}: {}", line.trim()))
        .collect();
    assert!(
        found.is_empty(),
        "role comparisons outside core::access:\n{}",
        found.join("\n")
    );
}

/// Path ids are typed (`web::ids`): no handler takes an id as a `String`.
#[test]
fn no_path_id_is_a_string() {
    let found: Vec<String> = lines_outside_the_core()
        .into_iter()
        .filter(|(_, _, line)| line.contains("Path<String>") || line.contains("Path<(String"))
        .filter(|(_, _, line)| {
            // The path values that are not ids: codes, phases, weeks, files, secrets.
            !["code", "phase", "week", "file", "secret"]
                .iter()
                .any(|name| line.contains(&format!("Path({name})")))
        })
        .map(|(file, n, line)| format!("{file}:{n}: {}", line.trim()))
        .collect();
    assert!(found.is_empty(), "untyped path ids:\n{}", found.join("\n"));
}

/// Stored values decode in the store, with the row named when they do not: no JSON
/// column is decoded with a default or dropped on failure outside it.
#[test]
fn no_stored_json_is_decoded_with_a_default() {
    let found: Vec<String> = lines_outside_the_core()
        .into_iter()
        .filter(|(file, _, _)| !file.ends_with("idempotency.rs"))
        .filter(|(_, _, line)| {
            line.contains("serde_json::from_str")
                && (line.contains("unwrap_or") || line.contains(".ok()"))
        })
        .map(|(file, n, line)| format!("{file}:{n}: {}", line.trim()))
        .collect();
    assert!(
        found.is_empty(),
        "stored JSON decoded with a fallback:\n{}",
        found.join("\n")
    );
}
