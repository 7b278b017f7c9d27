//! Regressions of issue 16 (telling sales when a lead crosses the line), the parts done
//! so far: the state kept between scoring runs and the changes file.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{csv_column, Scratch};

/// id -> (decision, tier) from a scored file.
fn routing(s: &Scratch, file: &str) -> BTreeMap<String, (String, String)> {
    let p = s.path(file);
    let ids = csv_column(&p, "lead_id");
    let d = csv_column(&p, "decision");
    let t = csv_column(&p, "tier");
    ids.into_iter().zip(d.into_iter().zip(t)).collect()
}

fn changes(s: &Scratch, file: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(s.path(file)).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_changes_file_lists_exactly_the_leads_whose_routing_or_tier_changed() {
    let s = Scratch::new();
    s.synth("train.csv", 4000, 61);
    s.trained_model("train.csv", "m");
    s.run(&["synth", "--rows", "1500", "--seed", "62", "--no-outcome", "--output", "new.csv", "-q"]).assert_ok();
    let score = |data: &str, out: &str| {
        s.run(&[
            "score",
            "--model",
            "m",
            "--data",
            data,
            "--as-of",
            "2025-06-30",
            "--output",
            out,
            "--state",
            "state.parquet",
            "--changes",
            "changes.jsonl",
            "--force",
            "-q",
        ])
    };
    score("new.csv", "s1.csv").assert_ok();
    let first = changes(&s, "changes.jsonl");
    assert_eq!(first.len(), 1500);
    assert!(first.iter().all(|c| c["change"] == "new"));

    // A known set of leads gains activity (a demo request, pricing-page views); the last
    // ten leave the file.
    let text = std::fs::read_to_string(s.path("new.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_string).collect();
    let (demo, pricing) = (
        header.iter().position(|h| *h == "demo_requested").unwrap(),
        header.iter().position(|h| *h == "pricing_page_views").unwrap(),
    );
    let active: BTreeSet<usize> = (1..1490).step_by(7).collect();
    for &i in &active {
        let mut cells: Vec<String> = csv_split(&lines[i]);
        cells[demo] = "yes".into();
        cells[pricing] = "6".into();
        lines[i] = cells.iter().map(|c| csv_quote(c)).collect::<Vec<_>>().join(",");
    }
    lines.truncate(lines.len() - 10);
    s.write("new2.csv", lines.join("\n") + "\n");
    score("new2.csv", "s2.csv").assert_ok();

    let (before, after) = (routing(&s, "s1.csv"), routing(&s, "s2.csv"));
    let mut expected = BTreeMap::new();
    for (id, (d1, t1)) in &before {
        match after.get(id) {
            None => {
                expected.insert(id.clone(), "removed");
            }
            Some((d2, _)) if d1 != d2 => {
                expected.insert(id.clone(), if d2 == "true" { "crossed_up" } else { "crossed_down" });
            }
            Some((_, t2)) if t1 != t2 => {
                expected.insert(id.clone(), "tier_changed");
            }
            _ => {}
        }
    }
    let got: BTreeMap<String, String> = changes(&s, "changes.jsonl")
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["change"].as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeMap<String, String> = expected.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    assert_eq!(got, expected);
    // The activity moved leads up, and only leads that gained it changed (besides the
    // removed ones).
    assert!(got.values().filter(|k| *k == "crossed_up").count() >= 20, "{got:?}");
    let ids = csv_column(&s.path("new.csv"), "lead_id");
    for (id, kind) in &got {
        let row = ids.iter().position(|x| x == id).unwrap() + 1;
        assert!(kind == "removed" || active.contains(&row), "{id} changed without new activity");
    }
    // Each change carries the lead's reasons, the model and a distinct event id.
    let all = changes(&s, "changes.jsonl");
    let event_ids: BTreeSet<&str> = all.iter().map(|c| c["event_id"].as_str().unwrap()).collect();
    assert_eq!(event_ids.len(), all.len());
    assert!(all.iter().filter(|c| c["change"] != "removed").all(|c| !c["reasons"].as_str().unwrap().is_empty()));

    // A failed run (a cell the model cannot read, no --rejects) changes neither file.
    let (state, chg) =
        (std::fs::read(s.path("state.parquet")).unwrap(), std::fs::read(s.path("changes.jsonl")).unwrap());
    let mut bad = lines.clone();
    let emp = header.iter().position(|h| *h == "employees").unwrap();
    let mut cells = csv_split(&bad[3]);
    cells[emp] = "lots".into();
    bad[3] = cells.iter().map(|c| csv_quote(c)).collect::<Vec<_>>().join(",");
    s.write("bad.csv", bad.join("\n") + "\n");
    score("bad.csv", "s3.csv").assert_bad_input(&["lots"]);
    assert_eq!(std::fs::read(s.path("state.parquet")).unwrap(), state);
    assert_eq!(std::fs::read(s.path("changes.jsonl")).unwrap(), chg);
    // Nothing changed since: an empty changes file.
    score("new2.csv", "s4.csv").assert_ok();
    assert!(changes(&s, "changes.jsonl").is_empty());
    // --state needs a file to compare, and a Parquet state.
    let r = s.run(&["score", "--model", "m", "--data", "new.csv", "--output", "-", "--state", "state.parquet"]);
    r.assert_bad_input(&["--state", "give --output a file"]);
    let r = s.run(&["score", "--model", "m", "--data", "new.csv", "--output", "x.csv", "--state", "state.csv"]);
    r.assert_bad_input(&["--state", "Parquet"]);
}

fn csv_split(line: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
    r.records().next().unwrap().unwrap().iter().map(str::to_string).collect()
}

fn csv_quote(c: &str) -> String {
    if c.contains([',', '"', '\n']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}
