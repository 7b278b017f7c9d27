//! Regressions of issue 15 (the model as SQL), the parts done so far. The parity checks
//! on real engines (DuckDB, PostgreSQL) run in `.ci/run` (`.ci/check_sql.py`), which
//! installs and starts them; these tests check what needs no engine.

use crate::common::locale::{self, Locale};
use crate::common::Scratch;

#[test]
fn export_sql_quotes_hostile_names_and_names_the_model() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "51", "--output", "src.csv", "-q"]).assert_ok();
    let text = std::fs::read_to_string(s.path("src.csv")).unwrap();
    let hostile =
        text.replacen("industry", "\"x\"\"); DROP TABLE leads; --\"", 1).replace("Germany", "\"O'Brien $$ \\ x\"");
    s.write("h.csv", hostile);
    s.run(&["train", "--data", "h.csv", "--label", "outcome", "--model", "m", "-q"]).assert_ok();
    for dialect in ["duckdb", "postgres"] {
        let out = format!("q_{dialect}.sql");
        s.run(&["export-sql", "--model", "m", "--dialect", dialect, "--table", "crm.leads", "--output", &out, "-q"])
            .assert_ok();
        let sql = std::fs::read_to_string(s.path(&out)).unwrap();
        // The name appears only quoted (its quote doubled), the level only as a literal.
        assert_eq!(sql.matches("DROP TABLE").count(), sql.matches(r#""x""); DROP TABLE leads; --""#).count());
        assert!(sql.contains(r#""x""); DROP TABLE leads; --""#));
        assert!(sql.contains("'o''brien $$ \\ x'"), "{dialect}");
        assert!(sql.contains(r#"FROM "crm"."leads""#));
        // The header names the model by its checksum.
        let bytes = std::fs::read(s.path("m")).unwrap();
        let sum: String = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
        };
        assert!(sql.starts_with(&format!("-- leadscore {} model {sum}", env!("CARGO_PKG_VERSION"))));
    }
}

#[test]
fn export_sql_refuses_what_it_cannot_write_yet_saying_so() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "52", "--output", "src.csv", "-q"]).assert_ok();
    let clean = std::fs::read_to_string(s.path("src.csv")).unwrap();
    s.write("da.csv", locale::write(&clean, Locale::Danish));
    s.run(&["train", "--data", "da.csv", "--label", "Resultat", "--model", "m", "-q"]).assert_ok();
    let r = s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--output", "q.sql"]);
    r.assert_bad_input(&["column \"Ansatte\" is read as decimal comma", "cannot read that yet"]);
    assert!(!s.path("q.sql").exists());
    let r = s.run(&["export-sql", "--model", "m", "--dialect", "spark", "--output", "q.sql"]);
    r.assert_bad_input(&["\"spark\" is not exported yet"]);
}
