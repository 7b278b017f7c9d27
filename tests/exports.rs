//! Real CRM exports as they come (issue 14): text encodings (Windows-1252, UTF-16),
//! Excel's local number and date formats in five locales, one bad cell set aside with
//! rejects, pipes in and out, and wide all-properties exports screened to the columns
//! with signal.

use crate::common::locale::{self, Locale};
use crate::common::{csv_column, csv_f64, Scratch};

/// The synthetic export with Danish letters in a category, as clean UTF-8 text.
fn danish_text(s: &Scratch, rows: usize, seed: u64, outcome: bool) -> String {
    let mut args = vec!["synth".to_string(), "--rows".into(), rows.to_string(), "--seed".into(), seed.to_string()];
    args.extend(["--output".into(), "src.csv".into(), "-q".into(), "--force".into()]);
    if !outcome {
        args.push("--no-outcome".into());
    }
    s.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).assert_ok();
    let text = std::fs::read_to_string(s.path("src.csv")).unwrap();
    text.replace("United States", "Danmark Århus-Ærø").replace("Germany", "Tyskland Øst")
}

/// `text` as Excel's "Unicode text": UTF-16LE with a byte-order mark, tab-separated.
fn utf16_tabs(text: &str) -> Vec<u8> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let mut tsv = String::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        tsv.push_str(&rec.iter().collect::<Vec<_>>().join("\t"));
        tsv.push_str("\r\n");
    }
    let mut out = vec![0xFF, 0xFE];
    out.extend(tsv.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

#[test]
fn windows_1252_and_utf16_exports_train_and_score_as_the_utf8_file_does() {
    let s = Scratch::new();
    let train = danish_text(&s, 1500, 141, true);
    let new = danish_text(&s, 400, 142, false);
    s.write("train.csv", &train);
    s.write("new.csv", &new);
    s.write("train_1252.csv", encoding_rs::WINDOWS_1252.encode(&train).0);
    s.write("new_1252.csv", encoding_rs::WINDOWS_1252.encode(&new).0);
    s.write("train_utf16.txt", utf16_tabs(&train));
    s.write("new_utf16.txt", utf16_tabs(&new));
    let mut results = Vec::new();
    for tag in ["", "_1252", "_utf16"] {
        let ext = if tag == "_utf16" { "txt" } else { "csv" };
        let (train_file, new_file, model) =
            (format!("train{tag}.{ext}"), format!("new{tag}.{ext}"), format!("m{tag}.bin"));
        let r = s.run(&[
            "train",
            "--data",
            &train_file,
            "--label",
            "outcome",
            "--id",
            "lead_id",
            "--model",
            &model,
            "--json",
        ]);
        r.assert_ok();
        let want = match tag {
            "" => "UTF-8 (valid UTF-8)",
            "_1252" => "Windows-1252 (the file is not UTF-8",
            _ => "UTF-16LE (byte-order mark)",
        };
        assert!(r.stderr.contains(want), "{tag}: {}", r.stderr);
        let auc = r.json()["holdout"]["roc_auc"].as_f64().unwrap();
        let out = format!("s{tag}.csv");
        s.run(&["score", "--model", &model, "--data", &new_file, "--output", &out, "--as-of", "2025-06-30", "-q"])
            .assert_ok();
        let levels = r.json()["columns_used"].clone();
        // Written back in the input's dialect (UTF-16 text: tabs): read as a tool would.
        results.push((auc, levels, read_back(&s.path(&out), "probability"), read_text(&s.path(&out), "reasons")));
    }
    assert!(results[0].3.iter().any(|r| r.contains("Århus")), "the Danish levels reach the reasons");
    for (k, r) in results.iter().enumerate().skip(1) {
        assert_eq!(r.0, results[0].0, "holdout ROC AUC, file {k}");
        assert_eq!(r.1, results[0].1, "roles, file {k}");
        assert_eq!(r.2, results[0].2, "probabilities, file {k}");
        assert_eq!(r.3, results[0].3, "reasons, file {k}");
    }
}

#[test]
fn errors_in_a_decoded_file_name_the_users_file_row_and_value() {
    let s = Scratch::new();
    let train = danish_text(&s, 600, 143, true);
    s.write("train.csv", &train);
    s.run(&["train", "--data", "train.csv", "--label", "outcome", "--id", "lead_id", "--model", "m.bin", "-q"])
        .assert_ok();
    let mut lines: Vec<String> = train.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let visits = header.iter().position(|h| *h == "website_visits").unwrap();
    let fields = header.len();
    // A row whose number of fields can be changed without quoting trouble.
    let k = (1..lines.len()).find(|&i| !lines[i].contains('"') && lines[i].split(',').count() == fields).unwrap();
    let mut f: Vec<String> = lines[k].split(',').map(str::to_string).collect();
    f[visits] = "mange".into();
    lines[k] = f.join(",");
    s.write("bad_1252.csv", encoding_rs::WINDOWS_1252.encode(&(lines.join("\n") + "\n")).0);
    s.write("bad_utf16.txt", utf16_tabs(&(lines.join("\n") + "\n")));
    for name in ["bad_1252.csv", "bad_utf16.txt"] {
        let r =
            s.run(&["score", "--model", "m.bin", "--data", name, "--output", "o.csv", "--as-of", "2025-06-30", "-q"]);
        r.assert_bad_input(&[name, "website_visits", &format!("row {k}"), "\"mange\""]);
        assert!(!r.stderr.contains(".leadscore-utf8"), "a temporary copy is named: {}", r.stderr);
        assert!(!s.path("o.csv").exists());
    }
    // An encoding given by name wins; an unknown name is a usage error.
    s.run(&["score", "--model", "m.bin", "--data", "train.csv", "--output", "u.csv", "--encoding", "utf-8", "-q"])
        .assert_ok();
    s.run(&["score", "--model", "m.bin", "--data", "train.csv", "--output", "x.csv", "--encoding", "ebcdic"])
        .assert_bad_input(&["ebcdic"]);
}

#[test]
fn danish_values_are_read_as_flags_titles_placeholders_and_outcomes() {
    use rand::{Rng, SeedableRng};
    let s = Scratch::new();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(144);
    let titles = [
        ("Adm. direktør", 1.2),
        ("Salgschef", 0.8),
        ("Økonomichef", 0.6),
        ("Projektleder", 0.2),
        ("Marketingkoordinator", 0.0),
        ("Sælger", -0.2),
        ("Praktikant", -1.5),
        ("Softwareudvikler", -0.3),
    ];
    let mut text = String::from("Kunde-ID;Stilling;Branche;Demo booket;Resultat\n");
    for i in 0..800 {
        let (title, effect) = titles[rng.gen_range(0..titles.len())];
        let demo = rng.gen_bool(0.3);
        let branche = ["Detail", "Industri", "Finans", "Vælg", "Sundhed"][rng.gen_range(0..5)];
        let z = -1.5 + effect + if demo { 1.5 } else { 0.0 };
        let won = rng.gen::<f64>() < 1.0 / (1.0 + (-z as f64).exp());
        let demo = if demo { "Ja" } else { "Nej" };
        text.push_str(&format!("K{i};{title};{branche};{demo};{}\n", if won { "Vundet" } else { "Tabt" }));
    }
    s.write("kunder.csv", encoding_rs::WINDOWS_1252.encode(&text).0);
    let r = s.run(&[
        "train",
        "--data",
        "kunder.csv",
        "--label",
        "Resultat",
        "--id",
        "Kunde-ID",
        "--model",
        "m.bin",
        "--json",
    ]);
    r.assert_ok();
    let j = r.json();
    assert_eq!(j["positive_value"], "Vundet");
    let role = |col: &str| {
        j["columns_used"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["column"] == col)
            .map(|c| c["role"].as_str().unwrap().to_string())
    };
    assert_eq!(role("Stilling").as_deref(), Some("title"), "{}", j["columns_used"]);
    assert_eq!(role("Demo booket").as_deref(), Some("flag"));
    assert_eq!(role("Branche").as_deref(), Some("category"));
    // "Vælg" is a placeholder: the category's levels have a missing level, not a "vælg" one.
    let model = leadscore::model_file::load(&s.path("m.bin")).unwrap();
    let names: Vec<&str> = model.features.features.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"Branche = (missing)"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("vælg")), "{names:?}");
    assert!(names.contains(&"Stilling seniority = c-level"), "{names:?}");
}

#[test]
fn one_bad_cell_in_a_nightly_batch_is_set_aside_with_rejects_on_every_path() {
    let s = Scratch::new();
    s.synth("train.csv", 1500, 145);
    s.trained_model("train.csv", "m.bin");
    s.run(&["synth", "--rows", "20000", "--seed", "146", "--no-outcome", "--output", "new.csv", "-q"]).assert_ok();
    let text = std::fs::read_to_string(s.path("new.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let (visits, demo) = (
        header.iter().position(|h| *h == "website_visits").unwrap(),
        header.iter().position(|h| *h == "demo_requested").unwrap(),
    );
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let plain = |l: &str| !l.contains('"') && l.split(',').count() == header.len();
    // One number with a thousands separator the model does not read, and a count in the
    // yes/no column (a number there is yes above zero, not a bad cell).
    let bad = (12_000..lines.len()).find(|&i| plain(&lines[i])).unwrap();
    let mut f: Vec<String> = lines[bad].split(',').map(str::to_string).collect();
    f[visits] = "\"1.234,5\"".into();
    lines[bad] = f.join(",");
    let count = (100..lines.len()).find(|&i| plain(&lines[i])).unwrap();
    let mut f: Vec<String> = lines[count].split(',').map(str::to_string).collect();
    f[demo] = "2".into();
    lines[count] = f.join(",");
    s.write("batch.csv", lines.join("\n") + "\n");
    // Without --rejects: the run stops naming the cell, and leaves no output.
    let r = s.run(&[
        "score",
        "--model",
        "m.bin",
        "--data",
        "batch.csv",
        "--output",
        "o.csv",
        "--as-of",
        "2025-06-30",
        "-q",
    ]);
    r.assert_bad_input(&["batch.csv", "website_visits", &format!("row {bad}"), "\"1.234,5\""]);
    assert!(!s.path("o.csv").exists());
    // With --rejects: 19,999 scored, one set aside with its reason, exit 0, a warning.
    let mut outputs = Vec::new();
    for (out, rej, extra) in
        [("a.csv", "ra.csv", None), ("b.csv", "rb.csv", Some("--general-path")), ("c.parquet", "rc.csv", None)]
    {
        let mut args =
            vec!["score", "--model", "m.bin", "--data", "batch.csv", "--output", out, "--as-of", "2025-06-30"];
        args.extend(["--rejects", rej, "-q"]);
        args.extend(extra);
        let r = s.run(&args);
        r.assert_ok();
        assert!(r.stderr.contains("warning: 1 leads set aside"), "{}", r.stderr);
        let id = csv_column(&s.path(rej), "id");
        assert_eq!(csv_column(&s.path(rej), "row"), vec![bad.to_string()], "{rej}");
        assert_eq!(csv_column(&s.path(rej), "column"), vec!["website_visits"]);
        assert_eq!(csv_column(&s.path(rej), "value"), vec!["1.234,5"]);
        assert_eq!(csv_column(&s.path(rej), "reason"), vec!["not a number"]);
        assert_eq!(id, vec![lines[bad].split(',').next().unwrap().to_string()]);
        outputs.push(std::fs::read(s.path(rej)).unwrap());
        if out.ends_with(".csv") {
            let ids = csv_column(&s.path(out), "lead_id");
            assert_eq!(ids.len(), 19_999);
            assert!(!ids.contains(&id[0]));
        }
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    assert_eq!(std::fs::read(s.path("a.csv")).unwrap(), std::fs::read(s.path("b.csv")).unwrap());
    // --on-bad-row reject needs somewhere to put them.
    s.run(&["score", "--model", "m.bin", "--data", "batch.csv", "--output", "d.csv", "--on-bad-row", "reject"])
        .assert_bad_input(&["--rejects"]);
}

/// Train on the clean file and on `locale`'s export of the same contacts; returns both
/// `train --json` summaries.
fn train_both(s: &Scratch, clean: &str, locale: Locale) -> (serde_json::Value, serde_json::Value) {
    s.write(Locale::Clean.file_name(), locale::write(clean, Locale::Clean));
    s.write(locale.file_name(), locale::write(clean, locale));
    let train = |file: &str, label: &str, model: &str| {
        let r = s.run(&[
            "train", "--data", file, "--label", label, "--id", "lead_id", "--model", model, "--json", "--force",
        ]);
        r.assert_ok();
        (r.json(), r.stderr)
    };
    let (a, _) = train(Locale::Clean.file_name(), "outcome", "clean.model");
    let (b, text) = train(locale.file_name(), &locale.header("outcome"), &format!("{locale:?}.model"));
    if locale == Locale::Danish {
        assert!(text.contains("Windows-1252"), "{text}");
    }
    (a, b)
}

/// The acceptance fixtures: five exports of the same contacts train with the same roles,
/// the same holdout ROC AUC and the same probabilities as the clean ISO UTF-8 file.
#[test]
fn exports_in_five_locales_train_and_score_as_the_clean_file() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "3000", "--seed", "14", "--output", "src.csv", "-q"]).assert_ok();
    let clean = std::fs::read_to_string(s.path("src.csv")).unwrap();
    s.run(&["synth", "--rows", "500", "--seed", "15", "--no-outcome", "--output", "new.csv", "-q"]).assert_ok();
    let new = std::fs::read_to_string(s.path("new.csv")).unwrap();
    for locale in locale::ALL {
        let (a, b) = train_both(&s, &clean, locale);
        let roles = |j: &serde_json::Value| -> Vec<String> {
            j["columns_used"].as_array().unwrap().iter().map(|c| c["role"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(roles(&a), roles(&b), "{locale:?}: roles");
        let formats: Vec<String> =
            b["columns_used"].as_array().unwrap().iter().map(|c| format!("{} {}", c["column"], c["format"])).collect();
        let auc = |j: &serde_json::Value| j["holdout"]["roc_auc"].as_f64().unwrap();
        assert!((auc(&a) - auc(&b)).abs() <= 0.002, "{locale:?}: AUC {} vs {}; formats {formats:?}", auc(&a), auc(&b));
        // Scoring: the same new contacts in the locale's format.
        s.write(&format!("new_{}", Locale::Clean.file_name()), locale::write(&new, Locale::Clean));
        s.write(&format!("new_{}", locale.file_name()), locale::write(&new, locale));
        let score = |model: &str, file: &str, out: &str| {
            s.run(&["score", "--model", model, "--data", file, "--output", out, "--id", "lead_id", "--force", "-q"])
                .assert_ok();
        };
        score("clean.model", &format!("new_{}", Locale::Clean.file_name()), "clean_scored.csv");
        score(&format!("{locale:?}.model"), &format!("new_{}", locale.file_name()), "local_scored.csv");
        let p = csv_f64(&s.path("clean_scored.csv"), "probability");
        let q = read_back(&s.path("local_scored.csv"), "probability");
        assert_eq!(p.len(), q.len());
        for (x, y) in p.iter().zip(&q) {
            assert!((x - y).abs() <= 1e-12, "{locale:?}: {x} vs {y}");
        }
        // Written back for the same tool: the input's delimiter; decimal commas with `;`;
        // a byte-order mark after a legacy, UTF-16 or BOM input.
        let bytes = std::fs::read(s.path("local_scored.csv")).unwrap();
        let bom = bytes.starts_with(b"\xEF\xBB\xBF");
        assert_eq!(bom, matches!(locale, Locale::Danish | Locale::Norwegian | Locale::Utf16), "{locale:?}: BOM");
        let text = String::from_utf8(bytes).unwrap();
        let delim = match locale {
            Locale::Danish | Locale::Norwegian | Locale::Swedish => ';',
            Locale::Utf16 => '\t',
            _ => ',',
        };
        assert!(text.lines().next().unwrap().contains(&format!("lead_id{delim}probability")), "{locale:?}");
        // Ids, and each reason's column, value and contribution, read back the same.
        assert_eq!(
            read_text(&s.path("clean_scored.csv"), "lead_id"),
            read_text(&s.path("local_scored.csv"), "lead_id")
        );
        let clean_reasons = read_text(&s.path("clean_scored.csv"), "reasons");
        let local_reasons = read_text(&s.path("local_scored.csv"), "reasons");
        for (a, b) in clean_reasons.iter().zip(&local_reasons) {
            let (a, b) = (parse_reasons(a, '.'), parse_reasons(b, if delim == ';' { ',' } else { '.' }));
            assert_eq!(a.len(), b.len(), "{locale:?}");
            for ((ca, va, xa), (cb, vb, xb)) in a.iter().zip(&b) {
                assert_eq!(locale.header(ca), *cb, "{locale:?}");
                assert_eq!(locale::cell(ca, va, locale), *vb, "{locale:?}: {ca}");
                assert_eq!(xa, xb, "{locale:?}: {ca}");
            }
        }
    }
}

/// A column of a scored file as text, read back as a user's tool would.
fn read_text(path: &std::path::Path, column: &str) -> Vec<String> {
    let text = String::from_utf8(std::fs::read(path).unwrap()).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap();
    let delim = [b';', b'\t', b','].into_iter().max_by_key(|d| first.matches(*d as char).count()).unwrap();
    let mut rdr = csv::ReaderBuilder::new().delimiter(delim).from_reader(text.as_bytes());
    let idx = rdr.headers().unwrap().iter().position(|h| h == column).unwrap();
    rdr.records().map(|r| r.unwrap()[idx].to_string()).collect()
}

/// `col = value (+0.84); ...` as (column, value, contribution), the contribution's
/// decimal mark `mark`.
fn parse_reasons(text: &str, mark: char) -> Vec<(String, String, f64)> {
    crate::common::split_reasons(text)
        .iter()
        .map(|r| {
            // A note on a value beyond the training range comes before the contribution.
            let (head, contrib) = r.rsplit_once(" (").unwrap();
            let contrib = contrib.rsplit_once("; ").map_or(contrib, |(_, c)| c);
            let (col, value) = head.split_once(" = ").unwrap();
            let x: f64 = contrib.trim_end_matches(')').replace(mark, ".").parse().unwrap();
            (col.to_string(), value.to_string(), x)
        })
        .collect()
}

/// A scored file read back as a user's tool would: its delimiter sniffed, a BOM
/// dropped, decimal commas read.
fn read_back(path: &std::path::Path, column: &str) -> Vec<f64> {
    read_text(path, column).iter().map(|v| v.replace(',', ".").parse().unwrap()).collect()
}

/// `cat new.csv | leadscore score --data - --output - > scored.csv` gives the bytes of
/// the file-to-file run (here in the Danish dialect too); errors name standard input,
/// and a failed run writes nothing to standard output.
#[test]
fn scoring_from_a_pipe_to_a_pipe_gives_the_file_run_bytes() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "1500", "--seed", "21", "--output", "src.csv", "-q"]).assert_ok();
    let clean = std::fs::read_to_string(s.path("src.csv")).unwrap();
    s.write("train.csv", locale::write(&clean, Locale::Danish));
    s.run(&["train", "--data", "train.csv", "--label", "Resultat", "--id", "lead_id", "--model", "m", "-q"])
        .assert_ok();
    let new = locale::write(&clean, Locale::Danish);
    s.write("new.csv", &new);
    let args = ["score", "--model", "m", "--as-of", "2025-07-01", "-q"];
    let file_run = [&args[..], &["--data", "new.csv", "--output", "file.csv"]].concat();
    s.run(&file_run).assert_ok();
    let (code, piped, err) = s.run_piped(&[&args[..], &["--data", "-", "--output", "-"]].concat(), &new);
    assert_eq!(code, 0, "{err}");
    assert_eq!(piped, std::fs::read(s.path("file.csv")).unwrap());
    assert!(piped.starts_with(b"\xEF\xBB\xBFlead_id;probability"));
    // The general path writes the same bytes.
    s.run(&[&file_run[..], &["--general-path", "--force"]].concat()).assert_ok();
    assert_eq!(piped, std::fs::read(s.path("file.csv")).unwrap());
    // Errors name standard input; nothing reaches standard output.
    let (code, out, err) = s.run_piped(&[&args[..], &["--data", "-", "--output", "-"]].concat(), b"lead_id;x\n1;2\n");
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("(standard input): the model needs columns the file lacks"), "{err}");
}

/// A wide all-property export: screening (on by default past 40 candidate columns)
/// leaves out the noise columns and a near-duplicate, keeps a sparse column whose
/// presence predicts, lists every decision with its numbers, and matches the clean
/// file's holdout ROC AUC; `--screen off` fits every column.
#[test]
fn a_wide_export_is_screened_to_the_columns_with_signal() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "6000", "--seed", "31", "--output", "clean.csv", "-q"]).assert_ok();
    s.run(&["synth", "--rows", "6000", "--seed", "31", "--noise-columns", "60", "--output", "noisy.csv", "-q"])
        .assert_ok();
    // Columns added: feedback left by few contacts, most of whom bought (to both files),
    // and to the wide one a copy of employees in thousands.
    let add = |from: &str, to: &str, copy: bool| {
        let text = std::fs::read_to_string(s.path(from)).unwrap();
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (emp, out) = (col("employees"), col("outcome"));
        let mut w = csv::Writer::from_writer(Vec::new());
        let extra: &[&str] = if copy { &["feedback_note", "employees_k"] } else { &["feedback_note"] };
        w.write_record(header.iter().map(String::as_str).chain(extra.iter().copied())).unwrap();
        for (i, r) in rdr.records().enumerate() {
            let r = r.unwrap();
            let note = if (r[out] == *"won" && i % 5 == 0) || i % 97 == 0 {
                format!("kind words {}", i % 7)
            } else {
                String::new()
            };
            let k = r[emp].parse::<f64>().map(|e| format!("{}", e / 1000.0)).unwrap_or_default();
            let cells: Vec<&str> = if copy { vec![note.as_str(), k.as_str()] } else { vec![note.as_str()] };
            w.write_record(r.iter().chain(cells)).unwrap();
        }
        s.write(to, w.into_inner().unwrap());
    };
    add("clean.csv", "clean_plus.csv", false);
    add("noisy.csv", "wide.csv", true);
    let train = |file: &str, extra: &[&str]| {
        let r = s.run(
            &[&["train", "--data", file, "--label", "outcome", "--model", "m", "--json", "--force"], extra].concat(),
        );
        r.assert_ok();
        (r.json(), r.stderr)
    };
    let (clean, _) = train("clean_plus.csv", &[]);
    let (wide, text) = train("wide.csv", &[]);
    assert_eq!(wide["screening"], true);
    let used: Vec<&str> =
        wide["columns_used"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    let screened: Vec<(&str, &str)> = wide["columns_screened_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["column"].as_str().unwrap(), c["reason"].as_str().unwrap()))
        .collect();
    assert!(used.contains(&"feedback_note"), "sparse but its presence predicts: {screened:?}");
    assert!(!used.iter().any(|c| c.starts_with("hs_") || c.starts_with("picklist_")), "noise kept: {used:?}");
    let dup = screened.iter().find(|(c, _)| *c == "employees_k").expect("the copy is screened out");
    assert!(dup.1.contains("near-duplicate of \"employees\" (correlation 1.0000)"), "{}", dup.1);
    assert!(screened
        .iter()
        .filter(|(c, _)| c.starts_with("picklist_"))
        .all(|(_, r)| r.contains("cross-validated ROC AUC")));
    assert!(text.contains("screening: kept"), "{text}");
    let auc = |j: &serde_json::Value| j["holdout"]["roc_auc"].as_f64().unwrap();
    assert!((auc(&wide) - auc(&clean)).abs() <= 0.01, "wide {} vs clean {}", auc(&wide), auc(&clean));
    // Off: every column is fitted.
    let (off, _) = train("wide.csv", &["--screen", "off"]);
    assert_eq!(off["screening"], false);
    assert!(off["columns_used"].as_array().unwrap().len() > used.len() + 30);
    // The clean file (16 candidate columns) is not screened by default.
    assert_eq!(clean["screening"], false);
}

/// The manual points model reads a Danish export's numbers and dates in their own format
/// (decimal comma, thousands points, dd-mm-yyyy), giving the points it gives the clean file.
#[test]
fn rules_read_local_numbers_and_dates_as_the_clean_file() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "800", "--seed", "41", "--output", "src.csv", "-q"]).assert_ok();
    let clean = std::fs::read_to_string(s.path("src.csv")).unwrap();
    s.write("clean.csv", locale::write(&clean, Locale::Clean));
    s.write("danish.csv", locale::write(&clean, Locale::Danish));
    let rules = |l: Locale| {
        format!(
            "decay = {{ half_life_days = 60, field = \"{act}\", group = \"b\" }}\n\
             [stages]\ncontact = 0\nmql = 16\n[groups]\nb = {{ max = 60 }}\n\
             [[rule]]\nname = \"Size\"\nfield = \"{emp}\"\nbetween = [50, 1000]\npoints = 10\n\
             [[rule]]\nname = \"Revenue\"\nfield = \"{rev}\"\nper_unit = 0.5\nmax = 30\ngroup = \"b\"\n\
             [[rule]]\nname = \"Recent\"\nfield = \"{created}\"\nwithin_days = 90\npoints = 5\n",
            act = l.header("last_activity_date"),
            emp = l.header("employees"),
            rev = l.header("revenue"),
            created = l.header("created_date"),
        )
    };
    s.write("clean.toml", rules(Locale::Clean));
    s.write("danish.toml", rules(Locale::Danish));
    for (data, r, out) in
        [("clean.csv", "clean.toml", "clean_points.csv"), ("danish.csv", "danish.toml", "da_points.csv")]
    {
        s.run(&["rules", "--rules", r, "--data", data, "--output", out, "-q"]).assert_ok();
    }
    let a = csv_column(&s.path("clean_points.csv"), "points");
    let b = csv_column(&s.path("da_points.csv"), "points");
    assert_eq!(a, b);
    assert!(a.iter().any(|p| p.parse::<f64>().unwrap() > 0.0));
    // The id column was found in both, as train finds it.
    assert_eq!(csv_column(&s.path("da_points.csv"), "lead_id"), csv_column(&s.path("clean_points.csv"), "lead_id"));
}

/// A Parquet export whose date columns are timestamps with a time zone (as pandas and
/// warehouses write them) scores as the same leads with plain dates do; it used to stop
/// with an internal error. Time zones count as UTC days (issue 35 found it through
/// Python frames, which take the same path).
#[test]
fn timestamps_with_a_time_zone_score_as_their_utc_days() {
    let s = Scratch::new();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample_leads.csv");
    s.run(&["train", "--data", sample, "--label", "outcome", "--id", "lead_id", "--model", "m.bin", "-q"]).assert_ok();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    for (input, out) in [("utc_timestamps.csv", "dates.csv"), ("utc_timestamps.parquet", "zoned.csv")] {
        let data = format!("{fixtures}/{input}");
        s.run(&["score", "--model", "m.bin", "--data", &data, "--output", out, "--as-of", "2025-07-01", "-q"])
            .assert_ok();
    }
    let (dates, zoned) = (csv_f64(&s.path("dates.csv"), "probability"), csv_f64(&s.path("zoned.csv"), "probability"));
    assert_eq!(dates.len(), 60);
    assert_eq!(dates, zoned);
}
