//! The corpus of bad inputs (issue #6): data files, rules files, feature specs and model
//! files under `tests/corpus/`, each with the error it must give. Every case: exit code
//! 2, a message naming the file and the problem (and the row and column where they
//! exist), no panic, and no output file left behind.

use std::path::{Path, PathBuf};

use crate::common::Scratch;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Copy the corpus into a scratch folder, with a model trained on `good.csv`.
fn setup() -> Scratch {
    let s = Scratch::new();
    for e in std::fs::read_dir(corpus()).unwrap() {
        let e = e.unwrap();
        let to = s.path(&e.file_name().to_string_lossy());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
    s.run(&["train", "--data", "good.csv", "--label", "won", "--id", "id", "--model", "good.model", "-q"]).assert_ok();
    s
}

/// Run `args` in `s` and check the error; `out` must not exist afterwards.
fn check(s: &Scratch, name: &str, args: &[&str], expect: &[&str]) {
    let before = s.files();
    let r = s.run(args);
    assert_eq!(r.code, 2, "case {name}: exit {} (expected 2); stderr: {}", r.code, r.stderr);
    assert!(!r.stderr.contains("panicked"), "case {name} panicked: {}", r.stderr);
    for e in expect {
        assert!(r.stderr.contains(e), "case {name}: stderr lacks {e:?}:\n{}", r.stderr);
    }
    assert!(r.stderr.len() < 2000, "case {name}: message too long ({} bytes)", r.stderr.len());
    assert_eq!(s.files(), before, "case {name} left files behind");
}

fn train(file: &str) -> Vec<String> {
    ["train", "--data", file, "--label", "won", "--id", "id", "--model", "out.model"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Files in the text encodings Excel writes (issue 14): each trains, and the summary
/// names the encoding it read.
#[test]
fn exports_in_legacy_and_unicode_encodings_train_naming_the_encoding() {
    let s = setup();
    for (file, encoding) in [
        ("latin1.csv", "Windows-1252"),
        ("windows1252_danish.csv", "Windows-1252"),
        ("utf16_unicode_text.txt", "UTF-16LE (byte-order mark)"),
        ("good.csv", "UTF-8 (valid UTF-8)"),
    ] {
        let r = s.run(&["train", "--data", file, "--label", "won", "--id", "id", "--model", "enc.model", "--force"]);
        r.assert_ok();
        assert!(r.stderr.contains(&format!("as {encoding}")), "{file}: {}", r.stderr);
    }
}

/// Numbers and dates as local exports write them (issue 14): (file, extra train
/// arguments, column, role and format `train --json` must report).
type FormatCase = (&'static str, &'static [&'static str], &'static str, &'static str, Option<&'static str>);

const FORMAT_CASES: &[FormatCase] = &[
    ("thousands_separator.csv", &[], "visits", "number", Some("decimal point, thousands separators")),
    ("decimal_comma.csv", &[], "visits", "number", Some("decimal comma")),
    (
        "numbers_currency_percent.csv",
        &[],
        "price",
        "number",
        Some("decimal comma, thousands separators, currency/percent signs"),
    ),
    ("numbers_currency_percent.csv", &[], "discount", "number", Some("decimal comma, currency/percent signs")),
    ("date_other_format.csv", &[], "signup", "date", Some("dates day first")),
    ("dates_day_first.csv", &[], "signup", "date", Some("dates day first")),
    ("dates_month_first.csv", &[], "signup", "date", Some("dates month first")),
    ("dates_ambiguous.csv", &["--date-format", "signup=dd/mm/yyyy"], "signup", "date", Some("dates day first")),
    ("dates_ambiguous.csv", &["--date-format", "mm/dd/yyyy"], "signup", "date", Some("dates month first")),
    (
        "dates_excel_serial.csv",
        &["--date-format", "signup=excel"],
        "signup",
        "date",
        Some("dates Excel serial day numbers"),
    ),
    ("good.csv", &[], "signup", "date", None),
];

#[test]
fn numbers_and_dates_in_local_formats_train_with_the_format_named() {
    let s = setup();
    for (file, extra, column, role, format) in FORMAT_CASES {
        let mut args = train(file);
        args.extend(["--json".to_string(), "--force".to_string()]);
        args.extend(extra.iter().map(|a| a.to_string()));
        let r = s.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        r.assert_ok();
        let j = r.json();
        let col = j["columns_used"].as_array().unwrap().iter().find(|c| c["column"] == *column);
        let col = col.unwrap_or_else(|| panic!("{file}: no column {column} in {}", j["columns_used"]));
        assert_eq!(col["role"], *role, "{file} {extra:?}");
        match format {
            Some(f) => {
                assert!(col["format"].as_str().is_some_and(|g| g.starts_with(f)), "{file} {extra:?}: {}", col["format"])
            }
            None => assert!(col["format"].is_null(), "{file}: {}", col["format"]),
        }
        if let Some(f) = format {
            assert!(r.stderr.contains(&format!("{column} ({f}")), "{file}: the summary names the format: {}", r.stderr);
        }
    }
    // A format that is not one.
    check(
        &s,
        "bad --date-format",
        &[
            "train",
            "--data",
            "good.csv",
            "--label",
            "won",
            "--model",
            "fresh.model",
            "--date-format",
            "signup=yyyy.dd.mm",
        ],
        &["--date-format", "unknown format \"yyyy.dd.mm\""],
    );
}

/// (case, file, expected fragments) for `train --data FILE --label won --id id`.
const TRAIN_CASES: &[(&str, &[&str])] = &[
    ("empty.csv", &["empty.csv: the file is empty"]),
    ("blank_lines.csv", &["blank_lines.csv: the file is empty"]),
    ("header_only.csv", &["header_only.csv: the file has a header but no data rows"]),
    ("bom_header_only.csv", &["bom_header_only.csv: the file has a header but no data rows"]),
    ("ragged_long.csv", &["ragged_long.csv: row 3 (line 4) has 6 fields, the header has 5"]),
    ("ragged_short.csv", &["ragged_short.csv: row 5 (line 6) has 2 fields, the header has 5"]),
    ("wrong_delimiter.csv", &["wrong_delimiter.csv: column \"id\" not found; the file has columns: \"id|visits|source|signup|won\"", "is the file delimited by something other than"]),
    ("mixed_encoding.csv", &["mixed_encoding.csv: row 21 (line 22) is not valid UTF-8", "mixes encodings"]),
    ("long_field_in_number.csv", &["long_field_in_number.csv: column \"visits\", row 30", "is not a finite number", "(1000000 characters)"]),
    ("nan.csv", &["nan.csv: column \"visits\", row 12: \"NaN\" is not a finite number"]),
    ("infinity.csv", &["infinity.csv: column \"visits\", row 20: \"-inf\" is not a finite number"]),
    ("invalid_date.csv", &["invalid_date.csv: column \"signup\", row 8: \"2024-02-30\" is not a date"]),
    ("duplicate_columns.csv", &["duplicate_columns.csv: column name \"visits\" appears 2 times"]),
    ("duplicate_ids.csv", &["duplicate_ids.csv: id column \"id\" has \"c3\" in rows 4 and 11"]),
    ("label_all_missing.csv", &["label_all_missing.csv: label column \"won\" is empty in every row"]),
    ("label_three_values.csv", &["label_three_values.csv: label column \"won\" must have exactly two values", "\"maybe\""]),
    ("label_one_class.csv", &["label_one_class.csv: label column \"won\" has only one value, \"0\" (60 rows)"]),
    ("label_text_no_positive.csv", &["label_text_no_positive.csv: label column \"won\" has values \"alpha\" and \"beta\"; say which one means won with --positive"]),
    ("unbalanced_quote.csv", &["unbalanced_quote.csv: "]),
    ("not_parquet.parquet", &["not_parquet.parquet: "]),
    ("data.xlsx", &["data.xlsx: unsupported file type \"xlsx\""]),
    ("dates_ambiguous.csv", &["dates_ambiguous.csv: column \"signup\": dates such as \"11/01/2024\" could be day-first", "--date-format 'signup=dd/mm/yyyy'"]),
    ("dates_mixed_orders.csv", &["dates_mixed_orders.csv: column \"signup\": \"13/03/2024\" reads only day-first and \"05/13/2024\" only month-first"]),
    ("folder.csv", &["folder.csv: is a folder, not a file"]),
    ("missing.csv", &["missing.csv: file not found"]),
];

#[test]
fn every_bad_data_file_is_a_clear_error_and_leaves_nothing_behind() {
    let s = setup();
    for (file, expect) in TRAIN_CASES {
        let args = train(file);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&s, file, &args, expect);
    }
    // No usable feature: the id column is found as the id (no --id); the rest is constant.
    check(
        &s,
        "no_usable_features.csv",
        &["train", "--data", "no_usable_features.csv", "--label", "won", "--model", "out.model"],
        &[
            "no_usable_features.csv: no usable feature column:",
            "found by its name and unique values",
            "constant (the same value in every row)",
        ],
    );
}

#[test]
fn every_bad_scoring_input_is_a_clear_error() {
    let s = setup();
    let score = |data: &str, out: &str| -> Vec<String> {
        ["score", "--model", "good.model", "--data", data, "--output", out].iter().map(|s| s.to_string()).collect()
    };
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        ("missing model columns", score("score_missing_columns.csv", "out.csv"), vec!["score_missing_columns.csv: the model needs columns the file lacks: visits, source, signup"]),
        ("text in a number", score("score_text_in_number.csv", "out.csv"), vec!["score_text_in_number.csv: column \"visits\", row 2: \"lots\" is not a number (the model reads this column as numbers)"]),
        ("bad date", score("score_bad_date.csv", "out.csv"), vec!["score_bad_date.csv: column \"signup\", row 2: \"yesterday\" is not a date"]),
        ("output is the input", score("good.csv", "good.csv"), vec!["good.csv: output path is the same file as the input"]),
        ("output is the model", score("good.csv", "good.model"), vec!["good.model: output path is the same file as the input"]),
        ("existing output", score("good.csv", "ragged_long.csv"), vec!["ragged_long.csv: already exists; pass --force to replace it"]),
        ("duplicate ids", score("duplicate_ids.csv", "out.csv"), vec!["duplicate_ids.csv: id column \"id\" has \"c3\" in rows 4 and 11"]),
        ("output folder missing", score("good.csv", "no/such/folder/out.csv"), vec!["no/such/folder/out.csv: the output folder does not exist"]),
    ];
    for (name, args, expect) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&s, name, &args, &expect);
    }
}

#[test]
fn every_bad_rules_file_is_a_clear_error_naming_the_rule() {
    let s = setup();
    let cases: &[(&str, &[&str])] = &[
        ("rules_catastrophic_regex.toml", &["rules_catastrophic_regex.toml: rule 2 (\"Evil\"): the regular expression", "is not usable", "exceeds size limit"]),
        ("rules_missing_field.toml", &["rules_missing_field.toml: rule \"Title\" reads field \"job_title\", which good.csv does not have"]),
        ("rules_unknown_key.toml", &["rules_unknown_key.toml: rule 2 (\"Web\"): unknown field `weight`"]),
        ("rules_two_conditions.toml", &["rules_two_conditions.toml: rule 2 (\"Web\"): has 2 conditions; a rule takes exactly one"]),
        ("rules_no_condition.toml", &["rules_no_condition.toml: rule 2 (\"Web\"): has no condition"]),
        ("rules_stages_not_increasing.toml", &["rules_stages_not_increasing.toml: stages must increase: \"sql\" starts at 16, not above \"mql\" at 16"]),
        ("rules_not_toml.toml", &["rules_not_toml.toml: not valid TOML"]),
        ("rules_unknown_stage.toml", &["rules_unknown_stage.toml: rule 2 (\"Web\"): stage \"customer\" is not in [stages]"]),
        ("rules_per_unit_on_text.toml", &["rules_per_unit_on_text.toml: rule \"Source units\": good.csv, column \"source\", row 1: \"web\" is not a number (the rule gives per_unit points)"]),
        ("rules_invalid_utf8.toml", &["rules_invalid_utf8.toml: the rules file is not valid UTF-8 text"]),
        ("missing_rules.toml", &["missing_rules.toml: file not found"]),
    ];
    for (file, expect) in cases {
        check(&s, file, &["rules", "--rules", file, "--data", "good.csv", "--output", "out.csv"], expect);
        check(&s, file, &["compare", "--model", "good.model", "--rules", file, "--data", "good.csv"], expect);
    }
}

#[test]
fn every_bad_feature_spec_is_a_clear_error() {
    let s = setup();
    let cases: &[(&str, &[&str])] = &[
        ("spec_unknown_role.toml", &["feature spec, column \"visits\": unknown role \"banana\""]),
        (
            "spec_unknown_key.toml",
            &["spec_unknown_key.toml: feature spec: unknown field `maximum_levels`, expected one of"],
        ),
        ("spec_missing_column.toml", &["good.csv: column \"revenue\" not found"]),
    ];
    for (file, expect) in cases {
        check(
            &s,
            file,
            &["train", "--data", "good.csv", "--label", "won", "--spec", file, "--model", "out.model"],
            expect,
        );
    }
}

#[test]
fn every_damaged_model_file_is_a_clear_error() {
    let s = setup();
    let bytes = std::fs::read(s.path("good.model")).unwrap();
    // Truncated at every tenth byte.
    for cut in (0..bytes.len()).step_by(10) {
        s.write("bad.model", &bytes[..cut]);
        let expect: &[&str] = if cut == 0 {
            &["bad.model: not a leadscore model file"]
        } else {
            &["bad.model: model file is damaged", "truncated"]
        };
        check(
            &s,
            &format!("truncated at {cut}"),
            &["score", "--model", "bad.model", "--data", "good.csv", "--output", "out.csv"],
            expect,
        );
    }
    // A flipped byte anywhere after the header's length field.
    for pos in (20..bytes.len()).step_by(37) {
        let mut b = bytes.clone();
        b[pos] ^= 0x40;
        s.write("bad.model", &b);
        check(
            &s,
            &format!("flipped byte {pos}"),
            &["score", "--model", "bad.model", "--data", "good.csv", "--output", "out.csv"],
            &["bad.model: model file is damaged: checksum mismatch"],
        );
    }
    // A flipped byte in the version or length fields.
    let mut b = bytes.clone();
    b[13] ^= 0x01;
    s.write("bad.model", &b);
    check(
        &s,
        "length field",
        &["score", "--model", "bad.model", "--data", "good.csv", "--output", "out.csv"],
        &["bad.model: model file is damaged: the header announces"],
    );
    let mut b = bytes.clone();
    b[8] = 9;
    s.write("bad.model", &b);
    check(
        &s,
        "newer version",
        &["score", "--model", "bad.model", "--data", "good.csv", "--output", "out.csv"],
        &[&format!(
            "bad.model: model file format version 9 is newer than this leadscore understands (up to {})",
            leadscore::model_file::FORMAT_VERSION
        )],
    );
    // Not a model at all; a folder; a missing file.
    check(
        &s,
        "csv as model",
        &["score", "--model", "good.csv", "--data", "good.csv", "--output", "out.csv"],
        &["good.csv: not a leadscore model file"],
    );
    check(
        &s,
        "folder as model",
        &["score", "--model", "folder.csv", "--data", "good.csv", "--output", "out.csv"],
        &["folder.csv: not a leadscore model file"],
    );
    check(
        &s,
        "missing model",
        &["evaluate", "--model", "nope.model", "--data", "good.csv"],
        &["nope.model: file not found"],
    );
    // The threshold command must not replace a damaged model.
    s.write("bad.model", &bytes[..bytes.len() / 2]);
    check(
        &s,
        "threshold on truncated",
        &["threshold", "--model", "bad.model", "--data", "good.csv", "--strategy", "f1"],
        &["bad.model: model file is damaged"],
    );
    assert_eq!(std::fs::read(s.path("bad.model")).unwrap(), &bytes[..bytes.len() / 2]);
}
