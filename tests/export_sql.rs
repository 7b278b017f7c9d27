//! The model as SQL (issue 15). The parity checks on real engines
//! (DuckDB, PostgreSQL, Spark; BigQuery and Snowflake parsed by sqlglot) run in
//! `.ci/run` (`.ci/check_sql.py`), which installs and starts them; these tests check
//! what needs no engine: quoting per dialect, the header, refusals.

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
    let bytes = std::fs::read(s.path("m")).unwrap();
    let sum: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
    };
    // (dialect, the column name quoted, the level as a literal, the table quoted)
    let cases = [
        ("duckdb", r#""x""); DROP TABLE leads; --""#, "'o''brien $$ \\ x'", r#""crm"."leads""#),
        ("postgres", r#""x""); DROP TABLE leads; --""#, "'o''brien $$ \\ x'", r#""crm"."leads""#),
        ("spark", r#"`x"); DROP TABLE leads; --`"#, r"'o\'brien $$ \\ x'", "`crm`.`leads`"),
        ("bigquery", r#"`x"); DROP TABLE leads; --`"#, r"'o\'brien $$ \\ x'", "`crm`.`leads`"),
        ("snowflake", r#""x""); DROP TABLE leads; --""#, r"'o\'brien $$ \\ x'", r#""crm"."leads""#),
    ];
    for (dialect, name, level, table) in cases {
        let out = format!("q_{dialect}.sql");
        s.run(&["export-sql", "--model", "m", "--dialect", dialect, "--table", "crm.leads", "--output", &out, "-q"])
            .assert_ok();
        let sql = std::fs::read_to_string(s.path(&out)).unwrap();
        // The name appears only quoted (or as the text of a reason), the level only as a
        // literal.
        let text = r#"'x"); DROP TABLE leads; --'"#;
        assert_eq!(sql.matches("DROP TABLE").count(), sql.matches(name).count() + sql.matches(text).count());
        assert!(sql.contains(name), "{dialect}");
        assert!(sql.contains(level), "{dialect}: {level}");
        assert!(sql.contains(&format!("FROM {table} l")), "{dialect}");
        // The header names the model by its checksum.
        assert!(sql.starts_with(&format!("-- leadscore {} export of model {sum}", env!("CARGO_PKG_VERSION"))));
    }
}

#[test]
fn export_sql_reads_local_formats_and_refuses_what_does_not_fit_the_model() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "52", "--output", "src.csv", "-q"]).assert_ok();
    let clean = std::fs::read_to_string(s.path("src.csv")).unwrap();
    s.write("da.csv", locale::write(&clean, Locale::Danish));
    s.run(&["train", "--data", "da.csv", "--label", "Resultat", "--model", "m", "-q"]).assert_ok();
    // Decimal commas and day-first dates are rewritten as plain before they are read.
    s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--output", "q.sql", "-q"]).assert_ok();
    let sql = std::fs::read_to_string(s.path("q.sql")).unwrap();
    assert!(sql.contains("prep AS (") && sql.contains(" AS p"), "no rewriting step");
    // The as-of date as a parameter, once, in each dialect's syntax.
    for (dialect, param) in [("duckdb", "$as_of"), ("postgres", "$1"), ("spark", ":as_of"), ("bigquery", "@as_of")] {
        s.run(&[
            "export-sql",
            "--model",
            "m",
            "--dialect",
            dialect,
            "--as-of-param",
            "--output",
            "p.sql",
            "--force",
            "-q",
        ])
        .assert_ok();
        let sql = std::fs::read_to_string(s.path("p.sql")).unwrap();
        assert_eq!(sql.matches(&format!("CAST({param} AS DATE)")).count(), 1, "{dialect}");
    }
    // Reasons: three raising and two lowering, as `score` writes them; as columns on request.
    s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--reason-columns", "--output", "r.sql", "-q"])
        .assert_ok();
    let sql = std::fs::read_to_string(s.path("r.sql")).unwrap();
    assert!(sql.contains("AS reason5_contribution") && !sql.contains("reason6") && sql.contains("AS reasons"));
    // No activity log table for a model without one; no --reasons beyond 20.
    let r = s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--events-table", "ev", "--output", "e.sql"]);
    r.assert_bad_input(&["trained without an activity log"]);
    assert!(!s.path("e.sql").exists());
    let r = s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--reasons", "21", "--output", "e.sql"]);
    r.assert_bad_input(&["--reasons", "21"]);
    let r = s.run(&["export-sql", "--model", "m", "--dialect", "oracle", "--output", "e.sql"]);
    r.assert_bad_input(&["unknown dialect \"oracle\""]);
}

#[test]
fn export_sql_of_an_event_model_needs_the_log_table() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "53", "--events", "ev.csv", "--output", "c.csv", "-q"]).assert_ok();
    s.run(&["train", "--data", "c.csv", "--label", "outcome", "--events", "ev.csv", "--model", "m", "-q"]).assert_ok();
    let r = s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--output", "q.sql"]);
    r.assert_bad_input(&["trained with an activity log", "--events-table"]);
    s.run(&[
        "export-sql",
        "--model",
        "m",
        "--dialect",
        "postgres",
        "--events-table",
        "crm.events",
        "--output",
        "q.sql",
    ])
    .assert_ok();
    let sql = std::fs::read_to_string(s.path("q.sql")).unwrap();
    assert!(sql.contains(r#"FROM "crm"."events" e"#) && sql.contains("GROUP BY contact"));
    assert!(sql.contains("-- activity log: table"));
}

#[test]
fn train_on_a_stratified_sample_records_it_and_repeats_exactly() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "20000", "--seed", "54", "--output", "big.csv", "-q"]).assert_ok();
    let train = |model: &str, seed: &str| {
        let r = s.run(&[
            "train", "--data", "big.csv", "--label", "outcome", "--id", "lead_id", "--sample", "3000", "--seed", seed,
            "--model", model, "--json", "-q",
        ]);
        r.assert_ok();
        r.json()
    };
    let j = train("a.model", "7");
    let sample = &j["sample"];
    assert_eq!(sample["rows_in_file"], 20000);
    assert_eq!(sample["rows_sampled"], 3000);
    assert_eq!(j["rows"], 3000);
    // Stratified: the sample's won share is the file's, to the row.
    let strata = sample["strata"].as_array().unwrap();
    let won_in_file = strata.iter().find(|s| s["label"] == "won").unwrap()["rows"].as_u64().unwrap();
    let expected = 3000.0 * won_in_file as f64 / 20000.0;
    assert!((j["positives"].as_f64().unwrap() - expected).abs() <= 1.0, "{} vs {expected}", j["positives"]);
    // The same file and seed give the same model, byte for byte; another seed another sample.
    train("b.model", "7");
    train("c.model", "8");
    let bytes = |f: &str| std::fs::read(s.path(f)).unwrap();
    let (a, b, c) = (bytes("a.model"), bytes("b.model"), bytes("c.model"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // The sample is recorded after the model, with the monitoring profile and (issue 33)
    // the training record, then (issue 36) how it reads values beyond its range and seeks
    // pairs: format version 7, as every model trained now with the defaults. Both score.
    assert_eq!(u32::from_le_bytes(a[8..12].try_into().unwrap()), 7);
    s.run(&["train", "--data", "big.csv", "--label", "outcome", "--id", "lead_id", "--model", "whole.model", "-q"])
        .assert_ok();
    assert_eq!(u32::from_le_bytes(bytes("whole.model")[8..12].try_into().unwrap()), 7);
    s.run(&["score", "--model", "a.model", "--data", "big.csv", "--output", "scored.csv", "-q"]).assert_ok();
    // More rows asked for than the file has: every row.
    let r = s.run(&[
        "train",
        "--data",
        "big.csv",
        "--label",
        "outcome",
        "--sample",
        "50000",
        "--model",
        "all.model",
        "--json",
        "-q",
    ]);
    r.assert_ok();
    assert_eq!(r.json()["sample"]["rows_sampled"], 20000);
    // Only CSV is streamed.
    s.run(&["synth", "--rows", "500", "--seed", "55", "--output", "p.parquet", "-q"]).assert_ok();
    let r = s.run(&["train", "--data", "p.parquet", "--label", "outcome", "--sample", "100", "--model", "p.model"]);
    r.assert_bad_input(&["--sample", "not a CSV file"]);
}
