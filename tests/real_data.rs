//! Checks on the real public lead data in ../shared/data (issues #2 and #3). They need
//! that folder, so they are ignored by a plain `cargo test`; `.ci/run` runs them with
//! `cargo test -- --ignored` when the folder is there.

use std::path::PathBuf;

use crate::common::Scratch;

fn shared(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(rel);
    assert!(p.is_file(), "{} is not there", p.display());
    p.to_string_lossy().to_string()
}

const X_EXCLUDE: &str = "Prospect ID,Lead Number,Tags,Lead Quality,Lead Profile,Asymmetrique Activity Index,Asymmetrique Profile Index,Asymmetrique Activity Score,Asymmetrique Profile Score,Last Notable Activity";

#[test]
#[ignore = "needs ../shared/data"]
fn x_education_fair_model_reaches_auc_0_86() {
    let s = Scratch::new();
    let data = shared("x-education-leads/Leads.csv");
    let train = |extra: &[&str], model: &str| {
        let mut a = vec!["train", "--data", &data, "--label", "Converted", "--exclude", X_EXCLUDE, "--holdout", "0.3"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--model", model, "--json", "-q"]);
        let r = s.run(&a);
        r.assert_ok();
        r.json()
    };
    let j = train(&[], "m.bin");
    let auc = j["holdout"]["roc_auc"].as_f64().unwrap();
    eprintln!("x-education fair model: {}", j["holdout"]);
    assert!(auc >= 0.86, "holdout ROC AUC {auc}");
    assert!(j["warnings"].as_array().unwrap().iter().all(|w| w["column"] != "Tags"));
    // Issue 33: the final fit on every labelled row leaves the holdout's figures as the
    // measured fit's: the same with --no-refit, which saves the measured fit itself.
    let m = train(&["--no-refit"], "measured.bin");
    assert_eq!(m["holdout"], j["holdout"]);
    assert_eq!(m["threshold_precision"], j["threshold_precision"]);
    assert!(j["train_rows"].as_u64().unwrap() > m["train_rows"].as_u64().unwrap());
}

/// Issue 33: the saved model learns from the most recent leads. UCI bank marketing,
/// trained on the first 80% of rows with --holdout-last (the holdout: the newest 20% of
/// those), scored on the last 20% of rows that neither saw.
#[test]
#[ignore = "needs ../shared/data"]
fn bank_marketing_final_fit_scores_the_next_period_at_auc_0_74() {
    let s = Scratch::new();
    let data = shared("uci-bank-marketing/bank-additional-full.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len() - 1;
    let k = (0.8 * n as f64) as usize;
    let part = |rows: &[&str]| format!("{}\n{}\n", lines[0], rows.join("\n"));
    s.write("first80.csv", part(&lines[1..1 + k]));
    s.write("last20.csv", part(&lines[1 + k..]));
    let next = |extra: &[&str], model: &str| {
        let mut a = vec!["train", "--data", "first80.csv", "--label", "y", "--exclude", "duration", "--holdout-last"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--model", model, "-q"]);
        s.run(&a).assert_ok();
        let r = s.run(&["evaluate", "--model", model, "--data", "last20.csv", "--json", "-q"]);
        r.assert_ok();
        r.json()["roc_auc"].as_f64().unwrap()
    };
    let final_fit = next(&[], "final.bin");
    let measured = next(&["--no-refit"], "measured.bin");
    eprintln!("bank next period: final fit {final_fit:.4}, measured fit (--no-refit) {measured:.4}");
    assert!(final_fit >= 0.74, "the final fit scores the next period at ROC AUC {final_fit}");
    // The measured fit, trained before the newest 20%, extended its lines into the next
    // period's economy until issue 36 (0.486); read at the training range's edge it
    // scores 0.678, and the final fit still gains 0.078 on it.
    assert!(final_fit > measured + 0.05, "{final_fit} against {measured}");
}

#[test]
#[ignore = "needs ../shared/data"]
fn x_education_with_all_columns_warns_about_tags() {
    let s = Scratch::new();
    let data = shared("x-education-leads/Leads.csv");
    let r = s.run(&[
        "train",
        "--data",
        &data,
        "--label",
        "Converted",
        "--holdout",
        "0.3",
        "--model",
        "m.bin",
        "--json",
        "-q",
    ]);
    r.assert_ok();
    let w = r.json()["warnings"].clone();
    eprintln!("x-education all columns: warnings {w}");
    assert!(w.as_array().unwrap().iter().any(|x| x["column"] == "Tags"), "{w}");
}

/// Train on the bank data with the time-ordered holdout; also write the holdout rows
/// (the last 20%) to their own file for `threshold` and `evaluate`.
fn bank(s: &Scratch) -> serde_json::Value {
    let data = shared("uci-bank-marketing/bank-additional-full.csv");
    let r = s.run(&[
        "train",
        "--data",
        &data,
        "--label",
        "y",
        "--exclude",
        "duration",
        "--holdout-last",
        "--holdout",
        "0.2",
        // The fit the holdout measured, so that its file gives the numbers train measured.
        "--no-refit",
        "--model",
        "bank.bin",
        "--json",
        "-q",
    ]);
    r.assert_ok();
    let text = std::fs::read_to_string(&data).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len() - 1;
    let k = (0.2 * n as f64).round() as usize;
    let mut hold = String::from(lines[0]);
    hold.push('\n');
    for l in &lines[1 + n - k..] {
        hold.push_str(l);
        hold.push('\n');
    }
    s.write("holdout.csv", hold);
    r.json()
}

#[test]
#[ignore = "needs ../shared/data"]
fn bank_marketing_time_ordered_holdout_reaches_auc_0_74_and_thresholds_hold() {
    let s = Scratch::new();
    let j = bank(&s);
    let auc = j["holdout"]["roc_auc"].as_f64().unwrap();
    eprintln!("bank: {}", j["holdout"]);
    assert!(auc >= 0.74, "holdout ROC AUC {auc}");
    // Issue 26: the resolution choice, with more folds, still keeps steps:5 on the
    // time-ordered folds (a finer resolution that won one early fold lost 0.05 ROC AUC
    // on the most recent leads).
    assert_eq!(j["resolution"]["chosen"]["steps"], 5, "{}", j["resolution"]);
    // The held-out file gives the same numbers train measured.
    let r = s.run(&["evaluate", "--model", "bank.bin", "--data", "holdout.csv", "--json"]);
    r.assert_ok();
    let ev = r.json();
    assert!((ev["roc_auc"].as_f64().unwrap() - auc).abs() < 1e-12);
    assert_eq!(ev["rows"], j["holdout"]["rows"]);

    let r = s.run(&[
        "threshold",
        "--model",
        "bank.bin",
        "--data",
        "holdout.csv",
        "--strategy",
        "precision:0.5",
        "--output",
        "p.bin",
    ]);
    r.assert_ok();
    eprintln!("{}", r.stdout);
    let r = s.run(&["evaluate", "--model", "p.bin", "--data", "holdout.csv", "--json"]);
    r.assert_ok();
    assert!(r.json()["precision"].as_f64().unwrap() >= 0.5, "{}", r.json());

    let r = s.run(&[
        "threshold",
        "--model",
        "bank.bin",
        "--data",
        "holdout.csv",
        "--strategy",
        "top:500",
        "--output",
        "t.bin",
    ]);
    r.assert_ok();
    eprintln!("{}", r.stdout);
    let r = s.run(&["evaluate", "--model", "t.bin", "--data", "holdout.csv"]);
    r.assert_ok();
    eprintln!("{}", r.stdout);
    let r = s.run(&["evaluate", "--model", "t.bin", "--data", "holdout.csv", "--json"]);
    assert_eq!(r.json()["routed"], 500);
}

/// The last `share` of a CSV's data rows, header kept, bytes as they were (CRLF and all).
fn tail_rows(path: &str, share: f64) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let n = lines.len() - 1;
    let k = (share * n as f64).round() as usize;
    let mut out = lines[0].to_vec();
    for l in &lines[1 + n - k..] {
        out.extend_from_slice(l);
    }
    out
}

#[test]
#[ignore = "needs ../shared/data"]
fn x_education_manual_points_versus_model() {
    let s = Scratch::new();
    let data = shared("x-education-leads/Leads.csv");
    let r = s.run(&[
        "train",
        "--data",
        &data,
        "--label",
        "Converted",
        "--id",
        "Prospect ID",
        "--exclude",
        X_EXCLUDE,
        "--holdout-last",
        "--holdout",
        "0.3",
        "--model",
        "x.bin",
        "--json",
        "-q",
    ]);
    r.assert_ok();
    s.write("holdout.csv", tail_rows(&data, 0.3));
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/x_education_rules.toml");
    let r = s.run(&["compare", "--model", "x.bin", "--rules", rules.to_str().unwrap(), "--data", "holdout.csv"]);
    r.assert_ok();
    eprintln!("{}", r.stdout);
    let r =
        s.run(&["compare", "--model", "x.bin", "--rules", rules.to_str().unwrap(), "--data", "holdout.csv", "--json"]);
    let j = r.json();
    assert_eq!(j["rows"], 2772);
    let (m, p) = (j["manual"]["roc_auc"].as_f64().unwrap(), j["predictive"]["roc_auc"].as_f64().unwrap());
    eprintln!("x-education compare: manual ROC AUC {m:.4}, predictive {p:.4}, equal capacity {}", j["equal_capacity"]);
    assert!(m > 0.6 && p > m, "manual {m} predictive {p}");
}
