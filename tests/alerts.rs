//! Telling sales when a lead crosses the line (issue 16): the state kept between scoring
//! runs, the changes file, and webhook delivery to a real receiver on the loopback
//! address, exactly once through failures, an outage and a kill.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use hmac::{Hmac, Mac};

use crate::common::receiver::{Answer, Received, Receiver};
use crate::common::{csv_column, Scratch};

/// A Standard Webhooks secret for the tests (24 random bytes, base64).
const SECRET: &str = "whsec_C2FwcGhpcmUtbGVhZHMtdGVzdC1rZXk=";

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
    let active: BTreeSet<usize> = (1..1490).step_by(7).collect();
    let lines = gain_activity(&s, "new.csv", "new2.csv", &active, 10);
    let header: Vec<String> = csv_split(&lines[0]);
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

/// Copy `from` to `to` with the data rows in `active` (1-based) given a demo request and
/// six pricing-page views, and the last `drop_last` rows left out; the lines written.
fn gain_activity(s: &Scratch, from: &str, to: &str, active: &BTreeSet<usize>, drop_last: usize) -> Vec<String> {
    let text = std::fs::read_to_string(s.path(from)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header = csv_split(&lines[0]);
    let (demo, pricing) = (
        header.iter().position(|h| *h == "demo_requested").unwrap(),
        header.iter().position(|h| *h == "pricing_page_views").unwrap(),
    );
    for &i in active {
        let mut cells: Vec<String> = csv_split(&lines[i]);
        cells[demo] = "yes".into();
        cells[pricing] = "6".into();
        lines[i] = cells.iter().map(|c| csv_quote(c)).collect::<Vec<_>>().join(",");
    }
    lines.truncate(lines.len() - drop_last);
    s.write(to, lines.join("\n") + "\n");
    lines
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

/// Check a request's `webhook-signature` against the secret, as a receiver does (the
/// scheme written out again here; `.ci/check_webhooks.py` checks the same log with the
/// `standardwebhooks` Python package).
fn signature_verifies(r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD.decode(SECRET.trim_start_matches("whsec_")).unwrap();
    let (id, ts) = (&r.headers["webhook-id"], &r.headers["webhook-timestamp"]);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{}", r.body).as_bytes());
    let want = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    r.headers["webhook-signature"].split(' ').any(|s| s == want)
}

fn event_ids_in(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["type"], "leadscore.changes");
    v["data"]["changes"].as_array().unwrap().iter().map(|c| c["event_id"].as_str().unwrap().to_string()).collect()
}

/// Append the requests to the log `.ci/run` asks for (LEADSCORE_WEBHOOK_LOG), with the
/// secret, so that an independent implementation can verify the signatures.
fn export_log(log: &[Received]) {
    let Ok(path) = std::env::var("LEADSCORE_WEBHOOK_LOG") else { return };
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for r in log {
        let line = serde_json::json!({"secret": SECRET, "headers": r.headers, "body": r.body, "status": r.status});
        writeln!(f, "{line}").unwrap();
    }
}

#[test]
fn webhook_delivers_every_change_once_through_failures_an_outage_and_a_kill() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 71);
    s.trained_model("train.csv", "m");
    s.run(&["synth", "--rows", "300", "--seed", "72", "--no-outcome", "--output", "new.csv", "-q"]).assert_ok();
    let active: BTreeSet<usize> = (1..290).step_by(5).collect();
    gain_activity(&s, "new.csv", "new2.csv", &active, 5);
    let env = [("LEADSCORE_WEBHOOK_SECRET", SECRET)];
    let args = |data: &str, out: &str, url: &str| -> Vec<String> {
        [
            "score",
            "--model",
            "m",
            "--data",
            data,
            "--as-of",
            "2025-06-30",
            "--output",
            out,
            "--force",
            "--state",
            "state.parquet",
            "--changes",
            "changes.jsonl",
            "--webhook",
            url,
            "--webhook-batch",
            "100",
            "--webhook-retries",
            "5",
            "--webhook-backoff-ms",
            "50",
            "--webhook-timeout",
            "5",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let strs = |v: &[String]| v.iter().map(String::as_str).collect::<Vec<_>>().join("\u{1}");

    // Run 1: 300 new leads in three requests. The first request fails with 500 twice, is
    // asked to wait with 429 and Retry-After: 1, has its connection dropped, and then
    // goes through; the second goes through; the third hangs and the process is killed.
    let rx = Receiver::start(
        0,
        &[
            Answer::Status(500),
            Answer::Status(500),
            Answer::TooMany(1),
            Answer::Drop,
            Answer::Status(200),
            Answer::Status(200),
            Answer::Hang,
        ],
    );
    let url = rx.url();
    let a1 = args("new.csv", "s1.csv", &url);
    let mut child = s
        .command(&strs(&a1).split('\u{1}').collect::<Vec<_>>(), &env)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    rx.hung.recv_timeout(std::time::Duration::from_secs(90)).expect("the third request arrives");
    child.kill().unwrap();
    child.wait().unwrap();
    let run1: Vec<String> =
        changes(&s, "changes.jsonl").iter().map(|c| c["event_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(run1.len(), 300);
    let outbox: Vec<String> =
        std::fs::read_to_string(s.path("state.outbox.jsonl")).unwrap().lines().map(str::to_string).collect();
    assert_eq!(outbox.len(), 100, "the undelivered third request waits in the outbox");
    let port = rx.addr.port();
    let log1 = rx.stop();

    // Run 2: the receiver is down for the whole run; some leads gained activity. The run
    // succeeds (the scored file is written), warns, and keeps everything in the outbox.
    let a2 = args("new2.csv", "s2.csv", &url);
    let r2 = s.run_env(&strs(&a2).split('\u{1}').collect::<Vec<_>>(), &env);
    r2.assert_ok();
    assert!(r2.stderr.contains("warning: webhook") && r2.stderr.contains("go first on the next run"), "{}", r2.stderr);
    assert!(s.path("s2.csv").exists());
    let run2: Vec<String> =
        changes(&s, "changes.jsonl").iter().map(|c| c["event_id"].as_str().unwrap().to_string()).collect();
    assert!(run2.len() >= 10, "some leads changed: {}", run2.len());
    let waiting = std::fs::read_to_string(s.path("state.outbox.jsonl")).unwrap().lines().count();
    assert_eq!(waiting, 100 + run2.len());

    // Run 3: the receiver is back; the same leads, so no new changes, and the outbox is
    // delivered and removed.
    let rx = Receiver::start(port, &[]);
    let a3 = args("new2.csv", "s3.csv", &url);
    let r3 = s.run_env(&strs(&a3).split('\u{1}').collect::<Vec<_>>(), &env);
    r3.assert_ok();
    assert!(changes(&s, "changes.jsonl").is_empty());
    assert!(!s.path("state.outbox.jsonl").exists(), "{}", r3.stderr);
    let log3 = rx.stop();

    // Every change found was accepted (answered 2xx) exactly once, nothing else was.
    let log: Vec<Received> = log1.iter().chain(&log3).cloned().collect();
    export_log(&log);
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for r in log.iter().filter(|r| (200..300).contains(&r.status)) {
        for id in event_ids_in(&r.body) {
            *accepted.entry(id).or_default() += 1;
        }
    }
    let found: BTreeSet<String> = run1.iter().chain(&run2).cloned().collect();
    assert_eq!(accepted.keys().cloned().collect::<BTreeSet<_>>(), found);
    assert!(accepted.values().all(|&n| n == 1), "a change accepted twice");
    // Every request is signed with the secret; retries keep the message id.
    assert!(log.iter().all(signature_verifies));
    let first: Vec<&Received> = log1.iter().take(5).collect();
    assert!(first.iter().all(|r| r.headers["webhook-id"] == first[0].headers["webhook-id"]));
    assert_eq!(first.iter().map(|r| r.status).collect::<Vec<_>>(), [500, 500, 429, 0, 200]);
    // The 429 asked for a second's wait, and got it.
    assert!(first[3].at.duration_since(first[2].at) >= std::time::Duration::from_millis(950));
    for r in &log {
        eprintln!(
            "receiver: {} {} {} changes, status {}",
            r.headers["webhook-id"],
            r.headers["webhook-timestamp"],
            event_ids_in(&r.body).len(),
            if r.status == 0 { "none (dropped or hung)".to_string() } else { r.status.to_string() }
        );
    }
}

#[test]
fn webhook_refusals_dry_run_and_bad_settings() {
    let s = Scratch::new();
    s.synth("train.csv", 2000, 73);
    s.trained_model("train.csv", "m");
    s.run(&["synth", "--rows", "40", "--seed", "74", "--no-outcome", "--output", "new.csv", "-q"]).assert_ok();
    let env = [("LEADSCORE_WEBHOOK_SECRET", SECRET)];
    let run = |url: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut a = vec![
            "score",
            "--model",
            "m",
            "--data",
            "new.csv",
            "--output",
            "s.csv",
            "--force",
            "--state",
            "st.parquet",
            "--webhook",
            url,
            "--webhook-backoff-ms",
            "20",
        ];
        a.extend_from_slice(extra);
        s.run_env(&a, env)
    };
    // A 404 is not retried; the changes wait in the outbox.
    let rx = Receiver::start(0, &[Answer::Status(404)]);
    let r = run(&rx.url(), &[], &env);
    r.assert_ok();
    assert!(r.stderr.contains("refused the changes with 404 (not retried)"), "{}", r.stderr);
    assert_eq!(rx.stop().len(), 1);
    assert_eq!(std::fs::read_to_string(s.path("st.outbox.jsonl")).unwrap().lines().count(), 40);
    // --dry-run prints the signed request and changes nothing.
    let before = (std::fs::read(s.path("st.parquet")).unwrap(), std::fs::read(s.path("st.outbox.jsonl")).unwrap());
    let r = run("https://crm.example.com/hooks", &["--dry-run"], &env);
    r.assert_ok();
    assert!(r.stdout.starts_with("POST https://crm.example.com/hooks\n"), "{}", r.stdout);
    assert!(r.stdout.contains("webhook-signature: v1,"));
    assert_eq!(r.stdout.matches("\"event_id\"").count(), 40);
    assert_eq!(
        before,
        (std::fs::read(s.path("st.parquet")).unwrap(), std::fs::read(s.path("st.outbox.jsonl")).unwrap())
    );
    // No secret, a secret that is not base64, an address that is not http: exit 2 before
    // scoring.
    std::fs::remove_file(s.path("s.csv")).unwrap();
    run("https://crm.example.com/hooks", &[], &[]).assert_bad_input(&["LEADSCORE_WEBHOOK_SECRET is not set"]);
    run("https://crm.example.com/hooks", &[], &[("LEADSCORE_WEBHOOK_SECRET", "whsec_not base64!")])
        .assert_bad_input(&["not base64"]);
    run("ftp://crm.example.com", &[], &env).assert_bad_input(&["--webhook", "not an http"]);
    assert!(!s.path("s.csv").exists());
}
