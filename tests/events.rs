//! Behavioural features from the raw activity log, point in time (issue #7).

use crate::common::{csv_f64, Scratch};
use leadscore::{data, events};

const BEHAVIOUR: &str = "website_visits,pricing_page_views,careers_page_views,email_opens,email_clicks,webinars_attended,content_downloads,demo_requested,last_activity_date";

fn auc(r: &crate::common::Run) -> f64 {
    r.assert_ok();
    r.json()["holdout"]["roc_auc"].as_f64().unwrap()
}

#[test]
fn model_from_the_raw_log_matches_the_aggregated_columns() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "8000", "--seed", "5", "--output", "c.csv", "--events", "e.csv", "-q"]).assert_ok();
    let aggregated = auc(&s.run(&[
        "train",
        "--data",
        "c.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--exclude",
        "closed_date",
        "--model",
        "a.bin",
        "--json",
        "-q",
    ]));
    let r = s.run(&[
        "train",
        "--data",
        "c.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--exclude",
        BEHAVIOUR,
        "--events",
        "e.csv",
        "--cutoff-col",
        "closed_date",
        "--model",
        "b.bin",
        "--json",
        "-q",
    ]);
    let from_log = auc(&r);
    eprintln!("holdout ROC AUC: aggregated columns {aggregated:.4}, raw log {from_log:.4}");
    assert!(from_log >= aggregated - 0.01, "raw log {from_log} vs aggregated {aggregated}");
    let ev = &r.json()["events"];
    assert!(ev["after_cutoff"].as_u64().unwrap() > 0, "the synthetic log has events after the close: {ev}");
    assert_eq!(ev["unmatched"], 0);
    // Without the cut-off the post-close events leak: a too-good model.
    let careless = auc(&s.run(&[
        "train",
        "--data",
        "c.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--exclude",
        &format!("{BEHAVIOUR},closed_date"),
        "--events",
        "e.csv",
        "--model",
        "c.bin",
        "--json",
        "-q",
    ]));
    assert!(careless > from_log + 0.05, "careless {careless} vs point-in-time {from_log}");
}

#[test]
fn events_after_the_cutoff_change_nothing() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "6", "--output", "c.csv", "--events", "e.csv", "-q"]).assert_ok();
    // A second log: the same events plus, for every contact, copies of its events moved
    // to after its close date.
    let contacts = data::load(&s.path("c.csv")).unwrap();
    let ids: Vec<String> =
        contacts.df.column("lead_id").unwrap().str().unwrap().iter().map(|v| v.unwrap().to_string()).collect();
    let closed: Vec<String> =
        contacts.df.column("closed_date").unwrap().str().unwrap().iter().map(|v| v.unwrap().to_string()).collect();
    let close_of: std::collections::HashMap<&str, &str> =
        ids.iter().map(String::as_str).zip(closed.iter().map(String::as_str)).collect();
    let text = std::fs::read_to_string(s.path("e.csv")).unwrap();
    let mut more = text.clone();
    for line in text.lines().skip(1) {
        let mut f = line.split(',');
        let (id, kind) = (f.next().unwrap(), f.next().unwrap());
        let close = chrono::NaiveDate::parse_from_str(close_of[id], "%Y-%m-%d").unwrap();
        more.push_str(&format!("{id},{kind},{} 09:00:00\n", close + chrono::Duration::days(1)));
    }
    s.write("e2.csv", more);
    let train = |log: &str, model: &str| {
        s.run(&[
            "train",
            "--data",
            "c.csv",
            "--label",
            "outcome",
            "--id",
            "lead_id",
            "--exclude",
            BEHAVIOUR,
            "--events",
            log,
            "--cutoff-col",
            "closed_date",
            "--model",
            model,
            "-q",
        ])
        .assert_ok();
    };
    train("e.csv", "m1.bin");
    train("e2.csv", "m2.bin");
    let same = std::fs::read(s.path("m1.bin")).unwrap() == std::fs::read(s.path("m2.bin")).unwrap();
    assert!(same, "post-cutoff events changed the model file");
    // The features themselves, column by column.
    let log1 = events::load(&s.path("e.csv"), None, None, None).unwrap();
    let log2 = events::load(&s.path("e2.csv"), None, None, None).unwrap();
    let cut =
        events::cutoff_days(&contacts, Some("closed_date"), chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap())
            .unwrap();
    let spec = events::EventParams::default().fit(&log1, &contacts, "lead_id", &cut).unwrap();
    assert_eq!(spec, events::EventParams::default().fit(&log2, &contacts, "lead_id", &cut).unwrap());
    let (t1, r1) = spec.append(&contacts, "lead_id", &log1, &cut).unwrap();
    let (t2, r2) = spec.append(&contacts, "lead_id", &log2, &cut).unwrap();
    for name in spec.column_names() {
        assert!(
            t1.df
                .column(&name)
                .unwrap()
                .as_materialized_series()
                .equals_missing(t2.df.column(&name).unwrap().as_materialized_series()),
            "{name} differs"
        );
    }
    assert_eq!(r2.after_cutoff, r1.after_cutoff + (r2.events - r1.events));
}

#[test]
fn scoring_rebuilds_the_event_features_and_needs_the_log() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "7", "--output", "c.csv", "--events", "e.csv", "-q"]).assert_ok();
    s.run(&[
        "train",
        "--data",
        "c.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--exclude",
        BEHAVIOUR,
        "--events",
        "e.csv",
        "--cutoff-col",
        "closed_date",
        "--model",
        "m.bin",
        "-q",
    ])
    .assert_ok();
    let model = leadscore::model_file::load(&s.path("m.bin")).unwrap();
    let spec = model.events.clone().expect("the model stores its event features");
    assert!(spec.types.contains(&"pricing_page".to_string()));
    assert!(model.features.input_columns().iter().any(|c| c.starts_with("events.")));
    assert!(!model.features.input_columns().contains(&"closed_date"), "the cut-off column is never a feature");
    s.run(&["score", "--model", "m.bin", "--data", "c.csv", "--output", "s.csv"])
        .assert_bad_input(&["trained with an activity log", "--events"]);
    s.run(&[
        "score",
        "--model",
        "m.bin",
        "--data",
        "c.csv",
        "--events",
        "e.csv",
        "--as-of",
        "2025-06-30",
        "--output",
        "s.csv",
        "-q",
    ])
    .assert_ok();
    assert_eq!(csv_f64(&s.path("s.csv"), "probability").len(), 1500);
    s.run(&["evaluate", "--model", "m.bin", "--data", "c.csv", "--events", "e.csv", "--json"]).assert_ok();
    // An event time that is not a time names the row.
    let mut bad = std::fs::read_to_string(s.path("e.csv")).unwrap();
    bad.push_str("L0000001,page_view,last tuesday\n");
    s.write("bad.csv", bad);
    let rows = std::fs::read_to_string(s.path("bad.csv")).unwrap().lines().count() - 1;
    s.run(&["score", "--model", "m.bin", "--data", "c.csv", "--events", "bad.csv", "--output", "s2.csv"])
        .assert_bad_input(&[
            "bad.csv: column \"timestamp\", row",
            &rows.to_string(),
            "\"last tuesday\" is not a timestamp",
        ]);
}

#[test]
fn rules_can_read_event_aggregates() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "300", "--seed", "8", "--output", "c.csv", "--events", "e.csv", "-q"]).assert_ok();
    s.write("rules.toml", "[stages]\ncold = 0\nhot = 10\n[[rule]]\nname = \"Pricing lately\"\nfield = \"events.pricing_page.30d\"\nper_unit = 5\nmax = 20\n[[rule]]\nname = \"Seen this week\"\nfield = \"events.days_since_last\"\nlte = 7\npoints = 3\n");
    s.run(&[
        "rules",
        "--rules",
        "rules.toml",
        "--data",
        "c.csv",
        "--events",
        "e.csv",
        "--id",
        "lead_id",
        "--as-of",
        "2025-06-30",
        "--output",
        "p.csv",
        "-q",
    ])
    .assert_ok();
    let pricing = csv_f64(&s.path("p.csv"), "rule: Pricing lately");
    assert!(pricing.iter().any(|&p| p > 0.0) && pricing.iter().all(|&p| (0.0..=20.0).contains(&p)));
    s.run(&["rules", "--rules", "rules.toml", "--data", "c.csv", "--output", "p2.csv"])
        .assert_bad_input(&["reads field \"events.pricing_page.30d\""]);
}
