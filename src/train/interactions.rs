//! Pairwise interactions, found and fitted the GA2M way (issue 36, part 3).
//!
//! **Detection**, on the training rows only: on each cross-validation fold the columns'
//! own shapes are fitted first (Newton's method on the fold's fitting rows: the
//! resolution choice's own fits of the chosen resolution when it made one at the same
//! strength, [`crate::resolution::FoldShapes`]); each fitting row's gradient `p - y`
//! and Hessian `p(1 - p)` are summed on the coarse grid of every candidate pair
//! ([`crate::features::pair::Axis`]), and the pair is scored by its best 2x2 split's
//! gain: InterpretML's FAST (Lou et al., "Accurate intelligible models with pairwise
//! interactions", KDD 2013). The pairs the saved model gets are ranked by their gain
//! averaged over the folds.
//!
//! **How many, and how strongly shrunk**, by the same folds: on each fold, the pairs in
//! that fold's own order are added to its shapes' log-odds and fitted by cyclic Newton
//! steps per cell with a ridge `lambda` (backfitting, as EBM fits its pairs on the mains'
//! residuals), and each count of [`PAIR_GRID`] and each strength of [`PAIR_LAMBDAS`] is
//! measured by the log loss of the fold's validation rows, count by count until
//! [`PATIENCE`] counts in a row have not improved on the best. No pairs stay unless a
//! count beats none fold by fold, significantly (the resolution's paired test,
//! [`PairedGain`]).
//!
//! **The model a user gets** is fitted by linfa-logistic with the pairs' cells as design
//! columns beside the shapes: each cell a 0/1 indicator centred on its training share and
//! multiplied by `sqrt(alpha / lambda)`, so that linfa's one L2 strength `alpha` is the
//! ridge `lambda` on the cells' own log-odds. [`terms`] turns the fitted coefficients into
//! each cell's contribution ([`PairTerm`]). linfa's L-BFGS starts from the optimum
//! approached by blocks ([`warm_start`]): the measured fit on the training rows, and the
//! final fit on every labelled row beside it.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::Table;
use crate::error::{Error, Result};
use crate::features::pair::{Axis, PairTerm};
use crate::features::{FeatureParams, Prepared};
use crate::metrics::{log_likelihood, sigmoid};
use crate::resolution::{folds, sample_rows, PairedGain, RESOLUTION_FOLDS, RESOLUTION_LEVEL};
use crate::split::Split;

/// `--interactions`: how many pairs the model gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Interactions {
    /// None: the model is the columns' shapes alone.
    #[default]
    Off,
    /// As many as cross-validation supports (none unless they win significantly).
    Auto,
    /// This many (the strongest by detection), however they do on the folds.
    Count(usize),
}

impl std::str::FromStr for Interactions {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Interactions::Auto),
            "off" | "0" => Ok(Interactions::Off),
            n => match n.parse::<usize>() {
                Ok(k) if (1..=MAX_PAIRS).contains(&k) => Ok(Interactions::Count(k)),
                _ => Err(format!("expected auto, off or a number of pairs from 1 to {MAX_PAIRS}, found {s:?}")),
            },
        }
    }
}

impl std::fmt::Display for Interactions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Interactions::Off => write!(f, "off"),
            Interactions::Auto => write!(f, "auto"),
            Interactions::Count(k) => write!(f, "{k}"),
        }
    }
}

/// A chosen pair: its two input columns (indices into the model's columns) and axes.
pub type Pair = (usize, usize, Axis, Axis);

/// Most pairs a model gets.
pub const MAX_PAIRS: usize = 64;
/// The numbers of pairs cross-validation compares.
pub const PAIR_GRID: [usize; 8] = [0, 1, 2, 4, 8, 16, 32, 64];
/// The ridge strengths on a pair's cells (in log-odds, on the summed log loss) compared.
pub const PAIR_LAMBDAS: [f64; 3] = [5.0, 20.0, 80.0];
/// Pairs are sought among this many columns, the strongest alone (single-column ROC AUC).
pub const CANDIDATE_COLUMNS: usize = 30;
/// Most pair-cell values in a design matrix (rows times cells): 800 MB.
pub const PAIR_VALUES: usize = 100_000_000;
/// Least rows (of those a fit learns from) for a pair's cell to get a design column of its
/// own; a cell with fewer keeps the contribution 0 before centring, as a ridge would
/// shrink it nearly to. Each column widens every pass of linfa's solver over the rows: on
/// X Education (64 pairs), 20 rows gave 1,213 columns, 5.4 s and ROC AUC 0.8955; 80 rows
/// 819 columns, 3.3 s and 0.8951 (the shapes alone: 2.7 s, 0.8873).
pub const MIN_CELL_ROWS: usize = 80;
/// Cross-validation stops adding pairs after this many counts in a row whose validated
/// log loss (at the best strength) did not beat the best so far: on the bank, synthetic
/// and events sets the loss rises from 1 or 2 pairs on, and the counts up to 64 cost 15
/// times the first ones.
pub const PATIENCE: usize = 2;
/// Rounds of cyclic Newton steps over the pairs after each count's pairs join.
const ROUNDS: usize = 4;
/// Rounds of the shapes' Newton fit and the pairs' backfit where linfa's fit starts
/// ([`warm_start`]).
const WARM_ROUNDS: usize = 3;

/// One pair the model got, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ChosenPair {
    pub columns: String,
    /// Its FAST gain, averaged over the folds.
    pub gain: f64,
    pub cells: usize,
}

/// How the pairs were chosen.
#[derive(Debug, Clone, Serialize)]
pub struct InteractionChoice {
    pub setting: String,
    pub chosen: Vec<ChosenPair>,
    /// The ridge on the chosen pairs' cells.
    pub lambda: f64,
    /// Candidate pairs ranked.
    pub candidates: usize,
    /// The most pairs the design had room for ([`PAIR_VALUES`]).
    pub largest: usize,
    /// (pairs, lambda, mean validated log loss) for each count and strength tried.
    pub cv_log_loss: Vec<(usize, f64, f64)>,
    /// The best count against none, fold by fold.
    pub against_none: Option<PairedGain>,
    /// The level it had to pass: the resolution's 5% over the counts compared.
    pub level: f64,
    pub rows: usize,
    pub folds: usize,
    pub scheme: String,
    /// The chosen pairs: input columns and axes, in rank order.
    #[serde(skip)]
    pub pairs: Vec<Pair>,
}

impl InteractionChoice {
    pub fn describe(&self) -> String {
        if self.cv_log_loss.is_empty() {
            return format!("{} pairs (too few training rows or columns to look for them)", self.chosen.len());
        }
        let best = |k: usize| {
            self.cv_log_loss.iter().filter(|(n, _, _)| *n == k).map(|(_, _, l)| *l).fold(f64::INFINITY, f64::min)
        };
        let tried: Vec<String> = PAIR_GRID
            .iter()
            .filter(|&&k| self.cv_log_loss.iter().any(|(n, _, _)| *n == k))
            .map(|&k| format!("{k} {:.5}", best(k)))
            .collect();
        let test = match &self.against_none {
            Some(g) => format!(
                "; the best count against none: p {} (pairs only when below {:.4}, 5% over the counts compared)",
                crate::uncertainty::p_text(g.p),
                self.level
            ),
            None => String::new(),
        };
        format!(
            "{} pairs of {} candidates (--interactions {}), ridge {} on their cells, chosen by {} on {} training \
             rows: {}{test}",
            self.chosen.len(),
            self.candidates,
            self.setting,
            self.lambda,
            self.scheme,
            self.rows,
            tried.join(", ")
        )
    }
}

/// One fold's work: its shapes' log-odds on every sampled row, and each candidate's gain
/// on its fitting rows.
struct FoldShapes {
    z: Vec<f64>,
    gains: Vec<f64>,
}

/// Choose the pairs (see the module's comment). `prepared` is training's reading of the
/// columns, `fparams` at the resolution chosen; `total_rows` the rows of the largest
/// design the pairs will join (for [`PAIR_VALUES`]).
#[allow(clippy::too_many_arguments)]
pub fn choose(
    table: &Table,
    fparams: &FeatureParams,
    prepared: &Prepared,
    (train_rows, y): (&[usize], &[bool]),
    alpha: f64,
    (seed, split): (u64, &Split),
    setting: Interactions,
    total_rows: usize,
    given: Option<&crate::resolution::FoldShapes>,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<InteractionChoice>> {
    if setting == Interactions::Off {
        return Ok(None);
    }
    let axes = prepared.pair_axes(train_rows);
    let auc = prepared.single_column_auc();
    let names = prepared.column_names();
    let mut cols: Vec<usize> = (0..axes.len()).filter(|&c| axes[c].is_some()).collect();
    cols.sort_by(|&a, &b| auc[b].total_cmp(&auc[a]).then(a.cmp(&b)));
    cols.truncate(CANDIDATE_COLUMNS);
    cols.sort_unstable();
    let cands: Vec<(usize, usize)> =
        cols.iter().enumerate().flat_map(|(i, &a)| cols[i + 1..].iter().map(move |&b| (a, b))).collect();
    let k = RESOLUTION_FOLDS;
    // The resolution choice's sample, folds and shapes when it fitted them at this
    // strength; otherwise a sample and folds of its own, drawn the same way.
    let given = given.filter(|g| g.alpha == alpha);
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(5));
    let (rows, ordered) = match given {
        Some(g) => (g.rows.clone(), g.ordered),
        None => sample_rows(table, train_rows, split, &mut rng)?,
    };
    let ys: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    let m = rows.len();
    let (nf, scheme) = crate::resolution::scheme(ordered);
    let none = |largest: usize| InteractionChoice {
        setting: setting.to_string(),
        chosen: Vec::new(),
        lambda: PAIR_LAMBDAS[0],
        candidates: cands.len(),
        largest,
        cv_log_loss: Vec::new(),
        against_none: None,
        level: RESOLUTION_LEVEL,
        rows: m,
        folds: nf,
        scheme: scheme.clone(),
        pairs: Vec::new(),
    };
    let won = ys.iter().filter(|&&v| v).count();
    if cands.is_empty() || won < 10 * (k + 1) || m - won < 10 * (k + 1) {
        return Ok(Some(none(0)));
    }
    let folds = match given {
        Some(g) => g.folds.clone(),
        None => folds(ordered, &ys, k, &mut rng),
    };
    if folds.iter().any(|(tr, va)| {
        let w = tr.iter().filter(|&&j| ys[j]).count();
        va.is_empty() || w == 0 || w == tr.len()
    }) {
        return Ok(Some(none(0)));
    }
    progress(&format!("pairwise interactions: {} candidate pairs, {scheme}", cands.len()));
    // Each candidate column's bins on the sampled rows.
    let mut bins: Vec<Vec<u16>> = vec![Vec::new(); axes.len()];
    for &c in &cols {
        if let Some(a) = &axes[c] {
            bins[c] = prepared.pair_bins(c, a, &rows);
        }
    }
    let len = |c: usize| axes[c].as_ref().map_or(1, Axis::len);
    // The columns' shapes on each fold (the resolution choice's, or fitted here
    // warm-started fold to fold), then the candidates' gains on its fitting rows (the
    // folds in parallel).
    let zs = match given {
        Some(g) => g.z.clone(),
        None => {
            let r = fparams.resolution();
            let (_, zs) = crate::resolution::candidate_losses(fparams, prepared, r, (&rows, &ys), &folds, alpha, true)?;
            // A fold the solver failed on has no log-odds: no pairs.
            if zs.iter().any(|z| z.len() != m) {
                return Ok(Some(none(0)));
            }
            zs
        }
    };
    let shapes: Vec<FoldShapes> = folds
        .par_iter()
        .zip(zs)
        .map(|((tr, _), z)| {
            let gains = cands
                .iter()
                .map(|&(a, b)| fast_gain(&bins[a], &bins[b], (len(a), len(b)), &axes, (a, b), tr, &z, &ys))
                .collect();
            FoldShapes { z, gains }
        })
        .collect();
    // The saved model's ranking: the gains averaged over the folds.
    let mean_gain: Vec<f64> =
        (0..cands.len()).map(|p| shapes.iter().map(|s| s.gains[p]).sum::<f64>() / shapes.len() as f64).collect();
    let mut rank: Vec<usize> = (0..cands.len()).collect();
    rank.sort_by(|&p, &q| mean_gain[q].total_cmp(&mean_gain[p]).then(p.cmp(&q)));
    // Room in the design: the most pairs whose cells fit in PAIR_VALUES.
    let cells = |p: usize| len(cands[p].0) * len(cands[p].1);
    let mut largest = 0usize;
    let mut used = 0usize;
    for &p in rank.iter().take(MAX_PAIRS) {
        used += cells(p);
        if used.saturating_mul(total_rows) > PAIR_VALUES {
            break;
        }
        largest += 1;
    }
    let grid: Vec<usize> = match setting {
        Interactions::Count(n) => vec![0, n.min(largest)],
        _ => PAIR_GRID.iter().copied().filter(|&g| g <= largest.min(cands.len())).collect(),
    };
    if grid.len() < 2 {
        return Ok(Some(none(largest)));
    }
    // Each (fold, strength): the validated log loss at each count of the grid, count by
    // count, until [`PATIENCE`] counts in a row have not beaten the best so far.
    let mut jobs: Vec<Backfit> = (0..folds.len())
        .flat_map(|f| {
            let g = &shapes[f].gains;
            let mut order: Vec<usize> = (0..cands.len()).collect();
            order.sort_by(|&p, &q| g[q].total_cmp(&g[p]).then(p.cmp(&q)));
            let z = &shapes[f].z;
            PAIR_LAMBDAS.iter().map(move |&lambda| Backfit {
                fold: f,
                lambda,
                order: order.clone(),
                z: z.clone(),
                beta: Vec::new(),
            })
        })
        .collect();
    let validated: usize = folds.iter().map(|(_, va)| va.len()).sum();
    let mut losses: Vec<Vec<f64>> = vec![Vec::new(); jobs.len()];
    let (mut best_mean, mut not_better) = (f64::INFINITY, 0usize);
    for &target in &grid {
        let at: Vec<f64> = jobs
            .par_iter_mut()
            .map(|job| {
                let (tr, va) = &folds[job.fold];
                job.advance(target, (tr, va), &ys, |p| {
                    let (a, b) = cands[p];
                    (bins[a].as_slice(), bins[b].as_slice(), len(b), cells(p))
                })
            })
            .collect();
        for (l, v) in losses.iter_mut().zip(at) {
            l.push(v);
        }
        let mean = (0..PAIR_LAMBDAS.len())
            .map(|li| {
                (0..folds.len())
                    .map(|f| losses[f * PAIR_LAMBDAS.len() + li].last().copied().unwrap_or(0.0))
                    .sum::<f64>()
            })
            .fold(f64::INFINITY, f64::min)
            / validated as f64;
        if mean < best_mean - 1e-12 {
            (best_mean, not_better) = (mean, 0);
        } else {
            not_better += 1;
            if not_better >= PATIENCE {
                break;
            }
        }
    }
    drop(jobs);
    // The counts compared (the grid's first ones); the level below still divides by all.
    let compared = &grid[..losses[0].len()];
    // Mean validated log loss per (count, strength), and per fold for the paired test.
    let per_fold = |gi: usize, li: usize| -> Vec<f64> {
        (0..folds.len()).map(|f| losses[f * PAIR_LAMBDAS.len() + li][gi] / folds[f].1.len() as f64).collect()
    };
    let mut cv = Vec::new();
    let mut best: Option<(usize, usize, f64)> = None;
    for (gi, &g) in compared.iter().enumerate() {
        for (li, &l) in PAIR_LAMBDAS.iter().enumerate() {
            let total: f64 = (0..folds.len()).map(|f| losses[f * PAIR_LAMBDAS.len() + li][gi]).sum();
            let mean = total / validated as f64;
            if g == 0 && li > 0 {
                continue;
            }
            cv.push((g, l, mean));
            if g > 0 && best.is_none_or(|(_, _, b)| mean < b - 1e-12) {
                best = Some((gi, li, mean));
            }
        }
    }
    let ratio = folds.iter().map(|(tr, va)| va.len() as f64 / tr.len() as f64).sum::<f64>() / nf as f64;
    let Some((gi, li, _)) = best else { return Ok(Some(none(largest))) };
    let test = PairedGain::of(&per_fold(gi, li), &per_fold(0, 0), ratio);
    // The best of the counts is tested against none: at the resolution's level divided
    // by the grid's counts (Bonferroni, since the best of several is optimistic), those
    // the early stop left out included, so that stopping early never lowers the bar.
    let level = RESOLUTION_LEVEL / (grid.len() - 1) as f64;
    let count = match setting {
        Interactions::Count(_) => grid[gi],
        _ if test.gain > 0.0 && test.p < level => grid[gi],
        _ => 0,
    };
    let pairs: Vec<Pair> = rank
        .iter()
        .take(count)
        .filter_map(|&p| {
            let (a, b) = cands[p];
            Some((a, b, axes[a].clone()?, axes[b].clone()?))
        })
        .collect();
    let chosen = rank
        .iter()
        .take(count)
        .map(|&p| ChosenPair {
            columns: format!("{} x {}", names[cands[p].0], names[cands[p].1]),
            gain: mean_gain[p],
            cells: cells(p),
        })
        .collect();
    Ok(Some(InteractionChoice {
        setting: setting.to_string(),
        chosen,
        lambda: PAIR_LAMBDAS[li],
        candidates: cands.len(),
        largest,
        cv_log_loss: cv,
        against_none: Some(test),
        level,
        rows: m,
        folds: nf,
        scheme,
        pairs,
    }))
}

/// FAST's score of one pair on the fitting rows `tr`: the gradient and Hessian of each
/// row at log-odds `z` summed per cell, each level axis ordered by its bins' ratio of
/// the two (a number's bins keep their order), and the best split of the grid into 2x2
/// quadrants: the fall in the second-order loss against one value for the whole grid.
#[allow(clippy::too_many_arguments)]
fn fast_gain(
    ba: &[u16],
    bb: &[u16],
    (na, nb): (usize, usize),
    axes: &[Option<Axis>],
    (a, b): (usize, usize),
    tr: &[usize],
    z: &[f64],
    ys: &[bool],
) -> f64 {
    let mut g = vec![0.0f64; na * nb];
    let mut h = vec![0.0f64; na * nb];
    for &j in tr {
        let p = sigmoid(z[j]);
        let c = ba[j] as usize * nb + bb[j] as usize;
        g[c] += p - ys[j] as u8 as f64;
        h[c] += p * (1.0 - p);
    }
    let order = |n: usize, levels: bool, marg: &dyn Fn(usize) -> (f64, f64)| -> Vec<usize> {
        let mut o: Vec<usize> = (0..n).collect();
        if levels {
            let key = |k: usize| {
                let (gg, hh) = marg(k);
                gg / (hh + 1e-9)
            };
            o.sort_by(|&p, &q| key(p).total_cmp(&key(q)).then(p.cmp(&q)));
        }
        o
    };
    let is_levels = |c: usize| matches!(axes[c], Some(Axis::Levels { .. }));
    let oa = order(na, is_levels(a), &|i| (0..nb).fold((0.0, 0.0), |(x, y), j| (x + g[i * nb + j], y + h[i * nb + j])));
    let ob = order(nb, is_levels(b), &|j| (0..na).fold((0.0, 0.0), |(x, y), i| (x + g[i * nb + j], y + h[i * nb + j])));
    // Prefix sums over the ordered grid.
    let mut pg = vec![0.0f64; (na + 1) * (nb + 1)];
    let mut ph = vec![0.0f64; (na + 1) * (nb + 1)];
    let w = nb + 1;
    for (i, &ri) in oa.iter().enumerate() {
        for (j, &rj) in ob.iter().enumerate() {
            let c = ri * nb + rj;
            pg[(i + 1) * w + j + 1] = g[c] + pg[i * w + j + 1] + pg[(i + 1) * w + j] - pg[i * w + j];
            ph[(i + 1) * w + j + 1] = h[c] + ph[i * w + j + 1] + ph[(i + 1) * w + j] - ph[i * w + j];
        }
    }
    let rect = |p: &[f64], i0: usize, i1: usize, j0: usize, j1: usize| {
        p[i1 * w + j1] - p[i0 * w + j1] - p[i1 * w + j0] + p[i0 * w + j0]
    };
    let (gt, ht) = (pg[na * w + nb], ph[na * w + nb]);
    if ht <= 0.0 {
        return 0.0;
    }
    let whole = gt * gt / ht;
    let mut best = 0.0f64;
    for i in 1..na {
        for j in 1..nb {
            let quads = [(0, i, 0, j), (0, i, j, nb), (i, na, 0, j), (i, na, j, nb)];
            let mut s = 0.0;
            let mut ok = true;
            for (i0, i1, j0, j1) in quads {
                let hh = rect(&ph, i0, i1, j0, j1);
                if hh < 1.0 {
                    ok = false;
                    break;
                }
                let gg = rect(&pg, i0, i1, j0, j1);
                s += gg * gg / hh;
            }
            if ok {
                best = best.max(s - whole);
            }
        }
    }
    best
}

/// One fold at one strength: pairs join in `order` (the fold's own ranking) on top of the
/// shapes' log-odds `z` (moved as they are fitted); at each count, [`ROUNDS`] rounds of
/// one Newton step per cell of every joined pair (ridge `lambda`, on the fitting rows),
/// then the validation rows' summed log loss.
struct Backfit {
    fold: usize,
    lambda: f64,
    order: Vec<usize>,
    z: Vec<f64>,
    beta: Vec<Vec<f64>>,
}

impl Backfit {
    /// The validated summed log loss with the first `target` pairs joined. `pair(p)`:
    /// candidate p's bins on each row, its second axis's length and its cells.
    fn advance<'a>(
        &mut self,
        target: usize,
        (tr, va): (&[usize], &[usize]),
        ys: &[bool],
        pair: impl Fn(usize) -> (&'a [u16], &'a [u16], usize, usize),
    ) -> f64 {
        while self.beta.len() < target {
            let (_, _, _, cells) = pair(self.order[self.beta.len()]);
            self.beta.push(vec![0.0; cells]);
        }
        if target > 0 {
            let order = &self.order;
            for _ in 0..ROUNDS {
                newton_round(&mut self.z, &mut self.beta, tr, ys, self.lambda, None, |k| pair(order[k]));
            }
        }
        -va.iter().map(|&j| log_likelihood(self.z[j], ys[j])).sum::<f64>()
    }
}

/// One round of backfitting: for each pair in turn, one Newton step per cell with ridge
/// `lambda` on the fitting rows `tr`, the log-odds `z` of every row moved with it.
/// `pair(k)`: the k-th pair's bins, its second axis's length and its cells.
fn newton_round<'a>(
    z: &mut [f64],
    beta: &mut [Vec<f64>],
    tr: &[usize],
    ys: &[bool],
    lambda: f64,
    live: Option<&[Vec<bool>]>,
    pair: impl Fn(usize) -> (&'a [u16], &'a [u16], usize, usize),
) {
    for (k, b) in beta.iter_mut().enumerate() {
        let (ba, bb, nb, cells) = pair(k);
        let cell = |j: usize| ba[j] as usize * nb + bb[j] as usize;
        let mut g = vec![0.0f64; cells];
        let mut h = vec![0.0f64; cells];
        for &j in tr {
            let p = sigmoid(z[j]);
            let c = cell(j);
            g[c] += p - ys[j] as u8 as f64;
            h[c] += p * (1.0 - p);
        }
        let fitted = |c: usize| live.is_none_or(|l| l[k][c]);
        let step: Vec<f64> =
            (0..cells).map(|c| if fitted(c) { -(g[c] + lambda * b[c]) / (h[c] + lambda) } else { 0.0 }).collect();
        for (bc, s) in b.iter_mut().zip(&step) {
            *bc += s;
        }
        for (j, zj) in z.iter_mut().enumerate() {
            *zj += step[cell(j)];
        }
    }
}

/// Where linfa's fit of the shapes and the pairs together starts: the penalised optimum
/// approached by blocks, on the training rows (the first `m` rows of `x`'s first `width`
/// columns): the shapes by Newton's method with the pairs' part of the log-odds held
/// fixed, then the pairs backfitted cell by cell with the shapes' part held fixed (as the
/// choice fitted them; only the cells that have a design column), [`WARM_ROUNDS`] times,
/// in the design's scaling. linfa-logistic's L-BFGS from zero needed 210 iterations and
/// 16 times the shapes' time for 16 pairs on X Education; from the shapes alone with the
/// pairs backfitted once, 100 to 200. The model is still linfa's answer, checked by the
/// same gradient test. `None` when Newton's method fails (linfa then starts from zero).
pub fn warm_start(
    x: ndarray::ArrayView2<f64>,
    (m, width): (usize, usize),
    y: &[bool],
    pairs: &[Pair],
    design: &PairDesign,
    (alpha, lambda, scale): (f64, f64, f64),
) -> Option<(Vec<f64>, f64)> {
    let (cells, cols) = (&design.cells, &design.cols);
    let xm = x.slice(ndarray::s![..m, ..width]).as_standard_layout().into_owned();
    let weight = vec![1.0; m];
    let widths: Vec<(usize, usize)> = pairs.iter().map(|(_, _, a, b)| (b.len(), a.len() * b.len())).collect();
    let bins: Vec<(Vec<u16>, Vec<u16>)> = cells
        .iter()
        .zip(&widths)
        .map(|(c, &(nb, _))| c[..m].iter().map(|&v| ((v as usize / nb) as u16, (v as usize % nb) as u16)).unzip())
        .collect();
    let live: Vec<Vec<bool>> = cols
        .live
        .iter()
        .zip(&widths)
        .map(|(l, &(_, w))| {
            let mut on = vec![false; w];
            l.iter().for_each(|&c| on[c] = true);
            on
        })
        .collect();
    let mut beta: Vec<Vec<f64>> = widths.iter().map(|&(_, w)| vec![0.0; w]).collect();
    let tr: Vec<usize> = (0..m).collect();
    // The pairs' part of each row's log-odds.
    let mut offset = vec![0.0f64; m];
    let mut fit: Option<crate::newton::NewtonFit> = None;
    for _ in 0..WARM_ROUNDS {
        let problem = crate::newton::Problem { x: xm.view(), y, weight: &weight, alpha, offset: Some(&offset) };
        let (shapes, _) = crate::newton::fit(&problem, fit.as_ref(), None)?;
        let shape_z: Vec<f64> = xm.rows().into_iter().map(|r| r.dot(&shapes.coef) + shapes.intercept).collect();
        let mut z: Vec<f64> = shape_z.iter().zip(&offset).map(|(a, b)| a + b).collect();
        for _ in 0..ROUNDS {
            newton_round(&mut z, &mut beta, &tr, y, lambda, Some(&live), |k| {
                (&bins[k].0, &bins[k].1, widths[k].0, widths[k].1)
            });
        }
        offset.iter_mut().zip(z.iter().zip(&shape_z)).for_each(|(o, (a, b))| *o = a - b);
        fit = Some(shapes);
    }
    let fit = fit?;
    let mut coef = fit.coef.to_vec();
    let mut intercept = fit.intercept;
    for ((b, live), share) in beta.iter().zip(&cols.live).zip(&cols.share) {
        for &c in live {
            coef.push(b[c] / scale);
            intercept += b[c] * share[c];
        }
    }
    Some((coef, intercept))
}

/// The chosen pairs' cells on `rows` (per pair, each row's cell) from the columns read.
fn cells_of(prepared: &Prepared, pairs: &[Pair], rows: &[usize]) -> Vec<Vec<u32>> {
    pairs
        .iter()
        .map(|(a, b, xa, xb)| {
            let ba = prepared.pair_bins(*a, xa, rows);
            let bb = prepared.pair_bins(*b, xb, rows);
            let nb = xb.len() as u32;
            ba.iter().zip(&bb).map(|(&i, &j)| i as u32 * nb + j as u32).collect()
        })
        .collect()
}

/// The pairs in one fit's design: each pair's cell on every row of the fit, and their
/// design columns. The measured fit and the final fit build and split theirs the same way.
#[derive(Debug, Clone, Default)]
pub struct PairDesign {
    pub cells: Vec<Vec<u32>>,
    pub cols: PairColumns,
}

impl PairDesign {
    /// `x` (the columns' own `width` design columns of `rows`, then one spare column)
    /// with the pairs' design columns beside them ([`widen`]), centred on the first `m`
    /// rows; `x` as it is without pairs.
    pub fn build(
        prepared: &Prepared,
        pairs: &[Pair],
        rows: &[usize],
        (x, width, m): (ndarray::Array2<f64>, usize, usize),
        scale: f64,
    ) -> Result<(ndarray::Array2<f64>, PairDesign)> {
        let cells = cells_of(prepared, pairs, rows);
        if pairs.is_empty() {
            return Ok((x, PairDesign { cells, cols: PairColumns::default() }));
        }
        let (x, cols) = widen(x, width, 1, pairs, &cells, m, scale)?;
        Ok((x, PairDesign { cells, cols }))
    }

    /// The fit's coefficients split at `width`: the columns' own stay in `coef`, the
    /// pairs' become their terms ([`terms`]); with each pair's cells on the rows from
    /// `from` on (the held-out rows).
    pub fn split(
        &self,
        pairs: &[Pair],
        coef: &mut Vec<f64>,
        (width, scale): (usize, f64),
        from: usize,
    ) -> (Vec<PairTerm>, Vec<Vec<u32>>) {
        let terms = terms(pairs, &self.cols, coef.get(width..).unwrap_or(&[]), scale);
        coef.truncate(width);
        (terms, self.cells.iter().map(|c| c[from.min(c.len())..].to_vec()).collect())
    }
}

/// The pairs' cells as design columns: each pair's cells' shares of the rows they were
/// centred on, and the cells that have a column (those with rows there).
#[derive(Debug, Clone, Default)]
pub struct PairColumns {
    pub share: Vec<Vec<f64>>,
    pub live: Vec<Vec<usize>>,
    /// Each cell's rows.
    pub counts: Vec<Vec<u64>>,
}

/// The pairs' design columns beside `x`'s first `width` (with `spare` zero columns after
/// them all): each cell with [`MIN_CELL_ROWS`] among the first `m` of `cells`' rows (the
/// rows the fit learns from) gets its indicator, centred on its share of those rows and multiplied by
/// `scale`. A cell without such rows has no column (its coefficient would be 0).
fn widen(
    x: ndarray::Array2<f64>,
    width: usize,
    spare: usize,
    pairs: &[Pair],
    cells: &[Vec<u32>],
    m: usize,
    scale: f64,
) -> Result<(ndarray::Array2<f64>, PairColumns)> {
    use ndarray::ShapeBuilder;
    let n = x.nrows();
    let mut cols = PairColumns::default();
    for ((_, _, xa, xb), rows) in pairs.iter().zip(cells) {
        if rows.len() != n || m > n {
            return Err(Error::Internal("a pair's cells and the design differ in rows".into()));
        }
        let mut share = vec![0.0f64; xa.len() * xb.len()];
        for &c in &rows[..m] {
            share[c as usize] += 1.0;
        }
        cols.live.push((0..share.len()).filter(|&c| share[c] >= MIN_CELL_ROWS as f64).collect());
        cols.counts.push(share.iter().map(|&s| s as u64).collect());
        share.iter_mut().for_each(|s| *s /= m.max(1) as f64);
        cols.share.push(share);
    }
    let extra: usize = cols.live.iter().map(Vec::len).sum();
    let mut out = ndarray::Array2::<f64>::zeros((n, width + extra + spare).f());
    out.slice_mut(ndarray::s![.., ..width]).assign(&x.slice(ndarray::s![.., ..width]));
    drop(x);
    let mut j = width;
    for ((share, live), rows) in cols.share.iter().zip(&cols.live).zip(cells) {
        for &c in live {
            let mc = share[c];
            for (v, &rc) in out.column_mut(j).iter_mut().zip(rows) {
                *v = ((rc as usize == c) as u8 as f64 - mc) * scale;
            }
            j += 1;
        }
    }
    Ok((out, cols))
}

/// Each cell's contribution from the fitted coefficients of the pairs' design columns
/// (`coef`, in [`widen`]'s order; 0 for a cell without a column):
/// `scale * (coef[c] - sum_k coef[k] * share[k])`, which averages 0 over the rows the
/// cells were centred on.
fn terms(pairs: &[Pair], cols: &PairColumns, coef: &[f64], scale: f64) -> Vec<PairTerm> {
    let mut j = 0usize;
    pairs
        .iter()
        .zip(cols.share.iter().zip(&cols.live).zip(&cols.counts))
        .map(|((a, b, xa, xb), ((share, live), counts))| {
            let mut c = vec![0.0f64; share.len()];
            for &k in live {
                c[k] = coef.get(j).copied().unwrap_or(0.0);
                j += 1;
            }
            let mean: f64 = c.iter().zip(share).map(|(g, m)| g * m).sum();
            PairTerm {
                a: *a,
                b: *b,
                axis_a: xa.clone(),
                axis_b: xb.clone(),
                table: c.iter().map(|g| scale * (g - mean)).collect(),
                reference: counts.clone(),
            }
        })
        .collect()
}

/// Each pair's contribution added to each row's log-odds (`cells`: per pair, each row's
/// cell), pair by pair after the shapes and the intercept: the row scorer's order.
pub fn add_pairs(z: &mut [f64], terms: &[PairTerm], cells: &[Vec<u32>]) {
    for (t, rows) in terms.iter().zip(cells) {
        for (zi, &c) in z.iter_mut().zip(rows) {
            *zi += t.table[c as usize];
        }
    }
}
