//! Pairwise interactions (issue 36, part 3): a model trained with `--interactions` keeps
//! its pairs in the model file, every scoring path adds them the same way, each lead's
//! reasons still add up to its log-odds with the pairs among them, a pair averages 0
//! over the rows it was centred on, the query names them, `rules suggest` writes them as
//! combined rules worth what the model adds, and what does not read pairs yet says so.

use crate::common::{csv_column, csv_f64, split_reasons, Scratch};
use leadscore::{data, model_file, score};

/// A model with three pairs on 4,000 synthetic leads (trained once per test that asks).
fn paired(s: &Scratch) {
    s.synth("leads.csv", 4000, 361);
    s.run(&[
        "train",
        "--data",
        "leads.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--model",
        "m.bin",
        "--interactions",
        "3",
        "-q",
    ])
    .assert_ok();
}

#[test]
fn pairs_are_kept_scored_alike_on_every_path_and_their_reasons_add_up() {
    let s = Scratch::new();
    paired(&s);
    let model = model_file::load(&s.path("m.bin")).unwrap();
    assert_eq!(model.pairs.len(), 3, "three pairs asked for");
    assert_eq!(model_file::load_with_info(&s.path("m.bin")).unwrap().1.format_version, 7);
    assert_eq!(model.record.as_ref().unwrap().settings.interactions, "3");
    let table = data::load(&s.path("leads.csv")).unwrap();
    let day = model.features.as_of_day.unwrap();
    let scored = score::predict_table(&model, &table, day).unwrap();
    let explained = score::explain_table(&model, &table, day, 3).unwrap();
    let n_cols = model.features.columns.len();
    let mut pair_sum = vec![0.0f64; model.pairs.len()];
    let mut moved = 0usize;
    for (i, e) in explained.iter().enumerate() {
        // The columns' contributions, then each pair's; with the intercept, the log-odds.
        assert_eq!(e.contributions.len(), n_cols + model.pairs.len());
        let total = model.intercept + e.contributions.iter().sum::<f64>();
        assert!((total - scored.log_odds[i]).abs() < 1e-9, "lead {i}: {total} vs {}", scored.log_odds[i]);
        for (k, c) in e.contributions[n_cols..].iter().enumerate() {
            pair_sum[k] += c;
            moved += (c.abs() > 1e-6) as usize;
        }
        for r in &e.reasons {
            if r.column.contains(" x ") {
                let k = model.pairs.iter().position(|p| p.name(&model.features.columns) == r.column).unwrap();
                assert_eq!(r.contribution, e.contributions[n_cols + k], "lead {i}");
                assert!(r.value.contains(" x "), "a pair's reason shows its cell: {}", r.value);
            }
        }
    }
    assert!(moved > 0, "the pairs move some leads' log-odds");
    // Centred on the labelled rows the final fit learned from (here every row).
    for (k, total) in pair_sum.iter().enumerate() {
        assert!((total / 4000.0).abs() < 1e-9, "pair {k} averages {}", total / 4000.0);
    }
    // The CSV path (parallel), the Parquet path (in memory) and `evaluate`: the same bits.
    let as_of = leadscore::cell::from_day_number(day).unwrap().to_string();
    for out in ["s.csv", "s.parquet"] {
        let args = ["score", "--model", "m.bin", "--data", "leads.csv", "--output", out, "--reasons", "3", "--as-of"];
        s.run(&[&args[..], &[as_of.as_str(), "-q"]].concat()).assert_ok();
    }
    let fast = csv_f64(&s.path("s.csv"), "probability");
    let mut parquet = std::fs::File::open(s.path("s.parquet")).unwrap();
    use polars::prelude::SerReader;
    let frame = polars::prelude::ParquetReader::new(&mut parquet).finish().unwrap();
    let memory: Vec<f64> =
        frame.column("probability").unwrap().f64().unwrap().into_no_null_iter().collect::<Vec<f64>>();
    for i in 0..fast.len() {
        assert_eq!(fast[i].to_bits(), memory[i].to_bits(), "lead {i}");
        assert_eq!(fast[i].to_bits(), scored.probability[i].to_bits(), "lead {i}");
    }
    // A pair's reason reads `a x b = bin x bin (+0.30)`.
    let re = regex::Regex::new(r"^[a-z_]+ x [a-z_]+ = [^;=]+ x [^;=]+ \([+-]\d+\.\d\d\)$").unwrap();
    let pair_reasons: Vec<String> = csv_column(&s.path("s.csv"), "reasons")
        .iter()
        .flat_map(|t| split_reasons(t))
        .filter(|r| r.split(" = ").next().is_some_and(|c| c.contains(" x ")))
        .collect();
    assert!(!pair_reasons.is_empty(), "some lead's reasons name a pair");
    for r in &pair_reasons {
        assert!(re.is_match(r), "{r}");
    }
    // `monitor` compares each pair's cells with those it was fitted on; the report draws
    // each pair as a heat map.
    let mon = s.run(&["monitor", "--model", "m.bin", "--data", "leads.csv", "--as-of", &as_of, "--json", "-q"]);
    let json: serde_json::Value = serde_json::from_str(&mon.stdout).unwrap();
    let parts: Vec<&str> = json["columns"].as_array().unwrap().iter().filter_map(|c| c["part"].as_str()).collect();
    for p in &model.pairs {
        let name = format!("{} (pair)", p.name(&model.features.columns));
        assert!(parts.contains(&name.as_str()), "{name} in {parts:?}");
    }
    let on_training =
        json["columns"].as_array().unwrap().iter().filter(|c| c["part"].as_str().unwrap().ends_with("(pair)"));
    for c in on_training {
        assert!(c["psi"].as_f64().unwrap() < 1e-6, "the training rows themselves do not drift: {c}");
    }
    s.run(&["report", "--model", "m.bin", "--data", "leads.csv", "--output", "r.html", "-q"]).assert_ok();
    let html = std::fs::read_to_string(s.path("r.html")).unwrap();
    assert_eq!(html.matches("<table class=\"heat\">").count(), 3, "one heat map per pair");
    // `inspect` lists the pairs; the setting is kept for `retrain`.
    let text = s.run(&["inspect", "m.bin"]);
    text.assert_ok();
    assert!(text.stdout.contains("pairwise interactions: 3"), "{}", text.stdout);
    assert!(text.stdout.contains("interactions") && text.stdout.contains(" 3"), "{}", text.stdout);
}

#[test]
fn what_does_not_read_pairs_yet_says_so_and_auto_is_the_default() {
    let s = Scratch::new();
    paired(&s);
    // export-sql writes each pair's cells (their parity on DuckDB, PostgreSQL and Spark is
    // CI's SQL step: .ci/run, the cases `pairs` and `pairs_hostile`).
    s.run(&["export-sql", "--model", "m.bin", "--dialect", "duckdb", "--output", "q.sql", "-q"]).assert_ok();
    let query = std::fs::read_to_string(s.path("q.sql")).unwrap();
    let model = model_file::load(&s.path("m.bin")).unwrap();
    for p in &model.pairs {
        assert!(query.contains(&format!("'{}'", p.name(&model.features.columns))), "the query names each pair");
    }
    // rules suggest writes the pairs as combined rules (`and`): see the test below.
    s.run(&["rules", "suggest", "--model", "m.bin", "--output", "rules.toml", "-q"]).assert_ok();
    let rules = std::fs::read_to_string(s.path("rules.toml")).unwrap();
    assert!(rules.contains("pairwise interactions") && rules.contains("\nand = [{ field = "), "{rules}");
    // With --segment-by: a number of pairs is refused; auto (the default) seeks none.
    let seg = s.run(&[
        "train",
        "--data",
        "leads.csv",
        "--label",
        "outcome",
        "--model",
        "seg.bin",
        "--segment-by",
        "industry",
        "--interactions",
        "4",
        "-q",
    ]);
    seg.assert_bad_input(&["--interactions", "--segment-by"]);
    s.run(&[
        "train",
        "--data",
        "leads.csv",
        "--label",
        "outcome",
        "--model",
        "seg.bin",
        "--segment-by",
        "industry",
        "-q",
    ])
    .assert_ok();
    assert!(model_file::load(&s.path("seg.bin")).unwrap().pairs.is_empty());
    // auto is the model without the flag, byte for byte; off writes format version 6.
    for (name, extra) in [("plain.bin", None), ("auto.bin", Some("auto")), ("off.bin", Some("off"))] {
        let mut args =
            vec!["train", "--data", "leads.csv", "--label", "outcome", "--id", "lead_id", "--model", name, "-q"];
        if let Some(v) = extra {
            args.extend(["--interactions", v]);
        }
        s.run(&args).assert_ok();
    }
    assert_eq!(std::fs::read(s.path("plain.bin")).unwrap(), std::fs::read(s.path("auto.bin")).unwrap());
    assert_eq!(model_file::load_with_info(&s.path("off.bin")).unwrap().1.format_version, 6);
    // A bad value: the flag, the value and what it takes.
    let bad =
        s.run(&["train", "--data", "leads.csv", "--label", "outcome", "--model", "x.bin", "--interactions", "many"]);
    bad.assert_bad_input(&["--interactions", "auto, off or a number"]);
}

/// `rules suggest` turns each pair into combined rules (`and`): on every lead, the points
/// of a pair's rules are the pair's contribution to the log-odds times the points per
/// unit of log-odds (with a --pdo so large that rounding to whole points is ~1e-7).
#[test]
fn rules_suggest_writes_each_pair_as_combined_rules_worth_its_contribution() {
    let s = Scratch::new();
    paired(&s);
    let model = model_file::load(&s.path("m.bin")).unwrap();
    let pdo = 2_000_000.0;
    s.run(&["rules", "suggest", "--model", "m.bin", "--pdo", "2000000", "--output", "r.toml", "-q"]).assert_ok();
    let text = std::fs::read_to_string(s.path("r.toml")).unwrap();
    let table = data::load(&s.path("leads.csv")).unwrap();
    let day = model.features.as_of_day.unwrap();
    let as_of = leadscore::cell::from_day_number(day).unwrap().to_string();
    s.run(&["rules", "--rules", "r.toml", "--data", "leads.csv", "--as-of", &as_of, "--output", "pts.csv", "-q"])
        .assert_ok();
    let explained = score::explain_table(&model, &table, day, 3).unwrap();
    let n_cols = model.features.columns.len();
    let factor = pdo / std::f64::consts::LN_2;
    let header: Vec<String> = {
        let t = std::fs::read_to_string(s.path("pts.csv")).unwrap();
        t.lines().next().unwrap().split(',').map(str::to_string).collect()
    };
    let mut checked = 0;
    for (k, pair) in model.pairs.iter().enumerate() {
        let name = pair.name(&model.features.columns);
        let (a, b) = name.split_once(" x ").unwrap();
        let rules: Vec<&String> = header
            .iter()
            .filter(|h| h.starts_with(&format!("rule: {a} ")) && h.contains(&format!(" x {b} ")))
            .collect();
        if text.contains(&format!("{name}.")) || text.contains(&format!("{name},")) {
            assert!(rules.is_empty(), "{name} is listed as left out but has rules");
            continue;
        }
        assert!(!rules.is_empty(), "no rules for {name}:\n{text}");
        let columns: Vec<Vec<f64>> = rules.iter().map(|r| csv_f64(&s.path("pts.csv"), r.as_str())).collect();
        for (i, e) in explained.iter().enumerate() {
            let points: f64 = columns.iter().map(|c| c[i]).sum();
            let want = e.contributions[n_cols + k];
            assert!(
                (points / factor - want).abs() < 1e-5,
                "lead {i}, {name}: the rules give {} log-odds, the model {want}",
                points / factor
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no pair became rules:\n{text}");
}
