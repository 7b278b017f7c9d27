//! The logistic fit: linfa-logistic, with its traps handled.
//!
//! Called by [`crate::train`] on the standardised design matrix. linfa-logistic calls the
//! *more frequent* class positive (so with 10% buyers its coefficients point towards
//! "lost"), reports no iteration count, applies its gradient tolerance to the summed
//! gradient, and falls back to all-zero parameters when the solver returns nothing. This
//! module orients the coefficients towards "won", runs the solver in blocks of
//! [`BLOCK`] iterations (warm-started) so that it can count iterations and check
//! convergence itself, and refuses an all-zero answer.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ArrayView2, Axis, ShapeBuilder};

use crate::error::{Error, Result};
use crate::model::sigmoid;

/// Solver iterations per block; iteration counts are reported in these steps.
pub const BLOCK: u64 = 10;

/// Logistic regression settings, scikit-learn style: `alpha` is 1/C.
#[derive(Debug, Clone)]
pub struct LogisticParams {
    alpha: f64,
    max_iterations: u64,
    tolerance_per_row: f64,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            alpha: 1.0,
            max_iterations: 500,
            tolerance_per_row: 1e-4,
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
        let targets: Array1<usize> = y.iter().map(|&v| v as usize).collect();
        let tol = self.tolerance_per_row * n as f64;
        let dataset = DatasetBase::new(x, targets);
        // Parameters in linfa's orientation: [w..., intercept].
        let mut linfa_params: Option<Array1<f64>> = None;
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
        })
    }
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
}

/// Copy the given rows of `x` into a new column-major matrix (the layout the solver is
/// fastest on).
pub fn take_rows(x: &Array2<f64>, rows: &[usize]) -> Array2<f64> {
    let mut out = Array2::zeros((rows.len(), x.ncols()).f());
    for (j, col) in x.axis_iter(Axis(1)).enumerate() {
        let mut dst = out.column_mut(j);
        for (k, &i) in rows.iter().enumerate() {
            dst[k] = col[i];
        }
    }
    out
}
