//! How finely numbers bend: the resolution chosen by cross-validated log loss.
//!
//! Training ([`crate::train`]) picks among today's quantile steps, finer steps and
//! natural cubic splines ([`RESOLUTION_GRID`]). The columns are read, and their roles,
//! levels and screening decided, once by training itself on the training rows; each
//! candidate refits only its number parts on a seeded sample of at most
//! [`RESOLUTION_ROWS`] training rows (its cut points, knots and scaling use no label),
//! then each of [`RESOLUTION_FOLDS`] folds,
//! repeated [`RESOLUTION_REPEATS`] times (forward chaining in time has one order), fits
//! the penalised logistic model on its fitting rows by Newton's method
//! ([`crate::newton`], warm-started from the previous fold) and measures the log loss on
//! its validation rows. Today's steps stay unless another candidate beats them on the
//! folds, significantly by the corrected resampled t-test ([`PairedGain`]).
//!
//! Issue 26: the choice used to refit the pipeline and run linfa-logistic's L-BFGS for
//! each of 15 (candidate, fold) pairs, which cost up to 11x the training itself; the
//! final model is still linfa's.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::Table;
use crate::error::Result;
use crate::features::{FeatureParams, Resolution};
use crate::split::Split;

/// The resolutions training chooses among: today's steps, finer steps, and natural cubic
/// splines of 3 to 5 knots.
pub const RESOLUTION_GRID: [Resolution; 5] =
    [Resolution::Steps(5), Resolution::Steps(10), Resolution::Spline(3), Resolution::Spline(4), Resolution::Spline(5)];
/// Repeats of the stratified k-fold split (fresh shuffles; Bouckaert and Frank's
/// corrected repeated k-fold test: the paired test then has `k x repeats - 1` degrees of
/// freedom, with the same variance correction). On the 5,000 sample leads one 5-fold
/// split left spline:3's gain of 0.004 at p = 0.11 where the holdout showed 0.013 ROC AUC.
pub const RESOLUTION_REPEATS: usize = 3;
/// At most this many training rows (a seeded random sample) choose the resolution.
pub const RESOLUTION_ROWS: usize = 20_000;
/// Folds of the resolution's cross-validation: five, so that a candidate that wins on
/// every fold is seen to (issue 26: with three, 2 degrees of freedom left a consistent
/// gain of 0.003 in log loss at p = 0.06).
pub const RESOLUTION_FOLDS: usize = 5;

/// How the resolution of numbers was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct ResolutionChoice {
    pub chosen: Resolution,
    /// Each candidate's mean cross-validated log loss (empty when too few rows to choose).
    pub cv_log_loss: Vec<(Resolution, f64)>,
    /// Each candidate's mean log loss on each fold's validation rows, in fold order.
    pub fold_log_loss: Vec<Vec<f64>>,
    /// Each candidate's paired comparison with today's steps ([`RESOLUTION_GRID`]'s first).
    pub against_steps: Vec<PairedGain>,
    pub rows: usize,
    pub folds: usize,
    /// "5-fold cross-validated log loss", or forward chaining for a time-ordered holdout.
    pub scheme: String,
    /// The chosen candidate's fits on the folds, which the search for pairs starts from.
    #[serde(skip)]
    pub shapes: Option<FoldShapes>,
}

/// A choice's sampled rows and folds, and the chosen resolution's shapes fitted on each
/// fold: the log-odds of every sampled row ([`crate::train::interactions`] measures the
/// pairs on these rather than fitting the same shapes on the same folds again).
#[derive(Debug, Clone)]
pub struct FoldShapes {
    /// The sampled training rows, in the folds' order.
    pub rows: Vec<usize>,
    pub ordered: bool,
    #[allow(clippy::type_complexity)]
    pub folds: Vec<(Vec<usize>, Vec<usize>)>,
    /// The L2 strength the shapes were fitted with.
    pub alpha: f64,
    /// Per fold, each sampled row's log-odds.
    pub z: Vec<Vec<f64>>,
}

/// A candidate resolution against today's steps, fold by fold: the corrected resampled
/// t-test of Nadeau and Bengio (2003, "Inference for the generalization error"), which
/// widens the folds' variance by `1/k + n_validated/n_fitted` because the folds' fitting
/// rows overlap. A candidate may replace the steps only when the gain is significant,
/// one-sided at [`RESOLUTION_LEVEL`].
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PairedGain {
    /// Mean over the folds of (steps' log loss - the candidate's): above 0 is a gain.
    pub gain: f64,
    /// Its corrected standard error.
    pub se: f64,
    /// `gain / se`, against Student's t with `folds - 1` degrees of freedom.
    pub t: f64,
    /// One-sided p-value.
    pub p: f64,
    pub significant: bool,
}

/// The one-sided level at which a finer resolution must beat today's steps.
pub const RESOLUTION_LEVEL: f64 = 0.05;

impl PairedGain {
    /// `cand` and `base`: per-fold mean log losses; `ratio`: mean validated/fitted rows.
    pub fn of(cand: &[f64], base: &[f64], ratio: f64) -> PairedGain {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        let d: Vec<f64> = base.iter().zip(cand).map(|(b, c)| b - c).collect();
        let k = d.len();
        let (gain, sd) = mean_sd(&d);
        let se = sd * (1.0 / k as f64 + ratio).sqrt();
        let t = if se > 0.0 {
            gain / se
        } else if gain > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
        let p = match StudentsT::new(0.0, 1.0, (k.max(2) - 1) as f64) {
            Ok(dist) if t.is_finite() => dist.sf(t),
            _ if t > 0.0 => 0.0,
            _ => 1.0,
        };
        PairedGain { gain, se, t, p, significant: k >= 2 && gain > 0.0 && p < RESOLUTION_LEVEL }
    }
}

impl ResolutionChoice {
    pub fn describe(&self) -> String {
        if self.cv_log_loss.is_empty() {
            return format!("{} (too few training rows to choose by cross-validation)", self.chosen);
        }
        let tried: Vec<String> = self
            .cv_log_loss
            .iter()
            .zip(&self.against_steps)
            .enumerate()
            .map(|(i, ((r, l), g))| match i {
                0 => format!("{} {l:.5}", r.flag()),
                _ => format!("{} {l:.5} (p {})", r.flag(), crate::uncertainty::p_text(g.p)),
            })
            .collect();
        format!(
            "{} ({}), chosen by {} on {} training rows: {}; another replaces {} only when it beats it \
             on the folds at p < {} (Nadeau and Bengio's corrected t-test)",
            self.chosen.flag(),
            self.chosen,
            self.scheme,
            self.rows,
            tried.join(", "),
            RESOLUTION_GRID[0].flag(),
            RESOLUTION_LEVEL
        )
    }
}

/// Choose how finely numbers bend ([`RESOLUTION_GRID`]) by stratified
/// [`RESOLUTION_FOLDS`]-fold cross-validated log loss on at most [`RESOLUTION_ROWS`]
/// training rows (seeded). Today's steps (the grid's first) stay unless a finer
/// resolution beats them fold by fold, significantly ([`PairedGain`]); among those that
/// do, the lowest mean log loss wins, ties keeping the earlier. The rule is conservative
/// on purpose: on bank marketing's time-ordered holdout, steps:10 won the
/// forward-chained folds on mean log loss, driven by one fold, and then lost 0.05 ROC
/// AUC on the most recent leads; the paired test kept steps:5.
///
/// `prepared` is training's own reading of the columns at today's steps
/// ([`FeatureParams::prepare`] on the training rows): the choice compares resolutions on
/// the columns, roles, levels and screening the final model will have.
#[allow(clippy::too_many_arguments)]
pub fn choose(
    table: &Table,
    fparams: &FeatureParams,
    prepared: &crate::features::Prepared,
    train_rows: &[usize],
    y: &[bool],
    alpha: f64,
    (seed, split): (u64, &Split),
    keep_shapes: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<ResolutionChoice> {
    let k = RESOLUTION_FOLDS;
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(3));
    let (rows, ordered) = sample_rows(table, train_rows, split, &mut rng)?;
    let m = rows.len();
    let (nf, scheme) = scheme(ordered);
    let fallback = ResolutionChoice {
        chosen: RESOLUTION_GRID[0],
        cv_log_loss: Vec::new(),
        fold_log_loss: Vec::new(),
        against_steps: Vec::new(),
        rows: m,
        folds: nf,
        scheme: scheme.clone(),
        shapes: None,
    };
    // Positions in `rows` from here on: the sample's design matrices have one row each.
    let ys: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    let won = ys.iter().filter(|&&v| v).count();
    if won < 10 * (k + 1) || m - won < 10 * (k + 1) {
        return Ok(fallback);
    }
    // (fitting positions, validation positions) per fold: forward chaining in time, or
    // stratified k-fold repeated with fresh shuffles (time-ordered folds have one order).
    let folds = folds(ordered, &ys, k, &mut rng);
    let validated: usize = folds.iter().map(|(_, va)| va.len()).sum();
    if folds.iter().any(|(tr, va)| {
        let w = tr.iter().filter(|&&j| ys[j]).count();
        va.is_empty() || w == 0 || w == tr.len()
    }) {
        return Ok(fallback);
    }
    progress(&format!("resolution of numbers: {} candidates, {scheme}", RESOLUTION_GRID.len()));
    // The columns as training reads them (their roles, levels and screening decided once,
    // at today's steps, on the training rows); each candidate fits only its number parts
    // again, on the sampled rows, and the folds run on those rows' design.
    // Each candidate independently (in parallel, collected in grid order, so the result
    // does not depend on the threads): its design on the sample, then its folds in
    // order, each warm-started from the previous fold's fit.
    let per_candidate: Vec<Result<CandidateFolds>> = RESOLUTION_GRID
        .par_iter()
        .map(|&r| candidate_losses(fparams, prepared, r, (&rows, &ys), &folds, alpha, keep_shapes))
        .collect();
    let mut tried = Vec::new();
    let mut fold_losses = Vec::new();
    let mut fold_z = Vec::new();
    for (r, losses) in RESOLUTION_GRID.iter().zip(per_candidate) {
        let (losses, z) = losses?;
        fold_z.push(z);
        let total: f64 = losses.iter().sum();
        fold_losses.push(losses.iter().zip(&folds).map(|(l, (_, va))| l / va.len() as f64).collect::<Vec<f64>>());
        tried.push((*r, total / validated as f64));
    }
    if !tried[0].1.is_finite() {
        // Today's steps failed on a fold: the fit on every training row will say why.
        return Ok(fallback);
    }
    // Today's steps stay unless a finer resolution beats them significantly fold by fold;
    // among those that do, the lowest mean log loss (ties keep the earlier).
    let ratio = folds.iter().map(|(tr, va)| va.len() as f64 / tr.len() as f64).sum::<f64>() / nf as f64;
    let against_steps: Vec<PairedGain> =
        fold_losses.iter().map(|f| PairedGain::of(f, &fold_losses[0], ratio)).collect();
    let chosen = (1..tried.len()).filter(|&c| against_steps[c].significant).fold(0, |best, c| {
        if tried[c].1 < tried[best].1 - 1e-12 || best == 0 {
            c
        } else {
            best
        }
    });
    let z = fold_z.swap_remove(chosen);
    let shapes =
        (keep_shapes && z.iter().all(|z| z.len() == m)).then_some(FoldShapes { rows, ordered, folds, alpha, z });
    Ok(ResolutionChoice {
        chosen: tried[chosen].0,
        cv_log_loss: tried,
        fold_log_loss: fold_losses,
        against_steps,
        rows: m,
        folds: nf,
        scheme,
        shapes,
    })
}

/// The folds of a choice and how it is described: forward chaining over time-ordered
/// rows has one order; stratified folds are repeated.
pub(crate) fn scheme(ordered: bool) -> (usize, String) {
    let k = RESOLUTION_FOLDS;
    if ordered {
        (k, format!("forward-chaining cross-validated log loss over {} time-ordered blocks", k + 1))
    } else {
        (k * RESOLUTION_REPEATS, format!("{k}-fold cross-validated log loss, repeated {RESOLUTION_REPEATS} times"))
    }
}

/// At most [`RESOLUTION_ROWS`] of the training rows (a sample drawn with `rng`), and
/// whether they are in time order. With a time-ordered holdout a choice is made forward
/// in time too: the rows in the split's order, each fold validated on the block after
/// the rows it was fitted on (a setting that bends to fit the past but extrapolates badly
/// loses there).
pub(crate) fn sample_rows(
    table: &Table,
    train_rows: &[usize],
    split: &Split,
    rng: &mut ChaCha8Rng,
) -> Result<(Vec<usize>, bool)> {
    let mut rows = train_rows.to_vec();
    if rows.len() > RESOLUTION_ROWS {
        rows.shuffle(rng);
        rows.truncate(RESOLUTION_ROWS);
        rows.sort_unstable();
    }
    let ordered = match split {
        Split::Stratified => false,
        Split::Last => true,
        Split::ByDate(col) => {
            let days = crate::features::read_dates(table, table.column(col)?)?;
            rows.sort_by_key(|&i| (days[i].unwrap_or(i64::MIN), i));
            true
        }
    };
    Ok((rows, ordered))
}

/// (fitting positions, validation positions) per fold over `ys`'s positions: forward
/// chaining over `k + 1` time-ordered blocks, or stratified `k`-fold repeated
/// [`RESOLUTION_REPEATS`] times with fresh shuffles from `rng`.
#[allow(clippy::type_complexity)]
pub(crate) fn folds(ordered: bool, ys: &[bool], k: usize, rng: &mut ChaCha8Rng) -> Vec<(Vec<usize>, Vec<usize>)> {
    let m = ys.len();
    if ordered {
        let block = |b: usize| b * m / (k + 1);
        (0..k).map(|f| ((0..block(f + 1)).collect(), (block(f + 1)..block(f + 2)).collect())).collect()
    } else {
        let mut pos: Vec<usize> = (0..m).filter(|&j| ys[j]).collect();
        let mut neg: Vec<usize> = (0..m).filter(|&j| !ys[j]).collect();
        let mut all = Vec::with_capacity(k * RESOLUTION_REPEATS);
        for _ in 0..RESOLUTION_REPEATS {
            pos.shuffle(rng);
            neg.shuffle(rng);
            let mut fold = vec![0; m];
            for (j, &i) in pos.iter().chain(&neg).enumerate() {
                fold[i] = j % k;
            }
            all.extend(
                (0..k)
                    .map(|f| ((0..m).filter(|&j| fold[j] != f).collect(), (0..m).filter(|&j| fold[j] == f).collect())),
            );
        }
        all
    }
}

/// A candidate's validation log loss on each fold, and each fold's log-odds.
pub(crate) type CandidateFolds = (Vec<f64>, Vec<Vec<f64>>);

/// One candidate resolution's validation log loss on each fold (infinite where the
/// solver fails), and with `keep_z` each fold's log-odds on every sampled row (empty
/// where it fails):
/// its design on the sample, then its folds in order, each warm-started from the
/// previous fold's fit.
#[allow(clippy::type_complexity)]
pub(crate) fn candidate_losses(
    fparams: &FeatureParams,
    prepared: &crate::features::Prepared,
    r: Resolution,
    (sample, ys): (&[usize], &[bool]),
    folds: &[(Vec<usize>, Vec<usize>)],
    alpha: f64,
    keep_z: bool,
) -> Result<CandidateFolds> {
    // Row-major, so that each Newton iteration is one pass over the rows.
    let x = fparams.design_at(prepared, r, sample, ys, sample)?.as_standard_layout().into_owned();
    let mut start: Option<crate::newton::NewtonFit> = None;
    let mut curvature: Option<crate::newton::Curvature> = None;
    let mut losses = Vec::with_capacity(folds.len());
    let mut zs = Vec::with_capacity(folds.len());
    let mut weight = vec![0.0; ys.len()];
    for (tr, va) in folds {
        weight.iter_mut().for_each(|w| *w = 0.0);
        tr.iter().for_each(|&j| weight[j] = 1.0);
        let problem = crate::newton::Problem { x: x.view(), y: ys, weight: &weight, alpha, offset: None };
        // The first fold by Newton's method; the others step with its last
        // Hessian (most of their rows are shared), from the previous answer. A
        // candidate the solver fails on (on a fold's rows) is out of the running:
        // an infinite loss is never a significant gain.
        let Some((fit, c)) = crate::newton::fit(&problem, start.as_ref(), curvature.as_ref()) else {
            losses.push(f64::INFINITY);
            zs.push(Vec::new());
            continue;
        };
        curvature.get_or_insert(c);
        let z = |j: usize| x.row(j).dot(&fit.coef) + fit.intercept;
        losses.push(-va.iter().map(|&j| crate::metrics::log_likelihood(z(j), ys[j])).sum::<f64>());
        zs.push(if keep_z { (0..ys.len()).map(z).collect() } else { Vec::new() });
        start = Some(fit);
    }
    Ok((losses, zs))
}

/// Mean and sample standard deviation.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}
