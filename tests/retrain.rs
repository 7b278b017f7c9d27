//! A model that keeps learning (issue 33): the final fit, `inspect`, `retrain` and its
//! gate, the history, `rollback`, and the faults: two at once, a kill at each step.
//!
//! The data: one drifting synthetic export (`synth --drift`), its rows ordered by
//! creation date; the champion is trained on the oldest 4,000 leads, and a newer history
//! holds all 6,000. Made once and shared by the tests here.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::server::{request, Server};
use crate::common::Scratch;

const OLD_ROWS: usize = 4000;

/// The shared files: `old.csv` (the champion's data), `history.csv` (old and new leads,
/// oldest first), `champion.model`.
fn shared() -> &'static Path {
    static DIR: OnceLock<Scratch> = OnceLock::new();
    DIR.get_or_init(|| {
        let s = Scratch::new();
        let r = s.run(&[
            "synth",
            "--rows",
            "6000",
            "--seed",
            "33",
            "--drift",
            "1.5",
            "--as-of",
            "2025-06-30",
            "--output",
            "raw.csv",
            "-q",
        ]);
        r.assert_ok();
        let (headers, mut rows) = read_csv(&s.path("raw.csv"));
        let created = headers.iter().position(|h| h == "created_date").unwrap();
        rows.sort_by(|a, b| a[created].cmp(&b[created]).then(a[0].cmp(&b[0])));
        write_csv(&s.path("history.csv"), &headers, &rows);
        write_csv(&s.path("old.csv"), &headers, &rows[..OLD_ROWS]);
        s.run(&[
            "train",
            "--data",
            "old.csv",
            "--label",
            "outcome",
            "--id",
            "lead_id",
            "--model",
            "champion.model",
            "-q",
        ])
        .assert_ok();
        s
    })
    .dir
    .path()
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    (headers, rows)
}

fn write_csv(path: &Path, headers: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(headers).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// A scratch folder with the champion as `live.model` and the shared files copied in.
fn setup() -> Scratch {
    let s = Scratch::new();
    for f in ["old.csv", "history.csv", "champion.model"] {
        std::fs::copy(shared().join(f), s.path(f)).unwrap();
    }
    std::fs::copy(s.path("champion.model"), s.path("live.model")).unwrap();
    s
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// The history file with `edit` applied to the header and every row.
fn edited_history(s: &Scratch, name: &str, edit: impl Fn(&mut Vec<String>, &mut Vec<Vec<String>>)) -> PathBuf {
    let (mut headers, mut rows) = read_csv(&s.path("history.csv"));
    edit(&mut headers, &mut rows);
    write_csv(&s.path(name), &headers, &rows);
    s.path(name)
}

#[test]
fn the_final_fit_learns_from_every_labelled_lead_and_the_figures_stay_the_holdouts() {
    let s = setup();
    let train = |model: &str, extra: &[&str]| {
        let mut a = vec!["train", "--data", "old.csv", "--label", "outcome", "--id", "lead_id", "--holdout-last"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--model", model, "--json"]);
        let r = s.run(&a);
        r.assert_ok();
        (r.json(), r.stderr)
    };
    let (refit, text) = train("refit.model", &[]);
    let (measured, _) = train("measured.model", &["--no-refit"]);
    // Both are measured by the same fit on the same held-out rows.
    assert_eq!(refit["holdout"], measured["holdout"]);
    assert_eq!(measured["train_rows"], 3200);
    assert_eq!(refit["train_rows"], OLD_ROWS);
    assert!(text.contains("saved model: measured on a model fitted without the holdout (3,200 rows); the saved model was fitted on all 4,000 labelled rows with the same settings"), "{text}");
    assert_eq!(refit["saved_fit"]["fit"]["Refit"]["rows"], OLD_ROWS);
    assert_eq!(measured["saved_fit"]["fit"], "Measured");
    // The measured fit scores the held-out rows (the last 800) exactly as train measured
    // them; the final fit has seen them.
    let (headers, rows) = read_csv(&s.path("old.csv"));
    write_csv(&s.path("last.csv"), &headers, &rows[3200..]);
    let as_of = refit["as_of"]["date"].as_str().unwrap().to_string();
    let eval = |m: &str| {
        let r = s.run(&["evaluate", "--model", m, "--data", "last.csv", "--as-of", &as_of, "--json", "-q"]);
        r.assert_ok();
        r.json()["roc_auc"].as_f64().unwrap()
    };
    let holdout_auc = measured["holdout"]["roc_auc"].as_f64().unwrap();
    assert!((eval("measured.model") - holdout_auc).abs() < 1e-12, "{} vs {holdout_auc}", eval("measured.model"));
    assert!((eval("refit.model") - holdout_auc).abs() > 1e-6);
    // The same inputs give the same bytes.
    train("refit2.model", &[]);
    assert_eq!(bytes(&s.path("refit.model")), bytes(&s.path("refit2.model")));
    // `inspect` says which fit the file holds and what made it.
    let r = s.run(&["inspect", "refit.model"]);
    r.assert_ok();
    for want in [
        "format version 7",
        "split        last rows in file order (--holdout-last)",
        "refit        yes (the final fit on every labelled lead)",
        "fit: measured on a model fitted without the holdout (3,200 rows)",
        "ROC AUC",
        "largest effects",
        "ids: 4,000 labelled leads seen",
    ] {
        assert!(r.stdout.contains(want), "inspect lacks {want:?}:\n{}", r.stdout);
    }
}

#[test]
fn inspect_reads_every_model_version_and_shows_the_settings_retrain_reuses() {
    let s = setup();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models");
    // Versions 3 and 4 as the previous release wrote them; 1 and 2 made from 3 as those
    // releases wrote them (no profile; a sample record without one).
    let v3 = fixtures.join("v3_sample.model");
    let mut m = leadscore::model_file::load(&v3).unwrap();
    assert!(m.record.is_none());
    m.profile = None;
    m.calibration = leadscore::calibrate::Calibration::None;
    let v1 = leadscore::model_file::to_bytes(&m).unwrap();
    s.write("v1.model", &v1);
    m.sample =
        Some(leadscore::sample::SampleInfo { rows_in_file: 9000, rows_sampled: 5000, seed: 3, strata: Vec::new() });
    s.write("v2.model", leadscore::model_file::to_bytes(&m).unwrap());
    std::fs::write(s.path("spec.toml"), "max_levels = 12\n").unwrap();
    s.run(&[
        "train",
        "--data",
        "old.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--exclude",
        "country",
        "--alpha",
        "10",
        "--spec",
        "spec.toml",
        "--calibrate",
        "platt",
        "--strategy",
        "top:10%",
        "--model",
        "v5.model",
        "--beyond-range",
        "extend",
        "--rare-levels",
        "standardise",
        "--interactions",
        "off",
        "-q",
    ])
    .assert_ok();
    // Version 6 (issue 36): values beyond the training range read as the edge; version 7,
    // the defaults, also records how pairwise interactions were sought.
    s.run(&[
        "train",
        "--data",
        "old.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--model",
        "v6.model",
        "--interactions",
        "off",
        "-q",
    ])
    .assert_ok();
    s.run(&["train", "--data", "old.csv", "--label", "outcome", "--id", "lead_id", "--model", "v7.model", "-q"])
        .assert_ok();
    let files: Vec<(PathBuf, u32)> = vec![
        (s.path("v1.model"), 1),
        (s.path("v2.model"), 2),
        (v3, 3),
        (fixtures.join("v4_segments.model"), 4),
        (s.path("v5.model"), 5),
        (s.path("v6.model"), 6),
        (s.path("v7.model"), 7),
    ];
    for (f, version) in &files {
        let r = s.run(&["inspect", f.to_str().unwrap()]);
        r.assert_ok();
        assert!(r.stdout.contains(&format!("format version {version},")), "{}", r.stdout);
        let j = s.run(&["inspect", f.to_str().unwrap(), "--json"]).json();
        assert_eq!(j["file"]["format_version"], *version);
        assert_eq!(j["settings"].is_null(), *version < 5, "version {version}");
        if *version < 5 {
            assert!(r.stdout.contains("settings: not recorded"), "{}", r.stdout);
        }
    }
    assert!(s.run(&["inspect", "v2.model"]).stdout.contains("trained on a sample: 5,000 of 9,000 rows"));
    assert!(s
        .run(&["inspect", fixtures.join("v4_segments.model").to_str().unwrap()])
        .stdout
        .contains("segments by product"));
    let settings = s.run(&["inspect", "v5.model", "--json"]).json()["settings"].clone();
    assert_eq!(settings["exclude"], serde_json::json!(["country"]));
    assert_eq!(settings["alpha"], "10");
    assert_eq!(settings["calibrate"], "platt");
    assert_eq!(settings["strategy"], "top:10%");
    assert_eq!(settings["spec"]["text"], "max_levels = 12\n");
    assert_eq!(settings["beyond_range"], "extend");
    assert_eq!(settings["rare_levels"], "standardise");
    let v6 = s.run(&["inspect", "v6.model", "--json"]).json()["settings"].clone();
    assert_eq!((v6["beyond_range"].as_str(), v6["rare_levels"].as_str()), (Some("edge"), Some("shrink")));
    assert_eq!(v6["interactions"], "off");
    assert_eq!(s.run(&["inspect", "v7.model", "--json"]).json()["settings"]["interactions"], "auto");
    // retrain trains the challenger with exactly these settings (the spec file is gone:
    // its text is in the model).
    std::fs::remove_file(s.path("spec.toml")).unwrap();
    std::fs::copy(s.path("v5.model"), s.path("v5live.model")).unwrap();
    let r = s.run(&[
        "retrain",
        "--model",
        "v5live.model",
        "--data",
        "history.csv",
        "--dry-run",
        "--challenger",
        "ch.model",
    ]);
    assert!(r.code == 0 || r.code == 4, "{}", r.stderr);
    assert!(r.stdout.contains("settings: the champion's"), "{}", r.stdout);
    assert_eq!(bytes(&s.path("v5live.model")), bytes(&s.path("v5.model")), "a dry run writes nothing");
    let ch = s.run(&["inspect", "ch.model", "--json"]).json();
    assert_eq!(ch["settings"], settings);
    assert_eq!(ch["data"]["file"], "history.csv");
    // An override is named and recorded.
    let r = s.run(&["retrain", "--model", "v5live.model", "--data", "history.csv", "--dry-run", "--alpha", "1"]);
    assert!(r.stdout.contains("overridden by --alpha 1"), "{}", r.stdout);
    // A model without settings cannot be retrained, and says why.
    std::fs::copy(fixtures.join("v4_segments.model"), s.path("old4.model")).unwrap();
    s.run(&["retrain", "--model", "old4.model", "--data", "history.csv"])
        .assert_bad_input(&["format version 4", "train it once with `train`"]);
}

/// Four clients at 50 requests a second each until `stop`, bounded by 1,000 requests and
/// 30 seconds each: (status, model checksum) per answer.
fn load(addr: &str, body: &str, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<Vec<(u16, Option<String>)>>> {
    (0..4)
        .map(|_| {
            let (addr, body, stop) = (addr.to_string(), body.to_string(), stop.clone());
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut seen = Vec::new();
                for i in 0..1000u64 {
                    if stop.load(Ordering::SeqCst) || start.elapsed() > Duration::from_secs(30) {
                        break;
                    }
                    if let Some(wait) = Duration::from_millis(20 * i).checked_sub(start.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    let (status, text) =
                        request(&addr, "POST", "/v1/score", &[("Content-Type", "application/json")], body.as_bytes());
                    let model =
                        serde_json::from_str::<Value>(&text).ok().and_then(|v| v["model"].as_str().map(String::from));
                    seen.push((status, model));
                }
                seen
            })
        })
        .collect()
}

#[test]
fn a_newer_history_is_promoted_and_serve_swaps_to_it_under_load_then_rollback_restores_the_file() {
    let s = setup();
    let champion = bytes(&s.path("champion.model"));
    let server = Server::start(&s, "live.model", &["-q", "--watch", "0.05"], &[]);
    let body = r#"{"lead_id": "X1", "job_title": "VP Sales", "employees": 120, "pricing_page_views": 2, "demo_requested": "yes", "as_of": "2025-06-30"}"#;
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&server.addr, body, stop.clone());
    std::thread::sleep(Duration::from_millis(300));
    let r = s.run(&["retrain", "--model", "live.model", "--data", "history.csv", "--json", "--page", "retrain.html"]);
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<(u16, Option<String>)> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert_eq!(r.code, 0, "retrain did not promote:\n{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["decision"], "promoted");
    assert_eq!(j["window"]["rows"], 2000);
    assert!(j["checks"].as_array().unwrap().iter().all(|c| c["passed"] == true), "{}", j["checks"]);
    let failed = seen.iter().filter(|(st, _)| *st != 200).count();
    assert!(seen.len() > 100, "{} requests", seen.len());
    assert_eq!(failed, 0, "{failed} of {} requests failed during the promotion", seen.len());
    let new = bytes(&s.path("live.model"));
    assert_ne!(new, champion);
    let models: std::collections::BTreeSet<&str> = seen.iter().filter_map(|(_, m)| m.as_deref()).collect();
    assert_eq!(models.len(), 2, "serve answered with {models:?}");
    assert!(server.wait_for_log("model reloaded", Duration::from_secs(5)), "{:?}", server.log());
    // The page says the same, for the analyst.
    let page = std::fs::read_to_string(s.path("retrain.html")).unwrap();
    assert!(page.contains("data-decision=\"promoted\""), "{page}");
    assert!(page.contains("2,000 new labelled leads"), "{page}");
    assert!(page.contains("<td>challenger</td>") && page.contains("<td>not worse</td>"), "{page}");
    assert_eq!(page.matches("<td>ok</td>").count(), 5, "{page}");
    // The promoted model learnt from every lead of the history.
    let ins = s.run(&["inspect", "live.model", "--json"]).json();
    assert_eq!(ins["train_rows"], 6000);
    // The history holds both; `models` marks the new one live.
    let r = s.run(&["models", "live.model"]);
    r.assert_ok();
    let live_line = r.stdout.lines().find(|l| l.starts_with('*')).unwrap().to_string();
    assert!(live_line.contains("6,000"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().filter(|l| l.contains(".csv")).count(), 2, "{}", r.stdout);
    assert!(r.stdout.contains("promoted"), "{}", r.stdout);
    // Rollback puts the champion back byte for byte, and serve goes back to it.
    let r = s.run(&["rollback", "live.model"]);
    r.assert_ok();
    assert_eq!(bytes(&s.path("live.model")), champion);
    let r = s.run(&["models", "live.model"]);
    let live_line = r.stdout.lines().find(|l| l.starts_with('*')).unwrap();
    assert!(live_line.contains("4,000"), "{}", r.stdout);
    assert!(r.stdout.contains("rolled back"), "{}", r.stdout);
    // And forward again by checksum.
    let promoted = j["switch"]["live"].as_str().unwrap()[..12].to_string();
    s.run(&["rollback", "live.model", "--to", &promoted]).assert_ok();
    assert_eq!(bytes(&s.path("live.model")), new);
    s.run(&["rollback", "live.model", "--to", "ffffffff"]).assert_bad_input(&["no version", "leadscore models"]);
}

#[test]
fn each_broken_history_keeps_the_champion_and_says_why() {
    let s = setup();
    let champion = bytes(&s.path("live.model"));
    let outcome = |h: &Vec<String>| h.iter().position(|c| c == "outcome").unwrap();
    // A column filled in after the sale.
    edited_history(&s, "leak.csv", |h, rows| {
        let o = outcome(h);
        h.push("deal_stage".into());
        for (i, r) in rows.iter_mut().enumerate() {
            let stage = if r[o] == "won" { "closed won" } else { ["closed lost", "nurture", "disqualified"][i % 3] };
            r.push(stage.into());
        }
    });
    // Half the labels flipped (every other lead).
    edited_history(&s, "flipped.csv", |h, rows| {
        let o = outcome(h);
        for r in rows.iter_mut().step_by(2) {
            r[o] = if r[o] == "won" { "lost".into() } else { "won".into() };
        }
    });
    // A column the champion reads is gone.
    edited_history(&s, "dropped.csv", |h, rows| {
        let c = h.iter().position(|c| c == "pricing_page_views").unwrap();
        h.remove(c);
        for r in rows.iter_mut() {
            r.remove(c);
        }
    });
    // Only 120 new leads.
    edited_history(&s, "few.csv", |_, rows| rows.truncate(OLD_ROWS + 120));
    for (file, reason) in [
        ("leak.csv", "leakage: new leakage warning on deal_stage"),
        (
            "flipped.csv",
            "not worse: ROC AUC challenger minus champion|overfitting: the challenger is flagged: no signal",
        ),
        ("dropped.csv", "input columns: the history lacks a column that the champion reads (pricing_page_views)"),
        ("few.csv", "window: 120 new labelled leads"),
    ] {
        let r = s.run(&["retrain", "--model", "live.model", "--data", file, "--page", "kept.html"]);
        assert_eq!(r.code, 4, "{file}: exit {}\n{}\n{}", r.code, r.stdout, r.stderr);
        let page = std::fs::read_to_string(s.path("kept.html")).unwrap();
        assert!(page.contains("data-decision=\"kept_champion\"") && page.contains("<td>FAIL</td>"), "{file}: {page}");
        let kept = r.stdout.split("kept the champion:\n").nth(1).unwrap_or_else(|| panic!("{file}: {}", r.stdout));
        assert!(reason.split('|').any(|one| kept.contains(one)), "{file}: the reasons lack {reason:?}:\n{}", r.stdout);
        assert_eq!(bytes(&s.path("live.model")), champion, "{file}: the champion changed");
        assert!(!s.path("live.model.history").exists() || !s.files().iter().any(|f| f.ends_with(".tmp")));
    }
    // --force promotes past a small window, and says so.
    let r = s.run(&["retrain", "--model", "live.model", "--data", "few.csv", "--force", "--dry-run"]);
    assert!(r.stdout.contains("--force given"), "{}", r.stdout);
}

/// Start a retrain (or rollback) that pauses at `step`; returns once it says so.
fn paused(s: &Scratch, args: &[&str], step: &str) -> std::process::Child {
    let mut child = s
        .command(args, &[("LEADSCORE_TEST_PAUSE", step)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut seen = String::new();
        let mut buf = [0u8; 256];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if seen.contains("test pause at") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("never reached {step}"));
    child
}

/// Every history file loads and has the checksum its name says.
fn history_is_whole(s: &Scratch) -> usize {
    let dir = s.path("live.model.history");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".model") {
            continue;
        }
        let (_, info) = leadscore::model_file::load_with_info(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(name.contains(&info.checksum[..12]), "{name} holds {}", info.checksum);
        n += 1;
    }
    n
}

#[test]
fn two_at_once_the_second_refuses_and_a_kill_at_any_step_leaves_a_whole_model() {
    let s = setup();
    let champion = bytes(&s.path("live.model"));
    let retrain = ["retrain", "--model", "live.model", "--data", "history.csv", "-q"];
    // The challenger a promotion writes, for comparison.
    s.run(&[
        "retrain",
        "--model",
        "live.model",
        "--data",
        "history.csv",
        "--dry-run",
        "--challenger",
        "ch.model",
        "-q",
    ]);
    let challenger = bytes(&s.path("ch.model"));
    // Two at once: the second retrain and a rollback refuse while the first holds the lock.
    let mut first = paused(&s, &retrain, "archived");
    let r = s.run(&retrain);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("holds the lock"), "{}", r.stderr);
    let r = s.run(&["rollback", "live.model"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(bytes(&s.path("live.model")), champion);
    // A kill at each step of a promotion: the old model or the new one, whole.
    for (step, want) in
        [("archived", &champion), ("staged", &champion), ("switched", &challenger), ("recorded", &challenger)]
    {
        std::fs::write(s.path("live.model"), &champion).unwrap();
        let mut child = paused(&s, &retrain, step);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(&bytes(&s.path("live.model")) == want, "killed at {step}: the live model is neither whole version");
        leadscore::model_file::load(&s.path("live.model")).unwrap();
        assert!(history_is_whole(&s) >= 1, "killed at {step}");
        // The lock was given up with the process.
        let r = s.run(&["models", "live.model"]);
        r.assert_ok();
    }
    // After the kill at "recorded" the history holds both; a rollback goes back whole,
    // and a kill in the middle of a rollback leaves one of the two.
    let mut child = paused(&s, &["rollback", "live.model"], "staged");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(bytes(&s.path("live.model")), challenger);
    s.run(&["rollback", "live.model"]).assert_ok();
    assert_eq!(bytes(&s.path("live.model")), champion);
    assert!(history_is_whole(&s) >= 2);
}

#[test]
fn a_pruned_history_keeps_the_newest_versions_and_the_live_one() {
    let s = setup();
    // Three promotions with --keep 2 (a margin of 0.4 lets any challenger through), each
    // over the champion written back as `train` would write it.
    let champion = bytes(&s.path("champion.model"));
    for (i, alpha) in ["1", "3", "10"].iter().enumerate() {
        std::fs::write(s.path("live.model"), &champion).unwrap();
        let r = s.run(&[
            "retrain",
            "--model",
            "live.model",
            "--data",
            "history.csv",
            "--alpha",
            alpha,
            "--margin",
            "0.4",
            "--keep",
            "2",
            "-q",
        ]);
        assert_eq!(r.code, 0, "promotion {i}: {}\n{}", r.stdout, r.stderr);
    }
    assert_eq!(history_is_whole(&s), 2);
    let live = leadscore::model_file::load_with_info(&s.path("live.model")).unwrap().1.checksum;
    let r = s.run(&["models", "live.model", "--json"]);
    let versions = r.json();
    let live_rows: Vec<&Value> = versions.as_array().unwrap().iter().filter(|v| v["live"] == true).collect();
    assert_eq!(live_rows.len(), 1);
    assert!(live.starts_with(live_rows[0]["checksum"].as_str().unwrap()));
}
