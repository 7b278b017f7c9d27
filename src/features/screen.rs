//! Screening a wide export: which columns carry signal, before the fit.
//!
//! A CRM's all-property export has hundreds of columns, most of them sparse or unrelated
//! to buying; fitted all together they dilute the model (and slow the solver). After
//! the pipeline ([`super::FeatureParams::fit_transform`]) has read and fitted every
//! column's parts on the training rows, and before the design matrix is built, each
//! column is measured on the training rows only:
//!
//! - its cells become codes: a level part's levels, a number part's deciles (over the
//!   training rows' values), and "missing" as a code of its own, so that a column whose
//!   *presence* predicts keeps its place however sparse it is;
//! - each training row is scored by its code's win rate in the other four of five folds
//!   (rows in turn; smoothed towards the other folds' overall rate), and the column's
//!   cross-validated ROC AUC is that score's;
//! - a column is kept when that AUC is above 0.5 by at least `z` standard errors of an
//!   AUC under no signal (Hanley and McNeil's variance at AUC 0.5:
//!   `(n1 + n2 + 1) / (12 n1 n2)`), where `z` ([`bar`]) lets through [`NOISE_KEPT`] noise
//!   columns on average over all the columns measured (one-sided level
//!   `NOISE_KEPT / columns`, at most [`MAX_LEVEL`]). The bar rises with the width: with
//!   66 columns `z` is 2.43, with 400 it is 3.02, with 10,000 it is 3.89. A fixed `z` of
//!   3 (one noise column in 700 whatever the width) left out the synthetic events set's
//!   country (cross-validated ROC AUC 0.519 against a bar of 0.520), which the generator
//!   gives effects of -0.4 to +0.2, and its test ROC AUC fell by 0.0018 (issue 36);
//! - of two kept columns that say the same (numbers correlated at [`DUPLICATE_R`] or
//!   more, or levels that split the rows identically), the later is left out.
//!
//! Every decision is reported with its numbers ([`super::FitReport::screened`]). It runs
//! when the export is wide (more than [`AUTO_MIN_COLUMNS`] candidate columns, not counting
//! the activity log's aggregates, which are never screened) unless the analyst says
//! `--screen on` or `off`.

use super::column::{Cells, FittedCol};
use super::part::MISSING;

/// The noise columns screening lets through on average, over all the columns measured.
pub const NOISE_KEPT: f64 = 0.5;
/// The one-sided level of each column's test never exceeds this (narrow tables).
pub const MAX_LEVEL: f64 = 0.05;
/// Numbers correlated at least this much (in absolute value) are near-duplicates.
pub const DUPLICATE_R: f64 = 0.995;
/// `auto` screens a table with more candidate columns than this.
pub const AUTO_MIN_COLUMNS: usize = 40;
/// A column missing in more than this share of training rows is called sparse.
const SPARSE: f64 = 0.95;
const FOLDS: usize = 5;
/// Pseudo-rows pulling a code's rate towards the overall rate.
const SMOOTHING: f64 = 10.0;

/// Whether to screen columns before the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// When the table has more than [`AUTO_MIN_COLUMNS`] candidate columns.
    #[default]
    Auto,
    On,
    Off,
}

impl std::str::FromStr for Screen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Screen::Auto),
            "on" | "yes" | "true" => Ok(Screen::On),
            "off" | "no" | "false" => Ok(Screen::Off),
            other => Err(format!("unknown screening {other:?}; use auto, on or off")),
        }
    }
}

/// `--screen`'s value: the mode, and optionally a fixed bar in standard errors
/// (`auto:3` screens as `auto` does with the bar of 3 every width had before issue 36).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScreenSetting {
    pub mode: Screen,
    /// Standard errors above 0.5 a column's cross-validated AUC must reach; `None`: from
    /// the number of columns measured ([`bar`]).
    pub z: Option<f64>,
}

impl std::str::FromStr for ScreenSetting {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (mode, z) = match s.split_once(':') {
            Some((m, z)) => (m, Some(z)),
            None => (s, None),
        };
        let mode: Screen = mode.parse()?;
        let z = match z {
            None => None,
            Some(t) => match t.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 && mode != Screen::Off => Some(v),
                _ => {
                    return Err(format!(
                        "{s:?}: after the mode, :Z gives the bar in standard errors, a number above 0 \
                         (auto:3 or on:3; not with off)"
                    ))
                }
            },
        };
        Ok(ScreenSetting { mode, z })
    }
}

/// One column's measurement.
struct Measure {
    auc: f64,
    missing_share: f64,
}

/// For each fitted column (in order), `None` to keep it or the reason it is left out.
/// `rows` are the training rows (table indices) and `labels` their outcomes.
pub(super) fn screen(cols: &[FittedCol], rows: &[usize], labels: &[bool], z: Option<f64>) -> Vec<Option<String>> {
    let won = labels.iter().filter(|&&y| y).count() as f64;
    let lost = labels.len() as f64 - won;
    let se = ((won + lost + 1.0) / (12.0 * won.max(1.0) * lost.max(1.0))).sqrt();
    let needed = 0.5 + z.unwrap_or_else(|| bar(cols.len())) * se;
    let measures: Vec<Measure> = {
        use rayon::prelude::*;
        cols.par_iter().map(|c| measure(c, rows, labels)).collect()
    };
    let mut out: Vec<Option<String>> = measures
        .iter()
        .map(|m| {
            if m.auc >= needed {
                None
            } else if m.missing_share > SPARSE {
                Some(format!(
                    "sparse ({:.0}% missing) and neither its values nor its presence predict on the training rows \
                     (cross-validated ROC AUC {:.3}; screening keeps {:.3} or more)",
                    100.0 * m.missing_share,
                    m.auc,
                    needed
                ))
            } else {
                Some(format!(
                    "no signal on the training rows (cross-validated ROC AUC {:.3}; screening keeps {:.3} or more)",
                    m.auc, needed
                ))
            }
        })
        .collect();
    // Near-duplicates among the columns kept: the later one goes.
    let kept: Vec<usize> = (0..cols.len()).filter(|&i| out[i].is_none()).collect();
    for (a, &i) in kept.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        for &j in &kept[a + 1..] {
            if out[j].is_some() {
                continue;
            }
            if let Some(why) = duplicate(&cols[i], &cols[j], rows) {
                out[j] = Some(format!("a near-duplicate of {:?} ({why})", cols[i].column.name));
            }
        }
    }
    out
}

/// Standard errors above 0.5 a column's cross-validated AUC must reach when `columns`
/// columns are measured: the normal quantile of `1 - min(NOISE_KEPT / columns, MAX_LEVEL)`.
pub fn bar(columns: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let level = (NOISE_KEPT / columns.max(1) as f64).min(MAX_LEVEL);
    Normal::standard().inverse_cdf(1.0 - level)
}

/// The column's best cross-validated AUC over its parts, and its missing share.
fn measure(col: &FittedCol, rows: &[usize], labels: &[bool]) -> Measure {
    let mut auc: f64 = 0.0;
    let mut missing_share: f64 = 0.0;
    for cells in &col.cells {
        let (codes, k, missing) = codes(cells, rows);
        missing_share = missing_share.max(missing as f64 / rows.len().max(1) as f64);
        auc = auc.max(cross_validated_auc(&codes, k, labels));
    }
    Measure { auc, missing_share }
}

/// Each training row's code (`k` codes in all, missing the last) and the missing count.
fn codes(cells: &Cells, rows: &[usize]) -> (Vec<u32>, usize, usize) {
    match cells {
        Cells::Levels(v) => {
            let k = v.dict.len() as u32;
            let codes: Vec<u32> = rows.iter().map(|&i| if v.codes[i] == MISSING { k } else { v.codes[i] }).collect();
            let missing = codes.iter().filter(|&&c| c == k).count();
            (codes, k as usize + 1, missing)
        }
        Cells::Numbers(v) => {
            let mut present: Vec<f64> = rows.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
            present.sort_by(f64::total_cmp);
            let mut cuts: Vec<f64> = (1..10)
                .filter_map(|q| present.get((present.len() * q / 10).min(present.len().saturating_sub(1))).copied())
                .collect();
            cuts.dedup();
            let k = cuts.len() as u32 + 1; // bins; missing is code k
            let codes: Vec<u32> = rows
                .iter()
                .map(|&i| if v[i].is_nan() { k } else { cuts.partition_point(|&c| c < v[i]) as u32 })
                .collect();
            let missing = rows.len() - present.len();
            (codes, k as usize + 1, missing)
        }
    }
}

/// The ROC AUC of scoring each row by its code's smoothed win rate in the other folds
/// (rows assigned to folds in turn).
fn cross_validated_auc(codes: &[u32], k: usize, labels: &[bool]) -> f64 {
    let mut won = vec![[0u32; FOLDS]; k];
    let mut all = vec![[0u32; FOLDS]; k];
    let mut fold_won = [0u32; FOLDS];
    let mut fold_all = [0u32; FOLDS];
    for (j, (&c, &y)) in codes.iter().zip(labels).enumerate() {
        let f = j % FOLDS;
        won[c as usize][f] += y as u32;
        all[c as usize][f] += 1;
        fold_won[f] += y as u32;
        fold_all[f] += 1;
    }
    let total = |a: &[u32; FOLDS]| a.iter().sum::<u32>();
    let (tw, ta) = (total(&fold_won), total(&fold_all));
    let scores: Vec<f64> = codes
        .iter()
        .enumerate()
        .map(|(j, &c)| {
            let f = j % FOLDS;
            let prior = (tw - fold_won[f]) as f64 / (ta - fold_all[f]).max(1) as f64;
            let c = c as usize;
            let w = (total(&won[c]) - won[c][f]) as f64;
            let a = (total(&all[c]) - all[c][f]) as f64;
            (w + SMOOTHING * prior) / (a + SMOOTHING)
        })
        .collect();
    crate::metrics::roc_auc(&scores, labels).unwrap_or(0.5)
}

/// Why column `b` says what column `a` says, if it does: numbers correlated at
/// [`DUPLICATE_R`] or more, or levels splitting the training rows identically.
fn duplicate(a: &FittedCol, b: &FittedCol, rows: &[usize]) -> Option<String> {
    match (a.cells.first()?, b.cells.first()?) {
        (Cells::Numbers(x), Cells::Numbers(y)) => {
            let r = correlation(x, y, rows)?;
            (r.abs() >= DUPLICATE_R).then(|| format!("correlation {r:.4}"))
        }
        (Cells::Levels(x), Cells::Levels(y)) => {
            let (mut ab, mut ba) = (foldhash::HashMap::default(), foldhash::HashMap::default());
            let same = rows.iter().all(|&i| {
                let (p, q) = (x.codes[i], y.codes[i]);
                *ab.entry(p).or_insert(q) == q && *ba.entry(q).or_insert(p) == p
            });
            same.then(|| "the same levels on every training row".to_string())
        }
        _ => None,
    }
}

/// Pearson's correlation of two number columns over the training rows, a missing value
/// taken as its column's mean; `None` when either is constant.
fn correlation(x: &[f64], y: &[f64], rows: &[usize]) -> Option<f64> {
    let mean = |v: &[f64]| {
        let (s, n) = rows.iter().map(|&i| v[i]).filter(|z| !z.is_nan()).fold((0.0, 0usize), |(s, n), z| (s + z, n + 1));
        if n == 0 {
            0.0
        } else {
            s / n as f64
        }
    };
    let (mx, my) = (mean(x), mean(y));
    let get = |v: &[f64], m: f64, i: usize| if v[i].is_nan() { 0.0 } else { v[i] - m };
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &i in rows {
        let (a, b) = (get(x, mx, i), get(y, my, i));
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_keeps_half_a_noise_column_on_average_whatever_the_width() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let n = Normal::standard();
        for columns in [41, 66, 400, 10_000] {
            let z = bar(columns);
            let kept = columns as f64 * n.sf(z);
            assert!((kept - NOISE_KEPT).abs() < 1e-9, "{columns} columns: z {z}, {kept} noise columns kept");
        }
        assert!(
            (bar(66) - 2.43).abs() < 0.005 && (bar(400) - 3.02).abs() < 0.005 && (bar(10_000) - 3.89).abs() < 0.005
        );
        // Narrow tables (--screen on) test each column at 5%, not looser.
        assert!((n.sf(bar(3)) - MAX_LEVEL).abs() < 1e-9);
        assert!(bar(0).is_finite());
    }

    #[test]
    fn a_fixed_bar_is_written_after_the_mode() {
        let s: ScreenSetting = "auto:3".parse().unwrap();
        assert_eq!((s.mode, s.z), (Screen::Auto, Some(3.0)));
        let s: ScreenSetting = "on".parse().unwrap();
        assert_eq!((s.mode, s.z), (Screen::On, None));
        for bad in ["off:3", "auto:0", "auto:x", "auto:inf", "sometimes:3"] {
            assert!(bad.parse::<ScreenSetting>().is_err(), "{bad}");
        }
    }
}
