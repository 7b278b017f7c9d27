//! The manual points model and the comparison with the predictive model (issue #4).

use crate::common::{csv_column, csv_f64, Scratch};

const LEADS: &str = "id,title,employees,visits,source,demo,last_activity,email
a,VP Sales,100,3,Web,yes,2025-01-30,x@acme.com
b,Student,,10,Ads,no,2024-06-01,s@gmail.com
c,,5000,0,web,No,,
";

const RULES: &str = r#"
[stages]
contact = 0
mql = 16
sql = 86

[groups]
behaviour = { max = 8 }

[[rule]]
name = "Decision maker"
field = "title"
contains_any = ["VP", "director"]
points = 15

[[rule]]
name = "Student"
field = "title"
contains_any = ["student"]
points = -20

[[rule]]
name = "Size fits"
field = "employees"
between = [50, 500]
points = 10

[[rule]]
name = "Big"
field = "employees"
gt = 1000
points = 1

[[rule]]
name = "Very big"
field = "employees"
gte = 5000
points = 2

[[rule]]
name = "Tiny"
field = "employees"
lt = 50
points = 100

[[rule]]
name = "Small"
field = "employees"
lte = 100
points = 4

[[rule]]
name = "Web"
field = "source"
equals = "WEB"
points = 3

[[rule]]
name = "Paid"
field = "source"
in = ["ads", "event"]
points = 6

[[rule]]
name = "Gmail"
field = "email"
matches = "@gmail\\.com$"
points = -5

[[rule]]
name = "No title"
field = "title"
is_missing = true
points = 7

[[rule]]
name = "Has email"
field = "email"
is_missing = false
points = 1

[[rule]]
name = "Recent"
field = "last_activity"
within_days = 7
points = 8

[[rule]]
name = "Gone quiet"
field = "last_activity"
older_than_days = 90
points = -15

[[rule]]
name = "Visits"
field = "visits"
per_unit = 2
max = 10
group = "behaviour"

[[rule]]
name = "Demo"
field = "demo"
equals = true
points = 30
stage = "sql"
"#;

fn run_rules(s: &Scratch, rules: &str) -> crate::common::Run {
    s.write("leads.csv", LEADS);
    s.write("rules.toml", rules);
    s.run(&[
        "rules",
        "--rules",
        "rules.toml",
        "--data",
        "leads.csv",
        "--output",
        "out.csv",
        "--id",
        "id",
        "--as-of",
        "2025-01-31",
        "--force",
        "-q",
    ])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.006
}

#[test]
fn every_condition_caps_overrides_and_negative_totals() {
    let s = Scratch::new();
    run_rules(&s, RULES).assert_ok();
    let out = s.path("out.csv");
    assert_eq!(csv_column(&out, "id"), vec!["a", "b", "c"]);
    // a: decision maker 15, size 10, small 4, web 3, has email 1, recent 8, visits 6, demo 30.
    // b: student -20, paid 6, gmail -5, has email 1, gone quiet -15, visits 20 -> rule cap 10 -> group cap 8.
    // c: big 1, very big 2, web 3 (case-insensitive), no title 7; visits 0; the missing
    //    date fires neither date rule, the missing e-mail fires no rule but is_missing.
    let pts = csv_f64(&out, "points");
    assert_eq!(pts, vec![77.0, -25.0, 13.0]);
    assert_eq!(
        csv_column(&out, "stage"),
        vec!["sql", "contact", "contact"],
        "demo overrides; negative total is the lowest stage"
    );
    assert_eq!(csv_f64(&out, "rule: Visits"), vec![6.0, 8.0, 0.0]);
    assert_eq!(csv_f64(&out, "rule: Tiny"), vec![0.0, 0.0, 0.0], "a missing number fires no comparison");
    assert_eq!(csv_f64(&out, "rule: Has email"), vec![1.0, 1.0, 0.0]);
    let fired = csv_column(&out, "fired");
    assert!(fired[0].contains("Demo +30") && fired[0].contains("Decision maker +15"), "{}", fired[0]);
    assert!(fired[2].contains("No title +7"), "{}", fired[2]);
}

#[test]
fn stage_by_points_without_override() {
    let s = Scratch::new();
    let rules = RULES.replace("stage = \"sql\"\n", "");
    run_rules(&s, &rules).assert_ok();
    assert_eq!(csv_column(&s.path("out.csv"), "stage"), vec!["mql", "contact", "contact"]);
}

#[test]
fn decay_shrinks_behavioural_points_by_inactivity() {
    let s = Scratch::new();
    let rules = format!("decay = {{ half_life_days = 30, field = \"last_activity\", group = \"behaviour\" }}\n{RULES}");
    run_rules(&s, &rules).assert_ok();
    let v = csv_f64(&s.path("out.csv"), "rule: Visits");
    // a: 1 day inactive: 6 * 0.5^(1/30); b: 244 days: 8 * 0.5^(244/30); c: no date, no decay.
    assert!(close(v[0], 6.0 * 0.5f64.powf(1.0 / 30.0)), "{v:?}");
    assert!(close(v[1], 8.0 * 0.5f64.powf(244.0 / 30.0)), "{v:?}");
    assert_eq!(v[2], 0.0);
    let pts = csv_f64(&s.path("out.csv"), "points");
    assert!(close(pts[0], 71.0 + 6.0 * 0.5f64.powf(1.0 / 30.0)), "{pts:?}");
}

#[test]
fn malformed_rules_are_clear_errors_naming_the_rule() {
    let cases: Vec<(String, &str)> = vec![
        (
            RULES.replace("points = 15", "points = 15\ncolour = \"red\""),
            "rule 1 (\"Decision maker\"): unknown field `colour`",
        ),
        (
            RULES.replace(
                "field = \"title\"\ncontains_any = [\"student\"]",
                "field = \"job\"\ncontains_any = [\"student\"]",
            ),
            "rule \"Student\" reads field \"job\"",
        ),
        (
            RULES.replace("between = [50, 500]", "between = [50, 500]\ngt = 3"),
            "rule 3 (\"Size fits\"): has 2 conditions",
        ),
        (RULES.replace("between = [50, 500]\n", ""), "rule 3 (\"Size fits\"): has no condition"),
        (RULES.replace("sql = 86", "sql = 10"), "stages must increase: \"sql\" starts at 10"),
        (RULES.replace("stage = \"sql\"", "stage = \"won\""), "rule 16 (\"Demo\"): stage \"won\" is not in [stages]"),
        (
            RULES.replace("group = \"behaviour\"", "group = \"fit\""),
            "rule 15 (\"Visits\"): group \"fit\" is not in [groups]",
        ),
        (
            RULES.replace("@gmail\\\\.com$", "(unclosed"),
            "rule 10 (\"Gmail\"): the regular expression \"(unclosed\" is not usable",
        ),
        (RULES.replace("points = 4", "points = 4\nper_unit = 1"), "rule 7 (\"Small\"): has both points and per_unit"),
        (RULES.replace("points = 4\n", ""), "rule 7 (\"Small\"): needs points or per_unit"),
        (RULES.replace("points = 3\n", "points = 3\nmax = 5\n"), "rule 8 (\"Web\"): max caps per_unit points"),
        (format!("priority = 1\n{RULES}"), "unknown top-level key \"priority\""),
        (RULES.replace("[stages]", "[stages"), "not valid TOML"),
        (RULES.replace("contact = 0\nmql = 16\nsql = 86", "contact = 0"), "[stages] needs at least two stages"),
        (RULES.replace("[[rule]]\nname = \"Decision maker\"\n", "[[rule]]\n"), "rule 1: needs a name"),
        // `and`: a field and one condition each, on a field the data has.
        (
            RULES.replace(
                "between = [50, 500]",
                "between = [50, 500]\nand = [{ field = \"visits\", gt = 1, points = 2 }]",
            ),
            "rule 3 (\"Size fits\"), and[1]: takes a field and one condition only",
        ),
        (
            RULES.replace("between = [50, 500]", "between = [50, 500]\nand = [{ field = \"visits\", gt = 1, lt = 9 }]"),
            "rule 3 (\"Size fits\"), and[1]: has 2 conditions",
        ),
        (
            RULES.replace("between = [50, 500]", "between = [50, 500]\nand = [{ field = \"visitz\", gt = 1 }]"),
            "rule \"Size fits\" reads field \"visitz\"",
        ),
    ];
    for (rules, needle) in cases {
        let s = Scratch::new();
        run_rules(&s, &rules).assert_bad_input(&["rules.toml", needle]);
        assert!(!s.path("out.csv").exists());
    }
}

#[test]
fn rules_reject_text_in_a_numeric_field_naming_rule_row_and_value() {
    let s = Scratch::new();
    s.write("leads.csv", LEADS.replace("a,VP Sales,100,", "a,VP Sales,lots,"));
    s.write("rules.toml", RULES);
    s.run(&["rules", "--rules", "rules.toml", "--data", "leads.csv", "--output", "out.csv", "--as-of", "2025-01-31"])
        .assert_bad_input(&["rule \"Size fits\"", "column \"employees\", row 1", "\"lots\" is not a number"]);
    assert!(!s.path("out.csv").exists());
}

#[test]
fn catastrophic_regular_expressions_run_in_linear_time() {
    // (a+)+$ takes exponential time in a backtracking engine; the regex crate does not backtrack.
    let s = Scratch::new();
    let mut csv = String::from("id,note\n");
    for i in 0..200 {
        csv.push_str(&format!("{i},{}!\n", "a".repeat(5000)));
    }
    s.write("leads.csv", csv);
    s.write("rules.toml", "[stages]\nlow = 0\nhigh = 5\n[[rule]]\nname = \"evil\"\nfield = \"note\"\nmatches = \"^(a+)+$\"\npoints = 10\n");
    s.run(&["rules", "--rules", "rules.toml", "--data", "leads.csv", "--output", "out.csv", "-q"]).assert_ok();
    assert!(csv_f64(&s.path("out.csv"), "points").iter().all(|&p| p == 0.0));
}

#[test]
fn compare_reports_both_models_on_the_same_leads() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 51);
    s.trained_model("train.csv", "m.bin");
    s.synth("hold.csv", 1500, 52);
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_rules.toml");
    let r = s.run(&["compare", "--model", "m.bin", "--rules", rules.to_str().unwrap(), "--data", "hold.csv", "--json"]);
    r.assert_ok();
    let j = r.json();
    for side in ["manual", "predictive"] {
        let auc = j[side]["roc_auc"].as_f64().unwrap();
        assert!(auc > 0.6 && auc < 1.0, "{side} {auc}");
        assert!(j[side]["pr_auc"].as_f64().is_some());
    }
    let e = &j["equal_capacity"];
    let k = e["leads"].as_u64().unwrap();
    assert!(k > 0);
    let sql = j["stages"].as_array().unwrap().iter().find(|b| b["band"] == "sql").unwrap();
    assert_eq!(sql["leads"].as_u64().unwrap(), k);
    assert_eq!(sql["conversions"], e["manual_conversions"]);
    assert!(e["predictive_conversions"].as_u64().unwrap() <= k);
    // The agreement matrix covers every lead once.
    let cells: u64 = j["agreement"].as_array().unwrap().iter().map(|c| c["leads"].as_u64().unwrap()).sum();
    assert_eq!(cells, 1500);
    assert_eq!(j["agreement"].as_array().unwrap().len(), 9);
    assert_eq!(j["disagreements"].as_array().unwrap().len(), 10);
    assert!(j["disagreements"][0]["lead"].as_str().unwrap().starts_with('L'));
    // Human output.
    let r = s.run(&["compare", "--model", "m.bin", "--rules", rules.to_str().unwrap(), "--data", "hold.csv"]);
    r.assert_ok();
    assert!(r.stdout.contains("at equal capacity") && r.stdout.contains("stage \\ tier"), "{}", r.stdout);
}

#[test]
fn suggested_points_rank_leads_almost_as_well_as_the_model() {
    let s = Scratch::new();
    s.synth("train.csv", 4000, 61);
    s.trained_model("train.csv", "m.bin");
    s.run(&["rules", "suggest", "--model", "m.bin", "--output", "suggested.toml"]).assert_ok();
    let text = std::fs::read_to_string(s.path("suggested.toml")).unwrap();
    assert!(text.contains("[stages]") && text.contains("[[rule]]") && text.contains("points double the odds"));
    s.synth("hold.csv", 2000, 62);
    let r = s.run(&["compare", "--model", "m.bin", "--rules", "suggested.toml", "--data", "hold.csv", "--json"]);
    r.assert_ok();
    let j = r.json();
    let (manual, predictive) = (j["manual"]["roc_auc"].as_f64().unwrap(), j["predictive"]["roc_auc"].as_f64().unwrap());
    assert!((manual - predictive).abs() < 0.03, "suggested points AUC {manual} vs model {predictive}");
}

/// `and` (issue 36: `rules suggest` writes a model's pairs so): a rule fires only when
/// each of its conditions holds, each on its own field.
#[test]
fn a_rule_with_and_fires_only_when_every_condition_holds() {
    let s = Scratch::new();
    let rules = RULES.replace(
        "between = [50, 500]",
        "between = [50, 500]\nand = [{ field = \"visits\", gte = 3 }, { field = \"source\", equals = \"web\" }]",
    );
    run_rules(&s, &rules).assert_ok();
    // a: 100 employees, 3 visits, Web; c: 5000 employees.
    assert_eq!(csv_f64(&s.path("out.csv"), "rule: Size fits"), vec![10.0, 0.0, 0.0]);
    let rules = RULES.replace("between = [50, 500]", "between = [50, 500]\nand = [{ field = \"visits\", gte = 4 }]");
    run_rules(&s, &rules).assert_ok();
    assert_eq!(csv_f64(&s.path("out.csv"), "rule: Size fits"), vec![0.0, 0.0, 0.0], "a's 3 visits are not 4");
}
