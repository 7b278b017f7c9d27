//! The final fit (issue 33): once the holdout has measured the procedure, the model that
//! is saved is fitted again on every labelled row with the settings the training rows
//! chose (the resolution, the L2 strength, the columns screening kept), so that it also
//! learns from the leads held out to measure it, which with `--holdout-last` are the most
//! recent ones.
//!
//! What carries over from the measured fit unchanged: the calibration map (on the
//! log-odds), each segment's update and its parameters (a segment's own model is fitted
//! again on all its rows), and, by the [`CarryRule`], the threshold and tiers. The
//! figures stay the holdout's, and the model's record says so
//! ([`crate::model::record::SavedFit`]).

use ndarray::{s, Axis};

use super::{solver, TrainParams};
use crate::data::Table;
use crate::error::Result;
use crate::features::FeatureParams;
use crate::fit::LogisticParams;
use crate::model::record::CarryRule;
use crate::model::LeadModel;

/// What the final fit needs from the measured one.
pub(super) struct Measured<'a> {
    pub model: &'a LeadModel,
    /// The held-out rows (table indices, sorted) and the measured model's probabilities
    /// on them.
    pub holdout_rows: &'a [usize],
    pub holdout_probs: &'a [f64],
    /// Columns screening left out on the training rows: left out again.
    pub screened: Vec<String>,
    pub alpha: f64,
}

/// The model fitted again on every labelled row (`labelled`, sorted table indices), and
/// its probabilities on the held-out rows (for the reference profile).
pub(super) fn final_fit(
    table: &Table,
    params: &TrainParams,
    fparams: &FeatureParams,
    (labelled, y_all): (&[usize], &[bool]),
    measured: &Measured,
    progress: &mut dyn FnMut(&str),
) -> Result<(LeadModel, Vec<f64>)> {
    let mut fp = fparams.clone().screen(crate::features::screen::Screen::Off);
    for c in &measured.screened {
        fp = fp.also_exclude(c);
    }
    let y: Vec<bool> = labelled.iter().map(|&i| y_all[i]).collect();
    progress(&format!("the final fit: building features on all {} labelled rows", labelled.len()));
    let prepared = fp.prepare(table, labelled, &y, labelled)?;
    let (features, report, mut x) = fp.finish(prepared, None, (labelled, &y), labelled, 1, true)?;
    let width = features.n_features();
    // The held-out rows' design, kept before the solver whitens the matrix in place.
    let positions = positions_of(labelled, measured.holdout_rows);
    let x_hold = x.slice(s![.., ..width]).select(Axis(0), &positions);
    let x_design = measured.model.segments.as_ref().map(|_| x.slice(s![.., ..width]).to_owned());
    progress(&format!("the final fit: logistic regression on {} rows x {} features", labelled.len(), width));
    let fitted = solver(measured.alpha, params.max_iterations, &fp).fit_in_place(x.view_mut(), &y)?;
    drop(x);

    let mut model = measured.model.clone();
    model.features = features;
    model.intercept = fitted.intercept;
    model.coef = fitted.coef.clone();
    model.meta.train_rows = labelled.len();
    model.meta.iterations = fitted.iterations;
    model.meta.preconditioned = fitted.preconditioned;
    model.meta.converged = fitted.converged;
    model.meta.gradient_norm = fitted.gradient_norm;
    if let (Some(chosen), Some(xd)) = (&measured.model.segments, &x_design) {
        let keys = crate::segments::keys(table, &chosen.column, labelled)?;
        let seg_solver = LogisticParams::default()
            .alpha(measured.alpha)
            .max_iterations(params.max_iterations)
            .precondition_min_rows(1);
        let global = model.clone();
        model.segments = Some(crate::segments::refit(chosen, &global, &keys, (xd.view(), &y), &seg_solver, progress)?);
    }
    let final_probs = holdout_probabilities(&model, table, measured.holdout_rows, x_hold.view())?;
    carry(&mut model, params.carry, measured, &final_probs);
    model.profile = Some(crate::monitor::profile(report.profile, labelled.len(), &final_probs));
    Ok((model, final_probs))
}

/// Positions in `all` (sorted) of `some` (sorted, a subset).
fn positions_of(all: &[usize], some: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(some.len());
    let mut j = 0;
    for &r in some {
        while j < all.len() && all[j] < r {
            j += 1;
        }
        if j < all.len() && all[j] == r {
            out.push(j);
        }
    }
    out
}

/// The final model's (calibrated, segment-routed) probabilities on the held-out rows.
fn holdout_probabilities(
    model: &LeadModel,
    table: &Table,
    rows: &[usize],
    x: ndarray::ArrayView2<f64>,
) -> Result<Vec<f64>> {
    let z = model.log_odds(x).to_vec();
    let Some(segs) = &model.segments else {
        return Ok(z.iter().map(|&v| model.probability(v)).collect());
    };
    let keys = crate::segments::keys(table, &segs.column, rows)?;
    Ok(keys
        .iter()
        .enumerate()
        .map(|(i, k)| match k.as_deref().and_then(|k| segs.route(k)) {
            Some(s) => {
                let seg = &segs.segments[s];
                let zs = seg.intercept + x.row(i).iter().zip(&seg.coef).map(|(a, b)| a * b).sum::<f64>();
                crate::metrics::sigmoid(zs)
            }
            None => model.probability(z[i]),
        })
        .collect())
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
    let same_share = |cut: f64| {
        let k = measured.holdout_probs.iter().filter(|&&p| p >= cut).count();
        if k == 0 {
            cut
        } else {
            sorted[k.min(sorted.len()) - 1]
        }
    };
    let mut info = model.threshold.clone();
    info.value = same_share(info.value);
    // Tiers the analyst gave (`--tiers`) are probabilities chosen on purpose: they stay;
    // the default tiers follow the threshold.
    model.set_threshold(info);
}
