//! Issue 34: from a CRM export to a label, and every leak named. The exports are
//! `synth --crm hubspot` and `--crm salesforce`: the CRM's own headers, and the
//! properties a real export carries that are set during or after the sale.

use crate::common::Scratch;

/// The fields of one CSV line (double quotes as the writer puts them; no newlines in
/// cells).
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The export with an `Outcome` column made as docs/crm-export.md makes it: contacts
/// created before the cut-off are decided; won when `stage_col` is `won_value`.
fn labelled(
    s: &Scratch,
    export: &str,
    out: &str,
    (stage_col, won_value): (&str, &str),
    (date_col, cutoff): (&str, &str),
) {
    let text = std::fs::read_to_string(s.path(export)).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let names = fields(header);
    let at = |n: &str| names.iter().position(|h| h == n).unwrap_or_else(|| panic!("no column {n} in {header}"));
    let (stage, date) = (at(stage_col), at(date_col));
    let mut o = format!("{header},Outcome\n");
    for line in lines {
        let f = fields(line);
        if f[date].as_str() < cutoff {
            o.push_str(&format!("{line},{}\n", if f[stage] == won_value { "won" } else { "lost" }));
        }
    }
    s.write(out, o);
}

fn leakage_columns(j: &serde_json::Value) -> Vec<(String, String)> {
    j["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "leakage")
        .map(|w| (w["column"].as_str().unwrap().to_string(), w["message"].as_str().unwrap().to_string()))
        .collect()
}

/// `train --json` on `data` with `label` and `id`, then `extra` flags; its summary.
fn train_json(s: &Scratch, data: &str, (label, id): (&str, &str), extra: &[&str], model: &str) -> serde_json::Value {
    let mut args = vec!["train", "--data", data, "--label", label, "--id", id];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--model", model, "--json", "-q"]);
    let r = s.run(&args);
    r.assert_ok();
    r.json()
}

const HUBSPOT_AFTER_THE_SALE: &str =
    "Lifecycle Stage,Lead Status,Became a Customer Date,Recent Deal Close Date,Recent Deal Amount,Number of Associated Deals,Days To Close";

fn hubspot(s: &Scratch) {
    s.run(&["synth", "--crm", "hubspot", "--rows", "3000", "--seed", "34", "--output", "hubspot.csv", "-q"])
        .assert_ok();
    labelled(s, "hubspot.csv", "labelled.csv", ("Lifecycle Stage", "Customer"), ("Create Date", "2025-04-01"));
}

#[test]
fn hubspot_export_names_every_kind_of_leak() {
    let s = Scratch::new();
    hubspot(&s);
    let leaks = leakage_columns(&train_json(&s, "labelled.csv", ("Outcome", "Record ID"), &[], "raw.model"));
    let message = |col: &str| {
        leaks.iter().find(|(c, _)| c == col).map(|(_, m)| m.clone()).unwrap_or_else(|| panic!("{col}: {leaks:?}"))
    };
    // By value: the stage the label was made from.
    assert!(message("Lifecycle Stage").contains("ROC AUC 1.000"), "{}", message("Lifecycle Stage"));
    // By being filled: a date and a count of days that exist only for customers.
    for col in ["Became a Customer Date", "Days To Close"] {
        let m = message(col);
        assert!(m.contains("whether this column is filled") && m.contains("100% of won leads and 0% of lost"), "{m}");
    }
    // In part, with its strength: a status, deal counts, dates and amounts.
    for col in ["Lead Status", "Number of Associated Deals", "Recent Deal Close Date", "Recent Deal Amount"] {
        let m = message(col);
        assert!(m.contains("at least in part") && m.contains("ROC AUC 0."), "{m}");
    }
    let strength: f64 = message("Lead Status").split("ROC AUC ").nth(1).unwrap()[..5].parse().unwrap();
    assert!((0.6..0.95).contains(&strength), "the status leaks only in part: {strength}");
    // The holdout's too-good ROC AUC is itself a warning.
    assert!(leaks.iter().any(|(c, m)| c.is_empty() && m.contains("almost never real")), "{leaks:?}");
}

#[test]
fn a_fair_hubspot_export_raises_no_leakage_warning() {
    let s = Scratch::new();
    hubspot(&s);
    let fair = ["--exclude", HUBSPOT_AFTER_THE_SALE, "--as-of", "2025-06-30"];
    let j = train_json(&s, "labelled.csv", ("Outcome", "Record ID"), &fair, "fair.model");
    assert_eq!(leakage_columns(&j), Vec::<(String, String)>::new());
    let auc = j["holdout"]["roc_auc"].as_f64().unwrap();
    assert!((0.7..0.95).contains(&auc), "a fair export's model: {auc}");
}

#[test]
fn salesforce_leads_export_names_its_leaks_and_a_fair_one_none() {
    let s = Scratch::new();
    s.run(&["synth", "--crm", "salesforce", "--rows", "3000", "--seed", "35", "--output", "leads.csv", "-q"])
        .assert_ok();
    let leaks = leakage_columns(&train_json(&s, "leads.csv", ("IsConverted", "Id"), &[], "raw.model"));
    for col in ["Status", "ConvertedDate"] {
        assert!(leaks.iter().any(|(c, _)| c == col), "{col}: {leaks:?}");
    }
    let fair = ["--exclude", "Status,ConvertedDate,ConvertedOpportunityId"];
    let j = train_json(&s, "leads.csv", ("IsConverted", "Id"), &fair, "fair.model");
    assert_eq!(leakage_columns(&j), Vec::<(String, String)>::new());
}

/// A column whose being filled gives the outcome away is found by its data, whatever
/// its name; the same column filled for every lead is not.
#[test]
fn a_column_filled_only_for_the_won_is_a_leak_whatever_its_name() {
    let s = Scratch::new();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample_leads.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut leaky, mut fair) = (format!("{header},milestone\n"), format!("{header},milestone\n"));
    for (i, line) in lines.enumerate() {
        let day = format!("2025-0{}-1{}", 1 + i % 6, i % 10);
        let won = line.ends_with(",won");
        leaky.push_str(&format!("{line},{}\n", if won { day.as_str() } else { "" }));
        fair.push_str(&format!("{line},{day}\n"));
    }
    s.write("leaky.csv", leaky);
    s.write("fair.csv", fair);
    let train = |f: &str| leakage_columns(&train_json(&s, f, ("outcome", "lead_id"), &[], &format!("{f}.model")));
    let leaks = train("leaky.csv");
    assert!(leaks.iter().any(|(c, m)| c == "milestone" && m.contains("whether this column is filled")), "{leaks:?}");
    assert_eq!(train("fair.csv"), Vec::<(String, String)>::new());
}
