//! Reasons per lead are exact (issue #5): intercept plus the per-column contributions is
//! the lead's log-odds, and reasons name input columns, not internal features.

use crate::common::{csv_column, Scratch};
use leadscore::{data, model_file, score};

#[test]
fn contributions_plus_intercept_equal_the_log_odds_for_every_lead() {
    let s = Scratch::new();
    s.synth("leads.csv", 1500, 71);
    s.trained_model("leads.csv", "m.bin");
    let model = model_file::load(&s.path("m.bin")).unwrap();
    let table = data::load(&s.path("leads.csv")).unwrap();
    let day = model.features.as_of_day.unwrap();
    let scored = score::predict_table(&model, &table, day).unwrap();
    let explained = score::explain_table(&model, &table, day, 3).unwrap();
    for (i, e) in explained.iter().enumerate() {
        assert_eq!(e.contributions.len(), model.features.columns.len());
        let total = model.intercept + e.contributions.iter().sum::<f64>();
        assert!((total - scored.log_odds[i]).abs() < 1e-9, "lead {i}: {total} vs {}", scored.log_odds[i]);
        let p = 1.0 / (1.0 + (-total).exp());
        assert!((p - scored.probability[i]).abs() < 1e-12);
    }
}

#[test]
fn reasons_name_input_columns_with_values_and_signed_sizes() {
    let s = Scratch::new();
    s.synth("leads.csv", 1500, 72);
    s.trained_model("leads.csv", "m.bin");
    let model = model_file::load(&s.path("m.bin")).unwrap();
    let inputs: Vec<String> = model.features.columns.iter().map(|c| c.name.clone()).collect();
    let table = data::load(&s.path("leads.csv")).unwrap();
    let day = model.features.as_of_day.unwrap();
    let explained = score::explain_table(&model, &table, day, 3).unwrap();
    for (i, e) in explained.iter().enumerate() {
        let (reasons, contrib) = (&e.reasons, &e.contributions);
        let pos: Vec<_> = reasons.iter().filter(|r| r.contribution > 0.0).collect();
        let neg: Vec<_> = reasons.iter().filter(|r| r.contribution < 0.0).collect();
        assert!(pos.len() <= 3 && neg.len() <= 2);
        for r in reasons {
            assert!(inputs.contains(&r.column), "{} is not an input column", r.column);
            let k = inputs.iter().position(|c| c == &r.column).unwrap();
            assert_eq!(r.contribution, contrib[k], "lead {i}");
        }
        // The strongest positive reason is the largest contribution of the lead.
        if let Some(first) = pos.first() {
            let max = contrib.iter().cloned().fold(f64::MIN, f64::max);
            assert_eq!(first.contribution, max);
        }
    }
    // In the CSV: "column = value (+0.12)", and e-mail shown as its kind, never the address.
    s.run(&["score", "--model", "m.bin", "--data", "leads.csv", "--output", "s.csv", "--reasons", "2", "-q"])
        .assert_ok();
    let texts = csv_column(&s.path("s.csv"), "reasons");
    let re = regex::Regex::new(
        r"^[a-z_]+ = [^;]+ \((((above|below) the [0-9.-]+|(older|newer) than the \d+ days before the as-of date) seen in training; )?[+-]\d+\.\d\d\)$",
    )
    .unwrap();
    for t in &texts {
        let parts = crate::common::split_reasons(t);
        assert!(parts.len() <= 3, "{t}");
        for p in parts {
            assert!(re.is_match(&p), "{p:?}");
            assert!(!p.contains('@'), "{p:?}");
        }
    }
}
