//! The warnings a training run gives: possible leakage, no signal, a small training set,
//! probabilities off on average, a solver that did not converge. The texts are the data
//! of this file; [`of`] decides which apply from the run's evidence.

use super::{SampleSize, Warning, LEAK_AUC};
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
