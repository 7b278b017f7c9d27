//! Every scoring path gives the same bits and reasons (one definition of each feature part
//! and of each lead's arithmetic, issue 13); a lead's score does not depend on the other
//! leads in the file; `compare` and `report --rules` agree; manual stages carry their
//! points; `--quiet` everywhere.

use crate::common::{csv_column, csv_f64, Scratch};
use leadscore::features::Role;
use leadscore::{data, model_file, score};
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random cell for a column of `role`: the values real exports hold, valid for the
/// role (placeholders, blanks and padding included), with unseen levels, dates on both
/// sides of the as-of date, e-mails of every kind and titles in many shapes.
fn random_cell(rng: &mut ChaCha8Rng, role: Role, levels: &[String]) -> String {
    let r: f64 = rng.gen();
    if r < 0.08 {
        return ["", " ", "Select", "N/A", "unknown", " null ", "-", "?", "(blank)"][rng.gen_range(0..9)].to_string();
    }
    let pad = |s: String, rng: &mut ChaCha8Rng| if rng.gen_bool(0.1) { format!("  {s} ") } else { s };
    let s = match role {
        Role::Number => match rng.gen_range(0..5) {
            0 => rng.gen_range(0..40).to_string(),
            1 => format!("{:.3}", rng.gen_range(-50.0..5000.0)),
            2 => format!("{}e{}", rng.gen_range(1..9), rng.gen_range(0..4)),
            3 => rng.gen_range(0..100_000_000u64).to_string(),
            _ => format!("{}", rng.gen_range(0.0..1.0f64)),
        },
        Role::Flag => ["yes", "no", "Yes", "NO", "true", "False", "1", "0", "y", "n", "T", "f", "1.0", "0.0"]
            [rng.gen_range(0..14)]
        .to_string(),
        Role::Date => {
            let d =
                chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap() + chrono::Duration::days(rng.gen_range(-900..400));
            match rng.gen_range(0..4) {
                0 => d.format("%Y-%m-%d").to_string(),
                1 => d.format("%Y/%m/%d").to_string(),
                2 => format!("{}T{:02}:15:00Z", d.format("%Y-%m-%d"), rng.gen_range(0..24)),
                _ => format!("{} 08:30", d.format("%Y-%m-%d")),
            }
        }
        Role::Category => match rng.gen_range(0..4) {
            0 if !levels.is_empty() => levels[rng.gen_range(0..levels.len())].to_uppercase(),
            1 if !levels.is_empty() => levels[rng.gen_range(0..levels.len())].clone(),
            2 => format!("Unseen level {}", rng.gen_range(0..1000)),
            _ => "Ørsted, \"quoted\" & co".to_string(),
        },
        Role::Email => {
            let user = format!("u{}", rng.gen_range(0..100_000));
            match rng.gen_range(0..5) {
                0 => format!("{user}@gmail.com"),
                1 => format!("{user}@Company{}.io", rng.gen_range(0..50)),
                2 => format!("{user}@cs.ox.ac.uk"),
                3 => format!("{user}@STATE.EDU"),
                _ => "not an address".to_string(),
            }
        }
        Role::Title => {
            let senior = ["", "Senior ", "VP of ", "Chief ", "Head of ", "Junior ", "Intern, ", "Director, "]
                [rng.gen_range(0..8)];
            let func = [
                "Sales",
                "Marketing",
                "Engineering",
                "Finance",
                "People",
                "Operations",
                "Data",
                "Procurement",
                "Astronomy",
            ][rng.gen_range(0..9)];
            let tail = ["", " Manager", " Lead", " Officer", " (EMEA)", ", \"acting\""][rng.gen_range(0..6)];
            format!("{senior}{func}{tail}")
        }
    };
    pad(s, rng)
}

/// Leads with random cells in every column `model` reads, written as CSV.
fn random_leads(s: &Scratch, model: &leadscore::model::LeadModel, name: &str, rows: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cols = &model.features.columns;
    let levels: Vec<Vec<String>> = cols
        .iter()
        .map(|c| match c.parts.first() {
            Some(leadscore::features::Part::Levels(p)) if c.role == Role::Category => p.levels.clone(),
            _ => Vec::new(),
        })
        .collect();
    let mut w = csv::Writer::from_path(s.path(name)).unwrap();
    let mut header = vec!["lead_id".to_string()];
    header.extend(cols.iter().map(|c| c.name.clone()));
    w.write_record(&header).unwrap();
    for i in 0..rows {
        let mut rec = vec![format!("R{i:05}")];
        rec.extend(cols.iter().zip(&levels).map(|(c, l)| random_cell(&mut rng, c.role, l)));
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
}

fn parquet_column(path: &std::path::Path, name: &str) -> Column {
    let f = std::fs::File::open(path).unwrap();
    let df = ParquetReader::new(f).finish().unwrap();
    df.column(name).unwrap().clone()
}

#[test]
fn every_scoring_path_gives_the_same_bits_and_reasons_on_random_cells() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 131);
    s.trained_model("train.csv", "m.bin");
    every_path_agrees(&s, "m.bin");
}

/// Score random leads (every role's cells as exports hold them) with the model `m` on
/// every path: the parallel CSV path, the streaming path, the in-memory path and
/// training's columnar driver give the same bits and reasons.
pub(crate) fn every_path_agrees(s: &Scratch, m: &str) {
    let model = model_file::load(&s.path(m)).unwrap();
    let roles: Vec<Role> = model.features.columns.iter().map(|c| c.role).collect();
    for role in [Role::Number, Role::Flag, Role::Date, Role::Category, Role::Email, Role::Title] {
        assert!(roles.contains(&role), "the model should read a {role:?} column: {roles:?}");
    }
    for (round, seed) in [11u64, 12, 13].into_iter().enumerate() {
        let name = format!("random{round}.csv");
        random_leads(s, &model, &name, 2500, seed);
        let as_of = "2025-03-01";
        let base = ["score", "--model", m, "--data", &name, "--as-of", as_of, "-q", "--force"];
        let with = |extra: &[&str]| {
            let mut v: Vec<&str> = base.to_vec();
            v.extend_from_slice(extra);
            s.run(&v).assert_ok();
        };
        with(&["--output", "fast.csv"]);
        with(&["--output", "general.csv", "--general-path"]);
        with(&["--output", "memory.parquet"]);
        // The parallel CSV path really took the file (the command falls back quietly).
        let day = leadscore::features::cell::day_number(chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap());
        let params = score::ScoreParams { as_of_day: day, reasons: 3, ..Default::default() };
        let done =
            score::fast::score_csv_fast(&model, &s.path(&name), &s.path("lib.csv"), &params, &mut |_, _| {}).unwrap();
        assert!(matches!(done, score::fast::Outcome::Scored(2500, _, _)), "round {round}: handed over");
        assert_eq!(std::fs::read(s.path("lib.csv")).unwrap(), std::fs::read(s.path("fast.csv")).unwrap());
        // The parallel CSV path and the streaming path: the same bytes.
        assert_eq!(
            std::fs::read(s.path("fast.csv")).unwrap(),
            std::fs::read(s.path("general.csv")).unwrap(),
            "round {round}"
        );
        // The in-memory path (Parquet output): the same bits and reasons.
        let fast_p = csv_f64(&s.path("fast.csv"), "probability");
        let fast_r = csv_column(&s.path("fast.csv"), "reasons");
        let (pc, rc) = (
            parquet_column(&s.path("memory.parquet"), "probability"),
            parquet_column(&s.path("memory.parquet"), "reasons"),
        );
        let mem_p: Vec<f64> = pc.f64().unwrap().into_no_null_iter().collect();
        let mem_r: Vec<String> = rc.str().unwrap().iter().map(|v| v.unwrap_or("").to_string()).collect();
        assert_eq!(fast_p.len(), 2500);
        for i in 0..fast_p.len() {
            assert_eq!(fast_p[i].to_bits(), mem_p[i].to_bits(), "round {round}, lead {i}");
            assert_eq!(fast_r[i], mem_r[i], "round {round}, lead {i}");
        }
        // Training's columnar driver (the design matrix and `log_odds`): the same bits.
        let table = data::load(&s.path(&name)).unwrap();
        let x = model.features.transform(&table, Some(day)).unwrap();
        let columnar = model.predict(x.view());
        for i in 0..fast_p.len() {
            assert_eq!(fast_p[i].to_bits(), columnar[i].to_bits(), "round {round}, lead {i}: columnar");
        }
        // Contributions plus the intercept are each lead's log-odds.
        for (i, e) in score::explain_table(&model, &table, day, 3).unwrap().iter().enumerate() {
            let total = model.intercept + e.contributions.iter().sum::<f64>();
            assert!((total - e.log_odds).abs() < 1e-9, "lead {i}");
        }
    }
}

#[test]
fn a_leads_score_does_not_depend_on_the_other_leads_in_the_file() {
    let s = Scratch::new();
    s.synth("train.csv", 1500, 132);
    s.trained_model("train.csv", "m.bin");
    s.run(&["synth", "--rows", "300", "--seed", "133", "--no-outcome", "--output", "new.csv", "-q"]).assert_ok();
    // The same leads and one more whose dates are later than every other.
    let text = std::fs::read_to_string(s.path("new.csv")).unwrap();
    let header = text.lines().next().unwrap();
    let last = text.lines().last().unwrap();
    let later: Vec<String> = header
        .split(',')
        .zip(last.split(','))
        .map(|(h, v)| match h {
            "lead_id" => "EXTRA".to_string(),
            h if h.ends_with("_date") => "2031-12-31".to_string(),
            _ => v.to_string(),
        })
        .collect();
    s.write("more.csv", format!("{}{}\n", text, later.join(",")));
    for (data, out) in [("new.csv", "a.csv"), ("more.csv", "b.csv")] {
        s.run(&["score", "--model", "m.bin", "--data", data, "--output", out, "-q"]).assert_ok();
    }
    let (a, b) = (csv_f64(&s.path("a.csv"), "probability"), csv_f64(&s.path("b.csv"), "probability"));
    assert_eq!(b.len(), a.len() + 1);
    assert_eq!(a, b[..a.len()].to_vec());
    // And without --as-of, scoring is as of today (UTC).
    let today = chrono::Utc::now().date_naive().to_string();
    s.run(&["score", "--model", "m.bin", "--data", "new.csv", "--output", "c.csv", "--as-of", &today, "-q"])
        .assert_ok();
    assert_eq!(csv_f64(&s.path("c.csv"), "probability"), a);
}

#[test]
fn score_says_which_as_of_it_used_and_warns_about_an_old_model() {
    let s = Scratch::new();
    s.synth("train.csv", 800, 134);
    s.trained_model("train.csv", "m.bin");
    let r = s.run(&["score", "--model", "m.bin", "--data", "train.csv", "--output", "a.csv"]);
    r.assert_ok();
    assert!(r.stderr.contains("as of") && r.stderr.contains("today"), "{}", r.stderr);
    assert!(r.stderr.contains("give --as-of"), "synthetic leads are years old: {}", r.stderr);
    let r = s.run(&["score", "--model", "m.bin", "--data", "train.csv", "--output", "b.csv", "--as-of", "2025-06-01"]);
    r.assert_ok();
    assert!(r.stderr.contains("2025-06-01 (given with --as-of)"), "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn compare_and_report_with_rules_give_the_same_ranking_quality() {
    let s = Scratch::new();
    s.synth("train.csv", 2000, 135);
    s.synth("hold.csv", 1200, 136);
    s.trained_model("train.csv", "m.bin");
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_rules.toml");
    let rules = rules.to_str().unwrap();
    let r = s.run(&["compare", "--model", "m.bin", "--rules", rules, "--data", "hold.csv", "--json"]);
    r.assert_ok();
    let j = r.json();
    s.run(&["report", "--model", "m.bin", "--rules", rules, "--data", "hold.csv", "--output", "r.html", "-q"])
        .assert_ok();
    let html = std::fs::read_to_string(s.path("r.html")).unwrap();
    for side in ["manual", "predictive"] {
        let attr = format!("data-{side}-roc-auc=\"");
        let at = html.find(&attr).unwrap_or_else(|| panic!("no {attr} in the report")) + attr.len();
        let in_report: f64 = html[at..at + html[at..].find('"').unwrap()].parse().unwrap();
        assert_eq!(in_report, j[side]["roc_auc"].as_f64().unwrap(), "{side}");
    }
    // Both say the same as-of date.
    let date = j["as_of"]["date"].as_str().unwrap();
    assert!(html.contains(&format!("Dates count back from {date}")), "{date}");
}

#[test]
fn manual_stages_in_compare_json_carry_their_minimum_points_not_a_probability() {
    let s = Scratch::new();
    s.synth("train.csv", 1500, 137);
    s.synth("hold.csv", 800, 138);
    s.trained_model("train.csv", "m.bin");
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_rules.toml");
    let r = s.run(&["compare", "--model", "m.bin", "--rules", rules.to_str().unwrap(), "--data", "hold.csv", "--json"]);
    r.assert_ok();
    let j = r.json();
    for band in j["stages"].as_array().unwrap() {
        assert!(band.get("min_probability").is_none(), "{band}");
        if band["leads"].as_u64().unwrap() > 0 {
            let p = band["min_points"].as_f64().unwrap();
            assert!((-1000.0..1000.0).contains(&p), "{band}");
        }
    }
    for band in j["tiers"].as_array().unwrap() {
        let p = band["min_probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{band}");
    }
}

#[test]
fn quiet_silences_every_command_that_reads_leads() {
    let s = Scratch::new();
    s.synth("train.csv", 1000, 139);
    s.trained_model("train.csv", "m.bin");
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_rules.toml");
    let rules = rules.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["evaluate", "--model", "m.bin", "--data", "train.csv", "-q"],
        vec!["compare", "--model", "m.bin", "--rules", rules, "--data", "train.csv", "-q"],
        vec!["score", "--model", "m.bin", "--data", "train.csv", "--output", "s.csv", "-q"],
        vec![
            "threshold",
            "--model",
            "m.bin",
            "--data",
            "train.csv",
            "--strategy",
            "top:100",
            "--output",
            "t.bin",
            "-q",
        ],
        vec!["report", "--model", "m.bin", "--data", "train.csv", "--output", "r.html", "-q"],
        vec!["rules", "--rules", rules, "--data", "train.csv", "--output", "p.csv", "-q"],
        vec!["rules", "suggest", "--model", "m.bin", "--output", "sug.toml", "-q"],
    ];
    for args in runs {
        let r = s.run(&args);
        r.assert_ok();
        assert_eq!(r.stderr, "", "{args:?}");
    }
}

#[test]
fn typed_options_are_checked_by_the_command_line() {
    let s = Scratch::new();
    s.synth("train.csv", 300, 140);
    for (flag, value) in [("--alpha", "-1"), ("--alpha", "lots"), ("--strategy", "best"), ("--tiers", "a:0.5")] {
        let r = s.run(&["train", "--data", "train.csv", "--label", "outcome", "--model", "m.bin", flag, value]);
        r.assert_bad_input(&[flag]);
    }
}
