//! `leadscore serve` (issue 28): the same bits as `score` for every kind of model, the
//! three payload shapes, a model swapped under load, each bad request answered and
//! survived, the token and HubSpot signature checks, the metrics page and a clean stop.
//! Every server listens on loopback, stops when its test ends (and by itself after 600 s),
//! and every loop is bounded in count and time.

use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::common::server::{read_answer, request, Server};
use crate::common::Scratch;

const AS_OF: &str = "2025-07-01";

/// The rows of a CSV file as JSON objects of strings (an empty cell: an empty string).
fn rows_as_json(path: &std::path::Path) -> Vec<Map<String, Value>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), Value::String(v.to_string()))).collect()
        })
        .collect()
}

/// The scored file's rows by column name.
fn scored_rows(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}

/// Score `leads.csv` with `score` and through `serve` in requests of 1,000 leads, and
/// check every lead's probability bit for bit, its score, tier, decision and reasons;
/// the number of leads scored by a segment's own weights.
fn assert_serve_matches_score(s: &Scratch, model: &str) -> usize {
    let out = format!("{model}.scored.csv");
    s.run(&[
        "score",
        "--model",
        model,
        "--data",
        "leads.csv",
        "--output",
        &out,
        "--output-dialect",
        "plain",
        "--as-of",
        AS_OF,
        "-q",
    ])
    .assert_ok();
    let batch = scored_rows(&s.path(&out));
    let leads = rows_as_json(&s.path("leads.csv"));
    assert_eq!(batch.len(), leads.len());
    let server = Server::start(s, model, &["-q"], &[]);
    let mut own_segment = 0;
    for (chunk_no, chunk) in leads.chunks(1000).enumerate() {
        let body = json!({ "as_of": AS_OF, "leads": chunk });
        let answer = server.post_json(&body.to_string());
        let got = answer["leads"].as_array().unwrap();
        assert_eq!(got.len(), chunk.len());
        for (k, g) in got.iter().enumerate() {
            let b = &batch[chunk_no * 1000 + k];
            let p_batch: f64 = b["probability"].parse().unwrap();
            let p_serve = g["probability"].as_f64().unwrap();
            assert_eq!(p_serve.to_bits(), p_batch.to_bits(), "{model}: lead {}: {p_serve} vs {p_batch}", b["lead_id"]);
            assert_eq!(g["id"], b["lead_id"].as_str());
            assert_eq!(g["score"].as_i64().unwrap().to_string(), b["score"]);
            assert_eq!(g["tier"], b["tier"].as_str());
            assert_eq!(g["decision"].as_bool().unwrap().to_string(), b["decision"]);
            assert_eq!(g["reasons"], b["reasons"].as_str(), "{model}: lead {}", b["lead_id"]);
            own_segment += g.get("segment").is_some() as usize;
        }
    }
    own_segment
}

#[test]
fn serve_gives_the_bits_of_score_for_sample_synth_segmented_spline_and_calibrated_models() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "10000", "--seed", "28", "--products", "--output", "leads.csv", "-q"]).assert_ok();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_leads.csv");
    let train = |data: &str, model: &str, extra: &[&str]| {
        let mut a = vec!["train", "--data", data, "--label", "outcome", "--id", "lead_id", "--model", model, "-q"];
        a.extend_from_slice(extra);
        s.run(&a).assert_ok();
    };
    train(sample.to_str().unwrap(), "sample.model", &[]);
    s.run(&["synth", "--rows", "6000", "--seed", "7", "--output", "synth.csv", "-q"]).assert_ok();
    train("synth.csv", "synth.model", &[]);
    // 40,000 leads: enough for the large products to get weights of their own (as in
    // tests/segments.rs), so that the routing to a segment's weights is exercised.
    s.run(&["synth", "--rows", "40000", "--seed", "11", "--products", "--output", "products.csv", "-q"]).assert_ok();
    train("products.csv", "segmented.model", &["--segment-by", "product"]);
    train("synth.csv", "spline.model", &["--resolution", "spline:4"]);
    train("synth.csv", "calibrated.model", &["--calibrate", "isotonic"]);
    for model in ["sample.model", "synth.model", "spline.model", "calibrated.model"] {
        assert_eq!(assert_serve_matches_score(&s, model), 0);
    }
    let routed = assert_serve_matches_score(&s, "segmented.model");
    assert!(routed > 1000, "only {routed} of 10,000 leads were scored by a segment's own weights");
    eprintln!("segmented model: {routed} of 10,000 leads scored by their product's own weights");
}

#[test]
fn serve_reads_a_flat_lead_a_list_and_a_hubspot_record_alike() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 3);
    s.trained_model("train.csv", "m.model");
    s.synth("new.csv", 40, 4);
    let leads = rows_as_json(&s.path("new.csv"));
    let server = Server::start(&s, "m.model", &["-q"], &[]);
    let list = server.post_json(&json!({ "as_of": AS_OF, "leads": leads }).to_string());
    for (k, lead) in leads.iter().enumerate() {
        let from_list = &list["leads"][k];
        // Flat: the lead's fields at the top, "as_of" beside them, a field no model reads.
        let mut flat = lead.clone();
        flat.insert("as_of".into(), json!(AS_OF));
        flat.insert("utm_campaign".into(), json!("spring"));
        let one = server.post_json(&Value::Object(flat).to_string());
        assert_eq!(
            one["probability"].as_f64().unwrap().to_bits(),
            from_list["probability"].as_f64().unwrap().to_bits()
        );
        assert_eq!(one["reasons"], from_list["reasons"]);
        assert_eq!(one["id"], lead["lead_id"]);
        assert_eq!(one["ignored"], json!(["outcome", "utm_campaign"]));
        // HubSpot's contact record: properties as {"value", "versions"}, the id in "vid".
        let props: Map<String, Value> = lead
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "value": v, "versions": [{ "value": v, "source-type": "FORM" }] })))
            .collect();
        let hubspot = json!({ "vid": 9000 + k, "portal-id": 62515, "properties": props, "as_of": AS_OF });
        let h = server.post_json(&hubspot.to_string());
        assert_eq!(h["probability"].as_f64().unwrap().to_bits(), from_list["probability"].as_f64().unwrap().to_bits());
        assert_eq!(h["reasons"], from_list["reasons"]);
        assert_eq!(h["id"], json!(9000 + k));
        // Numbers sent as JSON numbers give the same probability as the same text.
        let typed: Map<String, Value> = lead
            .iter()
            .map(|(k, v)| {
                let t = v.as_str().unwrap();
                match t.parse::<i64>() {
                    Ok(n) if !k.ends_with("_id") => (k.clone(), json!(n)),
                    _ if t.is_empty() => (k.clone(), Value::Null),
                    _ => (k.clone(), v.clone()),
                }
            })
            .collect();
        let t = server.post_json(&json!({ "as_of": AS_OF, "leads": [typed] }).to_string());
        assert_eq!(
            t["leads"][0]["probability"].as_f64().unwrap().to_bits(),
            from_list["probability"].as_f64().unwrap().to_bits()
        );
    }
    // Without as_of, dates count back from today (UTC).
    let today = chrono::Utc::now().date_naive().to_string();
    let one = server.post_json(&Value::Object(leads[0].clone()).to_string());
    assert_eq!(one["as_of"], today.as_str());
    // The model's metadata.
    let (status, text) = server.request("GET", "/v1/model", &[], b"");
    assert_eq!(status, 200);
    let m: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["checksum"], one["model"]);
    assert!(m["columns"].as_array().unwrap().iter().any(|c| c == "job_title"), "{m}");
    assert_eq!(m["tiers"].as_array().unwrap().len(), 3, "{m}");
}

#[test]
fn a_model_replaced_under_load_is_swapped_without_a_failed_request_and_a_corrupt_one_is_refused() {
    let s = Scratch::new();
    s.synth("a.csv", 3000, 21);
    s.synth("b.csv", 3000, 22);
    s.trained_model("a.csv", "a.model");
    s.trained_model("b.csv", "b.model");
    std::fs::copy(s.path("a.model"), s.path("live.model")).unwrap();
    let server = Server::start(&s, "live.model", &["-q", "--watch", "0.05"], &[]);
    let lead = rows_as_json(&s.path("a.csv")).remove(0);
    let body = Value::Object(lead).to_string();
    let checksum = || {
        let (_, t) = server.request("GET", "/v1/model", &[], b"");
        serde_json::from_str::<Value>(&t).unwrap()["checksum"].as_str().unwrap().to_string()
    };
    let first = checksum();
    // 4 clients x 50 requests a second for 3 seconds: 200 a second, 600 in all.
    let addr = server.addr.clone();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (addr, body) = (addr.clone(), body.clone());
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut seen = Vec::new();
                for i in 0..150u32 {
                    let due = Duration::from_millis(20 * i as u64);
                    if let Some(wait) = due.checked_sub(start.elapsed()) {
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
        .collect();
    // At 1 s the new model is written beside and renamed over the old (as train does).
    std::thread::sleep(Duration::from_millis(1000));
    std::fs::copy(s.path("b.model"), s.path("live.model.tmp")).unwrap();
    std::fs::rename(s.path("live.model.tmp"), s.path("live.model")).unwrap();
    // At 2 s a damaged file replaces it: refused, the second model keeps answering.
    std::thread::sleep(Duration::from_millis(1000));
    let mut bad = std::fs::read(s.path("a.model")).unwrap();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    std::fs::write(s.path("live.model.tmp"), &bad).unwrap();
    std::fs::rename(s.path("live.model.tmp"), s.path("live.model")).unwrap();
    let seen: Vec<(u16, Option<String>)> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert_eq!(seen.len(), 600);
    let failed = seen.iter().filter(|(st, _)| *st != 200).count();
    assert_eq!(failed, 0, "{failed} of 600 requests failed during the swap");
    let models: std::collections::BTreeSet<&str> = seen.iter().filter_map(|(_, m)| m.as_deref()).collect();
    assert!(server.wait_for_log("model reloaded", Duration::from_secs(5)), "{:?}", server.log());
    assert!(server.wait_for_log("refused the new model file", Duration::from_secs(5)), "{:?}", server.log());
    let second = checksum();
    assert_ne!(first, second);
    assert!(models.contains(first.as_str()) && models.contains(second.as_str()), "{models:?}");
    assert_eq!(models.len(), 2, "{models:?}");
    let refusal = server.log().into_iter().find(|l| l.contains("refused")).unwrap();
    assert!(refusal.contains("still serving") && refusal.contains(&second), "{refusal}");
    assert_eq!(server.post(&body).0, 200);
}

#[test]
fn each_bad_request_gets_its_status_and_message_and_the_server_keeps_answering() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 5);
    s.trained_model("train.csv", "m.model");
    let args =
        ["-q", "--max-body", "2K", "--max-leads", "3", "--header-timeout", "1", "--body-timeout", "1", "--test-faults"];
    let server = Server::start(&s, "m.model", &args, &[]);
    let good = r#"{"job_title": "VP Sales", "employees": 120, "demo_requested": "yes"}"#;
    let still_answers = |after: &str| {
        let (status, text) = server.post(good);
        assert_eq!(status, 200, "after {after}: {text}");
    };
    let cases: Vec<(&str, String, u16, &[&str])> = vec![
        ("invalid JSON", "{\"job_title\": ".into(), 400, &["not valid JSON"]),
        ("a list as the body", "[1, 2]".into(), 400, &["an array"]),
        ("an object as a value", r#"{"employees": {"n": 3}}"#.into(), 400, &["\"employees\"", "an object"]),
        (
            "text in a number column",
            r#"{"employees": "many"}"#.into(),
            400,
            &["\"employees\"", "\"many\"", "not a number"],
        ),
        ("a bad date", r#"{"last_activity_date": "yesterday"}"#.into(), 400, &["\"last_activity_date\"", "not a date"]),
        ("a bad as_of", r#"{"as_of": "1/7/2025"}"#.into(), 400, &["as_of", "YYYY-MM-DD"]),
        ("leads that is not a list", r#"{"leads": {"a": 1}}"#.into(), 400, &["\"leads\"", "array"]),
        (
            "a bad lead in a list",
            r#"{"leads": [{"employees": 3}, {"employees": "x"}]}"#.into(),
            400,
            &["lead 2", "\"employees\""],
        ),
        ("too many leads", r#"{"leads": [{}, {}, {}, {}]}"#.into(), 413, &["4 leads", "--max-leads"]),
        ("a body over --max-body", format!("{{\"job_title\": \"{}\"}}", "x".repeat(3000)), 413, &["--max-body"]),
    ];
    for (what, body, status, needles) in &cases {
        let (got, text) = server.post(body);
        assert_eq!(got, *status, "{what}: {text}");
        let msg = serde_json::from_str::<Value>(&text).unwrap()["error"].as_str().unwrap().to_string();
        for n in *needles {
            assert!(msg.contains(n), "{what}: {msg:?} lacks {n:?}");
        }
        still_answers(what);
    }
    // An internal failure inside a handler: 500, and the server goes on.
    let (got, text) = server.request("POST", "/v1/_fault", &[], b"{}");
    assert_eq!(got, 500, "{text}");
    assert!(text.contains("internal error"), "{text}");
    still_answers("an internal failure");
    // Unknown paths and methods.
    assert_eq!(server.request("GET", "/v2/score", &[], b"").0, 404);
    assert_eq!(server.request("GET", "/v1/score", &[], b"").0, 405);
    still_answers("a wrong path");
    // A body that stops arriving: 408 after --body-timeout.
    {
        use std::io::Write;
        let mut c = std::net::TcpStream::connect(&server.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"job").unwrap();
        let start = Instant::now();
        let (status, text) = read_answer(&mut c);
        assert_eq!(status, 408, "{text}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }
    still_answers("a slow body");
    // Headers that stop arriving: the connection is closed after --header-timeout.
    {
        use std::io::Write;
        let mut c = std::net::TcpStream::connect(&server.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(b"POST /v1/score HTTP/1.1\r\nHost: x\r\n").unwrap();
        let start = Instant::now();
        let (status, _) = read_answer(&mut c);
        assert!(status == 0 || status == 408, "{status}");
        assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    }
    still_answers("slow headers");
    // The log has one line per request: method, path, status, leads, microseconds.
    let quiet = server.log().iter().filter(|l| l.contains("POST /v1/score")).count();
    assert_eq!(quiet, 0, "-q keeps request lines out of the log");
}

#[test]
fn connections_over_the_limit_are_answered_503_and_the_others_go_on() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 5);
    s.trained_model("train.csv", "m.model");
    let server = Server::start(&s, "m.model", &["--max-connections", "2", "--log-json"], &[]);
    let idle: Vec<_> = (0..2).map(|_| std::net::TcpStream::connect(&server.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let (status, text) = server.request("GET", "/healthz", &[], b"");
    assert_eq!(status, 503, "{text}");
    drop(idle);
    let start = Instant::now();
    loop {
        let (status, _) = server.request("GET", "/healthz", &[], b"");
        if status == 200 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "the freed connections were not taken back");
        std::thread::sleep(Duration::from_millis(50));
    }
    // --log-json: one JSON object per request line.
    assert!(server.wait_for_log("\"path\":\"/healthz\"", Duration::from_secs(5)));
    let line = server.log().into_iter().find(|l| l.contains("\"path\":\"/healthz\"")).unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["status"], 200);
    assert!(v["us"].as_u64().is_some() && v["method"] == "GET" && v["leads"] == 0, "{v}");
}

/// HubSpot's v3 signature, computed here from HubSpot's documented recipe (not with the
/// server's code): base64 of HMAC-SHA256 over method + URI + body + timestamp.
fn hubspot_v3(secret: &str, method: &str, uri: &str, body: &str, ts: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{method}{uri}{body}{ts}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn the_token_and_the_hubspot_signature_let_the_right_requests_in_and_no_others() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 6);
    s.trained_model("train.csv", "m.model");
    let env = [("LS_TOKEN", "t0ken-123"), ("HS_SECRET", "hubspot-client-secret")];
    let args = [
        "-q",
        "--token-env",
        "LS_TOKEN",
        "--hubspot-secret-env",
        "HS_SECRET",
        "--public-url",
        "https://scoring.example.com",
    ];
    let server = Server::start(&s, "m.model", &args, &env);
    let body = r#"{"properties": {"job_title": {"value": "CEO"}}, "vid": 7}"#;
    let post = |headers: &[(&str, &str)]| {
        let mut h = vec![("Content-Type", "application/json")];
        h.extend_from_slice(headers);
        server.request("POST", "/v1/score", &h, body.as_bytes())
    };
    assert_eq!(post(&[("Authorization", "Bearer t0ken-123")]).0, 200);
    let (st, text) = post(&[("Authorization", "Bearer t0ken-124")]);
    assert_eq!(st, 401, "{text}");
    let (st, text) = post(&[]);
    assert_eq!(st, 401, "{text}");
    assert!(text.contains("X-HubSpot-Signature-v3"), "{text}");
    // HubSpot: signed over the address HubSpot called.
    let now = chrono::Utc::now().timestamp_millis();
    let ts = now.to_string();
    let uri = "https://scoring.example.com/v1/score";
    let sig = hubspot_v3("hubspot-client-secret", "POST", uri, body, &ts);
    let (st, text) = post(&[("X-HubSpot-Signature-v3", &sig), ("X-HubSpot-Request-Timestamp", &ts)]);
    assert_eq!(st, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["id"], 7);
    let wrong = hubspot_v3("another-secret", "POST", uri, body, &ts);
    let (st, text) = post(&[("X-HubSpot-Signature-v3", &wrong), ("X-HubSpot-Request-Timestamp", &ts)]);
    assert_eq!(st, 401, "{text}");
    assert!(text.contains("does not match"), "{text}");
    let old = (now - 6 * 60 * 1000).to_string();
    let stale = hubspot_v3("hubspot-client-secret", "POST", uri, body, &old);
    let (st, text) = post(&[("X-HubSpot-Signature-v3", &stale), ("X-HubSpot-Request-Timestamp", &old)]);
    assert_eq!(st, 401, "{text}");
    assert!(text.contains("ago"), "{text}");
    let (st, text) = post(&[("X-HubSpot-Signature-v3", &sig)]);
    assert_eq!(st, 401, "{text}");
    assert!(text.contains("X-HubSpot-Request-Timestamp"), "{text}");
    // /v1/model takes the token; health checks and metrics need none.
    assert_eq!(server.request("GET", "/v1/model", &[], b"").0, 401);
    assert_eq!(server.request("GET", "/v1/model", &[("Authorization", "Bearer t0ken-123")], b"").0, 200);
    assert_eq!(server.request("GET", "/healthz", &[], b"").0, 200);
    // Another address with no check on callers needs --allow-open.
    let r = s.run(&["serve", "--model", "m.model", "--listen", "0.0.0.0:0", "--exit-after", "1"]);
    r.assert_bad_input(&["--listen", "--token-env", "--allow-open"]);
    let r = s.run(&["serve", "--model", "m.model", "--token-env", "NOT_SET_ANYWHERE", "--exit-after", "1"]);
    r.assert_bad_input(&["NOT_SET_ANYWHERE"]);
}

#[test]
fn metrics_count_requests_latency_leads_and_tiers_and_sigterm_stops_cleanly() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 8);
    s.trained_model("train.csv", "m.model");
    s.synth("new.csv", 25, 9);
    let server = Server::start(&s, "m.model", &[], &[]);
    let leads = rows_as_json(&s.path("new.csv"));
    let answer = server.post_json(&json!({ "leads": leads }).to_string());
    let hot = answer["leads"].as_array().unwrap().iter().filter(|l| l["tier"] == "hot").count();
    assert_eq!(server.post("not json").0, 400);
    let (status, page) = server.request("GET", "/metrics", &[], b"");
    assert_eq!(status, 200);
    let sample = |name: &str| -> f64 {
        let line = page
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("{name} in {page}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(sample("leadscore_requests_total{status=\"200\"}"), 1.0);
    assert_eq!(sample("leadscore_requests_total{status=\"400\"}"), 1.0);
    assert_eq!(sample("leadscore_leads_scored_total"), 25.0);
    assert_eq!(sample("leadscore_request_duration_seconds_count"), 2.0);
    assert_eq!(sample("leadscore_request_duration_seconds_bucket{le=\"+Inf\"}"), 2.0);
    if hot > 0 {
        assert_eq!(sample("leadscore_leads_by_tier_total{tier=\"hot\"}"), hot as f64);
    }
    assert!(
        page.contains(&format!("leadscore_model_info{{checksum=\"{}\"", answer["model"].as_str().unwrap())),
        "{page}"
    );
    // Text log: one line per request with method, path, status, leads and microseconds.
    assert!(server.wait_for_log("POST /v1/score 200 25 ", Duration::from_secs(5)), "{:?}", server.log());
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn an_events_model_scores_the_counts_a_request_carries_and_refuses_a_lead_without_them() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "7", "--output", "c.csv", "--events", "e.csv", "-q"]).assert_ok();
    let behaviour = "website_visits,pricing_page_views,careers_page_views,email_opens,email_clicks,webinars_attended,content_downloads,demo_requested,last_activity_date";
    s.run(&[
        "train",
        "--data",
        "c.csv",
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--exclude",
        behaviour,
        "--events",
        "e.csv",
        "--cutoff-col",
        "closed_date",
        "--model",
        "m.model",
        "-q",
    ])
    .assert_ok();
    s.run(&[
        "score",
        "--model",
        "m.model",
        "--data",
        "c.csv",
        "--events",
        "e.csv",
        "--as-of",
        AS_OF,
        "--output",
        "s.csv",
        "--output-dialect",
        "plain",
        "-q",
    ])
    .assert_ok();
    // The counts as the model computes them, as a CRM would send them with each lead.
    s.run(&[
        "events", "--model", "m.model", "--data", "c.csv", "--events", "e.csv", "--as-of", AS_OF, "--output",
        "with.csv", "-q",
    ])
    .assert_ok();
    let leads = rows_as_json(&s.path("with.csv"));
    let batch = scored_rows(&s.path("s.csv"));
    let server = Server::start(&s, "m.model", &["-q"], &[]);
    for (n, chunk) in leads.chunks(100).enumerate() {
        let answer = server.post_json(&json!({ "as_of": AS_OF, "leads": chunk }).to_string());
        for (k, g) in answer["leads"].as_array().unwrap().iter().enumerate() {
            let b = &batch[n * 100 + k];
            let p: f64 = b["probability"].parse().unwrap();
            assert_eq!(g["probability"].as_f64().unwrap().to_bits(), p.to_bits(), "lead {}", b["lead_id"]);
            assert_eq!(g["reasons"], b["reasons"].as_str());
        }
    }
    // A lead without its activity counts is refused, naming them.
    let mut bare = leads[0].clone();
    bare.retain(|k, _| !k.starts_with("events."));
    let (status, text) = server.post(&Value::Object(bare).to_string());
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("activity log") && text.contains("events."), "{text}");
}

#[test]
fn on_sigterm_a_request_in_flight_is_answered_before_the_server_stops() {
    use std::io::Write;
    let s = Scratch::new();
    s.synth("train.csv", 3000, 10);
    s.trained_model("train.csv", "m.model");
    let server = Server::start(&s, "m.model", &[], &[]);
    let body = br#"{"job_title": "VP Sales", "employees": 120}"#;
    let mut c = std::net::TcpStream::connect(&server.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head =
        format!("POST /v1/score HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len());
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.sigterm();
    assert!(server.wait_for_log("stopping (SIGTERM)", Duration::from_secs(5)), "{:?}", server.log());
    // New connections are no longer taken; the one in flight gets its answer.
    std::thread::sleep(Duration::from_millis(200));
    assert!(std::net::TcpStream::connect(&server.addr).is_err(), "the listener should be closed");
    c.write_all(&body[10..]).unwrap();
    let (status, text) = read_answer(&mut c);
    assert_eq!(status, 200, "{text}");
    assert_eq!(server.wait_exit(), Some(0));
}
