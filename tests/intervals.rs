//! Numbers people can trust (issue 17): DeLong's intervals and paired test against a
//! plain all-pairs implementation (and, in `.ci/run`, an independent Python one),
//! intervals in every summary, "no signal" on data without any, calibration figures and
//! maps, and the sample-size warnings.

use leadscore::uncertainty::{auc_difference, auc_interval, delong};
use rand::{Rng, SeedableRng};

use crate::common::Scratch;

/// DeLong's structural components the plain way: every (won, lost) pair.
fn delong_all_pairs(a: &[f64], b: &[f64], y: &[bool]) -> ([f64; 2], [[f64; 2]; 2]) {
    let psi = |x: f64, z: f64| {
        if x > z {
            1.0
        } else if x == z {
            0.5
        } else {
            0.0
        }
    };
    let pos: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
    let neg: Vec<usize> = (0..y.len()).filter(|&i| !y[i]).collect();
    let (m, n) = (pos.len() as f64, neg.len() as f64);
    let scores = [a, b];
    let mut v10 = [vec![], vec![]];
    let mut v01 = [vec![], vec![]];
    let mut auc = [0.0; 2];
    for k in 0..2 {
        let s = scores[k];
        v10[k] = pos.iter().map(|&i| neg.iter().map(|&j| psi(s[i], s[j])).sum::<f64>() / n).collect();
        v01[k] = neg.iter().map(|&j| pos.iter().map(|&i| psi(s[i], s[j])).sum::<f64>() / m).collect();
        auc[k] = v10[k].iter().sum::<f64>() / m;
    }
    let cov = |v: &[Vec<f64>; 2], p: usize, q: usize| {
        let len = v[p].len() as f64;
        let (mp, mq) = (v[p].iter().sum::<f64>() / len, v[q].iter().sum::<f64>() / len);
        v[p].iter().zip(&v[q]).map(|(x, z)| (x - mp) * (z - mq)).sum::<f64>() / (len - 1.0)
    };
    let mut s = [[0.0; 2]; 2];
    for p in 0..2 {
        for q in 0..2 {
            s[p][q] = cov(&v10, p, q) / m + cov(&v01, p, q) / n;
        }
    }
    (auc, s)
}

/// Two correlated scores with ties (rounded), and labels drawn from the first.
fn scores(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>, Vec<bool>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let z: f64 = rng.gen_range(-2.0..2.0);
        let w: f64 = z * 0.5 + rng.gen_range(-1.5..1.5);
        y.push(rng.gen::<f64>() < 1.0 / (1.0 + (-z).exp()));
        a.push((z * 10.0).round() / 10.0);
        b.push((w * 4.0).round() / 4.0);
    }
    (a, b, y)
}

#[test]
fn delong_matches_the_all_pairs_definition_and_python() {
    let mut log = Vec::new();
    for (seed, n) in [(1u64, 60usize), (2, 400), (3, 1500)] {
        let (a, b, y) = scores(seed, n);
        let fast = delong(&[&a, &b], &y).unwrap();
        let (auc, cov) = delong_all_pairs(&a, &b, &y);
        for k in 0..2 {
            assert!((fast.aucs[k] - auc[k]).abs() < 1e-12, "seed {seed}: {} vs {}", fast.aucs[k], auc[k]);
            assert!(
                (fast.aucs[k] - leadscore::metrics::roc_auc(if k == 0 { &a } else { &b }, &y).unwrap()).abs() < 1e-12
            );
            for q in 0..2 {
                assert!((fast.cov[k][q] - cov[k][q]).abs() < 1e-12, "seed {seed}: cov {k}{q}");
            }
        }
        let one = auc_interval(&a, &y).unwrap();
        let diff = auc_difference(&a, &b, &y).unwrap();
        assert!((one.roc_auc_se - cov[0][0].sqrt()).abs() < 1e-12);
        assert!(diff.ci[0] < diff.difference && diff.difference < diff.ci[1]);
        log.push(serde_json::json!({
            "labels": y, "a": a, "b": b,
            "auc_a": fast.aucs[0], "auc_b": fast.aucs[1],
            "var_a": fast.cov[0][0], "var_b": fast.cov[1][1], "cov_ab": fast.cov[0][1],
            "roc_auc_ci_a": one.roc_auc_ci,
            "difference": diff.difference, "difference_ci": diff.ci, "z": diff.z, "p_value": diff.p_value,
        }));
    }
    // `.ci/run` checks the same numbers with an independent Python implementation.
    if let Ok(path) = std::env::var("LEADSCORE_DELONG_LOG") {
        std::fs::write(path, serde_json::to_string(&log).unwrap()).unwrap();
    }
}

#[test]
fn every_summary_shows_intervals() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 91);
    s.synth("hold.csv", 1500, 92);
    let r = s.run(&["train", "--data", "train.csv", "--label", "outcome", "--model", "m", "--json", "-q"]);
    r.assert_ok();
    let h = &r.json()["holdout"];
    let (auc, ci) = (h["roc_auc"].as_f64().unwrap(), &h["roc_auc_ci"]);
    assert!(ci[0].as_f64().unwrap() < auc && auc < ci[1].as_f64().unwrap());
    for k in ["pr_auc_ci", "precision_ci", "recall_ci", "lift_ci"] {
        assert!(h[k][0].as_f64().unwrap() < h[k][1].as_f64().unwrap(), "{k}: {h}");
    }
    assert_eq!(h["roc_auc_includes_chance"], false);
    let r = s.run(&["evaluate", "--model", "m", "--data", "hold.csv", "--json", "-q"]);
    r.assert_ok();
    let e = r.json();
    let auc = e["roc_auc"].as_f64().unwrap();
    assert!(e["roc_auc_ci"][0].as_f64().unwrap() < auc && auc < e["roc_auc_ci"][1].as_f64().unwrap());
    assert!(e["precision_ci"][0].as_f64().unwrap() <= e["precision"].as_f64().unwrap());
    assert!(e["precision"].as_f64().unwrap() <= e["precision_ci"][1].as_f64().unwrap());
    assert_eq!(e["bootstrap"]["seed"], 42);
    // The same seed, the same intervals; another seed, others.
    let again = s.run(&["evaluate", "--model", "m", "--data", "hold.csv", "--json", "-q"]).json();
    assert_eq!(e["pr_auc_ci"], again["pr_auc_ci"]);
    let other = s.run(&["evaluate", "--model", "m", "--data", "hold.csv", "--json", "-q", "--seed", "7"]).json();
    assert_ne!(e["pr_auc_ci"], other["pr_auc_ci"]);
    // compare: each side's intervals, the paired difference, and the verdict in words.
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample_rules.toml");
    let r = s.run(&["compare", "--model", "m", "--rules", rules, "--data", "hold.csv", "--json", "-q"]);
    r.assert_ok();
    let c = r.json();
    assert!(c["manual"]["roc_auc_ci"][0].as_f64().unwrap() < c["manual"]["roc_auc"].as_f64().unwrap());
    let d = &c["roc_auc_difference"];
    assert!(d["ci"][0].as_f64().unwrap() < d["difference"].as_f64().unwrap());
    assert_eq!(c["verdict"], if d["ci"][0].as_f64().unwrap() > 0.0 { "better" } else { "not_distinguishable" });
    let e = &c["equal_capacity"]["difference"];
    assert_eq!(
        e["difference"].as_i64().unwrap(),
        c["equal_capacity"]["predictive_conversions"].as_i64().unwrap()
            - c["equal_capacity"]["manual_conversions"].as_i64().unwrap()
    );
    let r = s.run(&["compare", "--model", "m", "--rules", rules, "--data", "hold.csv", "-q"]);
    assert!(r.stdout.contains("verdict: "), "{}", r.stdout);
}

/// `from` with its outcome column shuffled (seeded): the label independent of every
/// feature, the base rate kept.
fn shuffle_outcome(s: &Scratch, from: &str, to: &str, seed: u64) {
    let mut r = csv::Reader::from_path(s.path(from)).unwrap();
    let header = r.headers().unwrap().clone();
    let k = header.iter().position(|h| h == "outcome").unwrap();
    let mut rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    let mut labels: Vec<String> = rows.iter().map(|r| r[k].clone()).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for i in (1..labels.len()).rev() {
        labels.swap(i, rng.gen_range(0..=i));
    }
    for (row, l) in rows.iter_mut().zip(labels) {
        row[k] = l;
    }
    let mut w = csv::Writer::from_path(s.path(to)).unwrap();
    w.write_record(&header).unwrap();
    for row in rows {
        w.write_record(&row).unwrap();
    }
}

#[test]
fn no_signal_is_said_on_data_without_any_and_compare_claims_nothing() {
    let s = Scratch::new();
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample_rules.toml");
    let (mut warned, mut claimed, mut paired_only) = (0, Vec::new(), 0);
    for seed in 1..=20u64 {
        let f = format!("d{seed}.csv");
        s.synth(&format!("raw{seed}.csv"), 1200, 1000 + seed);
        shuffle_outcome(&s, &format!("raw{seed}.csv"), &f, seed);
        let r = s.run(&[
            "train",
            "--data",
            &f,
            "--label",
            "outcome",
            "--model",
            "m",
            "--force",
            "--json",
            "-q",
            "--seed",
            &seed.to_string(),
        ]);
        r.assert_ok();
        let j = r.json();
        if j["warnings"].as_array().unwrap().iter().any(|w| w["message"].as_str().unwrap().starts_with("no signal")) {
            warned += 1;
        }
        s.synth(&format!("other{seed}.csv"), 1200, 2000 + seed);
        shuffle_outcome(&s, &format!("other{seed}.csv"), "hold.csv", 100 + seed);
        let r = s.run(&[
            "compare",
            "--model",
            "m",
            "--rules",
            rules,
            "--data",
            "hold.csv",
            "--json",
            "-q",
            "--seed",
            &seed.to_string(),
        ]);
        r.assert_ok();
        let c = r.json();
        let d = &c["roc_auc_difference"]["ci"];
        if d[0].as_f64().unwrap() > 0.0 || d[1].as_f64().unwrap() < 0.0 {
            paired_only += 1;
        }
        if c["verdict"] != "not_distinguishable" {
            claimed.push((seed, c["verdict"].clone(), c["roc_auc_difference"].clone()));
        }
    }
    eprintln!(
        "no signal said on {warned} of 20 seeds; compare claimed a difference on {} (the paired interval alone excluded 0 on {paired_only})",
        claimed.len()
    );
    assert!(warned >= 19, "no signal said on only {warned} of 20 seeds");
    assert!(claimed.is_empty(), "compare claimed a difference: {claimed:?}");
}

#[test]
fn calibration_in_the_large_and_slope_recover_known_miscalibration() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let z: Vec<f64> = (0..20_000).map(|_| rng.gen_range(-3.0..1.0)).collect();
    let y: Vec<bool> = z.iter().map(|&v| rng.gen::<f64>() < sig(v)).collect();
    let holds = |ci: [f64; 2], v: f64| ci[0] <= v && v <= ci[1];
    // The true probabilities: right on average, slope 1.
    let right: Vec<f64> = z.iter().map(|&v| sig(v)).collect();
    let c = leadscore::metrics::calibration_fit(&right, &y).unwrap();
    assert!(holds(c.calibration_in_the_large_ci, 0.0) && holds(c.calibration_slope_ci, 1.0), "{c:?}");
    // Twice the log-odds: too extreme, slope 1/2.
    let extreme: Vec<f64> = z.iter().map(|&v| sig(2.0 * v)).collect();
    let c = leadscore::metrics::calibration_fit(&extreme, &y).unwrap();
    assert!(holds(c.calibration_slope_ci, 0.5) && !holds(c.calibration_slope_ci, 1.0), "{c:?}");
    // Log-odds 0.5 too high: in the large -0.5.
    let high: Vec<f64> = z.iter().map(|&v| sig(v + 0.5)).collect();
    let c = leadscore::metrics::calibration_fit(&high, &y).unwrap();
    assert!(holds(c.calibration_in_the_large_ci, -0.5) && !holds(c.calibration_in_the_large_ci, 0.0), "{c:?}");
}

#[test]
fn a_calibration_map_is_applied_alike_on_every_path_and_keeps_the_ranking() {
    let s = Scratch::new();
    s.synth("train.csv", 8000, 93);
    s.run(&["synth", "--rows", "3000", "--seed", "94", "--no-outcome", "--output", "new.csv", "-q"]).assert_ok();
    let train = |how: &str| {
        let r = s.run(&[
            "train",
            "--data",
            "train.csv",
            "--label",
            "outcome",
            "--id",
            "lead_id",
            "--calibrate",
            how,
            "--model",
            how,
            "--json",
            "-q",
        ]);
        r.assert_ok();
        r.json()
    };
    let score = |model: &str, out: &str, general: bool| {
        let mut a =
            vec!["score", "--model", model, "--data", "new.csv", "--as-of", "2025-06-30", "--output", out, "-q"];
        if general {
            a.push("--general-path");
        }
        s.run(&a).assert_ok();
        std::fs::read(s.path(out)).unwrap()
    };
    let none = train("none");
    score("none", "none.csv", false);
    let base = crate::common::csv_f64(&s.path("none.csv"), "probability");
    for how in ["platt", "isotonic"] {
        let j = train(how);
        assert_eq!(j["calibration_map"]["method"], how);
        // The ranking, and so the holdout's ROC AUC, does not change.
        assert_eq!(j["holdout"]["roc_auc"], none["holdout"]["roc_auc"]);
        // The parallel CSV path and the general path write the same bytes.
        let (fast, general) =
            (score(how, &format!("{how}_fast.csv"), false), score(how, &format!("{how}_gen.csv"), true));
        assert_eq!(fast, general, "{how}: the two scoring paths differ");
        let p = crate::common::csv_f64(&s.path(&format!("{how}_fast.csv")), "probability");
        assert_ne!(p, base, "{how}: the map changed nothing");
        for i in 0..p.len() {
            for j in (i + 1)..p.len().min(i + 40) {
                assert_eq!(base[i].total_cmp(&base[j]), p[i].total_cmp(&p[j]), "{how}: leads {i} and {j} swapped");
            }
        }
    }
    // auto chooses the lowest cross-validated log loss among those it reports.
    let j = train("auto");
    let tried = j["calibration_map"]["cv_log_loss"].as_array().unwrap();
    assert_eq!(tried.len(), 3);
    let best = tried
        .iter()
        .min_by(|a, b| a["log_loss"].as_f64().unwrap().total_cmp(&b["log_loss"].as_f64().unwrap()))
        .unwrap();
    assert_eq!(j["calibration_map"]["method"], best["method"]);
    // Isotonic needs 1,000 held-out rows.
    s.synth("small.csv", 2000, 95);
    let r =
        s.run(&["train", "--data", "small.csv", "--label", "outcome", "--calibrate", "isotonic", "--model", "x", "-q"]);
    r.assert_bad_input(&["--calibrate", "at least 1000 held-out rows", "400"]);
}

#[test]
fn a_training_set_too_small_for_its_features_is_named() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "3", "--noise-columns", "40", "--output", "wide.csv", "-q"])
        .assert_ok();
    // Steps fixed: 40 noise numbers with 5 quantile steps each make the design wide.
    let r = s.run(&[
        "train",
        "--data",
        "wide.csv",
        "--label",
        "outcome",
        "--screen",
        "off",
        "--resolution",
        "steps:5",
        "--model",
        "m",
        "--json",
        "-q",
    ]);
    r.assert_ok();
    let j = r.json();
    let said: Vec<&str> = j["warnings"].as_array().unwrap().iter().map(|w| w["message"].as_str().unwrap()).collect();
    assert!(said.iter().any(|m| m.starts_with("small training set for")), "{said:?}");
    assert!(j["sample_size"]["parameters"].as_u64().unwrap() > 200);
    // The same columns on enough rows: no such warning.
    s.run(&["synth", "--rows", "40000", "--seed", "4", "--output", "big.csv", "-q"]).assert_ok();
    let r = s.run(&["train", "--data", "big.csv", "--label", "outcome", "--model", "m2", "--json", "-q"]);
    let j = r.json();
    assert!(j["warnings"].as_array().unwrap().is_empty(), "{}", j["warnings"]);
}

#[test]
fn a_won_share_that_moved_is_named_not_taken_for_overfitting() {
    // The most recent leads keep only a third of their lost leads (as if the lost ones
    // were never entered): the won share rises while the features rank leads as before,
    // so a time-ordered holdout sees probabilities too low on average.
    let s = Scratch::new();
    s.synth("raw.csv", 10000, 96);
    let mut r = csv::Reader::from_path(s.path("raw.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let k = header.iter().position(|h| h == "outcome").unwrap();
    let mut w = csv::Writer::from_path(s.path("moved.csv")).unwrap();
    w.write_record(&header).unwrap();
    for (i, rec) in r.records().enumerate() {
        let row: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
        if i >= 6000 && row[k] == "lost" && i % 3 != 0 {
            continue;
        }
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    let r = s.run(&[
        "train",
        "--data",
        "moved.csv",
        "--label",
        "outcome",
        "--holdout-last",
        "--model",
        "m",
        "--json",
        "-q",
    ]);
    r.assert_ok();
    let j = r.json();
    let said: Vec<&str> = j["warnings"].as_array().unwrap().iter().map(|w| w["message"].as_str().unwrap()).collect();
    assert!(said.iter().any(|m| m.starts_with("the probabilities are off on average")), "{said:?}");
    assert!(!said.iter().any(|m| m.starts_with("small training set")), "{said:?}");
    assert!(j["holdout"]["calibration"]["calibration_in_the_large"].as_f64().unwrap() > 0.2);
}
