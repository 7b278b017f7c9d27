//! `monitor` (issue 16): stable on leads like the training rows, and a shifted column
//! named, with exit code 3.

use crate::common::Scratch;

/// `path` with every `employees` value multiplied by `factor`.
fn scale_employees(s: &Scratch, from: &str, to: &str, factor: f64) {
    let mut r = csv::Reader::from_path(s.path(from)).unwrap();
    let header = r.headers().unwrap().clone();
    let i = header.iter().position(|h| h == "employees").unwrap();
    let mut w = csv::Writer::from_path(s.path(to)).unwrap();
    w.write_record(&header).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let row: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(j, v)| match v.parse::<f64>() {
                Ok(x) if j == i => format!("{}", (x * factor).round()),
                _ => v.to_string(),
            })
            .collect();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn monitor_is_stable_on_like_leads_and_names_a_shifted_column_with_exit_3() {
    let s = Scratch::new();
    s.synth("train.csv", 6000, 81);
    s.trained_model("train.csv", "m");
    let monitor = |data: &str, extra: &[&str]| {
        let mut a = vec!["monitor", "--model", "m", "--data", data, "--as-of", "2025-06-30", "--json", "-q"];
        a.extend_from_slice(extra);
        s.run(&a)
    };
    // Leads drawn like the training rows (three other seeds): every column and the score
    // stable, exit 0.
    for seed in ["82", "83", "84"] {
        let f = format!("like{seed}.csv");
        s.run(&["synth", "--rows", "3000", "--seed", seed, "--output", &f, "-q"]).assert_ok();
        let r = monitor(&f, &[]);
        r.assert_ok();
        let j = r.json();
        let cols = j["columns"].as_array().unwrap();
        assert!(cols.len() >= 16);
        for c in cols {
            assert_eq!(c["band"], "stable", "seed {seed}: {}", c);
            assert_eq!(c["leads"], 3000);
        }
        assert_eq!(j["score"]["band"], "stable");
        assert_eq!(j["worst"], "stable");
        // The precision and routed share expected from the probabilities agree with the
        // training holdout's (both describe leads drawn alike).
        let e = &j["expected"];
        let (p, lo, hi) = (
            e["precision"]["value"].as_f64().unwrap(),
            e["precision"]["ci"][0].as_f64().unwrap(),
            e["precision"]["ci"][1].as_f64().unwrap(),
        );
        assert!(lo < p && p < hi);
        assert!((p - e["training_precision"].as_f64().unwrap()).abs() < 0.08, "{e}");
        assert!((e["routed_share"].as_f64().unwrap() - e["training_routed_share"].as_f64().unwrap()).abs() < 0.05);
    }
    // The training file itself: the profile (counted while fitting) and the monitor
    // (counting what the scorer reads) bin the same values alike.
    let r = monitor("train.csv", &[]);
    r.assert_ok();
    for c in r.json()["columns"].as_array().unwrap() {
        assert!(c["psi"].as_f64().unwrap() < 0.005, "{c}");
    }
    // Company size multiplied by five: employees in the act band, named, exit 3; the
    // other columns stay stable.
    scale_employees(&s, "like82.csv", "shifted.csv", 5.0);
    let r = monitor("shifted.csv", &["--output", "monitor.html"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let j = r.json();
    let act: Vec<&str> = j["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["band"] == "act")
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    assert_eq!(act, ["employees"]);
    assert!(j["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["column"] != "employees")
        .all(|c| c["band"] == "stable"));
    let emp = j["columns"].as_array().unwrap().iter().find(|c| c["column"] == "employees").unwrap();
    assert!(emp["psi"].as_f64().unwrap() > 0.25 && emp["p_value"].as_f64().unwrap() < 1e-6, "{emp}");
    let page = std::fs::read_to_string(s.path("monitor.html")).unwrap();
    assert!(page.contains("data-worst=\"act\"") && page.contains("employees (PSI"));
    // The stability chart's axis starts at 0 (PSI is never negative) and draws the watch
    // and act bands as labelled lines (issue 27: it ran from -0.02 to 0.02 without them).
    let chart =
        page.split("<svg").skip(1).find(|svg| svg.contains("Population stability index")).expect("the stability chart");
    let texts: Vec<&str> =
        chart.split("<text").skip(1).filter_map(|t| t.split_once('>').map(|(_, rest)| rest)).collect();
    let labels: Vec<&str> = texts.iter().filter_map(|t| t.split_once("</text>").map(|(l, _)| l.trim())).collect();
    assert!(labels.contains(&"0.1 watch") && labels.contains(&"0.25 act"), "{labels:?}");
    assert!(labels.contains(&"0.0") && !labels.iter().any(|l| l.starts_with('-')), "{labels:?}");
    // The human summary says it in words.
    let r = s.run(&["monitor", "--model", "m", "--data", "shifted.csv", "--as-of", "2025-06-30"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.contains("ACT: employees moved beyond PSI 0.25"), "{}", r.stdout);
    // With labels: realised figures beside the training holdout's.
    let r = monitor("like83.csv", &["--label", "outcome"]);
    r.assert_ok();
    let real = &r.json()["realised"];
    assert_eq!(real["leads"], 3000);
    let auc = real["roc_auc"]["value"].as_f64().unwrap();
    assert!(auc > 0.7 && real["roc_auc"]["ci"][0].as_f64().unwrap() < auc);
    assert!(real["training_roc_auc"].as_f64().unwrap() > 0.7);
    // A year later the model is too old.
    let r = s.run(&["monitor", "--model", "m", "--data", "like83.csv", "--as-of", "2026-07-30", "--json", "-q"]);
    assert!(r.json()["model_too_old"].as_bool().unwrap());
    // A model written before profiles (format version 1) still scores; monitor asks for
    // a retrain.
    let mut old = leadscore::model_file::from_bytes(&std::fs::read(s.path("m")).unwrap(), &s.path("m")).unwrap();
    old.profile = None;
    old.record = None;
    let bytes = leadscore::model_file::to_bytes(&old).unwrap();
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 1);
    s.write("old.model", bytes);
    s.run(&["score", "--model", "old.model", "--data", "like82.csv", "--output", "o.csv", "-q"]).assert_ok();
    s.run(&["monitor", "--model", "old.model", "--data", "like82.csv"]).assert_bad_input(&["old.model", "retrain it"]);
}
