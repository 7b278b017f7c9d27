//! Evaluation and the threshold chosen from precision and recall (issue #3).

use crate::common::{csv_column, Scratch};
use leadscore::model_file;

fn setup(s: &Scratch) {
    s.synth("train.csv", 3000, 41);
    s.trained_model("train.csv", "m.bin");
    s.synth("holdout.csv", 1500, 42);
}

#[test]
fn evaluate_json_has_every_field() {
    let s = Scratch::new();
    setup(&s);
    let r = s.run(&["evaluate", "--model", "m.bin", "--data", "holdout.csv", "--json"]);
    r.assert_ok();
    let j = r.json();
    for k in [
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "ece",
        "base_rate",
        "threshold",
        "precision",
        "recall",
        "f1",
        "routed",
    ] {
        assert!(j[k].is_number(), "{k} missing: {j}");
    }
    assert_eq!(j["rows"], 1500);
    assert_eq!(j["calibration"].as_array().unwrap().len(), 10);
    let bands = j["bands"].as_array().unwrap();
    assert_eq!(bands.len(), 10);
    let leads: u64 = bands.iter().map(|b| b["leads"].as_u64().unwrap()).sum();
    assert_eq!(leads, 1500);
    // The best decile converts better than the worst.
    assert!(bands[0]["conversion_rate"].as_f64() > bands[9]["conversion_rate"].as_f64());
    assert_eq!(j["tiers"].as_array().unwrap().len(), 3);
    let c = &j["confusion"];
    let routed = c["true_positives"].as_u64().unwrap() + c["false_positives"].as_u64().unwrap();
    assert_eq!(routed, j["routed"].as_u64().unwrap());
    // Human output carries the gains table.
    let r = s.run(&["evaluate", "--model", "m.bin", "--data", "holdout.csv"]);
    r.assert_ok();
    assert!(r.stdout.contains("gains by score decile") && r.stdout.contains("cum. lift"), "{}", r.stdout);
}

fn evaluate(s: &Scratch, model: &str) -> serde_json::Value {
    let r = s.run(&["evaluate", "--model", model, "--data", "holdout.csv", "--json"]);
    r.assert_ok();
    r.json()
}

#[test]
fn precision_target_gives_at_least_that_precision() {
    let s = Scratch::new();
    setup(&s);
    let r = s.run(&[
        "threshold",
        "--model",
        "m.bin",
        "--data",
        "holdout.csv",
        "--strategy",
        "precision:0.4",
        "--output",
        "p.bin",
        "-q",
    ]);
    r.assert_ok();
    assert!(r.stdout.contains("->"), "{}", r.stdout);
    let j = evaluate(&s, "p.bin");
    assert!(j["precision"].as_f64().unwrap() >= 0.4, "{j}");
    // Recall target.
    s.run(&[
        "threshold",
        "--model",
        "m.bin",
        "--data",
        "holdout.csv",
        "--strategy",
        "recall:0.8",
        "--output",
        "r.bin",
        "-q",
    ])
    .assert_ok();
    assert!(evaluate(&s, "r.bin")["recall"].as_f64().unwrap() >= 0.8);
}

#[test]
fn top_k_routes_exactly_k_leads() {
    let s = Scratch::new();
    setup(&s);
    s.run(&[
        "threshold",
        "--model",
        "m.bin",
        "--data",
        "holdout.csv",
        "--strategy",
        "top:150",
        "--output",
        "t.bin",
        "-q",
    ])
    .assert_ok();
    assert_eq!(evaluate(&s, "t.bin")["routed"], 150);
    s.run(&[
        "threshold",
        "--model",
        "m.bin",
        "--data",
        "holdout.csv",
        "--strategy",
        "top:10%",
        "--output",
        "t2.bin",
        "-q",
    ])
    .assert_ok();
    assert_eq!(evaluate(&s, "t2.bin")["routed"], 150);
}

#[test]
fn value_and_fbeta_strategies_choose_a_threshold() {
    let s = Scratch::new();
    setup(&s);
    for (st, out) in [("value:1000,50", "v.bin"), ("fbeta:2", "b.bin"), ("f1", "f.bin")] {
        s.run(&["threshold", "--model", "m.bin", "--data", "holdout.csv", "--strategy", st, "--output", out, "-q"])
            .assert_ok();
        let m = model_file::load(&s.path(out)).unwrap();
        assert_eq!(m.threshold.strategy, st);
        assert!(m.threshold.chosen_on.contains("holdout.csv"));
    }
    // F2 favours recall: a lower threshold than F1.
    let f1 = model_file::load(&s.path("f.bin")).unwrap().threshold.value;
    let f2 = model_file::load(&s.path("b.bin")).unwrap().threshold.value;
    assert!(f2 <= f1, "f2 {f2} f1 {f1}");
}

#[test]
fn threshold_without_output_replaces_the_model_in_place() {
    let s = Scratch::new();
    setup(&s);
    let before = model_file::load(&s.path("m.bin")).unwrap();
    s.run(&["threshold", "--model", "m.bin", "--data", "holdout.csv", "--strategy", "top:40", "-q"]).assert_ok();
    let after = model_file::load(&s.path("m.bin")).unwrap();
    assert_ne!(before.threshold.value, after.threshold.value);
    assert_eq!(before.coef, after.coef);
    assert_eq!(after.tiers.cuts[1], after.threshold.value, "hot tier follows the threshold");
}

#[test]
fn unreachable_target_says_the_best_reachable_value() {
    use leadscore::metrics::curve;
    use leadscore::threshold::{choose, Strategy};
    // The best-scored lead is lost, so precision 1.0 is out of reach: the best is 2/3.
    let c = curve(&[0.9, 0.8, 0.7, 0.1], &[false, true, true, false]);
    let e = choose(&c, &Strategy::Precision(0.9)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "threshold strategy precision:0.9: no threshold reaches precision 0.9; the best reachable is 0.6667"
    );
    assert!(e.exit_code() == 2);
    // Through the binary, on a model and data where a target is out of reach, nothing is written.
    let s = Scratch::new();
    setup(&s);
    let r = s.run(&[
        "threshold",
        "--model",
        "m.bin",
        "--data",
        "holdout.csv",
        "--strategy",
        "fbeta:0",
        "--output",
        "x.bin",
    ]);
    r.assert_bad_input(&["beta must be above 0"]);
    assert!(!s.path("x.bin").exists());
}

#[test]
fn holdout_with_no_won_leads_is_a_clear_error() {
    let s = Scratch::new();
    let mut csv = String::from("x,y,won\n");
    for i in 0..100 {
        // The last 20 rows are all lost.
        let won = i < 80 && i % 3 == 0;
        csv.push_str(&format!("{},{},{}\n", i % 9, i % 4, won as u8));
    }
    s.write("a.csv", csv);
    s.run(&["train", "--data", "a.csv", "--label", "won", "--holdout-last", "--model", "m.bin"])
        .assert_bad_input(&["holdout", "0 won leads of 20"]);
    assert!(!s.path("m.bin").exists());
}

#[test]
fn tiers_can_be_named_lifecycle_stages() {
    let s = Scratch::new();
    s.synth("train.csv", 2000, 43);
    s.run(&[
        "train",
        "--data",
        "train.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--tiers",
        "contact,mql:0.1,sql:0.3",
        "--model",
        "m.bin",
        "-q",
    ])
    .assert_ok();
    s.run(&["score", "--model", "m.bin", "--data", "train.csv", "--output", "s.csv", "-q"]).assert_ok();
    let p = crate::common::csv_f64(&s.path("s.csv"), "probability");
    let t = csv_column(&s.path("s.csv"), "tier");
    for (p, t) in p.iter().zip(&t) {
        let want = if *p >= 0.3 {
            "sql"
        } else if *p >= 0.1 {
            "mql"
        } else {
            "contact"
        };
        assert_eq!(t, want);
    }
    s.run(&["train", "--data", "train.csv", "--label", "outcome", "--tiers", "a,b:0.5,c:0.2", "--model", "m2.bin"])
        .assert_bad_input(&["--tiers", "increase"]);
}

#[test]
fn cross_validation_and_alpha_search_are_reported() {
    let s = Scratch::new();
    s.synth("train.csv", 1500, 44);
    let r = s.run(&[
        "train",
        "--data",
        "train.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--cv",
        "3",
        "--alpha",
        "auto",
        "--model",
        "m.bin",
        "--json",
        "-q",
    ]);
    r.assert_ok();
    let j = r.json();
    assert_eq!(j["alpha_search"].as_array().unwrap().len(), 5);
    assert_eq!(j["cv_roc_auc"].as_array().unwrap().len(), 3);
    let chosen = j["alpha"].as_f64().unwrap();
    let best = j["alpha_search"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| a["cv_roc_auc"].as_f64().unwrap().total_cmp(&b["cv_roc_auc"].as_f64().unwrap()))
        .unwrap();
    assert_eq!(best["alpha"].as_f64().unwrap(), chosen);
    assert!(r.stderr.contains("cross-validation: ROC AUC"), "{}", r.stderr);
}

#[test]
fn curves_are_exported_for_plotting() {
    let s = Scratch::new();
    setup(&s);
    s.run(&["evaluate", "--model", "m.bin", "--data", "holdout.csv", "--curves", "c.csv"]).assert_ok();
    let text = std::fs::read_to_string(s.path("c.csv")).unwrap();
    assert!(text.starts_with("threshold,precision,recall,fpr,tpr,routed\n"));
    let routed = csv_column(&s.path("c.csv"), "routed");
    assert_eq!(routed.last().unwrap(), "1500");
}

/// Issue 34: `demo` measures its threshold on leads it was not chosen on
/// (data/evaluation_leads.csv, which neither the fit nor the threshold saw), and the
/// figures it prints are `evaluate`'s on that file.
#[test]
fn demo_measures_the_threshold_on_leads_it_was_not_chosen_on() {
    let s = Scratch::new();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let r = s.run(&["demo", "--data-dir", data, "--output", "out", "-q"]);
    r.assert_ok();
    let section = r.stdout.split("== 5. the threshold on ").nth(1).expect("the demo's evaluation section");
    assert!(section.starts_with(&format!("{data}/evaluation_leads.csv")), "{section}");
    let demo_line = section.lines().find(|l| l.starts_with("at the threshold")).expect("its threshold line");
    let e = s.run(&["evaluate", "--model", "out/model.leadscore", "--data", &format!("{data}/evaluation_leads.csv")]);
    e.assert_ok();
    assert!(e.stdout.lines().any(|l| l == demo_line), "demo: {demo_line}\nevaluate:\n{}", e.stdout);
    // Not the training file's leads: no id of the evaluation file is in the training file.
    let ids = |f: &str| -> std::collections::HashSet<String> {
        std::fs::read_to_string(format!("{data}/{f}"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    let (train, eval, tune) = (ids("sample_leads.csv"), ids("evaluation_leads.csv"), ids("holdout_leads.csv"));
    assert!(train.is_disjoint(&eval) && tune.is_disjoint(&eval));
}
