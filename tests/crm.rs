//! `score --crm hubspot|salesforce` (issue 28): files each CRM's importer takes as they
//! are, checked rule by rule on leads with hostile values (commas, quotes, line breaks,
//! formulas, non-ASCII names), and with `--state` only the leads that changed.

use crate::common::Scratch;

/// Synthetic leads whose emails (the CRM key) and titles are hostile.
fn hostile_leads(s: &Scratch) -> Vec<String> {
    s.synth("leads.csv", 30, 41);
    let mut rdr = csv::Reader::from_path(s.path("leads.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut rows: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    let email = headers.iter().position(|h| h == "email").unwrap();
    let title = headers.iter().position(|h| h == "job_title").unwrap();
    let hostile = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "Åsa Øberg, \"the boss\" <åsa@example.dk>",
        "+4512345678",
        "-2+3@example.com",
        "@SUM(A1:A9)",
        "jürgen.müller@example.de",
        " padded@example.com ",
    ];
    let mut keys = Vec::new();
    for (i, cells) in rows.iter_mut().enumerate() {
        if let Some(h) = hostile.get(i) {
            cells[email] = h.to_string();
        }
        if i == 1 {
            cells[title] = "VP, Sales\n\"EMEA\"".into();
        }
        keys.push(cells[email].clone());
    }
    write_csv(&s.path("hostile.csv"), &headers, &rows);
    keys
}

fn write_csv(path: &std::path::Path, headers: &csv::StringRecord, rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(headers).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// Score `hostile.csv` with a model trained on synthetic leads into a CRM file `out`.
fn crm_file(s: &Scratch, out: &str, crm: &[&str]) -> crate::common::Run {
    if !s.path("m.model").exists() {
        s.trained_model(s.synth("train.csv", 3000, 40).to_str().unwrap(), "m.model");
    }
    let mut a = vec!["score", "--model", "m.model", "--data", "hostile.csv", "--output", out];
    a.extend_from_slice(crm);
    s.run(&a)
}

fn read(path: &std::path::Path) -> (Vec<u8>, Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::None).from_reader(&bytes[..]);
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (bytes, header, rows)
}

#[test]
fn a_salesforce_upsert_file_keeps_the_bulk_api_csv_rules_on_hostile_values() {
    let s = Scratch::new();
    let keys = hostile_leads(&s);
    // Every reason, so that the hostile title's own reason is in the field whichever
    // reasons are largest.
    crm_file(&s, "sf.csv", &["--crm", "salesforce", "--crm-key", "email=Email", "--reasons", "40", "-q"]).assert_ok();
    let (bytes, header, rows) = read(&s.path("sf.csv"));
    // UTF-8 with no byte-order mark; field API names in the header, the external ID first.
    assert!(std::str::from_utf8(&bytes).is_ok());
    assert!(bytes.starts_with(b"Email,Leadscore_Probability__c,"), "{:?}", &bytes[..40]);
    assert_eq!(
        header,
        [
            "Email",
            "Leadscore_Probability__c",
            "Leadscore_Score__c",
            "Leadscore_Tier__c",
            "Leadscore_Decision__c",
            "Leadscore_Reasons__c"
        ]
    );
    // LF line endings; every lead once; keys exactly as in the input (not trimmed, no
    // apostrophe before a formula).
    assert!(!bytes.windows(2).any(|w| w == b"\r\n"));
    let got: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(got, keys.iter().map(String::as_str).collect::<Vec<_>>());
    // A field with a comma, quote or line break is quoted, a quote doubled.
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"Åsa Øberg, \"\"the boss\"\" <åsa@example.dk>\","), "{text}");
    assert!(text.contains("\n=HYPERLINK(\"\"") || text.contains("\n\"=HYPERLINK(\"\""), "{text}");
    assert!(rows[1][5].contains("VP, Sales\n\"EMEA\""), "{:?}", rows[1]);
    // Values a Salesforce field takes: a probability with a point, an integer score,
    // true or false.
    for r in &rows {
        let p: f64 = r[1].parse().unwrap();
        assert!((0.0..=1.0).contains(&p) && r[1].len() == 6, "{r:?}");
        r[2].parse::<u8>().unwrap();
        assert!(r[4] == "true" || r[4] == "false");
        assert!(!r[5].is_empty());
    }
}

#[test]
fn a_hubspot_import_file_has_the_identifier_and_one_column_per_property() {
    let s = Scratch::new();
    let keys = hostile_leads(&s);
    let fields = "score=leadscore_score,tier=leadscore_tier,decision=leadscore_sales_ready";
    crm_file(&s, "hs.csv", &["--crm", "hubspot", "--crm-key", "email=Email", "--crm-fields", fields, "-q"]).assert_ok();
    let (bytes, header, rows) = read(&s.path("hs.csv"));
    assert!(!bytes.starts_with(b"\xef\xbb\xbf"));
    assert_eq!(header, ["Email", "leadscore_score", "leadscore_tier", "leadscore_sales_ready"]);
    assert_eq!(rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), keys);
    // The same scores as the scored file.
    crm_file(&s, "plain.csv", &["--output-dialect", "plain", "-q"]).assert_ok();
    let scores = crate::common::csv_column(&s.path("plain.csv"), "score");
    assert_eq!(rows.iter().map(|r| r[1].clone()).collect::<Vec<_>>(), scores);
    // A bad field list is refused by name.
    let sf = ["--crm", "salesforce", "--crm-key"];
    crm_file(&s, "x.csv", &[&sf[..], &["email=Email", "--crm-fields", "odds=Odds__c"]].concat())
        .assert_bad_input(&["--crm-fields", "odds"]);
    crm_file(&s, "x.csv", &[&sf[..], &["email=E mail"]].concat()).assert_bad_input(&["E mail", "API name"]);
}

#[test]
fn with_state_only_leads_whose_score_tier_or_decision_changed_are_written() {
    let s = Scratch::new();
    hostile_leads(&s);
    s.trained_model(s.synth("train.csv", 3000, 40).to_str().unwrap(), "m.model");
    let run = |data: &str, out: &str| {
        s.run(&[
            "score",
            "--model",
            "m.model",
            "--data",
            data,
            "--output",
            out,
            "--crm",
            "salesforce",
            "--crm-key",
            "lead_id=Lead_Key__c",
            "--state",
            "state.parquet",
            "--as-of",
            "2025-07-01",
            "-q",
        ])
        .assert_ok();
        read(&s.path(out)).2
    };
    assert_eq!(run("hostile.csv", "first.csv").len(), 30, "the first run writes every lead");
    assert_eq!(run("hostile.csv", "second.csv").len(), 0, "nothing changed");
    // One lead books a demo and visits pricing often; one new lead arrives.
    let mut rdr = csv::Reader::from_path(s.path("hostile.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut rows: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (demo, pricing, last) = (col("demo_requested"), col("pricing_page_views"), col("last_activity_date"));
    let changed = rows.iter().position(|r| r[demo] == "no").unwrap();
    rows[changed][demo] = "yes".into();
    rows[changed][pricing] = "12".into();
    rows[changed][last] = "2025-06-30".into();
    let mut new = rows[0].clone();
    new[0] = "L-NEW".into();
    rows.push(new);
    write_csv(&s.path("later.csv"), &headers, &rows);
    let third = run("later.csv", "third.csv");
    let ids: Vec<&str> = third.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, [rows[changed][0].as_str(), "L-NEW"]);
}
