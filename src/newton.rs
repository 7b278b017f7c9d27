//! Newton's method for the small penalised logistic problems of cross-validation.
//!
//! Training chooses the resolution of numbers by cross-validated log loss
//! ([`crate::resolution`]): five candidates, fifteen folds each (five, repeated three
//! times), each a penalised logistic fit on at most [`crate::resolution::RESOLUTION_ROWS`] rows. Those fits only *compare*
//! candidates; nobody scores with them. linfa-logistic's L-BFGS (identity start, a
//! general matrix product per evaluation, tolerance on the summed gradient) took
//! hundreds of iterations on spline designs there (issue 26: 113 s on a 30,000-contact
//! activity-log set, 11x the training). Newton's method with step halving solves the
//! same problem, `sum of -log likelihood + alpha/2 |w|^2` with the intercept
//! unpenalised, in a handful of iterations, each one pass for the Hessian `X'WX`; warm
//! started from the previous fold's answer it often needs two or three. The model a
//! user gets is still fitted by linfa ([`crate::fit`]).

use linfa_linalg::cholesky::CholeskyInplace;
use linfa_linalg::triangular::{SolveTriangularInplace, UPLO};
use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::metrics::{log_likelihood, sigmoid};

/// Most iterations (Newton's, or with a frozen Hessian) of one fit.
pub const MAX_ITERATIONS: usize = 100;
/// Iterations with a frozen Hessian before computing the fit's own.
pub const MAX_FROZEN: usize = 25;
/// A borrowed Hessian is kept while each step shrinks the decrement at least this much.
pub const FROZEN_RATE: f64 = 0.3;
/// About this many fitted rows estimate a Hessian.
pub const HESSIAN_ROWS: usize = 10_000;
/// Newton's method stops recomputing the Hessian once half the decrement is below this.
pub const REFRESH: f64 = 1.0;
/// Converged when half the Newton decrement (the predicted fall of the summed penalised
/// loss) is below this: far below the differences between candidates' summed losses
/// (a fold's validation rows differ between candidates by several units of summed loss).
pub const DECREMENT: f64 = 1e-3;

/// A fit: coefficients (in the design's columns) and intercept.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonFit {
    pub coef: Array1<f64>,
    pub intercept: f64,
    /// Iterations run (each one gradient pass; [`Self::hessians`] of them also built
    /// and factored the Hessian).
    pub iterations: usize,
    pub hessians: usize,
    pub converged: bool,
}

/// The Cholesky factor of a fit's Hessian (coefficients, then the intercept), kept so
/// that a neighbouring problem (another fold: most rows shared) can step with it.
#[derive(Debug, Clone)]
pub struct Curvature {
    lower: Array2<f64>,
    /// The summed weight of the rows it was computed on.
    weight: f64,
}

impl Curvature {
    /// `H^-1 g` for a problem of `weight` rows, the Hessian scaled to that weight.
    fn solve(&self, g: &Array1<f64>, weight: f64) -> Option<Array1<f64>> {
        let mut b = g.clone().insert_axis(Axis(1));
        self.lower.solve_triangular_inplace(&mut b, UPLO::Lower).ok()?;
        self.lower.t().solve_triangular_inplace(&mut b, UPLO::Upper).ok()?;
        Some(b.remove_axis(Axis(1)) * (self.weight / weight))
    }
}

/// The rows of a fit: `x`'s rows with weight 1 are fitted, rows with weight 0 ignored
/// (a fold's validation rows), so that every fold reads one matrix without copying it.
/// `x` is row-major (standard layout): each iteration is one pass over its fitted rows.
pub struct Problem<'a> {
    pub x: ArrayView2<'a, f64>,
    pub y: &'a [bool],
    pub weight: &'a [f64],
    pub alpha: f64,
    /// A fixed part of each row's log-odds (terms fitted elsewhere), or none.
    pub offset: Option<&'a [f64]>,
}

/// The linear predictor of one row.
fn predictor(row: &[f64], w: &[f64], b: f64) -> f64 {
    row.iter().zip(w).fold(b, |z, (&x, &w)| z + x * w)
}

impl Problem<'_> {
    /// Row `i`'s fixed part of the log-odds.
    fn offset(&self, i: usize) -> f64 {
        self.offset.map_or(0.0, |o| o[i])
    }

    /// Penalised summed log loss at (w, b) over the weighted rows and its gradient
    /// (coefficients, then the intercept), in one pass over the rows.
    fn eval(&self, w: &Array1<f64>, b: f64) -> Option<(f64, Array1<f64>)> {
        let p = self.x.ncols();
        let ws = w.as_slice()?;
        let mut g = vec![0.0; p + 1];
        let mut loss = 0.0;
        for (i, ((row, &y), &wt)) in self.x.rows().into_iter().zip(self.y).zip(self.weight).enumerate() {
            if wt == 0.0 {
                continue;
            }
            let row = row.to_slice()?;
            let z = predictor(row, ws, b) + self.offset(i);
            loss -= wt * log_likelihood(z, y);
            let r = wt * (sigmoid(z) - y as u8 as f64);
            for (gj, &x) in g.iter_mut().zip(row) {
                *gj += r * x;
            }
            g[p] += r;
        }
        let mut g = Array1::from(g);
        g.slice_mut(ndarray::s![..p]).scaled_add(self.alpha, w);
        Some((loss + 0.5 * self.alpha * w.dot(w), g))
    }

    /// The Hessian at (w, b), estimated on every k-th fitted row (at most about
    /// [`HESSIAN_ROWS`]) and scaled to all of them, factored: a sub-sampled Newton step,
    /// which the step halving keeps a descent.
    fn curvature(&self, w: &Array1<f64>, b: f64, total: f64) -> Option<Curvature> {
        let p = self.x.ncols();
        let ws = w.as_slice()?;
        let fitted: Vec<usize> = (0..self.x.nrows()).filter(|&i| self.weight[i] > 0.0).collect();
        let every = fitted.len().div_ceil(HESSIAN_ROWS).max(1);
        let rows: Vec<usize> = fitted.into_iter().step_by(every).collect();
        let scale = total / rows.iter().map(|&i| self.weight[i]).sum::<f64>().max(f64::MIN_POSITIVE);
        let mut xs = Array2::<f64>::zeros((rows.len(), p + 1));
        for (r, &i) in rows.iter().enumerate() {
            let row = self.x.row(i);
            let row = row.to_slice()?;
            let mu = sigmoid(predictor(row, ws, b) + self.offset(i));
            let sw = (scale * self.weight[i] * (mu * (1.0 - mu)).max(1e-12)).sqrt();
            let mut out = xs.row_mut(r);
            for (o, &v) in out.iter_mut().zip(row) {
                *o = v * sw;
            }
            out[p] = sw;
        }
        let mut h = xs.t().dot(&xs);
        for j in 0..p {
            h[[j, j]] += self.alpha;
        }
        h.cholesky_inplace().ok()?;
        Some(Curvature { lower: h, weight: total })
    }
}

/// The log-odds of the weighted rows' won share (slightly shrunk towards even).
fn prior_log_odds(problem: &Problem, total: f64) -> f64 {
    let won: f64 = problem.y.iter().zip(problem.weight).filter(|(&y, _)| y).map(|(_, &wt)| wt).sum();
    let share = ((won + 0.5) / (total + 1.0)).clamp(1e-6, 1.0 - 1e-6);
    (share / (1.0 - share)).ln()
}

/// Fit `y ~ x` on the weighted rows (standardised columns) with L2 strength `alpha` on
/// the coefficients, from `start` (coefficients and intercept) or zero. With `frozen`, a
/// neighbouring problem's Hessian, steps are taken with it (each iteration one gradient
/// pass) until converged, or for at most [`MAX_FROZEN`] iterations, then with the fit's
/// own Hessian (Newton's method). Every step is halved until the loss falls. Returns the
/// fit and the last Hessian computed (or `frozen`), or `None` when the Hessian cannot be
/// factored or the loss is not finite (the caller counts the candidate out).
pub fn fit(problem: &Problem, start: Option<&NewtonFit>, frozen: Option<&Curvature>) -> Option<(NewtonFit, Curvature)> {
    let (n, p) = problem.x.dim();
    if n == 0 || problem.y.len() != n || problem.weight.len() != n || problem.offset.is_some_and(|o| o.len() != n) {
        return None;
    }
    let total: f64 = problem.weight.iter().sum();
    let (mut w, mut b) = match start {
        Some(s) if s.coef.len() == p => (s.coef.clone(), s.intercept),
        _ => (Array1::zeros(p), prior_log_odds(problem, total)),
    };
    let (mut current, mut g) = problem.eval(&w, b)?;
    if !current.is_finite() {
        return None;
    }
    let mut curvature: Option<Curvature> = frozen.cloned();
    let mut own = false;
    let mut refresh = false;
    let mut hessians = 0;
    let mut last_decrement = f64::INFINITY;
    for iteration in 1..=MAX_ITERATIONS {
        if !own && (curvature.is_none() || iteration > MAX_FROZEN) {
            own = true;
            refresh = true;
        }
        if refresh {
            curvature = Some(problem.curvature(&w, b, total)?);
            hessians += 1;
        }
        let c = curvature.as_ref()?;
        let step = c.solve(&g, total)?;
        let decrement = g.dot(&step) / 2.0;
        if !decrement.is_finite() {
            return None;
        }
        // Near the answer the Hessian hardly changes: keep the last one. A borrowed
        // one that converges slowly (the decrement not shrinking at least
        // [`FROZEN_RATE`]-fold a step) is replaced by the fit's own from the next step.
        if own && decrement < REFRESH {
            refresh = false;
        }
        if !own && decrement > FROZEN_RATE * last_decrement {
            own = true;
            refresh = true;
        }
        last_decrement = decrement;
        let done = |w, b, iterations, converged| {
            Some((NewtonFit { coef: w, intercept: b, iterations, hessians, converged }, curvature.clone()?))
        };
        if decrement < DECREMENT {
            return done(w, b, iteration - 1, true);
        }
        // Step halving until the loss falls.
        let mut t = 1.0;
        loop {
            let w_new = &w - &(&step.slice(ndarray::s![..p]) * t);
            let b_new = b - t * step[p];
            let (l, g_new) = problem.eval(&w_new, b_new)?;
            if l.is_finite() && l <= current {
                w = w_new;
                b = b_new;
                current = l;
                g = g_new;
                break;
            }
            t /= 2.0;
            if t < 1e-10 {
                if !own {
                    // The borrowed curvature gives no descent: use the fit's own.
                    own = true;
                    refresh = true;
                    break;
                }
                // No descent along Newton's direction: as good as this precision allows.
                return done(w, b, iteration, true);
            }
        }
    }
    Some((NewtonFit { coef: w, intercept: b, iterations: MAX_ITERATIONS, hessians, converged: false }, curvature?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::LogisticParams;
    use rand::{Rng, SeedableRng};

    fn data(n: usize, p: usize, seed: u64) -> (Array2<f64>, Vec<bool>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, p), |_| rng.gen_range(-2.0..2.0));
        let y = (0..n)
            .map(|i| {
                let z = 0.8 * x[[i, 0]] - 0.5 * x[[i, 1]] + 0.3 * x[[i, 2]] * x[[i, 2]] - 1.0;
                rng.gen::<f64>() < sigmoid(z)
            })
            .collect();
        (x, y)
    }

    fn all(x: &Array2<f64>, y: &[bool]) -> NewtonFit {
        let weight = vec![1.0; y.len()];
        fit(&Problem { x: x.view(), y, weight: &weight, alpha: 1.0, offset: None }, None, None).unwrap().0
    }

    #[test]
    fn newton_reaches_the_penalised_optimum_linfa_reaches() {
        let (x, y) = data(3_000, 6, 7);
        let newton = all(&x, &y);
        assert!(newton.converged && newton.iterations <= 10, "{newton:?}");
        let linfa = LogisticParams::default().alpha(1.0).tolerance_per_row(1e-8).fit(x.view(), &y).unwrap();
        // The same penalised loss, to the tolerance the comparison of candidates needs.
        let weight = vec![1.0; y.len()];
        let problem = Problem { x: x.view(), y: &y, weight: &weight, alpha: 1.0, offset: None };
        let (ours, _) = problem.eval(&newton.coef, newton.intercept).unwrap();
        let (theirs, _) = problem.eval(&Array1::from(linfa.coef.clone()), linfa.intercept).unwrap();
        assert!(ours >= theirs - 1e-9 && ours - theirs < 2.0 * DECREMENT, "newton {ours} linfa {theirs}");
        for (a, b) in newton.coef.iter().zip(&linfa.coef) {
            assert!((a - b).abs() < 1e-2, "newton {a} linfa {b}");
        }
    }

    #[test]
    fn a_neighbouring_folds_start_and_hessian_reach_the_same_fit_with_fewer_hessians() {
        let (x, y) = data(4_000, 8, 9);
        // Two folds sharing half their rows, as weights on one matrix.
        let first: Vec<f64> = (0..4_000).map(|i| (i < 3_000) as u8 as f64).collect();
        let second: Vec<f64> = (0..4_000).map(|i| (i >= 1_000) as u8 as f64).collect();
        let problem = |weight| Problem { x: x.view(), y: &y, weight, alpha: 1.0, offset: None };
        let (cold, curvature) = fit(&problem(&first), None, None).unwrap();
        let (warm, _) = fit(&problem(&second), Some(&cold), Some(&curvature)).unwrap();
        let (again, _) = fit(&problem(&second), None, None).unwrap();
        assert!(warm.converged && warm.hessians == 0, "{warm:?}");
        assert!(again.hessians >= 3, "{again:?}");
        for (a, b) in warm.coef.iter().zip(&again.coef) {
            assert!((a - b).abs() < 1e-3, "{a} {b}");
        }
        // The same fit as on a copy of the fold's rows.
        let rows = x.slice(ndarray::s![1_000.., ..]).to_owned();
        let copy = all(&rows, &y[1_000..]);
        for (a, b) in copy.coef.iter().zip(&again.coef) {
            assert!((a - b).abs() < 1e-6, "{a} {b}");
        }
    }

    #[test]
    fn separable_data_stays_finite_under_the_penalty() {
        let x = Array2::from_shape_fn((200, 1), |(i, _)| if i < 100 { -1.0 } else { 1.0 });
        let y: Vec<bool> = (0..200).map(|i| i >= 100).collect();
        let f = all(&x, &y);
        assert!(f.converged && f.coef[0].is_finite() && f.coef[0] > 1.0, "{f:?}");
    }
}
