//! A model measured on labelled leads it did not train on: the numbers behind
//! `evaluate`, `threshold` and the report.
//!
//! Computes from probabilities and labels only (via [`crate::metrics`]): headline
//! metrics, calibration, the gains table by decile and by tier, the confusion matrix at
//! the model's threshold, and the curve as a table for plotting.

use polars::prelude::*;
use serde::Serialize;

use crate::data::Table;
use crate::error::{Error, Result};
use crate::metrics::{self, Band, CalibrationBin, CurvePoint};
use crate::model::LeadModel;
use crate::score::{labels_for, predict_table};

/// Counts at the threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
}

/// Everything `evaluate` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub rows: usize,
    pub rows_missing_label: usize,
    pub positives: usize,
    pub base_rate: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub ece: f64,
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub routed: usize,
    /// DeLong's standard error and 95% interval of the ROC AUC.
    pub roc_auc_se: Option<f64>,
    pub roc_auc_ci: Option<[f64; 2]>,
    /// The ROC AUC's interval holds 0.5: the model ranks these leads no better than chance.
    pub no_signal: bool,
    /// Bootstrap intervals of the PR AUC and of precision, recall and lift at the threshold.
    #[serde(flatten)]
    pub at: crate::uncertainty::AtThreshold,
    /// Calibration in the large and slope, with intervals.
    #[serde(flatten)]
    pub calibration_fit: Option<metrics::CalibrationFit>,
    pub confusion: Confusion,
    pub calibration: Vec<CalibrationBin>,
    pub bands: Vec<Band>,
    pub tiers: Vec<Band>,
    /// Score distribution of won and lost leads, 20 bins.
    pub histogram: Vec<metrics::HistBin>,
    /// The precision/recall/ROC curve the numbers above come from (for charts and CSV).
    #[serde(skip)]
    pub curve: Vec<CurvePoint>,
    /// The figures per value of a segment column (`--by`, or a segmented model's own),
    /// in value order, leads without a value last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_column: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentFigures>,
    /// The as-of date the leads were scored at, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<crate::as_of::AsOf>,
}

/// One segment's figures in an evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentFigures {
    /// The value (case-folded), or "(missing)".
    pub segment: String,
    /// Which weights scored it: the segment's update ("own", "recalibration",
    /// "intercept"), "global", or "global (not seen in training)".
    pub model: String,
    pub rows: usize,
    pub positives: usize,
    pub mean_probability: f64,
    pub roc_auc: Option<f64>,
    pub roc_auc_ci: Option<[f64; 2]>,
    pub no_signal: bool,
    pub routed: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// For a segmented model: the global model alone on the same leads, and the paired
    /// difference (segmented minus global, DeLong).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_roc_auc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_roc_auc_ci: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference_from_global: Option<crate::uncertainty::AucDifference>,
}

/// [`SegmentFigures`] of the labelled rows of `table` (probabilities `p`, labels `y`, in
/// the order [`labelled_predictions`] gives) by the values of `column`; `global`: the
/// global model's probabilities of the same leads, for a segmented model.
pub fn segment_figures(
    model: &LeadModel,
    table: &Table,
    p: &[f64],
    y: &[bool],
    column: &str,
    global: Option<&[f64]>,
) -> Result<Vec<SegmentFigures>> {
    let (rows, _) = labels_for(model, table)?;
    let keys = crate::segments::keys(table, column, &rows)?;
    let order = crate::segments::groups(&keys);
    let thr = model.threshold.value;
    let segs = model.segments.as_ref().filter(|s| s.column == column);
    Ok(order
        .into_iter()
        .map(|(key, idx)| {
            let (ps, ys): (Vec<f64>, Vec<bool>) = idx.iter().map(|&k| (p[k], y[k])).unzip();
            let positives = ys.iter().filter(|&&v| v).count();
            let routed = ps.iter().filter(|&&v| v >= thr).count();
            let found = ps.iter().zip(&ys).filter(|(&v, &w)| v >= thr && w).count();
            let auc = crate::uncertainty::auc_interval(&ps, &ys);
            let model_name = match segs {
                Some(_) => crate::segments::weights_name(model, key),
                None => "global".to_string(),
            };
            let g: Option<Vec<f64>> = global.map(|g| idx.iter().map(|&k| g[k]).collect());
            let g_auc = g.as_ref().and_then(|g| crate::uncertainty::auc_interval(g, &ys));
            SegmentFigures {
                global_roc_auc: g_auc.map(|a| a.roc_auc),
                global_roc_auc_ci: g_auc.map(|a| a.roc_auc_ci),
                difference_from_global: g.as_ref().and_then(|g| crate::uncertainty::auc_difference(&ps, g, &ys)),
                segment: key.unwrap_or("(missing)").to_string(),
                model: model_name,
                rows: ps.len(),
                positives,
                mean_probability: ps.iter().sum::<f64>() / ps.len().max(1) as f64,
                roc_auc: auc.map(|a| a.roc_auc),
                roc_auc_ci: auc.map(|a| a.roc_auc_ci),
                no_signal: auc.is_some_and(|a| a.includes_chance()),
                routed,
                precision: (routed > 0).then(|| found as f64 / routed as f64),
                recall: (positives > 0).then(|| found as f64 / positives as f64),
            }
        })
        .collect())
}

/// The figures per value of `column` ([`segment_figures`]), with the global model's
/// beside a segmented model's: the probabilities `p` of `model` and the labels `y` of the
/// labelled rows of `table`, scored as of `as_of_day`.
pub fn by_segment(
    model: &LeadModel,
    table: &Table,
    as_of_day: i64,
    p: &[f64],
    y: &[bool],
    column: &str,
) -> Result<Vec<SegmentFigures>> {
    let global = match &model.segments {
        Some(_) => {
            let g = LeadModel { segments: None, ..model.clone() };
            Some(labelled_predictions(&g, table, as_of_day)?.0)
        }
        None => None,
    };
    segment_figures(model, table, p, y, column, global.as_deref())
}

/// Probabilities and labels of the labelled rows of `table`.
pub fn labelled_predictions(model: &LeadModel, table: &Table, as_of_day: i64) -> Result<(Vec<f64>, Vec<bool>, usize)> {
    let (rows, y) = labels_for(model, table)?;
    let scored = predict_table(model, table, as_of_day)?;
    let p: Vec<f64> = rows.iter().map(|&i| scored.probability[i]).collect();
    Ok((p, y, table.height() - rows.len()))
}

/// What `evaluate` and the report measure: `table`'s labelled leads predicted as of
/// `as_of`, measured (`what` names them), and per segment of `by` (else of the model's own
/// segment column, if it has one).
pub fn evaluate_table(
    model: &LeadModel,
    table: &Table,
    as_of: crate::as_of::AsOf,
    what: &str,
    by: Option<&str>,
    bootstrap: crate::uncertainty::Bootstrap,
) -> Result<Evaluation> {
    let (p, y, missing) = labelled_predictions(model, table, as_of.day())?;
    let mut ev = evaluate_predictions(model, &p, &y, missing, what, bootstrap)?;
    ev.as_of = Some(as_of);
    if let Some(col) = by.map(str::to_string).or_else(|| model.segments.as_ref().map(|s| s.column.clone())) {
        ev.segments = by_segment(model, table, as_of.day(), &p, &y, &col)?;
        ev.segment_column = Some(col);
    }
    Ok(ev)
}

/// Measure `model` on probabilities `p` with labels `y`.
pub fn evaluate_predictions(
    model: &LeadModel,
    p: &[f64],
    y: &[bool],
    missing: usize,
    what: &str,
    bootstrap: crate::uncertainty::Bootstrap,
) -> Result<Evaluation> {
    let summary = metrics::summary(p, y).ok_or_else(|| {
        let won = y.iter().filter(|&&v| v).count();
        Error::data(
            what,
            format!("the labelled rows have {won} won and {} lost leads; evaluation needs both", y.len() - won),
        )
    })?;
    let (calibration, ece) = metrics::calibration(p, y, 10);
    let thr = model.threshold.value;
    let curve = metrics::curve(p, y);
    let at = point_at(&curve, thr, y);
    let tiers = &model.tiers;
    // Tiers best first.
    let k = tiers.names.len();
    let group: Vec<usize> = p.iter().map(|&v| k - 1 - tiers.index(v)).collect();
    let names: Vec<String> = tiers.names.iter().rev().cloned().collect();
    let auc = crate::uncertainty::auc_interval(p, y);
    Ok(Evaluation {
        roc_auc_se: auc.map(|a| a.roc_auc_se),
        roc_auc_ci: auc.map(|a| a.roc_auc_ci),
        no_signal: auc.is_some_and(|a| a.includes_chance()),
        at: crate::uncertainty::at_threshold(p, y, thr, bootstrap),
        calibration_fit: metrics::calibration_fit(p, y),
        rows: summary.rows,
        rows_missing_label: missing,
        positives: summary.positives,
        base_rate: summary.base_rate,
        roc_auc: summary.roc_auc,
        pr_auc: summary.pr_auc,
        log_loss: summary.log_loss,
        brier: summary.brier,
        ece,
        threshold: thr,
        precision: at.precision(),
        recall: at.recall(),
        f1: at.f_beta(1.0),
        routed: at.routed(),
        confusion: Confusion {
            true_positives: at.tp,
            false_positives: at.fp,
            false_negatives: at.fn_,
            true_negatives: at.tn,
        },
        calibration,
        bands: metrics::deciles(p, y),
        tiers: metrics::bands(p, y, &group, &names),
        histogram: metrics::histogram(p, y, 20),
        curve,
        segment_column: None,
        segments: Vec::new(),
        as_of: None,
    })
}

/// Counts when everything with probability >= `thr` is routed.
pub fn point_at(curve: &[CurvePoint], thr: f64, y: &[bool]) -> CurvePoint {
    let pos = y.iter().filter(|&&v| v).count();
    let neg = y.len() - pos;
    curve.iter().take_while(|c| c.threshold >= thr).last().copied().unwrap_or(CurvePoint {
        threshold: thr,
        tp: 0,
        fp: 0,
        fn_: pos,
        tn: neg,
    })
}

/// The curve as a table file (CSV or Parquet, by `path`'s extension): what `--curves` writes.
pub fn write_curve(curve: &[CurvePoint], path: &std::path::Path) -> Result<()> {
    crate::data::write_table(&mut curve_frame(curve)?, path)
}

/// The curve as a table: threshold, precision, recall, fpr, tpr, routed.
pub fn curve_frame(curve: &[CurvePoint]) -> Result<DataFrame> {
    let cols = vec![
        Column::new("threshold".into(), curve.iter().map(|c| c.threshold).collect::<Vec<_>>()),
        Column::new("precision".into(), curve.iter().map(|c| c.precision()).collect::<Vec<_>>()),
        Column::new("recall".into(), curve.iter().map(|c| c.recall()).collect::<Vec<_>>()),
        Column::new("fpr".into(), curve.iter().map(|c| c.fpr()).collect::<Vec<_>>()),
        Column::new("tpr".into(), curve.iter().map(|c| c.recall()).collect::<Vec<_>>()),
        Column::new("routed".into(), curve.iter().map(|c| c.routed() as u64).collect::<Vec<_>>()),
    ];
    DataFrame::new(curve.len(), cols).map_err(|e| Error::Internal(format!("curve table: {e}")))
}

/// Indices of curve points around `center`, for the threshold table: the point itself
/// and neighbours at growing distances on each side.
pub fn neighbourhood(len: usize, center: usize) -> Vec<usize> {
    let mut idx = vec![center];
    for d in [1usize, 2, 5, 10, 25, 50, 100, 250, 500, 1000] {
        if center >= d {
            idx.push(center - d);
        }
        if center + d < len {
            idx.push(center + d);
        }
    }
    idx.sort_unstable();
    idx.dedup();
    idx
}
