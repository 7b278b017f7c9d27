//! The calibration map (issue 17): log-odds to probability, as every scoring path turns
//! a lead's log-odds into its probability.
//!
//! Sits between the per-lead arithmetic ([`crate::score::row`]: cells to log-odds) and
//! everything that reads a probability (tiers, the decision, the threshold, metrics). It
//! is fitted by `train --calibrate` on the held-out rows, after the model:
//!
//! - `none`: the logistic function, as the model was fitted;
//! - `platt`: the logistic function of `a + b z` (Platt scaling);
//! - `isotonic`: pool-adjacent-violators on the held-out rows, kept strictly increasing
//!   so that the ranking does not change: linear between the pooled blocks' centres,
//!   and beyond the first and last centre a tail proportional to the logistic function,
//!   so it never reaches 0 or 1 and never ties leads the model told apart. Only from
//!   [`ISOTONIC_MIN_ROWS`] held-out rows;
//! - `auto`: the one of these with the lowest cross-validated log loss on the held-out
//!   rows (5 folds, seeded).
//!
//! The map is stored with the model and applied by [`Calibration::probability`] in the
//! row scorer, the fast CSV scorer and the in-memory paths, and written as SQL by
//! [`Calibration::sql`] for `export-sql`.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::sigmoid;

/// Held-out rows needed before an isotonic map is fitted.
pub const ISOTONIC_MIN_ROWS: usize = 1000;
/// Folds of the cross-validation `auto` chooses by.
pub const FOLDS: usize = 5;

/// A fitted calibration map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Calibration {
    #[default]
    None,
    Platt {
        a: f64,
        b: f64,
    },
    /// Knots: strictly increasing log-odds `z` and probabilities `p`.
    Isotonic {
        z: Vec<f64>,
        p: Vec<f64>,
    },
}

/// What `--calibrate` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    None,
    Platt,
    Isotonic,
    Auto,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(Method::None),
            "platt" => Ok(Method::Platt),
            "isotonic" => Ok(Method::Isotonic),
            "auto" => Ok(Method::Auto),
            _ => Err(format!("{s:?} is not a calibration: use none, platt, isotonic or auto")),
        }
    }
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::None => "none",
            Method::Platt => "platt",
            Method::Isotonic => "isotonic",
            Method::Auto => "auto",
        }
    }
}

impl Calibration {
    /// The probability of a lead with log-odds `z`.
    pub fn probability(&self, z: f64) -> f64 {
        match self {
            Calibration::None => sigmoid(z),
            Calibration::Platt { a, b } => sigmoid(a + b * z),
            Calibration::Isotonic { z: k, p } => {
                let last = k.len() - 1;
                if z <= k[0] {
                    p[0] * sigmoid(z) / sigmoid(k[0])
                } else if z >= k[last] {
                    1.0 - (1.0 - p[last]) * sigmoid(-z) / sigmoid(-k[last])
                } else {
                    // The segment k[i] <= z < k[i + 1].
                    let i = k.partition_point(|&x| x <= z) - 1;
                    p[i] + (z - k[i]) * ((p[i + 1] - p[i]) / (k[i + 1] - k[i]))
                }
            }
        }
    }

    pub fn method(&self) -> Method {
        match self {
            Calibration::None => Method::None,
            Calibration::Platt { .. } => Method::Platt,
            Calibration::Isotonic { .. } => Method::Isotonic,
        }
    }

    /// In words, for summaries.
    pub fn describe(&self) -> String {
        match self {
            Calibration::None => "none (the logistic function of the log-odds)".into(),
            Calibration::Platt { a, b } => format!("Platt: logistic({a:.4} + {b:.4} x log-odds)"),
            Calibration::Isotonic { z, .. } => format!("isotonic, {} knots, strictly increasing", z.len()),
        }
    }

    /// The SQL for the probability of log-odds `z` (an expression of a non-null
    /// column), with `float` writing a literal: the same arithmetic, in the same order,
    /// as [`Self::probability`].
    pub fn sql(&self, z: &str, float: &dyn Fn(f64) -> String) -> String {
        let sig = |e: &str| {
            format!("(CASE WHEN ({e}) >= 0 THEN 1.0 / (1.0 + EXP(-({e}))) ELSE EXP({e}) / (1.0 + EXP({e})) END)")
        };
        match self {
            Calibration::None => sig(z),
            Calibration::Platt { a, b } => sig(&format!("{} + {} * {z}", float(*a), float(*b))),
            Calibration::Isotonic { z: k, p } => {
                let last = k.len() - 1;
                let mut s = format!(
                    "CASE WHEN {z} <= {} THEN {} * {} / {}",
                    float(k[0]),
                    float(p[0]),
                    sig(z),
                    float(sigmoid(k[0]))
                );
                s.push_str(&format!(
                    " WHEN {z} >= {} THEN 1.0 - {} * {} / {}",
                    float(k[last]),
                    float(1.0 - p[last]),
                    sig(&format!("-({z})")),
                    float(sigmoid(-k[last]))
                ));
                for i in 0..last {
                    s.push_str(&format!(
                        " WHEN {z} < {} THEN {} + ({z} - {}) * {}",
                        float(k[i + 1]),
                        float(p[i]),
                        float(k[i]),
                        float((p[i + 1] - p[i]) / (k[i + 1] - k[i]))
                    ));
                }
                s + " END"
            }
        }
    }
}

/// Platt scaling of log-odds `z` against `y`.
fn fit_platt(z: &[f64], y: &[bool]) -> Option<Calibration> {
    let ([a, b], _) = crate::metrics::logistic_fit_1d(z, y)?;
    // A map that reverses or flattens the ranking is not a calibration.
    (b > 0.0).then_some(Calibration::Platt { a, b })
}

/// The isotonic map of log-odds `z` against `y` (see the module's comment).
fn fit_isotonic(z: &[f64], y: &[bool]) -> Option<Calibration> {
    let n = z.len();
    if n == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| z[a].total_cmp(&z[b]));
    // Blocks: (sum of z, sum of y, count), tied log-odds always in one block.
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
    let mut last_z = f64::NAN;
    for &i in &idx {
        let (zi, yi) = (z[i], y[i] as u8 as f64);
        match blocks.last_mut() {
            Some(b) if zi == last_z => {
                b.0 += zi;
                b.1 += yi;
                b.2 += 1.0;
            }
            _ => blocks.push((zi, yi, 1.0)),
        }
        last_z = zi;
        // Pool while the previous block's rate is not below this one's.
        while blocks.len() >= 2 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.1 / a.2 >= b.1 / b.2 {
                blocks.pop();
                if let Some(t) = blocks.last_mut() {
                    t.0 += b.0;
                    t.1 += b.1;
                    t.2 += b.2;
                }
            } else {
                break;
            }
        }
    }
    let eps = 1.0 / (2.0 * n as f64);
    let k: Vec<f64> = blocks.iter().map(|b| b.0 / b.2).collect();
    let p: Vec<f64> = blocks.iter().map(|b| (b.1 / b.2).clamp(eps, 1.0 - eps)).collect();
    // Strictly increasing in both (pooling leaves strictly increasing rates; a block's
    // centre lies between its neighbours'); anything else is not kept.
    let strict = k.windows(2).all(|w| w[0] < w[1]) && p.windows(2).all(|w| w[0] < w[1]);
    strict.then_some(Calibration::Isotonic { z: k, p })
}

/// Fit `method` on log-odds `z` and labels `y` (`None` for a method that does not fit).
fn fit_one(method: Method, z: &[f64], y: &[bool]) -> Option<Calibration> {
    match method {
        Method::None | Method::Auto => Some(Calibration::None),
        Method::Platt => fit_platt(z, y),
        Method::Isotonic => fit_isotonic(z, y),
    }
}

/// How `auto` chose.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub asked: Method,
    pub chosen: Method,
    /// Each candidate's mean log loss over the folds (`auto` only).
    pub cv_log_loss: Vec<(Method, f64)>,
    pub rows: usize,
}

/// Fit the calibration `method` asks for on the held-out log-odds `z` and labels `y`.
pub fn fit(method: Method, z: &[f64], y: &[bool], seed: u64) -> Result<(Calibration, Choice)> {
    let n = z.len();
    let refuse = |m: String| Error::usage("--calibrate", m);
    if method == Method::Isotonic && n < ISOTONIC_MIN_ROWS {
        return Err(refuse(format!(
            "isotonic calibration needs at least {ISOTONIC_MIN_ROWS} held-out rows; the holdout has {n} (use platt, or a larger --holdout)"
        )));
    }
    let mut choice = Choice { asked: method, chosen: method, cv_log_loss: Vec::new(), rows: n };
    let chosen = match method {
        Method::Auto => {
            let mut candidates = vec![Method::None, Method::Platt];
            if n >= ISOTONIC_MIN_ROWS {
                candidates.push(Method::Isotonic);
            }
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            let mut fold = vec![0usize; n];
            for (pos, &i) in order.iter().enumerate() {
                fold[i] = pos % FOLDS;
            }
            let mut best = (Method::None, f64::INFINITY);
            for m in candidates {
                let mut total = 0.0;
                let mut ok = true;
                for f in 0..FOLDS {
                    let (mut zt, mut yt, mut zv, mut yv) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                    for i in 0..n {
                        if fold[i] == f {
                            zv.push(z[i]);
                            yv.push(y[i]);
                        } else {
                            zt.push(z[i]);
                            yt.push(y[i]);
                        }
                    }
                    match fit_one(m, &zt, &yt) {
                        Some(c) => {
                            let p: Vec<f64> = zv.iter().map(|&v| c.probability(v)).collect();
                            total += crate::metrics::log_loss(&p, &yv) * zv.len() as f64;
                        }
                        None => ok = false,
                    }
                }
                if ok {
                    let mean = total / n as f64;
                    choice.cv_log_loss.push((m, mean));
                    // Simpler maps win ties.
                    if mean < best.1 - 1e-12 {
                        best = (m, mean);
                    }
                }
            }
            best.0
        }
        m => m,
    };
    choice.chosen = chosen;
    let c = fit_one(chosen, z, y).ok_or_else(|| {
        Error::Fit(format!(
            "the {} calibration could not be fitted on the {n} held-out rows (the model's log-odds do not separate them); use --calibrate none",
            chosen.name()
        ))
    })?;
    Ok((c, choice))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_map_is_strictly_increasing_everywhere() {
        let z: Vec<f64> = (0..2000).map(|i| (i as f64 - 1000.0) / 200.0).collect();
        let y: Vec<bool> = (0..2000).map(|i| (i * 7919) % 13 < (i * 13) / 2000).collect();
        let c = fit_isotonic(&z, &y).unwrap();
        let grid: Vec<f64> = (0..4000).map(|i| (i as f64 - 2000.0) / 150.0).collect();
        let p: Vec<f64> = grid.iter().map(|&v| c.probability(v)).collect();
        assert!(p.windows(2).all(|w| w[0] < w[1]), "not strictly increasing");
        assert!(p.iter().all(|&v| v > 0.0 && v < 1.0));
    }
}
