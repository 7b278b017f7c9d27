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

/// `export-sql --dbt` (issue 37): the model, its data tests and a unit test whose expected
/// rows are `score`'s; levels Jinja would read stay literal; nothing is overwritten
/// without --force. `dbt build` itself runs in `.ci/run` (`.ci/check_dbt.py`, dbt-duckdb).
#[test]
fn export_sql_writes_a_dbt_model_whose_unit_test_expects_what_score_writes() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "53", "--output", "src.csv", "-q"]).assert_ok();
    let text = std::fs::read_to_string(s.path("src.csv")).unwrap();
    // Every Germany lead's country is what Jinja would run.
    s.write("j.csv", text.replace("Germany", "{{ 7 * 7 }} {% if true %}x{% endif %} {# c #}"));
    s.run(&["train", "--data", "j.csv", "--label", "outcome", "--model", "m", "-q"]).assert_ok();
    std::fs::create_dir_all(s.path("proj")).unwrap();
    // The model and its tests into `proj`, the unit test from j.csv's leads.
    let dbt = |extra: &[&str]| {
        let mut args =
            vec!["export-sql", "--model", "m", "--dialect", "duckdb", "--dbt", "proj", "--dbt-leads", "j.csv"];
        args.extend(extra);
        s.run(&args)
    };
    let run = dbt(&[]);
    run.assert_ok();
    assert!(run.stderr.contains("the unit test holds 5 leads"), "{}", run.stderr);
    let sql = std::fs::read_to_string(s.path("proj/models/lead_scores.sql")).unwrap();
    let yml = std::fs::read_to_string(s.path("proj/models/lead_scores.yml")).unwrap();
    assert!(std::fs::read_to_string(s.path("proj/macros/leadscore_between.sql")).unwrap().contains("{% test "));
    // The leads come from the var's model, the as-of date from the var, else today.
    assert_eq!(sql.matches("FROM {{ ref(var('leadscore_input', 'stg_leads')) }} l").count(), 1);
    assert!(sql.contains("{% if var('leadscore_as_of', none) %}CAST('{{ var('leadscore_as_of') }}' AS DATE){% else %}CURRENT_DATE{% endif %} AS as_of"));
    assert!(!sql.contains("leadscore_dbt_"), "a placeholder left in the model");
    // The level is printed back by Jinja, never run: no `{{`, `{%` or `{#` of it is left.
    assert!(sql.contains("'{{ '{' }}{ 7 * 7 }} {{ '{' }}% if true %}x{{ '{' }}% endif %} {{ '{' }}# c #}'"), "{sql}");
    assert!(!sql.contains("{{ 7") && !sql.contains("{% if true") && !sql.contains("{# c"));
    // Without --dbt, the same query but for the table and the as-of date.
    s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--table", "stg_leads", "--output", "q.sql", "-q"])
        .assert_ok();
    let plain = std::fs::read_to_string(s.path("q.sql")).unwrap();
    let body = |q: &str| q[q.find("\nsrc AS (").unwrap()..].to_string();
    let escaped = body(&plain).replace("{{", "{{ '{' }}{").replace("{%", "{{ '{' }}%").replace("{#", "{{ '{' }}#");
    assert_eq!(body(&sql).replace("{{ ref(var('leadscore_input', 'stg_leads')) }}", "\"stg_leads\""), escaped);
    // The data tests, and the unit test's expected rows: score's, for the first 5 leads
    // without Jinja in their cells, as of the model's data date.
    for needle in [
        "- not_null",
        "- unique",
        "where: \"problem is null\"",
        "min_value: 0",
        "max_value: 100",
        "values: [\"cold\", \"warm\", \"hot\"]",
        "unit_tests:",
        "input: ref('stg_leads')",
        "leadscore_as_of: \"",
    ] {
        assert!(yml.contains(needle), "{needle}: {yml}");
    }
    let as_of = yml.split("leadscore_as_of: \"").nth(1).unwrap()[..10].to_string();
    let clean: Vec<&str> =
        text.lines().take(1).chain(text.lines().skip(1).filter(|l| !l.contains("Germany")).take(5)).collect();
    s.write("five.csv", clean.join("\n") + "\n");
    s.run(&["score", "--model", "m", "--data", "five.csv", "--as-of", &as_of, "--output", "five_scored.csv", "-q"])
        .assert_ok();
    let expect: Vec<serde_json::Value> = yml
        .split("    expect:\n      rows:\n")
        .nth(1)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l.trim_start().trim_start_matches("- ")).unwrap())
        .collect();
    let scored = std::fs::read_to_string(s.path("five_scored.csv")).unwrap();
    let mut rd = csv::Reader::from_reader(scored.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(expect.len(), 5);
    for (e, r) in expect.iter().zip(&rows) {
        assert_eq!(e["lead_id"], r[0]);
        assert_eq!(e["score"].as_i64().unwrap().to_string(), &r[2]);
        assert_eq!(e["tier"], r[3]);
        assert_eq!(e["decision"].as_bool().unwrap().to_string(), &r[4]);
        assert_eq!(e["reasons"], r[5]);
    }
    // Nothing is overwritten without --force; with it, the same bytes.
    dbt(&[]).assert_bad_input(&["lead_scores.sql", "--force"]);
    dbt(&["--force", "-q"]).assert_ok();
    assert_eq!(std::fs::read_to_string(s.path("proj/models/lead_scores.sql")).unwrap(), sql);
    // Without reasons (--reasons 0) the query has no reasons column, so neither do the
    // unit test's expected rows.
    dbt(&["--reasons", "0", "--force", "-q"]).assert_ok();
    let yml0 = std::fs::read_to_string(s.path("proj/models/lead_scores.yml")).unwrap();
    assert!(yml0.contains("unit_tests:") && !yml0.contains("\"reasons\""), "{yml0}");
    // No leads: no unit test, and it says how to add one; no folder: a clear refusal.
    s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--dbt", "proj", "--force"]).assert_ok();
    assert!(!std::fs::read_to_string(s.path("proj/models/lead_scores.yml")).unwrap().contains("unit_tests:"));
    s.run(&["export-sql", "--model", "m", "--dialect", "duckdb", "--dbt", "nowhere"])
        .assert_bad_input(&["nowhere", "dbt_project.yml"]);
}
