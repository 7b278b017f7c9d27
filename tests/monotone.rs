//! Monotone where the analyst asks (issue 36, part 4): a feature spec's `[monotone]`
//! columns never bend the other way. On 100,000 synthetic leads, raising only such a
//! column never lowers a lead's score ("up") or never raises it ("down"), where the same
//! model without the constraint does bend back; a category asked to be monotone is a
//! clear error.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::{csv_f64, Scratch};

const AS_OF: &str = "2025-06-30";

/// `src` with `column` moved by `bump` in every row (its cell: the old text).
fn bumped(s: &Scratch, src: &str, dst: &str, column: &str, bump: impl Fn(&str, &mut ChaCha8Rng) -> String) {
    let mut rng = ChaCha8Rng::seed_from_u64(36);
    let mut rdr = csv::Reader::from_path(s.path(src)).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let at = headers.iter().position(|h| h == column).unwrap();
    let mut w = csv::Writer::from_path(s.path(dst)).unwrap();
    w.write_record(&headers).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let row: Vec<String> =
            rec.iter().enumerate().map(|(k, v)| if k == at { bump(v, &mut rng) } else { v.to_string() }).collect();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

/// Probabilities of `data` by `model`, in file order.
fn probabilities(s: &Scratch, model: &str, data: &str) -> Vec<f64> {
    let out = format!("{model}.{data}.scored.csv");
    s.run(&["score", "--model", model, "--data", data, "--as-of", AS_OF, "--reasons", "0", "--output", &out, "-q"])
        .assert_ok();
    csv_f64(&s.path(&out), "probability")
}

/// How many leads move against `way` (+1: must not fall; -1: must not rise) from `a` to `b`.
fn against(a: &[f64], b: &[f64], way: f64) -> usize {
    a.iter().zip(b).filter(|(p, q)| (*q - *p) * way < 0.0).count()
}

#[test]
fn a_monotone_column_never_moves_a_score_the_other_way_on_100000_leads() {
    let s = Scratch::new();
    s.synth("train.csv", 20_000, 361);
    s.run(&["synth", "--rows", "100000", "--seed", "362", "--no-outcome", "--output", "leads.csv", "-q"]).assert_ok();
    s.write("mono.toml", "[monotone]\nemployees = \"up\"\nwebsite_visits = \"up\"\nlast_activity_date = \"down\"\n");
    let base = ["train", "--data", "train.csv", "--label", "outcome", "--id", "lead_id", "--as-of", AS_OF, "-q"];
    let train = |model: &str, extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(&["--model", model, "--resolution", "steps:10"]);
        a.extend_from_slice(extra);
        s.run(&a).assert_ok();
    };
    train("free.model", &[]);
    train("mono.model", &["--spec", "mono.toml"]);
    // Each lead's value raised: a number by 1 to 10,000 (times 1 to 3 where it is large),
    // a date moved 1 to 400 days earlier (more days before the as-of date); a blank stays
    // blank (missing is not an order).
    let number = |v: &str, rng: &mut ChaCha8Rng| match v.trim().parse::<f64>() {
        Ok(x) => format!("{}", (x + rng.gen_range(1.0..10_000.0)) * rng.gen_range(1.0..3.0)),
        Err(_) => v.to_string(),
    };
    let earlier = |v: &str, rng: &mut ChaCha8Rng| match chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
        Ok(d) => (d - chrono::Duration::days(rng.gen_range(1..400))).format("%Y-%m-%d").to_string(),
        Err(_) => v.to_string(),
    };
    bumped(&s, "leads.csv", "employees_up.csv", "employees", number);
    bumped(&s, "leads.csv", "visits_up.csv", "website_visits", number);
    bumped(&s, "leads.csv", "activity_earlier.csv", "last_activity_date", earlier);
    let mut free_against = 0;
    let (mono_a, free_a) = (probabilities(&s, "mono.model", "leads.csv"), probabilities(&s, "free.model", "leads.csv"));
    for (file, way) in [("employees_up.csv", 1.0), ("visits_up.csv", 1.0), ("activity_earlier.csv", -1.0)] {
        let mono_b = probabilities(&s, "mono.model", file);
        assert_eq!(mono_a.len(), 100_000);
        let moved = mono_a.iter().zip(&mono_b).filter(|(p, q)| p != q).count();
        assert!(moved > 10_000, "{file}: only {moved} leads moved at all");
        assert_eq!(against(&mono_a, &mono_b, way), 0, "{file}: a monotone model moved leads the other way");
        let free_b = probabilities(&s, "free.model", file);
        let n = against(&free_a, &free_b, way);
        eprintln!("{file}: the unconstrained model moves {n} of 100,000 leads the other way; the monotone model none");
        free_against += n;
    }
    // The constraint did something: without it, some shape bends back.
    assert!(free_against > 0, "the unconstrained model is monotone already: the test shows nothing");
}

#[test]
fn a_category_cannot_be_monotone_and_a_missing_column_is_named() {
    let s = Scratch::new();
    s.synth("train.csv", 3_000, 363);
    for (spec, needle) in [
        ("[monotone]\nindustry = \"up\"\n", "column \"industry\" is read as a category"),
        ("[monotone]\nheadcount = \"up\"\n", "column \"headcount\" is not among the columns trained on"),
        ("[monotone]\nemployees = \"sideways\"\n", "\"sideways\": use up or down"),
    ] {
        s.write("bad.toml", spec);
        let r = s.run(&[
            "train",
            "--data",
            "train.csv",
            "--label",
            "outcome",
            "--id",
            "lead_id",
            "--spec",
            "bad.toml",
            "--model",
            "m.model",
            "-q",
        ]);
        r.assert_bad_input(&[needle]);
        assert!(!s.path("m.model").exists());
    }
}
