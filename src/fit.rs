//! The logistic fit: linfa-logistic, with its traps handled.
//!
//! Called by [`crate::train`] on the standardised design matrix. linfa-logistic calls the
//! *more frequent* class positive (so with 10% buyers its coefficients point towards
//! "lost"), reports no iteration count, applies its gradient tolerance to the summed
//! gradient, and falls back to all-zero parameters when the solver returns nothing. This
//! module orients the coefficients towards "won", runs the solver in blocks of
//! [`BLOCK`] iterations (warm-started) so that it can count iterations and check
//! convergence itself, and refuses an all-zero answer.
//!
//! Large training sets are solved *preconditioned*: linfa-logistic's L-BFGS starts with
//! an identity Hessian, which for a summed loss over a million rows is off by a factor of
//! about 10^5, so its first steps overshoot and each costs many passes over the data.
//! Here the Hessian of the penalised loss is estimated on a subsample (every k-th row),
//! and linfa-logistic solves in whitened coordinates `u = L'θ` (`H = LL'`), where the
//! Hessian is close to the identity and a few full passes suffice. What it solves there
//! is the *unpenalised* log loss (linfa's L2 penalty would fall on `u`, not on `θ`): the
//! penalty shapes the preconditioner only. The answer is mapped back to the original
//! coefficients and accepted only if the gradient of the original *penalised* loss passes
//! the same tolerance; otherwise the plain solver polishes it from there, on the
//! penalised loss. Both solves run in blocks of [`BLOCK`] iterations and are counted:
//! the model records the whitened iterations plus the polish. `train` calls
//! [`LogisticParams::fit_in_place`], which whitens the training rows inside the design
//! matrix (with one spare column for the intercept) rather than in a copy: for a million
//! rows that saves allocating and page-faulting a 550 MB copy.

use linfa::prelude::*;
use linfa_linalg::cholesky::Cholesky;
use linfa_linalg::triangular::{SolveTriangular, UPLO};
use linfa_logistic::LogisticRegression;
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView2, Axis, ShapeBuilder};

use crate::error::{Error, Result};
use crate::metrics::sigmoid;

/// Solver iterations per block; iteration counts are reported in these steps.
pub const BLOCK: u64 = 10;

/// Training sets of at least this many rows are solved preconditioned.
pub const PRECONDITION_MIN_ROWS: usize = 50_000;
/// About this many rows in the subsample that estimates the Hessian.
pub const SUBSAMPLE_ROWS: usize = 50_000;

/// Logistic regression settings, scikit-learn style: `alpha` is 1/C.
#[derive(Debug, Clone)]
pub struct LogisticParams {
    alpha: f64,
    max_iterations: u64,
    tolerance_per_row: f64,
    precondition_min_rows: usize,
    subsample_rows: usize,
    block: u64,
    /// Design columns whose coefficient must keep a sign (+1: not below 0; -1: not above
    /// 0): a monotone column's value and steps (issue 36).
    signs: Vec<(usize, f64)>,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            alpha: 1.0,
            max_iterations: 500,
            tolerance_per_row: 1e-4,
            precondition_min_rows: PRECONDITION_MIN_ROWS,
            subsample_rows: SUBSAMPLE_ROWS,
            block: BLOCK,
            signs: Vec::new(),
        }
    }
}

impl LogisticParams {
    /// L2 strength on the summed log loss (scikit-learn's 1/C). Default: 1.0.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Most solver iterations. Default: 500.
    pub fn max_iterations(mut self, n: u64) -> Self {
        self.max_iterations = n;
        self
    }
    /// Convergence: gradient norm of the summed loss at most this times the row count.
    /// Default: 1e-4 (scikit-learn's `tol` on the mean loss).
    pub fn tolerance_per_row(mut self, t: f64) -> Self {
        self.tolerance_per_row = t;
        self
    }

    /// Solve preconditioned from this many training rows on. Default:
    /// [`PRECONDITION_MIN_ROWS`] (50,000); `usize::MAX` turns it off.
    pub fn precondition_min_rows(mut self, n: usize) -> Self {
        self.precondition_min_rows = n;
        self
    }
    /// About this many rows (every k-th) estimate the Hessian. Default:
    /// [`SUBSAMPLE_ROWS`] (50,000).
    pub fn subsample_rows(mut self, n: usize) -> Self {
        self.subsample_rows = n.max(1);
        self
    }

    /// Solver iterations per warm-started run of linfa-logistic, after each of which the
    /// gradient is checked. Default: [`BLOCK`] (10), so that the model can report its
    /// iterations; each restart drops L-BFGS's curvature memory, so fits whose iteration
    /// count nobody reads (cross-validation) converge in fewer iterations with one long
    /// run (`u64::MAX`).
    pub fn block(mut self, n: u64) -> Self {
        self.block = n.max(1);
        self
    }

    fn check(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::usage("--alpha", format!("must be a number above 0, got {}", self.alpha)));
        }
        if self.max_iterations == 0 {
            return Err(Error::usage("--max-iter", "must be at least 1"));
        }
        if !(self.tolerance_per_row.is_finite() && self.tolerance_per_row > 0.0) {
            return Err(Error::usage("tolerance", format!("must be above 0, got {}", self.tolerance_per_row)));
        }
        Ok(())
    }

    /// Fit on `x` (rows = leads) and labels (`true` = won).
    pub fn fit(&self, x: ArrayView2<f64>, y: &[bool]) -> Result<FittedLogistic> {
        if x.nrows() >= self.precondition_min_rows {
            // Room for the solver: a copy with a spare column.
            let (n, p) = x.dim();
            let mut a = Array2::zeros((n, p + 1).f());
            a.slice_mut(s![.., ..p]).assign(&x);
            self.fit_in_place(a.view_mut(), y)
        } else {
            let tol = self.check_problem(x.nrows(), y)?;
            self.plain(x, y, tol, None, false)
        }
    }

    /// Fit on the first `p` columns of `a` (`p + 1` columns: the last is spare room).
    /// When the training set is large enough to be solved preconditioned, the columns
    /// are whitened in place: afterwards `a`'s contents are unspecified (the design
    /// values, give or take rounding, or their whitened form).
    pub fn fit_in_place(&self, a: ndarray::ArrayViewMut2<f64>, y: &[bool]) -> Result<FittedLogistic> {
        self.fit_in_place_from(a, y, None)
    }

    /// Coefficients that must keep a sign: (design column, +1 or -1). The fit is then an
    /// active-set one: fitted freely, then every coefficient on the wrong side is held at
    /// 0 (its column set to 0 on the rows fitted, so no data pulls it) and the rest fitted
    /// again from there, until none is on the wrong side. The refits start from a copy of
    /// the design, which the constrained fit keeps (one more design's memory).
    /// A coefficient at 0 merges two steps of a shape into one, so a monotone shape stays
    /// monotone and the others adapt to it, in linfa's own fit.
    pub fn signs(mut self, signs: Vec<(usize, f64)>) -> Self {
        self.signs = signs;
        self
    }

    /// [`Self::fit_in_place`] from a starting point (`coef`, `intercept`, oriented towards
    /// "won"), as the final fit on every labelled row starts from the fit the holdout
    /// measured: the preconditioned solve skips its subsample's first solve and starts
    /// the solve on every row there; the plain solve starts there. With [`Self::signs`],
    /// the constrained fit.
    pub fn fit_in_place_from(
        &self,
        mut a: ndarray::ArrayViewMut2<f64>,
        y: &[bool],
        start: Option<(&[f64], f64)>,
    ) -> Result<FittedLogistic> {
        if self.signs.is_empty() {
            return self.fit_free(a.view_mut(), y, start);
        }
        let width = a.ncols().saturating_sub(1);
        if self.signs.iter().any(|&(j, _)| j >= width) {
            return Err(Error::Internal("a sign constraint names a column the design does not have".into()));
        }
        // The solve may leave `a` whitened: each refit starts from a copy of the design.
        let design = a.to_owned();
        let mut fitted = self.fit_free(a.view_mut(), y, start)?;
        // The columns held at 0.
        let mut held: Vec<usize> = Vec::new();
        let mut iterations = fitted.iterations;
        for _ in 0..self.signs.len() {
            let wrong: Vec<usize> = self
                .signs
                .iter()
                .filter(|&&(j, sign)| fitted.coef[j] * sign < 0.0 && !held.contains(&j))
                .map(|&(j, _)| j)
                .collect();
            if wrong.is_empty() {
                break;
            }
            held.extend(wrong);
            a.assign(&design);
            for &j in &held {
                a.column_mut(j).fill(0.0);
            }
            let mut from = fitted.coef.clone();
            for &j in &held {
                from[j] = 0.0;
            }
            fitted = self.fit_free(a.view_mut(), y, Some((&from, fitted.intercept)))?;
            iterations += fitted.iterations;
        }
        for &j in &held {
            fitted.coef[j] = 0.0;
        }
        fitted.iterations = iterations;
        Ok(fitted)
    }

    /// The fit without sign constraints.
    fn fit_free(
        &self,
        mut a: ndarray::ArrayViewMut2<f64>,
        y: &[bool],
        start: Option<(&[f64], f64)>,
    ) -> Result<FittedLogistic> {
        let (n, q) = a.dim();
        if q == 0 {
            return Err(Error::Internal("fit_in_place needs a spare column".into()));
        }
        let p = q - 1;
        if start.is_some_and(|(c, _)| c.len() != p) {
            return Err(Error::Internal("fit_in_place_from: the start has the wrong width".into()));
        }
        let tol = self.check_problem(n, y)?;
        let theta_start = start.map(|(c, b)| {
            let mut t = Array1::zeros(p + 1);
            t.slice_mut(s![..p]).assign(&ndarray::ArrayView1::from(c));
            t[p] = b;
            t
        });
        if n >= self.precondition_min_rows {
            let solved = match &theta_start {
                Some(t) => self.solve_whitened(a.view_mut(), y, tol, t.clone())?,
                None => self.preconditioned(a.view_mut(), y, tol)?,
            };
            if let Some(Whitened { theta, gradient_norm: g, iterations: whitened_iterations }) = solved {
                let (coef, intercept) = (theta.slice(s![..p]).to_vec(), theta[p]);
                if g <= tol {
                    return Ok(FittedLogistic {
                        coef,
                        intercept,
                        iterations: whitened_iterations,
                        converged: true,
                        gradient_norm: g,
                        tolerance: tol,
                        preconditioned: true,
                    });
                }
                // Polish with the plain solver from there (linfa's orientation), on the
                // design values restored in place.
                let sign = if linfa_won_is_positive(y) { 1.0 } else { -1.0 };
                let mut polished = self.plain(a.slice(s![.., ..p]), y, tol, Some(theta * sign), true)?;
                polished.iterations += whitened_iterations;
                return Ok(polished);
            }
        }
        let sign = if linfa_won_is_positive(y) { 1.0 } else { -1.0 };
        self.plain(a.slice(s![.., ..p]), y, tol, theta_start.map(|t| t * sign), false)
    }

    /// Check the settings and the labels; the tolerance on the summed gradient's norm.
    fn check_problem(&self, n: usize, y: &[bool]) -> Result<f64> {
        self.check()?;
        if n != y.len() {
            return Err(Error::Internal(format!("{n} rows but {} labels", y.len())));
        }
        let won = y.iter().filter(|&&v| v).count();
        if won == 0 || won == n {
            return Err(Error::data("training rows", format!("need both won and lost leads; got {won} won of {n}")));
        }
        Ok(self.tolerance_per_row * n as f64)
    }

    /// linfa-logistic on `x` as it is, in warm-started blocks of [`BLOCK`] iterations
    /// until our own gradient check passes (`tol`, from [`Self::check_problem`]), from
    /// `start` (linfa's orientation) if given.
    fn plain(
        &self,
        x: ArrayView2<f64>,
        y: &[bool],
        tol: f64,
        start: Option<Array1<f64>>,
        preconditioned: bool,
    ) -> Result<FittedLogistic> {
        let p = x.ncols();
        let targets: Array1<usize> = y.iter().map(|&v| v as usize).collect();
        let dataset = DatasetBase::new(x, targets);
        // Parameters in linfa's orientation: [w..., intercept].
        let mut linfa_params: Option<Array1<f64>> = start;
        let mut iterations = 0u64;
        let mut coef = vec![0.0; p];
        let mut intercept = 0.0;
        let mut grad_norm = f64::INFINITY;
        while iterations < self.max_iterations {
            let block = self.block.min(self.max_iterations - iterations);
            let mut params =
                LogisticRegression::default().alpha(self.alpha).gradient_tolerance(tol).max_iterations(block);
            if let Some(init) = &linfa_params {
                params = params.initial_params(init.clone());
            }
            let fitted = params.fit(&dataset).map_err(|e| Error::Fit(format!("linfa-logistic: {e}")))?;
            iterations += block;
            let sign = if fitted.labels().pos.class == 1 { 1.0 } else { -1.0 };
            let w = fitted.params();
            let b = fitted.intercept();
            if w.iter().all(|&v| v == 0.0) && b == 0.0 {
                return Err(Error::Fit(
                    "the solver returned no solution (all-zero parameters); try a larger --alpha".into(),
                ));
            }
            if !(w.iter().all(|v| v.is_finite()) && b.is_finite()) {
                return Err(Error::Fit("the solver diverged (non-finite coefficients); try a larger --alpha".into()));
            }
            let mut init = Array1::zeros(p + 1);
            init.slice_mut(ndarray::s![..p]).assign(w);
            init[p] = b;
            linfa_params = Some(init);
            coef = w.iter().map(|&v| v * sign).collect();
            intercept = b * sign;
            grad_norm = gradient_norm(x, y, &coef, intercept, self.alpha);
            if grad_norm <= tol {
                break;
            }
        }
        Ok(FittedLogistic {
            coef,
            intercept,
            iterations,
            converged: grad_norm <= tol,
            gradient_norm: grad_norm,
            tolerance: tol,
            preconditioned,
        })
    }

    /// The preconditioned solve (see the module notes): the Hessian at the intercept-only
    /// model from a subsample, a first solve on the subsample, the Hessian there, then the
    /// solve on every row, whitened in place in `a` (`p` design columns and a spare).
    /// Returns `[w..., b]` oriented towards "won", the norm of the penalised loss's
    /// gradient there, and the iterations of the solve on every row; `None` when a step fails numerically (the plain solver then starts
    /// from scratch on `a`'s design columns, which are then intact). When the gradient
    /// check fails, `a`'s design columns are restored (give or take rounding) for the
    /// plain solver's polish.
    fn preconditioned(&self, a: ndarray::ArrayViewMut2<f64>, y: &[bool], tol: f64) -> Result<Option<Whitened>> {
        let (n, q) = a.dim();
        let p = q - 1;
        // At least every 4th row: a subsample is copied three times (rows, whitened, weighted).
        let step = (n / self.subsample_rows).max(4);
        let rows: Vec<usize> = (0..n).step_by(step).collect();
        let ys: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
        let won = ys.iter().filter(|&&v| v).count();
        if won == 0 || won == ys.len() {
            return Ok(None);
        }
        let xs = take_rows(a.slice(s![.., ..p]), &rows);
        let ns = rows.len();
        let pi = won as f64 / ns as f64;
        let mut theta0 = Array1::zeros(p + 1);
        theta0[p] = (pi / (1.0 - pi)).ln();
        // At the intercept-only model every row has weight pi(1 - pi).
        let h0 = self.hessian(xs.view(), &vec![pi * (1.0 - pi); ns], 1.0);
        let tol_s = self.tolerance_per_row * ns as f64;
        let mut zs = Array2::zeros((ns, q).f());
        zs.slice_mut(s![.., ..p]).assign(&xs);
        let Some(w0) = Whitening::of(&h0) else { return Ok(None) };
        w0.whiten_in_place(zs.view_mut());
        // The subsample's solve in one run (its iterations are not on the training rows).
        let Some((theta1, _, _)) = w0.solve(zs.view(), &ys, &theta0, tol_s, self.max_iterations, self.max_iterations)
        else {
            return Ok(None);
        };
        drop(zs);
        drop(xs);
        self.solve_whitened(a, y, tol, theta1)
    }

    /// The preconditioned solve on every row from `theta1` (`[w..., b]` towards "won"):
    /// the penalised loss's Hessian there from the subsample, the rows whitened in place
    /// in `a`, the solve. As [`Self::preconditioned`] returns.
    fn solve_whitened(
        &self,
        mut a: ndarray::ArrayViewMut2<f64>,
        y: &[bool],
        tol: f64,
        theta1: Array1<f64>,
    ) -> Result<Option<Whitened>> {
        let (n, q) = a.dim();
        let p = q - 1;
        let step = (n / self.subsample_rows).max(4);
        let rows: Vec<usize> = (0..n).step_by(step).collect();
        let ns = rows.len();
        let xs = take_rows(a.slice(s![.., ..p]), &rows);
        let w: Vec<f64> = xs
            .dot(&theta1.slice(s![..p]))
            .iter()
            .map(|&z| {
                let q = sigmoid(z + theta1[p]);
                q * (1.0 - q)
            })
            .collect();
        let h1 = self.hessian(xs.view(), &w, n as f64 / ns as f64);
        drop(xs);
        let Some(w1) = Whitening::of(&h1) else { return Ok(None) };
        w1.whiten_in_place(a.view_mut());
        match w1.solve(a.view(), y, &theta1, tol, self.max_iterations, self.block) {
            Some((theta, grad_u, iterations)) => {
                // The penalised loss's gradient in θ: L (Z'r) plus the penalty on w.
                let mut g = w1.l.dot(&grad_u);
                for j in 0..p {
                    g[j] += self.alpha * theta[j];
                }
                let norm = g.dot(&g).sqrt();
                if norm > tol {
                    w1.restore_in_place(a.view_mut());
                }
                Ok(Some(Whitened { theta, gradient_norm: norm, iterations }))
            }
            None => {
                w1.restore_in_place(a.view_mut());
                Ok(None)
            }
        }
    }

    /// `scale * A' D A + alpha E` for `A = [x 1]`, `D = diag(weights)`, `E` = identity
    /// without the intercept: the penalised loss's Hessian (estimated from these rows).
    fn hessian(&self, x: ArrayView2<f64>, weights: &[f64], scale: f64) -> Array2<f64> {
        let (n, p) = x.dim();
        let mut b = Array2::zeros((n, p + 1).f());
        let root: Array1<f64> = weights.iter().map(|w| w.max(0.0).sqrt()).collect();
        for (j, col) in x.axis_iter(Axis(1)).enumerate() {
            let mut dst = b.column_mut(j);
            dst.assign(&col);
            dst *= &root;
        }
        b.column_mut(p).assign(&root);
        let mut h = b.t().dot(&b) * scale;
        for j in 0..p {
            h[[j, j]] += self.alpha;
        }
        // The intercept is not penalised; a little ridge keeps the factorisation defined.
        let ridge = 1e-9 * (1.0 + h.diag().iter().sum::<f64>() / (p + 1) as f64);
        h[[p, p]] += ridge;
        h
    }
}

/// The largest eigenvalue of a symmetric positive semi-definite matrix, by power
/// iteration (a small matrix: one row per feature).
fn largest_eigenvalue(h: &Array2<f64>) -> f64 {
    let q = h.nrows();
    let mut v = Array1::from_elem(q, 1.0 / (q as f64).sqrt());
    let mut lambda = 0.0;
    for _ in 0..200 {
        let hv = h.dot(&v);
        let norm = hv.dot(&hv).sqrt();
        if !(norm > 0.0 && norm.is_finite()) {
            break;
        }
        let next = norm;
        v = hv / norm;
        if (next - lambda).abs() <= 1e-6 * next {
            lambda = next;
            break;
        }
        lambda = next;
    }
    // Power iteration approaches from below; a little margin keeps the bound safe.
    lambda * 1.01
}

/// linfa-logistic's positive class: the more frequent one, or the first seen on a tie.
fn linfa_won_is_positive(y: &[bool]) -> bool {
    let won = y.iter().filter(|&&v| v).count();
    let lost = y.len() - won;
    if won != lost {
        won > lost
    } else {
        y.first().copied().unwrap_or(true)
    }
}

/// Column blocks of the in-place whitening: each block's product goes through a scratch
/// buffer of about 1/`WHITEN_BLOCKS` of the matrix.
const WHITEN_BLOCKS: usize = 4;

/// A preconditioned solve's answer: `[w..., b]` towards "won", the penalised loss's
/// gradient norm there, and the iterations on every row.
struct Whitened {
    theta: Array1<f64>,
    gradient_norm: f64,
    iterations: u64,
}

/// The change of coordinates `θ = M u`, `M = L^-T`, where `H = LL'` (Cholesky), under
/// which the Hessian `H` becomes the identity: `Z = [x 1] M`.
struct Whitening {
    l: Array2<f64>,
    m: Array2<f64>,
    /// |L|_2: a gradient in u of norm g is at most |L|_2 g in θ.
    l_norm: f64,
}

impl Whitening {
    fn of(h: &Array2<f64>) -> Option<Whitening> {
        let q = h.nrows();
        let l = h.cholesky().ok()?;
        let linv = l.solve_triangular(&Array2::eye(q), UPLO::Lower).ok()?;
        let m = linv.t().to_owned();
        if !m.iter().all(|v| v.is_finite()) {
            return None;
        }
        // |L|_2^2 is H's largest eigenvalue.
        let l_norm = largest_eigenvalue(h).sqrt().max(1e-300);
        Some(Whitening { l, m, l_norm })
    }

    /// Replace `a` (`p` design columns, then one spare) by `Z = [x 1] M`. M is upper
    /// triangular, so column j of Z needs x's columns up to j only: column blocks are
    /// computed from the last to the first, each through a scratch buffer, and written
    /// over columns no later block reads.
    fn whiten_in_place(&self, a: ndarray::ArrayViewMut2<f64>) {
        self.transform_in_place(a, &self.m, true);
    }

    /// Undo [`Self::whiten_in_place`]: `[x 1] = Z M^-1 = Z L'` (upper triangular too).
    fn restore_in_place(&self, a: ndarray::ArrayViewMut2<f64>) {
        let lt = self.l.t().to_owned();
        self.transform_in_place(a, &lt, false);
    }

    /// `a <- a T` for an upper triangular `T`, in place. With `ones`, `a`'s last column
    /// is taken as the constant 1 (whitening `[x 1]`); otherwise it is read as it is.
    fn transform_in_place(&self, mut a: ndarray::ArrayViewMut2<f64>, t: &Array2<f64>, ones: bool) {
        let (n, q) = a.dim();
        let p = q - 1;
        let width = q.div_ceil(WHITEN_BLOCKS);
        let mut tmp = Array2::<f64>::zeros((n, width).f());
        let mut j1 = q;
        while j1 > 0 {
            let j0 = j1.saturating_sub(width);
            let mut out = tmp.slice_mut(s![.., ..j1 - j0]);
            // Read x's columns up to j1 (the last one is the constant when whitening).
            let e = if ones { j1.min(p) } else { j1 };
            if e > 0 {
                general_mat_mul(1.0, &a.slice(s![.., ..e]), &t.slice(s![..e, j0..j1]), 0.0, &mut out);
            } else {
                out.fill(0.0);
            }
            if ones {
                for j in j0..j1 {
                    let c = t[[p, j]];
                    if c != 0.0 {
                        out.column_mut(j - j0).mapv_inplace(|v| v + c);
                    }
                }
            }
            a.slice_mut(s![.., j0..j1]).assign(&out);
            j1 = j0;
        }
    }

    /// Minimise the (unpenalised) summed log loss of `z` (whitened) with linfa-logistic,
    /// from `theta0`, to a gradient norm (in θ) of at most `tol`. The penalty's gradient
    /// is checked by the caller. Runs in warm-started blocks of `block` iterations (at most
    /// `max_iterations` in all). Returns θ oriented towards "won", the loss's gradient in u
    /// (`Z'r`) and the iterations run, or `None` if the solver fails numerically.
    fn solve(
        &self,
        z: ArrayView2<f64>,
        y: &[bool],
        theta0: &Array1<f64>,
        tol: f64,
        max_iterations: u64,
        block: u64,
    ) -> Option<(Array1<f64>, Array1<f64>, u64)> {
        let sign = if linfa_won_is_positive(y) { 1.0 } else { -1.0 };
        let mut u = self.l.t().dot(theta0) * sign;
        let targets: Array1<usize> = y.iter().map(|&v| v as usize).collect();
        let dataset = DatasetBase::new(z, targets);
        let tol_u = tol / self.l_norm;
        // In blocks of `block` iterations, warm-started, so that they can be counted.
        // L-BFGS is deterministic: a solve that converges within a block ends where one
        // long solve would.
        let mut iterations = 0u64;
        loop {
            let block = block.min(max_iterations.saturating_sub(iterations)).max(1);
            let fitted = LogisticRegression::default()
                .alpha(0.0)
                .with_intercept(false)
                .gradient_tolerance(tol_u)
                .max_iterations(block)
                .initial_params(u.clone())
                .fit(&dataset)
                .ok()?;
            iterations += block;
            // Back in linfa's orientation for a warm start; ours for the answer.
            let actual = if fitted.labels().pos.class == 1 { 1.0 } else { -1.0 };
            let ours = fitted.params() * actual;
            u = fitted.params().clone();
            let resid: Array1<f64> =
                z.dot(&ours).iter().zip(y).map(|(&v, &won)| sigmoid(v) - won as u8 as f64).collect();
            let grad = z.t().dot(&resid);
            let theta = self.m.dot(&ours);
            if !theta.iter().all(|v| v.is_finite()) {
                return None;
            }
            if grad.dot(&grad).sqrt() <= tol_u || iterations >= max_iterations {
                return Some((theta, grad, iterations));
            }
        }
    }
}

/// Norm of the gradient of the summed L2-penalised log loss (intercept not penalised).
pub fn gradient_norm(x: ArrayView2<f64>, y: &[bool], coef: &[f64], intercept: f64, alpha: f64) -> f64 {
    let w = Array1::from(coef.to_vec());
    let z = x.dot(&w) + intercept;
    let resid: Array1<f64> = z.iter().zip(y).map(|(&z, &y)| sigmoid(z) - y as u8 as f64).collect();
    let gw = x.t().dot(&resid) + &(&w * alpha);
    let gb: f64 = resid.sum();
    (gw.dot(&gw) + gb * gb).sqrt()
}

/// The fitted coefficients, oriented towards "won", and how the solver did.
#[derive(Debug, Clone)]
pub struct FittedLogistic {
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// Iterations run, counted in blocks of [`BLOCK`].
    pub iterations: u64,
    pub converged: bool,
    pub gradient_norm: f64,
    pub tolerance: f64,
    /// Solved in whitened coordinates (large training sets); `iterations` then counts
    /// the whitened solve's iterations on every row plus any polishing ones.
    pub preconditioned: bool,
}

/// Copy the given rows of `x` into a new column-major matrix (the layout the solver is
/// fastest on).
fn take_rows(x: ArrayView2<f64>, rows: &[usize]) -> Array2<f64> {
    let mut out = Array2::zeros((rows.len(), x.ncols()).f());
    for (j, col) in x.axis_iter(Axis(1)).enumerate() {
        let mut dst = out.column_mut(j);
        for (k, &i) in rows.iter().enumerate() {
            dst[k] = col[i];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Standardised columns: two correlated numbers and a full one-hot set of three levels
    /// (collinear, as the feature pipeline makes them), with a 15% base rate.
    fn data(n: usize) -> (Array2<f64>, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut x = Array2::zeros((n, 5).f());
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let a: f64 = rng.gen_range(-2.0..2.0);
            let b = 0.8 * a + rng.gen_range(-1.0..1.0);
            let level = rng.gen_range(0..3usize);
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            x[[i, 2 + level]] = 1.0;
            let z = -2.2 + 0.9 * a - 0.4 * b + [0.0, 0.5, -0.7][level];
            y.push(rng.gen::<f64>() < 1.0 / (1.0 + (-z).exp()));
        }
        for mut col in x.axis_iter_mut(Axis(1)) {
            let m = col.mean().unwrap_or(0.0);
            let sd = col.std(0.0);
            col.mapv_inplace(|v| (v - m) / sd);
        }
        (x, y)
    }

    #[test]
    fn preconditioned_solve_meets_the_same_tolerance_as_the_plain_one() {
        let (x, y) = data(20_000);
        let plain = LogisticParams::default().precondition_min_rows(usize::MAX).fit(x.view(), &y).unwrap();
        let fast = LogisticParams::default().precondition_min_rows(1).subsample_rows(2_000).fit(x.view(), &y).unwrap();
        assert!(!plain.preconditioned && fast.preconditioned);
        assert!(plain.converged && fast.converged);
        assert!(fast.gradient_norm <= fast.tolerance, "{} > {}", fast.gradient_norm, fast.tolerance);
        // Same optimum: the log-odds agree closely on every row.
        let zp = x.dot(&Array1::from(plain.coef.clone())) + plain.intercept;
        let zf = x.dot(&Array1::from(fast.coef.clone())) + fast.intercept;
        let worst = zp.iter().zip(&zf).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-2, "log-odds differ by up to {worst}");
    }

    #[test]
    fn whitening_in_place_matches_the_product_and_restores_the_design() {
        let (x, _) = data(3_001);
        let (n, p) = x.dim();
        let mut a = Array2::zeros((n, p + 1).f());
        a.slice_mut(s![.., ..p]).assign(&x);
        let ones = Array2::from_elem((n, 1), 1.0);
        let full = ndarray::concatenate![Axis(1), x.view(), ones.view()];
        let h = LogisticParams::default().hessian(x.view(), &vec![0.2; n], 1.0);
        let w = Whitening::of(&h).unwrap();
        w.whiten_in_place(a.view_mut());
        let want = full.dot(&w.m);
        let err = (&a - &want).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-9, "whitened columns differ by {err}");
        w.restore_in_place(a.view_mut());
        let err = (&a.slice(s![.., ..p]) - &x).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-9, "restored design differs by {err}");
    }

    #[test]
    fn preconditioned_solve_is_polished_when_the_penalty_matters() {
        // A strong penalty: the whitened solve (unpenalised) fails the penalised check,
        // so the design is restored in place and the plain solver finishes.
        let (x, y) = data(20_000);
        let params = LogisticParams::default().alpha(5_000.0);
        let plain = params.clone().precondition_min_rows(usize::MAX).fit(x.view(), &y).unwrap();
        let fast = params.precondition_min_rows(1).subsample_rows(2_000).fit(x.view(), &y).unwrap();
        assert!(fast.preconditioned && fast.iterations > 0, "expected a polish: {fast:?}");
        assert!(plain.converged && fast.converged);
        let zp = x.dot(&Array1::from(plain.coef.clone())) + plain.intercept;
        let zf = x.dot(&Array1::from(fast.coef.clone())) + fast.intercept;
        let worst = zp.iter().zip(&zf).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-2, "log-odds differ by up to {worst}");
    }

    #[test]
    fn preconditioned_solve_orients_coefficients_towards_won() {
        let (x, y) = data(20_000);
        let fast = LogisticParams::default().precondition_min_rows(1).subsample_rows(2_000).fit(x.view(), &y).unwrap();
        // Column 0 drives "won" up in the simulation; the intercept is well below 0.
        assert!(fast.coef[0] > 0.0 && fast.intercept < 0.0, "{:?} {}", fast.coef, fast.intercept);
    }
}
