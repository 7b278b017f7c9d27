//! Nonlinear effects learned (issues 18 and 26): the spline part of a number is
//! one part like the others, so every scoring path, the exported SQL (in `.ci/run`) and
//! `rules suggest` read it alike; a spline model scored outside the training range
//! follows the straight line the fit ends on.

use crate::common::Scratch;
use leadscore::features::{Part, SplinePart};

/// Train on `data` with a feature spec of `knots` spline knots per number.
fn train_spline(s: &Scratch, data: &str, model: &str, knots: usize) -> serde_json::Value {
    s.write("spline.toml", format!("knots = {knots}\n"));
    let r = s.run(&[
        "train",
        "--data",
        data,
        "--label",
        "outcome",
        "--id",
        "lead_id",
        "--spec",
        "spline.toml",
        "--model",
        model,
        "--json",
        "-q",
    ]);
    r.assert_ok();
    r.json()
}

#[test]
fn a_spline_model_scores_the_same_bits_on_every_path() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 131);
    train_spline(&s, "train.csv", "m.bin", 5);
    let model = leadscore::model_file::load(&s.path("m.bin")).unwrap();
    let splines = model.features.columns.iter().flat_map(|c| &c.parts).filter(|p| matches!(p, Part::Spline(_))).count();
    assert!(splines >= 8, "numbers and dates should have spline parts: {splines}");
    crate::scoring_paths::every_path_agrees(&s, "m.bin");
}

#[test]
fn the_spline_basis_is_natural_linear_beyond_the_outer_knots_and_smooth_at_each_knot() {
    let part = SplinePart {
        base: leadscore::features::NumericPart {
            kind: leadscore::features::NumKind::Number,
            label: "x".into(),
            median: 5.0,
            missing_flag: false,
            log1p: false,
            cuts: Vec::new(),
            lo: 0.0,
            hi: 10.0,
            clamp: false,
        },
        knots: vec![1.0, 3.0, 5.0, 8.0, 9.5],
    };
    let terms = |t: f64| {
        let mut o = vec![0.0; 3];
        part.terms(t, &mut o);
        o
    };
    // Zero below the first knot; beyond the last, each term is linear: equal second
    // differences of zero.
    assert_eq!(terms(0.5), vec![0.0; 3]);
    for j in 0..3 {
        let (a, b, c) = (terms(10.0)[j], terms(12.0)[j], terms(14.0)[j]);
        assert!(((c - b) - (b - a)).abs() < 1e-9 * a.abs().max(1.0), "term {j}: {a} {b} {c}");
        assert!(b > a, "term {j} rises beyond the last knot");
    }
    // Continuous with a continuous slope at every knot.
    for &k in &part.knots {
        let h = 1e-6;
        for j in 0..3 {
            let (l, m, r) = (terms(k - h)[j], terms(k)[j], terms(k + h)[j]);
            assert!((l - m).abs() < 1e-5 && (r - m).abs() < 1e-5, "term {j} jumps at {k}");
            let (sl, sr) = ((m - l) / h, (r - m) / h);
            assert!((sl - sr).abs() < 1e-4, "term {j}'s slope jumps at {k}: {sl} {sr}");
        }
    }
}

#[test]
fn rules_suggest_turns_spline_effects_into_points_bands() {
    let s = Scratch::new();
    s.synth("train.csv", 4000, 181);
    train_spline(&s, "train.csv", "m.bin", 4);
    s.run(&["rules", "suggest", "--model", "m.bin", "--output", "r.toml", "-q"]).assert_ok();
    let text = std::fs::read_to_string(s.path("r.toml")).unwrap();
    // Bands at the knots of a number (employees is on the log scale).
    let employees = text.matches("field = \"employees\"").count();
    assert!(employees >= 3, "{text}");
    // The suggestion is a rules file leadscore runs.
    s.run(&["rules", "--rules", "r.toml", "--data", "train.csv", "--output", "p.csv", "-q"]).assert_ok();
}

#[test]
fn a_feature_spec_gives_bins_or_knots_not_both_and_knots_from_3_to_7() {
    let s = Scratch::new();
    s.synth("train.csv", 1000, 182);
    for (spec, needle) in [("bins = 5\nknots = 4\n", "not both"), ("knots = 9\n", "3 to 7"), ("knots = 2\n", "3 to 7")]
    {
        s.write("bad.toml", spec);
        s.run(&["train", "--data", "train.csv", "--label", "outcome", "--spec", "bad.toml", "--model", "m", "-q"])
            .assert_bad_input(&[needle]);
    }
}

/// The holdout ROC AUC of the same solver fitted on the generating model's own terms
/// ([`leadscore::synth::generating_terms`]) on the same split as `outcome`.
fn correctly_specified_auc(table: &leadscore::data::Table, outcome: &leadscore::train::TrainOutcome) -> f64 {
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let (_, cols) = leadscore::synth::generating_terms(&table.df, as_of).unwrap();
    let y = leadscore::data::read_label(table, "outcome", None).unwrap().0;
    let hold: std::collections::HashSet<usize> = outcome.holdout_rows.iter().copied().collect();
    let train: Vec<usize> = (0..table.height()).filter(|i| !hold.contains(i) && y[*i].is_some()).collect();
    // Standardised on the training rows, as the pipeline does.
    let p = cols.len();
    let stats: Vec<(f64, f64)> = cols
        .iter()
        .map(|c| {
            let m = train.iter().map(|&i| c[i]).sum::<f64>() / train.len() as f64;
            let v = train.iter().map(|&i| (c[i] - m).powi(2)).sum::<f64>() / train.len() as f64;
            (m, if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 })
        })
        .collect();
    let design = |rows: &[usize]| {
        ndarray::Array2::from_shape_fn((rows.len(), p), |(r, j)| (cols[j][rows[r]] - stats[j].0) * stats[j].1)
    };
    let train_y: Vec<bool> = train.iter().map(|&i| y[i] == Some(true)).collect();
    let fitted = leadscore::fit::LogisticParams::default().fit(design(&train).view(), &train_y).unwrap();
    let z = leadscore::model::linear_predictor(design(&outcome.holdout_rows).view(), &fitted.coef, fitted.intercept);
    leadscore::metrics::roc_auc(&z.to_vec(), &outcome.holdout_labels).unwrap()
}

/// On `synth` data of 50,000 rows (`seed`): the holdout ROC AUC with the resolution
/// chosen (the default), with steps:5 fixed, and of the correctly specified model, on
/// the same split.
fn chosen_steps_and_correctly_specified(seed: u64) -> (f64, f64, f64, leadscore::train::ResolutionChoice) {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "50000", "--seed", &seed.to_string(), "--output", "s.csv", "-q"]).assert_ok();
    let table = leadscore::data::load(&s.path("s.csv")).unwrap();
    let mut params = leadscore::train::TrainParams::new("outcome");
    params.id = Some("lead_id".into());
    assert!(params.choose_resolution, "training chooses the resolution by default");
    let mut steps = params.clone();
    steps.choose_resolution = false;
    let auto = leadscore::train::train(&table, &params, &mut |_| {}).unwrap();
    let fixed = leadscore::train::train(&table, &steps, &mut |_| {}).unwrap();
    assert!(fixed.resolution.is_none());
    assert_eq!(auto.holdout_rows, fixed.holdout_rows, "the same split");
    let auc = |o: &leadscore::train::TrainOutcome| o.model.meta.holdout.as_ref().unwrap().metrics.roc_auc;
    let oracle = correctly_specified_auc(&table, &auto);
    let chosen = auto.resolution.clone().unwrap();
    eprintln!(
        "50,000 synthetic leads, seed {seed}: correctly specified {oracle:.4}, chosen ({}) {:.4}, today's steps {:.4}",
        chosen.describe(),
        auc(&auto),
        auc(&fixed)
    );
    (auc(&auto), auc(&fixed), oracle, chosen)
}

#[test]
fn splines_chosen_by_cross_validation_come_within_0_003_of_the_correctly_specified_model() {
    let (auto, steps, oracle, chosen) = chosen_steps_and_correctly_specified(7);
    assert!(auto >= oracle - 0.003, "chosen {auto} against correctly specified {oracle}");
    assert!(auto >= steps + 0.003, "chosen {auto} against today's steps {steps}");
    // The choice is the paired test's: the chosen resolution beat steps:5 on the folds.
    let i = chosen.cv_log_loss.iter().position(|(r, _)| *r == chosen.chosen).unwrap();
    assert!(
        i > 0 && chosen.against_steps[i].significant && chosen.against_steps[i].gain > 0.0,
        "{}",
        chosen.describe()
    );
}

/// The same on three more seeds (in CI's step for ignored tests: three 50,000-row files):
/// within 0.003 of the correctly specified model and not below today's steps on each.
/// The gain over the steps is printed; it is not asserted at 0.003 here.
#[test]
#[ignore = "slow: three 50,000-row files; run by .ci/run"]
fn splines_on_other_seeds_stay_near_the_correctly_specified_model() {
    for seed in [8, 9, 10] {
        let (auto, steps, oracle, _) = chosen_steps_and_correctly_specified(seed);
        eprintln!(
            "seed {seed}: gain over steps {:+.4}, below correctly specified by {:.4}",
            auto - steps,
            oracle - auto
        );
        assert!(auto >= oracle - 0.003, "seed {seed}: chosen {auto} against correctly specified {oracle}");
        assert!(auto >= steps, "seed {seed}: chosen {auto} against today's steps {steps}");
    }
}

/// The paired rule on fold losses measured in this issue. Bank marketing's time-ordered
/// folds (steps:10 against steps:5): a huge gain on the first fold, small ones on the
/// others, so the mean gain is large but not consistent; it must not replace steps.
/// 50,000 synthetic leads (spline:4 against steps:5): a steady gain on every fold.
#[test]
fn a_finer_resolution_replaces_the_steps_only_when_it_wins_on_the_folds_consistently() {
    use leadscore::train::PairedGain;
    let bank_steps = [19.621407788690213, 0.24017929541647096, 1.775241253594514];
    let bank_steps10 = [5.515178116040911, 0.2385704261705715, 1.7157059874081881];
    let g = PairedGain::of(&bank_steps10, &bank_steps, 0.5);
    assert!(g.gain > 4.0 && !g.significant, "{g:?}");
    assert!(g.p > 0.25, "{g:?}");
    let synth_steps = [0.32117854017751096, 0.31956210789829037, 0.3239698658735009];
    let synth_spline4 = [0.31842423120902696, 0.3155594533624322, 0.31947776317893245];
    let g = PairedGain::of(&synth_spline4, &synth_steps, 0.5);
    assert!(g.significant && g.p < 0.05 && g.t > 4.0, "{g:?}");
    // A candidate the solver failed on (an infinite loss on a fold) never replaces them.
    let failed = [synth_spline4[0], f64::INFINITY, synth_spline4[2]];
    assert!(!PairedGain::of(&failed, &synth_steps, 0.5).significant);
    // A consistent loss is never a gain, however steady.
    let g = PairedGain::of(&synth_steps, &synth_spline4, 0.5);
    assert!(!g.significant && g.gain < 0.0, "{g:?}");
    // The correction widens the variance: with more validation rows per fitted row the
    // same fold differences are less significant.
    assert!(PairedGain::of(&synth_spline4, &synth_steps, 1.0).p > PairedGain::of(&synth_spline4, &synth_steps, 0.5).p);
}

/// Issue 26: three folds lacked the power to see a consistent gain. On a 40,000-contact
/// set with an inverted U, spline:4 beat steps:5 on every fold (0.2645 against 0.2677)
/// and the 3-fold test gave p = 0.06 on 2 degrees of freedom. The same per-fold gain over
/// five folds repeated three times (what training now runs) is significant; over three
/// folds it still is not, so the power comes from the folds, not a looser rule.
#[test]
fn a_consistent_gain_on_five_or_more_folds_replaces_the_steps() {
    use leadscore::train::PairedGain;
    let folds = leadscore::train::RESOLUTION_FOLDS * leadscore::resolution::RESOLUTION_REPEATS;
    assert!(folds >= 5);
    // Per-fold losses with a gain of 0.0025 to 0.0040 on every fold.
    let gains = [0.0032, 0.0025, 0.0040, 0.0029, 0.0036];
    let steps: Vec<f64> = (0..folds).map(|f| 0.2677 + 0.002 * ((f % 3) as f64 - 1.0)).collect();
    let spline: Vec<f64> = steps.iter().enumerate().map(|(f, s)| s - gains[f % gains.len()]).collect();
    let k = leadscore::train::RESOLUTION_FOLDS as f64;
    let g = PairedGain::of(&spline, &steps, 1.0 / (k - 1.0));
    assert!(g.significant && g.p < 0.01, "{g:?}");
    // Three folds with the spread the issue measured: not significant.
    let g3 = PairedGain::of(&[0.2640, 0.2652, 0.2644], &[0.2677, 0.2668, 0.2687], 0.5);
    assert!(!g3.significant && g3.p > 0.05, "{g3:?}");
}

/// Issue 26: on a synthetic set whose generator bends (an inverted U in company size),
/// 40,000 rows, training with defaults chooses a spline, every spline beating the steps.
#[test]
fn defaults_choose_a_spline_where_the_generator_bends() {
    let s = Scratch::new();
    s.run(&["synth", "--rows", "40000", "--seed", "26", "--output", "bend.csv", "-q"]).assert_ok();
    let r = s
        .run(&["train", "--data", "bend.csv", "--label", "outcome", "--id", "lead_id", "--model", "m", "--json", "-q"]);
    r.assert_ok();
    let res = &r.json()["resolution"];
    assert!(res["chosen"]["spline"].is_u64(), "{res}");
    let tried = res["cv_log_loss"].as_array().unwrap();
    for c in tried.iter().filter(|c| c["resolution"]["spline"].is_u64()) {
        assert_eq!(c["significant"], true, "{c}");
    }
}

#[test]
fn training_chooses_the_resolution_unless_the_spec_or_the_flag_fixes_it() {
    let s = Scratch::new();
    s.synth("train.csv", 3000, 181);
    let train = |extra: &[&str], model: &str| {
        let mut a = vec!["train", "--data", "train.csv", "--label", "outcome", "--id", "lead_id", "--json", "-q"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--model", model]);
        let r = s.run(&a);
        r.assert_ok();
        r.json()
    };
    // By default: chosen, every candidate reported with its paired test.
    let j = train(&[], "auto.bin");
    let res = &j["resolution"];
    let tried = res["cv_log_loss"].as_array().unwrap();
    assert_eq!(tried.len(), leadscore::train::RESOLUTION_GRID.len(), "{res}");
    assert!(
        tried.iter().all(|c| c["fold_log_loss"].as_array().unwrap().len()
            == leadscore::train::RESOLUTION_FOLDS * leadscore::resolution::RESOLUTION_REPEATS),
        "{res}"
    );
    let chosen = tried.iter().find(|c| c["resolution"] == res["chosen"]).unwrap();
    assert!(chosen["resolution"]["steps"] == 5 || chosen["significant"] == true, "{res}");
    // The spec's bins fix it; --resolution auto chooses after all.
    s.write("bins.toml", "bins = 10\n");
    let j = train(&["--spec", "bins.toml"], "bins.bin");
    assert!(j["resolution"].is_null(), "{}", j["resolution"]);
    let j = train(&["--spec", "bins.toml", "--resolution", "auto"], "auto2.bin");
    assert_eq!(j["resolution"]["chosen"], res["chosen"]);
    let j = train(&["--resolution", "spline:3"], "fixed.bin");
    assert!(j["resolution"].is_null());
    // The same seed chooses the same and writes the same model.
    train(&[], "again.bin");
    assert_eq!(std::fs::read(s.path("auto.bin")).unwrap(), std::fs::read(s.path("again.bin")).unwrap());
}
