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
}
