//! The warnings a training run gives: possible leakage (a column that separates won from
//! lost by its values, by having almost-always-won levels or by being filled, a column
//! named like a CRM property set after the sale, a holdout too good to be true), no
//! signal, a small training set, probabilities off on average, a solver that did not
//! converge. The texts are the data
//! of this file; [`of`] decides which apply from the run's evidence.

use super::{SampleSize, Warning, LEAK_AUC};

/// A column named like a property set after the sale is warned about from this
/// single-column ROC AUC on (from its values or from whether it is filled).
pub const NAMED_LEAK_AUC: f64 = 0.6;
/// A holdout ROC AUC above this is itself a warning: in lead scoring it is almost never
/// real.
pub const TOO_GOOD_AUC: f64 = 0.98;
use crate::features::FitReport;
use crate::fit::FittedLogistic;
use crate::metrics::CalibrationFit;
use crate::model::record::WarningKind;
use crate::uncertainty::AucInterval;

/// What the warnings are decided from.
pub(super) struct Evidence<'a> {
    pub fit_report: &'a FitReport,
    pub holdout_auc: Option<AucInterval>,
    pub sample_size: &'a SampleSize,
    pub holdout_calibration: Option<CalibrationFit>,
    pub holdout_probs: &'a [f64],
    pub holdout_labels: &'a [bool],
    pub fitted: &'a FittedLogistic,
    /// Design columns.
    pub width: usize,
}

/// The warnings that apply, in the order the summary shows them.
pub(super) fn of(e: &Evidence) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (col, auc) in &e.fit_report.single_column_auc {
        if *auc > LEAK_AUC {
            warnings.push(Warning {
                kind: WarningKind::Leakage,
                column: col.clone(),
                message: format!(
                    "possible leakage: this column alone separates won from lost with ROC AUC {auc:.3} on the training rows; it is often filled in after the sale (a stage, a status, a sales note). Check it, and --exclude it if so"
                ),
            });
        }
    }
    for pure in &e.fit_report.pure_levels {
        if warnings.iter().any(|w| w.column == pure.column) {
            continue;
        }
        let shown: Vec<String> =
            pure.levels.iter().take(5).map(|(l, n, r)| format!("{l:?} ({n} rows, {:.0}% won)", 100.0 * r)).collect();
        warnings.push(Warning {
            kind: WarningKind::Leakage,
            column: pure.column.clone(),
            message: format!(
                "possible leakage: the values {} are almost always won and hold {:.0}% of all won leads; such a column is often filled in after the sale (a stage, a status, a sales note). Check it, and --exclude it if so",
                shown.join(", "),
                100.0 * pure.share_of_won
            ),
        });
    }
    for f in &e.fit_report.filled {
        let auc = f.auc();
        if auc > LEAK_AUC && !warnings.iter().any(|w| w.column == f.column) {
            let (won, lost) = f.shares();
            warnings.push(Warning {
                kind: WarningKind::Leakage,
                column: f.column.clone(),
                message: format!(
                    "possible leakage: whether this column is filled separates won from lost with ROC AUC {auc:.3} on the training rows: it is filled for {:.0}% of won leads and {:.0}% of lost ones. A date or an amount that is set when a deal closes does this. Check it, and --exclude it if so",
                    100.0 * won,
                    100.0 * lost
                ),
            });
        }
    }
    // Columns whose names say they are set during or after the sale: named with their
    // strength even when they leak only in part.
    for (col, values_auc) in &e.fit_report.single_column_auc {
        let Some(why) = crate::keywords::after_the_sale(col) else { continue };
        if warnings.iter().any(|w| &w.column == col) {
            continue;
        }
        let filled = e.fit_report.filled.iter().find(|f| &f.column == col);
        let filled_auc = filled.map_or(0.5, |f| f.auc());
        let strength = values_auc.max(filled_auc);
        if strength < NAMED_LEAK_AUC {
            continue;
        }
        let how = match filled.filter(|_| filled_auc > *values_auc) {
            Some(f) => {
                let (won, lost) = f.shares();
                format!(
                    "whether it is filled separates won from lost with ROC AUC {filled_auc:.3} (filled for {:.0}% of won leads, {:.0}% of lost)",
                    100.0 * won,
                    100.0 * lost
                )
            }
            None => format!("alone it separates won from lost with ROC AUC {values_auc:.3}"),
        };
        warnings.push(Warning {
            kind: WarningKind::Leakage,
            column: col.clone(),
            message: format!(
                "possible leakage, at least in part: a CRM property by this name is set during or after the sale ({why}), and on the training rows {how}. --exclude it unless its value was recorded before the outcome was known"
            ),
        });
    }
    if let Some(a) = e.holdout_auc.filter(|a| a.roc_auc > TOO_GOOD_AUC) {
        warnings.push(Warning {
            kind: WarningKind::Leakage,
            column: String::new(),
            message: format!(
                "a holdout ROC AUC of {:.3} is almost never real in lead scoring, where good models reach 0.75 to 0.90: most likely a column gives the outcome away (see the largest coefficients and any leakage warning), or the holdout repeats training rows. Do not route leads by this model until you have found out why",
                a.roc_auc
            ),
        });
    }
    if let Some(a) = e.holdout_auc.filter(|a| a.includes_chance()) {
        warnings.push(Warning {
            kind: WarningKind::NoSignal,
            column: String::new(),
            message: format!(
                "no signal: the holdout ROC AUC is {:.3} (95% interval {:.3} to {:.3}), which includes 0.5: on these \
                 data the model ranks leads no better than chance, and routing by it would be arbitrary. Check the \
                 label, add columns that carry signal, or collect more won and lost leads",
                a.roc_auc, a.roc_auc_ci[0], a.roc_auc_ci[1]
            ),
        });
    } else if e.sample_size.too_small() && e.holdout_calibration.is_none_or(|c| c.calibration_slope_ci[1] < 1.0) {
        warnings.push(Warning {
            kind: WarningKind::Overfitted,
            column: String::new(),
            message: match e.sample_size.min_rows {
                Some(need) => format!(
                    "small training set for {} features: {} training rows, where Riley et al.'s criterion for an \
                     expected shrinkage of 0.9 asks for {:.0} at this model's explained variation (Cox-Snell R² {:.3} \
                     on the holdout), and the holdout's calibration slope is {:.2}, below 1 beyond its interval: the \
                     probabilities are too extreme, the mark of an overfitted model. Fewer columns (--exclude), a larger --alpha, or more won and lost \
                     leads make it safer",
                    e.width,
                    e.sample_size.train_rows,
                    need.ceil(),
                    e.sample_size.r2_cox_snell,
                    e.holdout_calibration.map_or(f64::NAN, |c| c.calibration_slope)
                ),
                None => format!(
                    "small training set for {} features: on the holdout the model's ranking explains nothing \
                     (Cox-Snell R² {:.3} even recalibrated), the mark of an overfitted model: {} training rows do not \
                     support {} features by Riley et al.'s criterion. Fewer columns (--exclude), a larger --alpha, or \
                     more won and lost leads make it safer",
                    e.width, e.sample_size.r2_cox_snell, e.sample_size.train_rows, e.width
                ),
            },
        });
    }
    if let Some(c) = e.holdout_calibration.filter(|c| {
        c.calibration_in_the_large.abs() >= 0.2
            && (c.calibration_in_the_large_ci[0] > 0.0 || c.calibration_in_the_large_ci[1] < 0.0)
    }) {
        let mean_p = e.holdout_probs.iter().sum::<f64>() / e.holdout_probs.len().max(1) as f64;
        let won = e.holdout_labels.iter().filter(|&&y| y).count() as f64 / e.holdout_labels.len().max(1) as f64;
        warnings.push(Warning {
            kind: WarningKind::Calibration,
            column: String::new(),
            message: format!(
                "the probabilities are off on average on the holdout: {:.1}% predicted against {:.1}% won (calibration in \
                 the large {:+.2}, 95% CI {:+.2} to {:+.2}); with a holdout of the most recent leads this is the won share \
                 moving over time. The ranking still holds (ROC AUC above), but probabilities, tiers and the threshold are \
                 shifted: retrain on recent leads, or fit a map on the held-out rows with --calibrate platt",
                100.0 * mean_p,
                100.0 * won,
                c.calibration_in_the_large,
                c.calibration_in_the_large_ci[0],
                c.calibration_in_the_large_ci[1]
            ),
        });
    }
    if !e.fitted.converged {
        warnings.push(Warning {
            kind: WarningKind::NotConverged,
            column: String::new(),
            message: format!(
                "the solver did not converge in {} iterations (gradient norm {:.3e}, tolerance {:.3e}); raise --max-iter or --alpha",
                e.fitted.iterations, e.fitted.gradient_norm, e.fitted.tolerance
            ),
        });
    }
    warnings
}
