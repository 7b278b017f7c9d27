//! `retrain` (issue 33): a challenger trained the champion's way on a newer history,
//! compared with the champion on leads neither was fitted on, and promoted only when it
//! is not worse.
//!
//! The comparison window is the labelled leads of the new history that the champion
//! never saw (by id, from the ids its record keeps). The challenger is measured as
//! `train` measures its holdout: fitted without the window, scored on it; if promoted it
//! gets the final fit on every row (its settings decide). Both are graded on the window:
//! ROC AUC with DeLong's paired test, PR AUC, calibration in the large and slope,
//! precision and recall at each one's threshold, and the buyers each puts in the top N
//! at equal capacity. The gate promotes only when every check passes:
//! - the window is large enough (at least [`MIN_WINDOW_ROWS`] leads and
//!   [`MIN_WINDOW_WON`] won), unless forced;
//! - the history still has every column the champion reads, and the challenger reads
//!   none the champion does not (the scoring feeds carry the champion's);
//! - the challenger's ROC AUC is not below the champion's by more than the margin: the
//!   one-sided 95% lower bound of the paired difference is above minus the margin;
//! - no leakage warning the champion did not have;
//! - the challenger is not flagged overfitted or without signal.
//!
//! Promotion goes through [`crate::history`] (the lock, the atomic switch, the
//! history kept).

use std::path::Path;

use serde::Serialize;

use crate::data::Table;
use crate::error::{Error, Result};
use crate::history;
use crate::metrics::CalibrationFit;
use crate::model::record::{TrainSettings, WarningKind};
use crate::model::LeadModel;
use crate::uncertainty::{auc_difference, auc_interval, AucDifference, AucInterval};

/// The smallest comparison window promoted without `--force`.
pub const MIN_WINDOW_ROWS: usize = 200;
pub const MIN_WINDOW_WON: usize = 30;
/// The default non-inferiority margin on ROC AUC.
pub const MARGIN: f64 = 0.005;
/// One-sided 95%.
const Z_ONE_SIDED: f64 = 1.644_853_626_951_472_2;

/// What `retrain` needs besides the history.
#[derive(Debug, Clone)]
pub struct RetrainParams {
    /// The champion's settings with any overrides.
    pub settings: TrainSettings,
    /// The overrides, one "--flag value" each, for the report.
    pub overrides: Vec<String>,
    pub margin: f64,
    pub force: bool,
    pub dry_run: bool,
    /// Versions the history keeps.
    pub keep: usize,
}

/// One model's figures on the window.
#[derive(Debug, Clone, Serialize)]
pub struct Graded {
    pub checksum: String,
    pub roc_auc: Option<AucInterval>,
    pub pr_auc: f64,
    pub calibration: Option<CalibrationFit>,
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub routed: usize,
    /// Buyers among its top `capacity` leads of the window.
    pub top_buyers: usize,
}

/// One check of the gate.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// What retrain decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Promoted,
    KeptChampion,
    /// `--dry-run`: every check passed, nothing written.
    WouldPromote,
}

/// The window of leads the champion never saw.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub rows: usize,
    pub won: usize,
    pub how: String,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct RetrainReport {
    pub model: String,
    pub decision: Decision,
    pub overrides: Vec<String>,
    pub window: Window,
    pub champion: Option<Graded>,
    pub challenger: Option<Graded>,
    /// Challenger minus champion, DeLong's paired test.
    pub difference: Option<AucDifference>,
    /// The one-sided 95% lower bound of the difference, against minus the margin.
    pub difference_lower_bound: Option<f64>,
    pub margin: f64,
    /// Leads at equal capacity: the champion's routed count on the window.
    pub capacity: usize,
    pub checks: Vec<Check>,
    pub switch: Option<history::Switch>,
    /// The challenger's training warnings.
    pub warnings: Vec<crate::train::Warning>,
}

impl RetrainReport {
    /// The reasons the champion was kept, one per failed check.
    pub fn reasons(&self) -> Vec<String> {
        self.checks.iter().filter(|c| !c.passed).map(|c| format!("{}: {}", c.check, c.detail)).collect()
    }
}

/// Train a challenger on `table` the champion's way and promote it at `model_path` when
/// the gate passes. `champion` is the live model (loaded under `lock`), `events` the
/// activity log when the settings read one. Returns the report and the challenger's
/// file bytes (when one was trained).
pub fn retrain(
    model_path: &Path,
    (champion, champion_sum): (&LeadModel, &str),
    table: &Table,
    events: Option<crate::events::EventLog>,
    params: &RetrainParams,
    lock: &history::Lock,
    progress: &mut dyn FnMut(&str),
) -> Result<(RetrainReport, Option<Vec<u8>>)> {
    let mut report = RetrainReport {
        model: model_path.display().to_string(),
        decision: Decision::KeptChampion,
        overrides: params.overrides.clone(),
        window: Window { rows: 0, won: 0, how: String::new() },
        champion: None,
        challenger: None,
        difference: None,
        difference_lower_bound: None,
        margin: params.margin,
        capacity: 0,
        checks: Vec::new(),
        switch: None,
        warnings: Vec::new(),
    };
    // 1. The columns: the history must still have what the champion reads.
    let event_cols: Vec<String> = champion.events.as_ref().map(|e| e.column_names()).unwrap_or_default();
    let missing: Vec<&str> = champion
        .features
        .input_columns()
        .into_iter()
        .filter(|c| !event_cols.iter().any(|e| e == c) && table.column(c).is_err())
        .collect();
    if !missing.is_empty() {
        report.checks.push(Check {
            check: "input columns",
            passed: false,
            detail: format!(
                "the history lacks {} that the champion reads ({}): the export changed; fix the export, or train a new \
                 model with `train`",
                if missing.len() == 1 { "a column" } else { "columns" },
                missing.join(", ")
            ),
        });
        return Ok((report, None));
    }
    // 2. The window: labelled leads the champion never saw.
    let seen = champion.record.as_ref().and_then(|r| r.seen.as_ref()).ok_or_else(|| {
        Error::usage(
            "retrain",
            "the champion does not record which leads it was fitted on (it has no id column, or was written before \
             leadscore kept them): retrain needs an id column to find the leads it never saw",
        )
    })?;
    let id_col = table.column(&seen.column)?;
    let ids = crate::features::text_cells(table, id_col)?;
    let (labels, _, _) = crate::data::read_label(table, &params.settings.label, params.settings.positive.as_deref())?;
    let window: Vec<usize> = (0..table.height())
        .filter(|&i| labels[i].is_some() && !ids.get(i).is_some_and(|id| seen.contains(id)))
        .collect();
    let won = window.iter().filter(|&&i| labels[i] == Some(true)).count();
    report.window = Window {
        rows: window.len(),
        won,
        how: format!(
            "labelled leads of {} whose {} the champion's fit did not see ({} seen)",
            table.path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
            seen.column,
            crate::format::count(seen.len())
        ),
    };
    let big_enough = window.len() >= MIN_WINDOW_ROWS && won >= MIN_WINDOW_WON;
    report.checks.push(Check {
        check: "window",
        passed: big_enough || params.force,
        detail: format!(
            "{} new labelled leads, {} won (at least {MIN_WINDOW_ROWS} and {MIN_WINDOW_WON} are needed to tell the \
             models apart{})",
            crate::format::count(window.len()),
            crate::format::count(won),
            if big_enough {
                ""
            } else if params.force {
                "; --force given"
            } else {
                "; --force promotes anyway"
            }
        ),
    });
    if !big_enough && !params.force {
        return Ok((report, None));
    }
    // 3. The challenger: measured on the window, then (by its settings) the final fit.
    let mut tp = crate::train::settings::params(&params.settings, events.clone())?;
    tp.holdout_rows = Some(window.clone());
    progress(&format!("training the challenger on {} rows, the window of {} held out", table.height(), window.len()));
    let outcome = crate::train::train(table, &tp, progress)?;
    let challenger = &outcome.model;
    let y = &outcome.holdout_labels;
    // 4. The champion on the same leads, as of the same date.
    progress("scoring the window with the champion");
    let as_of_day = challenger
        .features
        .as_of_day
        .or(champion.features.as_of_day)
        .unwrap_or(crate::features::cell::day_number(chrono::Utc::now().date_naive()));
    let champ_table;
    let t: &Table = match (&champion.events, events) {
        (Some(_), Some(log)) => {
            champ_table = crate::score::with_events(
                champion,
                table.clone(),
                Some(&log),
                crate::features::cell::from_day_number(as_of_day),
            )?;
            &champ_table
        }
        _ => table,
    };
    let all = crate::score::predict_table(champion, t, as_of_day)?.probability;
    let champ_probs: Vec<f64> = outcome.holdout_rows.iter().map(|&i| all[i]).collect();
    let chal_probs = &outcome.holdout_probs;
    let capacity = champ_probs.iter().filter(|&&p| p >= champion.threshold.value).count();
    report.capacity = capacity;
    let chal_bytes = crate::model_file::to_bytes(challenger)?;
    let chal_sum = crate::data::hex(&<sha2::Sha256 as sha2::Digest>::digest(&chal_bytes));
    report.champion = Some(grade(champion_sum, &champ_probs, y, champion.threshold.value, capacity));
    // The challenger's measured fit and its threshold, chosen on the window (its holdout).
    let chal_threshold = match challenger.record.as_ref().map(|r| &r.saved_fit) {
        Some(crate::model::record::SavedFit::Refit { measured_threshold, .. }) => *measured_threshold,
        _ => challenger.threshold.value,
    };
    report.challenger = Some(grade(&chal_sum, chal_probs, y, chal_threshold, capacity));
    report.difference = auc_difference(chal_probs, &champ_probs, y);
    report.warnings = outcome.warnings.clone();
    gate(&mut report, champion, &outcome, params);
    if report.checks.iter().all(|c| c.passed) {
        if params.dry_run {
            report.decision = Decision::WouldPromote;
        } else {
            progress("promoting the challenger");
            report.switch = Some(history::promote(model_path, &chal_bytes, params.keep, lock)?);
            report.decision = Decision::Promoted;
        }
    }
    Ok((report, Some(chal_bytes)))
}

/// The gate's checks after the window check.
fn gate(
    report: &mut RetrainReport,
    champion: &LeadModel,
    outcome: &crate::train::TrainOutcome,
    params: &RetrainParams,
) {
    let champ_cols: Vec<&str> = champion.features.input_columns();
    let new_cols: Vec<&str> =
        outcome.model.features.input_columns().into_iter().filter(|c| !champ_cols.contains(c)).collect();
    report.checks.push(Check {
        check: "input columns",
        passed: new_cols.is_empty(),
        detail: if new_cols.is_empty() {
            "the history has every column the champion reads, and the challenger reads no other".into()
        } else {
            format!(
                "the challenger reads {} the champion does not ({}): the leads scored today may not carry {}; \
                 --exclude {} keeps it to the champion's columns",
                if new_cols.len() == 1 { "a column" } else { "columns" },
                new_cols.join(", "),
                if new_cols.len() == 1 { "it" } else { "them" },
                new_cols.join(",")
            )
        },
    });
    let (passed, detail) = match &report.difference {
        Some(d) => {
            let lower = d.difference - Z_ONE_SIDED * d.se;
            report.difference_lower_bound = Some(lower);
            (
                lower > -params.margin,
                format!(
                    "ROC AUC challenger minus champion on the window {:+.4} (one-sided 95% lower bound {:+.4}, DeLong); \
                     the margin allows down to {:+.4}",
                    d.difference, lower, -params.margin
                ),
            )
        }
        None => (false, "the window lacks won or lost leads: ROC AUC cannot be compared".into()),
    };
    report.checks.push(Check { check: "not worse", passed, detail });
    let champ_leaks: Vec<String> = champion
        .record
        .as_ref()
        .map(|r| r.warnings.iter().filter(|w| w.kind == WarningKind::Leakage).map(|w| w.column.clone()).collect())
        .unwrap_or_default();
    let new_leaks: Vec<&str> = outcome
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::Leakage && !champ_leaks.contains(&w.column))
        .map(|w| w.column.as_str())
        .collect();
    report.checks.push(Check {
        check: "leakage",
        passed: new_leaks.is_empty(),
        detail: if new_leaks.is_empty() {
            "no leakage warning the champion did not have".into()
        } else {
            format!(
                "new leakage warning on {}: such a column is usually filled in after the sale; check the export, and \
                 --exclude it",
                new_leaks.join(", ")
            )
        },
    });
    let flags: Vec<&str> = outcome
        .warnings
        .iter()
        .filter(|w| matches!(w.kind, WarningKind::Overfitted | WarningKind::NoSignal))
        .map(|w| match w.kind {
            WarningKind::NoSignal => "no signal on the window",
            _ => "overfitted (small training set, calibration slope below 1)",
        })
        .collect();
    report.checks.push(Check {
        check: "overfitting",
        passed: flags.is_empty(),
        detail: if flags.is_empty() {
            "not flagged".into()
        } else {
            format!("the challenger is flagged: {}", flags.join("; "))
        },
    });
}

/// A model's figures on the window's leads.
fn grade(checksum: &str, p: &[f64], y: &[bool], threshold: f64, capacity: usize) -> Graded {
    let routed: Vec<usize> = (0..p.len()).filter(|&i| p[i] >= threshold).collect();
    let tp = routed.iter().filter(|&&i| y[i]).count();
    let won = y.iter().filter(|&&v| v).count();
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    Graded {
        checksum: checksum.to_string(),
        roc_auc: auc_interval(p, y),
        pr_auc: crate::metrics::summary(p, y).map_or(f64::NAN, |s| s.pr_auc),
        calibration: crate::metrics::calibration_fit(p, y),
        threshold,
        precision: if routed.is_empty() { 0.0 } else { tp as f64 / routed.len() as f64 },
        recall: if won == 0 { 0.0 } else { tp as f64 / won as f64 },
        routed: routed.len(),
        top_buyers: order.iter().take(capacity).filter(|&&i| y[i]).count(),
    }
}
