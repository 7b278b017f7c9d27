//! The final fit (issue 33): once the holdout has measured the procedure, the model that
//! is saved is fitted again on every labelled row with the settings the training rows
//! chose, so that it also learns from the leads held out to measure it, which with
//! `--holdout-last` are the most recent ones.
//!
//! Fixed from the training rows: the columns and their roles, the columns screening
//! kept, the resolution of numbers and the L2 strength. Fitted again on every labelled
//! row, from the cells already read (the file is not read twice): each part (cut points
//! or knots, levels kept, medians), the scaling, the coefficients (starting from the
//! measured fit's, matched by feature name) and a segment's own model. It runs on a
//! thread of its own ([`design_and_fit`]) once the measured fit is done and its design
//! dropped (the held-out rows kept), beside the measuring; then [`final_model`] puts the
//! saved model together.
//!
//! What carries over unchanged: the calibration map (on the log-odds), each segment's
//! update and its parameters, and, by the [`CarryRule`], the threshold (the default tiers
//! follow it; tiers given with `--tiers` keep their probabilities). The figures stay the
//! holdout's, and the model's record says so ([`crate::model::record::SavedFit`]).

use ndarray::{s, Array2, ArrayView2};

use super::interactions;
use super::{solver, TrainParams};
use crate::error::Result;
use crate::features::{FeatureParams, FitReport, FittedFeatures, Prepared};
use crate::fit::{FittedLogistic, LogisticParams};
use crate::model::record::CarryRule;
use crate::model::LeadModel;

/// Where the final solve starts: the measured fit's coefficients by feature name, and its
/// intercept.
pub(super) struct Start {
    pub coef: Vec<(String, f64)>,
    pub intercept: f64,
}

/// What the final fit's thread hands back.
pub(super) struct FinalWork {
    features: FittedFeatures,
    report: FitReport,
    fitted: FittedLogistic,
    /// The held-out rows' design (the rows after the training rows).
    x_hold: Array2<f64>,
    /// Every row's design, for a segmented model.
    x_design: Option<Array2<f64>>,
    /// Every row's labels, training rows first.
    y: Vec<bool>,
    /// The pairs fitted again, and their cells on the held-out rows.
    pairs: Vec<crate::features::pair::PairTerm>,
    hold_cells: Vec<Vec<u32>>,
}

/// The final fit's features and coefficients on `rows` (the `n_train` training rows,
/// then the held-out ones) with labels `y`.
pub(super) fn design_and_fit(
    fp: &FeatureParams,
    prepared: &Prepared,
    (rows, y, n_train): (&[usize], &[bool], usize),
    start: std::sync::mpsc::Receiver<Start>,
    (alpha, max_iterations): (f64, u64),
    keep_design: bool,
    (pairs, pair_scale): (&[interactions::Pair], f64),
) -> Result<FinalWork> {
    // Without pairs, the measured fit's answer first: its design is dropped before this
    // one is built, and the final fit starts from it. With pairs (whose designs are
    // capped at PAIR_VALUES), the final fit starts from its own blocks' optimum
    // ([`interactions::warm_start`]), beside the measured fit: from the measured
    // answer, restandardised on every row, linfa's L-BFGS needed twice the iterations.
    let measured = if pairs.is_empty() {
        Some(start.recv().map_err(|_| crate::Error::Internal("the measured fit ended without an answer".into()))?)
    } else {
        None
    };
    let (features, report, x) = fp.refit_all(prepared, rows, y, 1)?;
    let width = features.n_features();
    let x_hold = x.slice(s![n_train.min(rows.len()).., ..width]).to_owned();
    let x_design = keep_design.then(|| x.slice(s![.., ..width]).to_owned());
    // The pairs keep the axes the training rows gave them; their cells are centred on
    // every labelled row.
    let (mut x, pair_design) =
        interactions::PairDesign::build(prepared, pairs, rows, (x, width, rows.len()), pair_scale)?;
    let from: Option<(Vec<f64>, f64)> = match measured {
        // The measured fit's answer, matched by feature name (a level or a step the final
        // fit has and the measured one had not starts at 0).
        Some(start) => {
            let by_name: std::collections::HashMap<&str, f64> =
                start.coef.iter().map(|(n, c)| (n.as_str(), *c)).collect();
            let coef = features.features.iter().map(|f| by_name.get(f.name.as_str()).copied().unwrap_or(0.0)).collect();
            Some((coef, start.intercept))
        }
        None => interactions::warm_start(
            x.view(),
            (rows.len(), width),
            y,
            pairs,
            &pair_design,
            (alpha, alpha / (pair_scale * pair_scale), pair_scale),
        ),
    };
    let mut fitted = solver(alpha, max_iterations, fp, !pairs.is_empty())
        .signs(features.sign_constraints(&fp.monotone)?)
        .fit_in_place_from(x.view_mut(), y, from.as_ref().map(|(c, b)| (c.as_slice(), *b)))?;
    let (terms, hold_cells) = pair_design.split(pairs, &mut fitted.coef, (width, pair_scale), n_train);
    Ok(FinalWork { features, report, fitted, x_hold, x_design, y: y.to_vec(), pairs: terms, hold_cells })
}

/// What the final model needs from the measured one.
pub(super) struct Measured<'a> {
    pub model: &'a LeadModel,
    /// The measured model's probabilities on the held-out rows.
    pub holdout_probs: &'a [f64],
    pub alpha: f64,
}

/// The saved model: the measured one with the final fit's features and coefficients,
/// its segments' own models fitted again (`keys`: every row's segment key, training rows
/// first), the threshold carried over and the reference profile of every row.
pub(super) fn final_model(
    params: &TrainParams,
    work: FinalWork,
    keys: Option<Vec<Option<String>>>,
    measured: &Measured,
    progress: &mut dyn FnMut(&str),
) -> Result<LeadModel> {
    let FinalWork { features, report, fitted, x_hold, x_design, y, pairs, hold_cells } = work;
    let mut model = measured.model.clone();
    model.features = features;
    model.pairs = pairs;
    model.intercept = fitted.intercept;
    model.coef = fitted.coef;
    model.meta.train_rows = y.len();
    model.meta.iterations = fitted.iterations;
    model.meta.preconditioned = fitted.preconditioned;
    model.meta.converged = fitted.converged;
    model.meta.gradient_norm = fitted.gradient_norm;
    if let (Some(chosen), Some(xd), Some(keys)) = (&measured.model.segments, &x_design, &keys) {
        let seg_solver = LogisticParams::default()
            .alpha(measured.alpha)
            .max_iterations(params.max_iterations)
            .precondition_min_rows(1)
            .signs(model.features.sign_constraints(&params.features.monotone)?);
        let global = model.clone();
        model.segments = Some(crate::segments::refit(chosen, &global, keys, (xd.view(), &y), &seg_solver, progress)?);
    }
    let train = y.len() - x_hold.nrows();
    let hold_keys = keys.as_ref().map(|k| &k[train..]);
    let final_probs = holdout_probabilities(&model, hold_keys, x_hold.view(), &hold_cells);
    carry(&mut model, params.carry, measured, &final_probs);
    model.profile = Some(crate::monitor::profile(report.profile, y.len(), &final_probs));
    Ok(model)
}

/// The final model's (calibrated, segment-routed) probabilities on the held-out rows.
fn holdout_probabilities(
    model: &LeadModel,
    keys: Option<&[Option<String>]>,
    x: ArrayView2<f64>,
    pair_cells: &[Vec<u32>],
) -> Vec<f64> {
    let mut z = model.log_odds(x).to_vec();
    interactions::add_pairs(&mut z, &model.pairs, pair_cells);
    let (Some(segs), Some(keys)) = (&model.segments, keys) else {
        return z.iter().map(|&v| model.probability(v)).collect();
    };
    keys.iter()
        .enumerate()
        .map(|(i, k)| match k.as_deref().and_then(|k| segs.route(k)) {
            Some(s) => {
                let seg = &segs.segments[s];
                let zs = seg.intercept + x.row(i).iter().zip(&seg.coef).map(|(a, b)| a * b).sum::<f64>();
                crate::metrics::sigmoid(zs)
            }
            None => model.probability(z[i]),
        })
        .collect()
}

/// The threshold of the final fit, by `rule`: the same probability, or the cut that
/// routes as many held-out leads as the measured fit's did (the default tiers follow it;
/// tiers given with `--tiers` keep their probabilities).
fn carry(model: &mut LeadModel, rule: CarryRule, measured: &Measured, final_probs: &[f64]) {
    if rule == CarryRule::Probability {
        return;
    }
    let mut sorted = final_probs.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let k = measured.holdout_probs.iter().filter(|&&p| p >= model.threshold.value).count();
    let mut info = model.threshold.clone();
    if k > 0 {
        info.value = sorted[k.min(sorted.len()) - 1];
    }
    model.set_threshold(info);
}
