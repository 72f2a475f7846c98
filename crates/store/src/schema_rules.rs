//! Rules every migration keeps so the schema stays portable and distributable by
//! organization (a sharded PostgreSQL such as Citus remains a deployment choice): no
//! sequence-based ids, no triggers, no LISTEN/NOTIFY, both dialects create the same tables,
//! and every table holding patient data carries its organization. The test below reads the
//! migration files themselves, so a new migration that breaks a rule fails CI.

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    fn migrations(dialect: &str) -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect);
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .expect("migrations directory")
            .map(|e| {
                let path = e.expect("entry").path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (
                    name,
                    std::fs::read_to_string(&path).expect("migration text"),
                )
            })
            .collect();
        files.sort();
        files
    }

    /// SQL without its `--` comments, upper-cased.
    fn code(sql: &str) -> String {
        sql.lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
            .to_uppercase()
    }

    /// Each `CREATE TABLE name (...)` with its column text.
    fn tables(sql: &str) -> Vec<(String, String)> {
        let code = code(sql);
        let mut out = Vec::new();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("CREATE TABLE ") {
            let after = &rest[at + "CREATE TABLE ".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let body_end = after.find(");").unwrap_or(after.len());
            out.push((name.to_lowercase(), after[..body_end].to_owned()));
            rest = &after[body_end..];
        }
        out
    }

    /// The verbs a store function may start with ([`store_functions_start_with_a_verb`]).
    const VERBS: &[&str] = &[
        "find",
        "list",
        "count",
        "insert",
        "set",
        "update",
        "delete",
        "is",
        "search",
        "add",
        "remove",
        "record",
        "mark",
        "sign",
        "cosign",
        "verify",
        "revoke",
        "review",
        "decide",
        "disagree",
        "assess",
        "acknowledge",
        "resolve",
        "close",
        "stop",
        "enroll",
        "discharge",
        "merge",
        "dispose",
        "rekey",
        "reseal",
        "accept",
        "use",
        "touch",
        "forget",
        "finish",
        "abandon",
        "begin",
        "commit",
        "claim",
        "complete",
        "ensure",
        "end",
        "create",
        "write",
        "persist",
        "audit",
        "anchor",
        "check",
        "connect",
        "migrate",
        "ping",
        "read",
        "report",
        "with",
        "backup",
        "first",
    ];

    /// One naming style for the store (issue 15, item 7): every public function starts with
    /// what it does. `find_` reads one row or none, `list_` many, `count_` a number, `insert_`,
    /// `set_`, `update_` and `delete_` write; the rest are the clinic's own verbs (`sign_note`,
    /// `enroll`, `merge`, `revoke_feed`) or the database's (`begin`, `migrate`). A noun
    /// (`notes_of`, `roster`) fails: name the reading `list_notes`, `list_roster`.
    #[test]
    fn store_functions_start_with_a_verb() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut nouns = Vec::new();
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("source");
            for line in source.lines() {
                let Some(rest) = line.strip_prefix("pub async fn ") else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                read += 1;
                let verb = name.split('_').next().unwrap_or("");
                if !VERBS.contains(&verb) {
                    nouns.push(format!("{}: {name}", path.display()));
                }
            }
        }
        assert!(read > 200, "only {read} store functions found");
        assert!(
            nouns.is_empty(),
            "store functions named without a verb: {nouns:#?}"
        );
    }

    #[test]
    fn no_sequences_triggers_or_notifications() {
        for dialect in ["sqlite", "postgres"] {
            for (name, sql) in migrations(dialect) {
                let code = code(&sql);
                for banned in [
                    "SERIAL",
                    "SEQUENCE",
                    "NEXTVAL",
                    "AUTOINCREMENT",
                    "AS IDENTITY",
                    "CREATE TRIGGER",
                    "LISTEN ",
                    "NOTIFY",
                    "PG_NOTIFY",
                ] {
                    assert!(
                        !code.contains(banned),
                        "{dialect}/{name} uses {banned}: ids are UUIDs made by the application, \
                         and rules live in the code, not in triggers or notifications"
                    );
                }
            }
        }
    }

    #[test]
    fn both_dialects_create_the_same_tables() {
        let names = |dialect: &str| -> BTreeSet<(String, String)> {
            migrations(dialect)
                .iter()
                .flat_map(|(file, sql)| {
                    tables(sql).into_iter().map(move |(t, _)| (file.clone(), t))
                })
                .collect()
        };
        let postgres = names("postgres");
        assert!(
            postgres.len() > 40,
            "the parser found {} tables",
            postgres.len()
        );
        assert_eq!(names("sqlite"), postgres);
    }

    #[test]
    fn every_table_with_patient_data_carries_its_organization() {
        for (file, sql) in migrations("postgres") {
            for (table, body) in tables(&sql) {
                if body.contains("PATIENT_ID") {
                    assert!(
                        body.contains("ORGANIZATION_ID UUID NOT NULL"),
                        "{file}: {table} holds patient data without its organization_id"
                    );
                }
            }
        }
    }

    /// The tables that hold patient data (they carry `patient_id`), by the migrations.
    fn patient_tables() -> BTreeSet<String> {
        migrations("postgres")
            .iter()
            .flat_map(|(_, sql)| tables(sql))
            .filter(|(_, body)| body.contains("PATIENT_ID"))
            .map(|(name, _)| name)
            .collect()
    }

    /// Every string literal of a Rust source that is an SQL statement, with its line.
    fn statements(source: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let mut chars = source.char_indices().peekable();
        let mut line = 1;
        while let Some((_, c)) = chars.next() {
            match c {
                '\n' => line += 1,
                '/' if chars.peek().is_some_and(|(_, n)| *n == '/') => {
                    for (_, c) in chars.by_ref() {
                        if c == '\n' {
                            line += 1;
                            break;
                        }
                    }
                }
                '\'' => {
                    // A char literal ('"', '\\') or a lifetime: skip what could hide a quote.
                    let rest: String = chars.clone().take(3).map(|(_, c)| c).collect();
                    if rest.starts_with("\"'") || rest.starts_with("\\") {
                        chars.nth(rest.find('\'').unwrap_or(1));
                    }
                }
                '"' => {
                    let start = line;
                    let mut text = String::new();
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, n)) = chars.next() {
                                    if n == '\n' {
                                        line += 1;
                                    }
                                    text.push(' ');
                                }
                            }
                            '"' => break,
                            '\n' => {
                                line += 1;
                                text.push(' ');
                            }
                            c => text.push(c),
                        }
                    }
                    let upper = text.trim_start().to_uppercase();
                    if ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "]
                        .iter()
                        .any(|k| upper.starts_with(k))
                    {
                        out.push((start, upper));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The tables a statement reads or writes.
    fn tables_named(sql: &str) -> Vec<String> {
        let words: Vec<&str> = sql
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        words
            .windows(2)
            .filter(|w| matches!(w[0], "FROM" | "JOIN" | "INTO" | "UPDATE"))
            .map(|w| w[1].to_lowercase())
            .collect()
    }

    /// Statements on patient-data tables that do not name the organization themselves, per
    /// file. One is left, by design: `auth::count_users` asks whether the database holds any
    /// account at all, at the first start, before there is an organization. The counts may
    /// only go down: a new statement without the filter fails the test, and a file whose
    /// count drops must lower its entry (so the list stays true).
    const KNOWN_UNSCOPED: &[(&str, usize)] = &[("auth.rs", 1)];

    /// Organization scoping you cannot forget (ARCHITECTURE.md, invariant 4): every
    /// statement of the store on a patient-data table names `organization_id`.
    #[test]
    fn every_statement_on_patient_data_names_its_organization() {
        let patient_tables = patient_tables();
        assert!(patient_tables.contains("notes") && patient_tables.contains("episodes"));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut unscoped = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("src")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "schema_rules.rs" {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("source");
            let code = source.split("\n#[cfg(test)]").next().unwrap_or("");
            for (line, sql) in statements(code) {
                let touched: Vec<String> = tables_named(&sql)
                    .into_iter()
                    .filter(|t| patient_tables.contains(t))
                    .collect();
                if !touched.is_empty() && !sql.contains("ORGANIZATION_ID") {
                    unscoped.push((name.clone(), line, touched.join(",")));
                }
            }
        }
        let mut per_file: std::collections::BTreeMap<&str, usize> = Default::default();
        for (file, _, _) in &unscoped {
            *per_file.entry(file.as_str()).or_default() += 1;
        }
        let known: std::collections::BTreeMap<&str, usize> =
            KNOWN_UNSCOPED.iter().copied().collect();
        let listing: Vec<String> = unscoped
            .iter()
            .map(|(f, l, t)| format!("{f}:{l} ({t})"))
            .collect();
        for (file, count) in &per_file {
            let allowed = known.get(file).copied().unwrap_or(0);
            assert!(
                *count <= allowed,
                "{file}: {count} statements on patient data without organization_id \
                 ({allowed} known); add the filter:\n{}",
                listing.join("\n")
            );
        }
        for (file, allowed) in &known {
            let count = per_file.get(file).copied().unwrap_or(0);
            assert!(
                count >= *allowed,
                "{file}: only {count} unscoped statements are left; lower its entry in \
                 KNOWN_UNSCOPED to {count}"
            );
        }
    }
}
