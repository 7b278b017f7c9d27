//! Bad input gets a clear error naming the file, column, row and value; exit code 2; no
//! panic; no output left behind (issue #2's list).

use crate::common::Scratch;

fn small_csv() -> String {
    let mut s = String::from("id,visits,source,won\n");
    for i in 0..60 {
        s.push_str(&format!("c{i},{},{},{}\n", i % 7, ["web", "ads", "event"][i % 3], (i % 4 == 0) as u8));
    }
    s
}

/// Train on `content` written to `name` and expect a bad-input error mentioning `needles`;
/// the model must not be written.
fn train_fails(name: &str, content: impl AsRef<[u8]>, label: &str, needles: &[&str]) {
    let s = Scratch::new();
    s.write(name, content);
    s.run(&["train", "--data", name, "--label", label, "--model", "m.bin", "-q"]).assert_bad_input(needles);
    assert_eq!(s.files(), vec![name.to_string()], "something was left behind");
}

#[test]
fn rejects_missing_file() {
    let s = Scratch::new();
    s.run(&["train", "--data", "nope.csv", "--label", "won", "--model", "m.bin"])
        .assert_bad_input(&["nope.csv", "not found"]);
    assert!(s.files().is_empty());
}

#[test]
fn rejects_empty_file() {
    train_fails("e.csv", "", "won", &["e.csv", "empty"]);
    train_fails("e.csv", "\n\n", "won", &["e.csv", "empty"]);
}

#[test]
fn rejects_header_only_file() {
    train_fails("h.csv", "id,visits,won\n", "won", &["h.csv", "no data rows"]);
}

#[test]
fn rejects_missing_label_column() {
    train_fails("a.csv", small_csv(), "Converted", &["a.csv", "\"Converted\" not found", "\"won\""]);
}

#[test]
fn rejects_label_with_one_class() {
    let csv = small_csv().replace(",1\n", ",0\n");
    train_fails("a.csv", csv, "won", &["a.csv", "label column \"won\"", "only one value"]);
}

#[test]
fn rejects_label_with_three_values() {
    let csv = small_csv().replacen(",0\n", ",maybe\n", 1);
    train_fails("a.csv", csv, "won", &["a.csv", "exactly two values", "\"maybe\""]);
}

#[test]
fn rejects_label_that_is_all_missing() {
    let csv: String = small_csv()
        .lines()
        .enumerate()
        .map(|(i, l)| if i == 0 { format!("{l}\n") } else { format!("{},\n", &l[..l.rfind(',').unwrap()]) })
        .collect();
    train_fails("a.csv", csv, "won", &["a.csv", "empty in every row"]);
}

#[test]
fn rejects_data_with_no_usable_feature_column() {
    let mut csv = String::from("id,constant,won\n");
    for i in 0..50 {
        csv.push_str(&format!("c{i},same,{}\n", i % 2));
    }
    train_fails("a.csv", csv, "won", &["a.csv", "no usable feature column", "constant (the same value in every row)"]);
}

#[test]
fn rejects_ragged_rows_naming_row_and_line() {
    let csv = small_csv().replacen("c5,5,event,0\n", "c5,5,event,0,extra\n", 1);
    train_fails("a.csv", csv, "won", &["a.csv", "row 6 (line 7) has 5 fields, the header has 4"]);
    let csv = small_csv().replacen("c5,5,event,0\n", "c5,5\n", 1);
    train_fails("a.csv", csv, "won", &["a.csv", "row 6 (line 7) has 2 fields"]);
}

#[test]
fn rejects_a_file_of_mixed_encodings_naming_the_row() {
    // UTF-8 letters early on, then a byte that is not UTF-8 (issue 14: a file wholly in
    // Windows-1252 is decoded; one that mixes encodings is refused at its first bad row).
    let mut bytes = small_csv().replacen("c2,", "c\u{e9}2,", 1).into_bytes();
    let pos = bytes.windows(3).position(|w| w == b"c9,").unwrap();
    bytes[pos + 1] = 0xff;
    train_fails("a.csv", bytes, "won", &["a.csv", "row 10 (line 11) is not valid UTF-8", "mixes encodings"]);
}

#[test]
fn rejects_text_in_a_numeric_column_naming_row_and_value() {
    let csv = small_csv().replacen("c12,5,", "c12,five,", 1);
    train_fails("a.csv", csv, "won", &["a.csv", "column \"visits\", row 13", "\"five\" is not a number"]);
}

#[test]
fn rejects_nan_and_infinity() {
    let csv = small_csv().replacen("c12,5,", "c12,NaN,", 1);
    train_fails("a.csv", csv, "won", &["a.csv", "column \"visits\", row 13", "\"NaN\" is not a finite number"]);
    let csv = small_csv().replacen("c20,6,", "c20,inf,", 1);
    train_fails("a.csv", csv, "won", &["column \"visits\", row 21", "\"inf\""]);
}

#[test]
fn rejects_duplicate_column_names() {
    let csv = small_csv().replacen("id,visits,source,won", "id,visits,visits,won", 1);
    train_fails("a.csv", csv, "won", &["a.csv", "\"visits\" appears 2 times"]);
}

#[test]
fn rejects_unsupported_extension() {
    train_fails("a.xlsx", small_csv(), "won", &["a.xlsx", "unsupported file type"]);
}

#[test]
fn rejects_output_path_equal_to_input_and_leaves_input_intact() {
    let s = Scratch::new();
    let csv = small_csv();
    s.write("a.csv", &csv);
    s.run(&["train", "--data", "a.csv", "--label", "won", "--model", "a.csv"])
        .assert_bad_input(&["a.csv", "same file as the input"]);
    assert_eq!(std::fs::read_to_string(s.path("a.csv")).unwrap(), csv);
    s.run(&["train", "--data", "a.csv", "--label", "won", "--id", "id", "--model", "m.bin", "-q"]).assert_ok();
    s.run(&["score", "--model", "m.bin", "--data", "a.csv", "--output", "./a.csv"])
        .assert_bad_input(&["same file as the input"]);
    s.run(&["score", "--model", "m.bin", "--data", "a.csv", "--output", "m.bin"])
        .assert_bad_input(&["same file as the input"]);
    assert_eq!(std::fs::read_to_string(s.path("a.csv")).unwrap(), csv);
}

#[test]
fn refuses_to_replace_an_existing_output_without_force() {
    let s = Scratch::new();
    s.write("a.csv", small_csv());
    s.write("m.bin", "precious");
    s.run(&["train", "--data", "a.csv", "--label", "won", "--model", "m.bin"]).assert_bad_input(&[
        "m.bin",
        "already exists",
        "--force",
    ]);
    assert_eq!(std::fs::read_to_string(s.path("m.bin")).unwrap(), "precious");
    s.run(&["train", "--data", "a.csv", "--label", "won", "--model", "m.bin", "--force", "-q"]).assert_ok();
}

#[test]
fn rejects_truncated_model_file() {
    let s = Scratch::new();
    s.write("a.csv", small_csv());
    s.run(&["train", "--data", "a.csv", "--label", "won", "--id", "id", "--model", "m.bin", "-q"]).assert_ok();
    let bytes = std::fs::read(s.path("m.bin")).unwrap();
    for cut in [4, 30, bytes.len() / 2, bytes.len() - 1] {
        s.write("t.bin", &bytes[..cut]);
        s.run(&["score", "--model", "t.bin", "--data", "a.csv", "--output", "s.csv"])
            .assert_bad_input(&["t.bin", "truncated"]);
        assert!(!s.path("s.csv").exists());
    }
}

#[test]
fn rejects_a_file_that_is_not_a_model() {
    let s = Scratch::new();
    s.write("a.csv", small_csv());
    s.run(&["score", "--model", "a.csv", "--data", "a.csv", "--output", "s.csv"])
        .assert_bad_input(&["a.csv", "not a leadscore model file"]);
    s.write("empty.bin", "");
    s.run(&["score", "--model", "empty.bin", "--data", "a.csv", "--output", "s.csv"])
        .assert_bad_input(&["empty.bin", "not a leadscore model file"]);
    assert!(!s.path("s.csv").exists());
}

#[test]
fn rejects_scoring_file_missing_model_columns_naming_all_of_them() {
    let s = Scratch::new();
    s.write("a.csv", small_csv());
    s.run(&["train", "--data", "a.csv", "--label", "won", "--id", "id", "--model", "m.bin", "-q"]).assert_ok();
    s.write("new.csv", "id,other\nc1,3\n");
    s.run(&["score", "--model", "m.bin", "--data", "new.csv", "--output", "s.csv"])
        .assert_bad_input(&["new.csv", "the model needs columns the file lacks: visits, source"]);
    assert!(!s.path("s.csv").exists());
}

#[test]
fn rejects_text_in_a_numeric_column_at_scoring_time() {
    let s = Scratch::new();
    s.write("a.csv", small_csv());
    s.run(&["train", "--data", "a.csv", "--label", "won", "--id", "id", "--model", "m.bin", "-q"]).assert_ok();
    s.write("new.csv", "id,visits,source\nc1,3,web\nc2,lots,ads\n");
    s.run(&["score", "--model", "m.bin", "--data", "new.csv", "--output", "s.csv"]).assert_bad_input(&[
        "new.csv",
        "column \"visits\", row 2",
        "\"lots\" is not a number",
    ]);
    assert!(!s.path("s.csv").exists());
}

#[test]
fn unseen_levels_at_scoring_time_are_scored_as_other() {
    let s = Scratch::new();
    let mut csv = String::from("id,visits,source,won\n");
    for i in 0..200 {
        // "rare" appears 2 times: pooled as other in training.
        let src = if i < 2 { "rare" } else { ["web", "ads", "event"][i % 3] };
        csv.push_str(&format!("c{i},{},{src},{}\n", i % 7, (i % 4 == 0) as u8));
    }
    s.write("a.csv", csv);
    s.run(&["train", "--data", "a.csv", "--label", "won", "--id", "id", "--model", "m.bin", "-q"]).assert_ok();
    s.write("new.csv", "id,visits,source\nc1,3,never-seen\nc2,3,rare\n");
    s.run(&["score", "--model", "m.bin", "--data", "new.csv", "--output", "s.csv", "-q"]).assert_ok();
    let p = crate::common::csv_f64(&s.path("s.csv"), "probability");
    assert_eq!(p[0], p[1], "an unseen level scores like a pooled rare one");
}

#[test]
fn usage_errors_exit_2() {
    let s = Scratch::new();
    let r = s.run(&["train", "--data", "a.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--label"), "{}", r.stderr);
    s.write("a.csv", small_csv());
    s.run(&["train", "--data", "a.csv", "--label", "won", "--model", "m.bin", "--holdout", "1.5"])
        .assert_bad_input(&["--holdout", "below 1"]);
    s.run(&["train", "--data", "a.csv", "--label", "won", "--model", "m.bin", "--strategy", "precision:2"])
        .assert_bad_input(&["precision must be between 0 and 1"]);
    s.run(&["train", "--data", "a.csv", "--label", "won", "--model", "m.bin", "--alpha", "-1"])
        .assert_bad_input(&["--alpha"]);
    assert_eq!(s.files(), vec!["a.csv".to_string()]);
}

#[test]
fn help_explains_every_subcommand() {
    let s = Scratch::new();
    for cmd in ["train", "score", "evaluate", "threshold", "rules", "compare", "report", "events", "synth", "demo"] {
        let r = s.run(&[cmd, "--help"]);
        r.assert_ok();
        assert!(r.stdout.contains("Example:"), "{cmd} --help has no example");
    }
}
