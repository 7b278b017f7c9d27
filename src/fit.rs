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
//! Here the Hessian is estimated on a subsample (every k-th row), and linfa-logistic
//! solves the same loss in whitened coordinates `u = L'θ` (`H = LL'`), where the Hessian
//! is close to the identity and a few full passes suffice. The answer is mapped back to
//! the original coefficients and accepted only if the gradient of the original penalised
//! loss passes the same tolerance; otherwise the plain solver polishes it.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use linfa_linalg::cholesky::Cholesky;
use linfa_linalg::triangular::{SolveTriangular, UPLO};
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView2, Axis, ShapeBuilder};

use crate::error::{Error, Result};
use crate::model::sigmoid;

/// Solver iterations per block; iteration counts are reported in these steps.
pub const BLOCK: u64 = 10;

/// Training sets of at least this many rows are solved preconditioned.
pub const PRECONDITION_MIN_ROWS: usize = 200_000;
/// About this many rows in the subsample that estimates the Hessian.
pub const SUBSAMPLE_ROWS: usize = 100_000;

/// Logistic regression settings, scikit-learn style: `alpha` is 1/C.
#[derive(Debug, Clone)]
pub struct LogisticParams {
    alpha: f64,
    max_iterations: u64,
    tolerance_per_row: f64,
    precondition_min_rows: usize,
    subsample_rows: usize,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            alpha: 1.0,
            max_iterations: 500,
            tolerance_per_row: 1e-4,
            precondition_min_rows: PRECONDITION_MIN_ROWS,
            subsample_rows: SUBSAMPLE_ROWS,
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
    /// [`PRECONDITION_MIN_ROWS`] (200,000); `usize::MAX` turns it off.
    pub fn precondition_min_rows(mut self, n: usize) -> Self {
        self.precondition_min_rows = n;
        self
    }
    /// About this many rows (every k-th) estimate the Hessian. Default:
    /// [`SUBSAMPLE_ROWS`] (100,000).
    pub fn subsample_rows(mut self, n: usize) -> Self {
        self.subsample_rows = n.max(1);
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
        self.check()?;
        let n = x.nrows();
        let p = x.ncols();
        if n != y.len() {
            return Err(Error::Internal(format!("{n} rows but {} labels", y.len())));
        }
        let won = y.iter().filter(|&&v| v).count();
        if won == 0 || won == n {
            return Err(Error::data(
                "training rows",
                format!("need both won and lost leads; got {won} won of {n}"),
            ));
        }
        let tol = self.tolerance_per_row * n as f64;
        let mut start: Option<Array1<f64>> = None;
        let mut preconditioned = false;
        if n >= self.precondition_min_rows {
            if let Some(theta) = self.preconditioned(x, y, tol)? {
                let (coef, intercept) = (theta.slice(s![..p]).to_vec(), theta[p]);
                let g = gradient_norm(x, y, &coef, intercept, self.alpha);
                if g <= tol {
                    return Ok(FittedLogistic {
                        coef,
                        intercept,
                        iterations: 0,
                        converged: true,
                        gradient_norm: g,
                        tolerance: tol,
                        preconditioned: true,
                    });
                }
                // Polish with the plain solver from there (linfa's orientation).
                let sign = if linfa_won_is_positive(y) { 1.0 } else { -1.0 };
                start = Some(theta * sign);
                preconditioned = true;
            }
        }
        let targets: Array1<usize> = y.iter().map(|&v| v as usize).collect();
        let dataset = DatasetBase::new(x, targets);
        // Parameters in linfa's orientation: [w..., intercept].
        let mut linfa_params: Option<Array1<f64>> = start;
        let mut iterations = 0u64;
        let mut coef = vec![0.0; p];
        let mut intercept = 0.0;
        let mut grad_norm = f64::INFINITY;
        while iterations < self.max_iterations {
            let block = BLOCK.min(self.max_iterations - iterations);
            let mut params = LogisticRegression::default()
                .alpha(self.alpha)
                .gradient_tolerance(tol)
                .max_iterations(block);
            if let Some(init) = &linfa_params {
                params = params.initial_params(init.clone());
            }
            let fitted = params
                .fit(&dataset)
                .map_err(|e| Error::Fit(format!("linfa-logistic: {e}")))?;
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
    /// solve on every row. Returns `[w..., b]` oriented towards "won", or `None` when a
    /// step fails numerically (the plain solver then starts from scratch).
    fn preconditioned(&self, x: ArrayView2<f64>, y: &[bool], tol: f64) -> Result<Option<Array1<f64>>> {
        let n = x.nrows();
        let p = x.ncols();
        let step = (n / self.subsample_rows).max(2);
        let rows: Vec<usize> = (0..n).step_by(step).collect();
        let ys: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
        let won = ys.iter().filter(|&&v| v).count();
        if won == 0 || won == ys.len() {
            return Ok(None);
        }
        let xs = take_rows(x, &rows);
        let ns = rows.len();
        let pi = won as f64 / ns as f64;
        let mut theta0 = Array1::zeros(p + 1);
        theta0[p] = (pi / (1.0 - pi)).ln();
        // At the intercept-only model every row has weight pi(1 - pi).
        let h0 = self.hessian(xs.view(), &vec![pi * (1.0 - pi); ns], 1.0);
        let tol_s = self.tolerance_per_row * ns as f64;
        let Some(theta1) = solve_whitened(xs.view(), &ys, &h0, &theta0, tol_s, self.max_iterations)? else {
            return Ok(None);
        };
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
        solve_whitened(x, y, &h1, &theta1, tol, self.max_iterations)
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

/// Minimise the (unpenalised) summed log loss of `A = [x 1]` with linfa-logistic in the
/// coordinates `u = L'θ`, where `h = LL'`, from `theta0`, to a gradient norm (in θ) of at
/// most `tol`. The penalty's gradient is checked by the caller. `None` if the
/// factorisation or the solver fails numerically.
fn solve_whitened(
    x: ArrayView2<f64>,
    y: &[bool],
    h: &Array2<f64>,
    theta0: &Array1<f64>,
    tol: f64,
    max_iterations: u64,
) -> Result<Option<Array1<f64>>> {
    let (n, p) = x.dim();
    let q = p + 1;
    let Ok(l) = h.cholesky() else { return Ok(None) };
    let Ok(linv) = l.solve_triangular(&Array2::eye(q), UPLO::Lower) else {
        return Ok(None);
    };
    let m = linv.t().to_owned(); // L^-T: θ = M u
    if !m.iter().all(|v| v.is_finite()) {
        return Ok(None);
    }
    // Z = [x 1] M, column-major.
    let mut z = Array2::zeros((n, q).f());
    general_mat_mul(1.0, &x, &m.slice(s![..p, ..]), 0.0, &mut z);
    for j in 0..q {
        let c = m[[p, j]];
        if c != 0.0 {
            z.column_mut(j).mapv_inplace(|v| v + c);
        }
    }
    let sign = if linfa_won_is_positive(y) { 1.0 } else { -1.0 };
    let u0 = l.t().dot(theta0) * sign;
    // |grad_θ| = |L grad_u| <= |L|_2 |grad_u|, and |L|_2^2 is H's largest eigenvalue.
    let l_norm = largest_eigenvalue(h).sqrt().max(1e-300);
    let targets: Array1<usize> = y.iter().map(|&v| v as usize).collect();
    let fitted = LogisticRegression::default()
        .alpha(0.0)
        .with_intercept(false)
        .gradient_tolerance(tol / l_norm)
        .max_iterations(max_iterations)
        .initial_params(u0)
        .fit(&DatasetBase::new(z.view(), targets));
    let Ok(fitted) = fitted else { return Ok(None) };
    let actual = if fitted.labels().pos.class == 1 { 1.0 } else { -1.0 };
    let u = fitted.params() * actual;
    let theta = m.dot(&u);
    Ok(theta.iter().all(|v| v.is_finite()).then_some(theta))
}

/// Norm of the gradient of the summed L2-penalised log loss (intercept not penalised).
pub fn gradient_norm(x: ArrayView2<f64>, y: &[bool], coef: &[f64], intercept: f64, alpha: f64) -> f64 {
    let w = Array1::from(coef.to_vec());
    let z = x.dot(&w) + intercept;
    let resid: Array1<f64> = z
        .iter()
        .zip(y)
        .map(|(&z, &y)| sigmoid(z) - y as u8 as f64)
        .collect();
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
    /// only the plain solver's polishing iterations.
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
        let fast = LogisticParams::default()
            .precondition_min_rows(1)
            .subsample_rows(2_000)
            .fit(x.view(), &y)
            .unwrap();
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
    fn preconditioned_solve_orients_coefficients_towards_won() {
        let (x, y) = data(20_000);
        let fast = LogisticParams::default()
            .precondition_min_rows(1)
            .subsample_rows(2_000)
            .fit(x.view(), &y)
            .unwrap();
        // Column 0 drives "won" up in the simulation; the intercept is well below 0.
        assert!(fast.coef[0] > 0.0 && fast.intercept < 0.0, "{:?} {}", fast.coef, fast.intercept);
    }
}
