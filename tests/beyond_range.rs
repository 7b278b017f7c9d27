//! Shapes stay flat beyond what training saw (issue 36, part 5): a number or date beyond
//! the training range scores as the range's edge on every scoring path (the parallel CSV
//! path, the streaming path, the in-memory path, `serve`), its reason says so, `monitor`
//! counts such values, and `--beyond-range extend` keeps the line the fit ends on. The
//! exported query's parity on such leads runs in CI (`.ci/run`, the "beyond" cases on
//! DuckDB, PostgreSQL and Spark).

use std::collections::HashMap;

use polars::prelude::{ParquetReader, SerReader};
use serde_json::{json, Map, Value};

use crate::common::server::Server;
use crate::common::{csv_column, Scratch};

/// The training as-of date of the sample data (its latest date), given explicitly.
const AS_OF: &str = "2025-06-29";

/// The sample data's column as text.
fn sample_column(name: &str) -> Vec<String> {
    csv_column(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_leads.csv"), name)
}

/// Leads: copies of one new lead, each with one cell set, by id.
fn write_leads(s: &Scratch, cases: &[(&str, &str, String)]) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/new_leads.csv");
    let mut rdr = csv::Reader::from_path(src).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let base = rdr.records().next().unwrap().unwrap();
    let mut w = csv::Writer::from_path(s.path("leads.csv")).unwrap();
    w.write_record(&headers).unwrap();
    for (id, column, value) in cases {
        let rec: Vec<String> = headers
            .iter()
            .zip(base.iter())
            .map(|(h, v)| match h {
                "lead_id" => id.to_string(),
                h if h == *column => value.clone(),
                _ => v.to_string(),
            })
            .collect();
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
}

/// A scored CSV file's (probability, reasons) by lead id.
fn scored(path: &std::path::Path) -> HashMap<String, (f64, String)> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let h = rdr.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (id, p, r) = (at("lead_id"), at("probability"), at("reasons"));
    rdr.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[id].to_string(), (rec[p].parse().unwrap(), rec[r].to_string()))
        })
        .collect()
}

/// The reason of `column` among a lead's reasons.
fn reason_of<'a>(reasons: &'a str, column: &str) -> &'a str {
    // A reason ends at its first ")" (the values here have none).
    let at = reasons.find(&format!("{column} = ")).unwrap_or_else(|| panic!("no {column} in {reasons}"));
    let end = at + reasons[at..].find(')').unwrap() + 1;
    &reasons[at..end]
}

#[test]
fn a_value_beyond_the_training_range_scores_as_the_edge_on_every_path_and_its_reason_says_so() {
    let s = Scratch::new();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_leads.csv");
    let numbers = |name: &str| -> Vec<f64> { sample_column(name).iter().filter_map(|v| v.parse().ok()).collect() };
    let max_employees = numbers("employees").into_iter().fold(f64::MIN, f64::max);
    let max_visits = numbers("website_visits").into_iter().fold(f64::MIN, f64::max);
    let earliest = sample_column("created_date").into_iter().filter(|d| !d.is_empty()).min().unwrap();
    // Whole numbers in the file: their text as the file writes them.
    let (emp, visits) = (format!("{}", max_employees as i64), format!("{}", max_visits as i64));
    let cases: Vec<(&str, &str, String)> = vec![
        ("emp_edge", "employees", emp.clone()),
        ("emp_x10", "employees", format!("{}", max_employees as i64 * 10)),
        ("emp_1e9", "employees", "1000000000".into()),
        ("emp_1e308", "employees", "1e308".into()),
        ("visits_edge", "website_visits", visits.clone()),
        ("visits_huge", "website_visits", "100000".into()),
        ("created_edge", "created_date", earliest.clone()),
        ("created_1990", "created_date", "1990-01-01".into()),
    ];
    write_leads(&s, &cases);
    let sample = sample.to_str().unwrap();
    // A model with steps and one with splines; the numbers and dates of both read beyond
    // the training range as the edge by default.
    for (model, resolution) in [("steps.model", "steps:5"), ("spline.model", "spline:4")] {
        s.run(&[
            "train",
            "--data",
            sample,
            "--label",
            "outcome",
            "--id",
            "lead_id",
            "--as-of",
            AS_OF,
            "--resolution",
            resolution,
            "--model",
            model,
            "-q",
        ])
        .assert_ok();
        let score = |out: &str, extra: &[&str]| {
            let mut a =
                vec!["score", "--model", model, "--data", "leads.csv", "--as-of", AS_OF, "--reasons", "20", "-q"];
            a.extend_from_slice(&["--output", out, "--force"]);
            a.extend_from_slice(extra);
            s.run(&a).assert_ok();
        };
        score("fast.csv", &[]);
        score("general.csv", &["--general-path"]);
        score("memory.parquet", &[]);
        assert_eq!(std::fs::read(s.path("fast.csv")).unwrap(), std::fs::read(s.path("general.csv")).unwrap());
        let got = scored(&s.path("fast.csv"));
        // The in-memory path: the same probabilities and reasons.
        let df = ParquetReader::new(std::fs::File::open(s.path("memory.parquet")).unwrap()).finish().unwrap();
        let ids = df.column("lead_id").unwrap().str().unwrap().clone();
        let ps = df.column("probability").unwrap().f64().unwrap().clone();
        let rs = df.column("reasons").unwrap().str().unwrap().clone();
        for k in 0..df.height() {
            let (p, r) = &got[ids.get(k).unwrap()];
            assert_eq!(ps.get(k).unwrap().to_bits(), p.to_bits());
            assert_eq!(rs.get(k).unwrap(), r);
        }
        // Beyond the range: the edge's probability, bit for bit.
        for (edge, beyond) in [
            ("emp_edge", "emp_x10"),
            ("emp_edge", "emp_1e9"),
            ("emp_edge", "emp_1e308"),
            ("visits_edge", "visits_huge"),
            ("created_edge", "created_1990"),
        ] {
            assert_eq!(got[edge].0.to_bits(), got[beyond].0.to_bits(), "{model}: {beyond} against {edge}");
        }
        // The reasons say so, and the edge itself is inside the range.
        let seen = |id: &str, column: &str| reason_of(&got[id].1, column).to_string();
        assert!(!seen("emp_edge", "employees").contains("seen in training"), "{}", seen("emp_edge", "employees"));
        let r = seen("emp_1e9", "employees");
        assert!(r.starts_with(&format!("employees = 1000000000 (above the {emp} seen in training; ")), "{model}: {r}");
        let r = seen("visits_huge", "website_visits");
        assert!(r.starts_with(&format!("website_visits = 100000 (above the {visits} seen in training; ")), "{r}");
        let r = seen("created_1990", "created_date");
        let days = (chrono::NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap()
            - chrono::NaiveDate::parse_from_str(&earliest, "%Y-%m-%d").unwrap())
        .num_days();
        assert!(
            r.starts_with(&format!(
                "created_date = 1990-01-01 (older than the {days} days before the as-of date seen in training; "
            )),
            "{model}: {r}"
        );
        // The contribution the reason shows is the edge's.
        let contribution = |r: &str| r.rsplit([' ', '(']).next().unwrap().to_string();
        assert_eq!(contribution(&seen("emp_1e9", "employees")), contribution(&seen("emp_edge", "employees")));

        // serve: the same bits and reasons.
        let server = Server::start(&s, model, &["-q", "--reasons", "20"], &[]);
        let mut rdr = csv::Reader::from_path(s.path("leads.csv")).unwrap();
        let h = rdr.headers().unwrap().clone();
        let leads: Vec<Map<String, Value>> = rdr
            .records()
            .map(|r| h.iter().zip(r.unwrap().iter()).map(|(k, v)| (k.to_string(), json!(v))).collect())
            .collect();
        let answer = server.post_json(&json!({ "as_of": AS_OF, "leads": leads }).to_string());
        let served = answer["leads"].as_array().unwrap();
        assert_eq!(served.len(), cases.len());
        for g in served {
            let (p, r) = &got[g["id"].as_str().unwrap()];
            assert_eq!(g["probability"].as_f64().unwrap().to_bits(), p.to_bits(), "serve: {}", g["id"]);
            assert_eq!(g["reasons"].as_str().unwrap(), r, "serve: {}", g["id"]);
        }
        server.terminate();
    }
}

#[test]
fn extend_keeps_the_line_and_monitor_counts_values_beyond_the_range() {
    let s = Scratch::new();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_leads.csv");
    let sample = sample.to_str().unwrap();
    let base = ["train", "--data", sample, "--label", "outcome", "--id", "lead_id", "--as-of", AS_OF, "-q"];
    let train = |model: &str, extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(&["--model", model, "--resolution", "steps:5"]);
        a.extend_from_slice(extra);
        s.run(&a).assert_ok();
    };
    train("edge.model", &[]);
    train("extend.model", &["--beyond-range", "extend"]);
    write_leads(
        &s,
        &[
            ("a", "employees", "60000".into()),
            ("b", "employees", "1000000000".into()),
            ("c", "employees", "-3".into()),
            ("d", "employees", "120".into()),
        ],
    );
    for model in ["edge.model", "extend.model"] {
        s.run(&[
            "score",
            "--model",
            model,
            "--data",
            "leads.csv",
            "--as-of",
            AS_OF,
            "--output",
            "o.csv",
            "--force",
            "-q",
        ])
        .assert_ok();
        let got = scored(&s.path("o.csv"));
        let same = got["a"].0.to_bits() == got["b"].0.to_bits();
        // Extending: the straight line on log1p(employees) goes on past 1e9.
        assert_eq!(same, model == "edge.model", "{model}: {} and {}", got["a"].0, got["b"].0);
        assert_eq!(got["b"].1.contains("seen in training"), model == "edge.model", "{}", got["b"].1);
    }
    // inspect names the setting.
    let r = s.run(&["inspect", "edge.model"]);
    r.assert_ok();
    assert!(r.stdout.contains("beyond-range edge"), "{}", r.stdout);
    let r = s.run(&["inspect", "extend.model"]);
    assert!(r.stdout.contains("beyond-range extend"), "{}", r.stdout);
    // monitor counts the leads below and above the range, per column, in its JSON.
    let r = s.run(&["monitor", "--model", "edge.model", "--data", "leads.csv", "--as-of", AS_OF, "--json", "-q"]);
    let m: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let emp = m["columns"].as_array().unwrap().iter().find(|c| c["column"] == "employees").unwrap();
    assert_eq!(emp["above_range_leads"], 2, "{emp}");
    assert_eq!(emp["below_range_leads"], 1, "{emp}");
    let r = s.run(&["monitor", "--model", "edge.model", "--data", "leads.csv", "--as-of", AS_OF, "-q"]);
    assert!(r.stdout.contains("2 leads above the range seen in training"), "{}", r.stdout);
}
