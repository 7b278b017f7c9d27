//! What `train --json` prints: a training run's figures as one serialisable struct.
//!
//! The fields are declared in alphabetical order, at every level, because the JSON has
//! always listed its keys that way (it went through `serde_json::Value`, whose maps are
//! sorted); [`TrainSummary::to_value`] keeps that for the library structs nested inside.

use serde::Serialize;

use super::TrainOutcome;
use crate::calibrate::Method;
use crate::features::{Resolution, Skipped};
use crate::metrics::CalibrationFit;
use crate::resolution::RESOLUTION_LEVEL;
use crate::segments::{SegmentCheck, LEVEL};
use crate::uncertainty::Bootstrap;

/// A training run's figures, as `train --json` prints them.
#[derive(Debug, Serialize)]
pub struct TrainSummary<'a> {
    pub alpha: f64,
    pub alpha_search: Vec<AlphaTried>,
    pub as_of: Option<crate::as_of::AsOf>,
    pub calibration_map: CalibrationMap,
    pub columns_left_out: &'a [Skipped],
    pub columns_screened_out: &'a [Skipped],
    pub columns_used: Vec<ColumnUsed>,
    pub converged: bool,
    pub cv_roc_auc: &'a [f64],
    pub encoding: Option<crate::encoding::Detected>,
    pub events: Option<&'a crate::events::EventReport>,
    pub features: usize,
    pub holdout: Option<Holdout>,
    pub iterations: u64,
    pub positive_value: &'a str,
    pub positives: usize,
    pub preconditioned: bool,
    pub resolution: Option<ResolutionSummary>,
    /// How the pairwise interactions were chosen (`--interactions`; absent when off).
    pub interactions: Option<&'a super::interactions::InteractionChoice>,
    pub rows: usize,
    pub rows_missing_label: usize,
    pub sample: Option<Sample>,
    pub sample_size: &'a super::SampleSize,
    /// Which fit the file holds: the measured one, or the final fit on every labelled row.
    pub saved_fit: Option<SavedFitSummary<'a>>,
    pub screening: bool,
    pub segments: Option<SegmentsSummary<'a>>,
    pub single_column_roc_auc: Vec<ColumnAuc>,
    pub threshold: f64,
    pub threshold_precision: f64,
    pub threshold_recall: f64,
    pub threshold_routed: usize,
    pub threshold_strategy: &'a str,
    pub top_coefficients: Vec<Coefficient>,
    pub train_rows: usize,
    pub warnings: &'a [super::Warning],
}

#[derive(Debug, Serialize)]
pub struct SavedFitSummary<'a> {
    pub fit: &'a crate::model::record::SavedFit,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct AlphaTried {
    pub alpha: f64,
    pub cv_roc_auc: f64,
}

#[derive(Debug, Serialize)]
pub struct CalibrationMap {
    pub asked: Method,
    pub cv_log_loss: Vec<MethodLoss>,
    pub held_out_rows: usize,
    pub map: String,
    pub method: Method,
}

#[derive(Debug, Serialize)]
pub struct MethodLoss {
    pub log_loss: f64,
    pub method: Method,
}

#[derive(Debug, Serialize)]
pub struct ColumnUsed {
    pub column: String,
    pub format: Option<String>,
    pub role: &'static str,
}

/// The holdout's figures with their intervals.
#[derive(Debug, Serialize)]
pub struct Holdout {
    pub bootstrap: Bootstrap,
    pub brier: f64,
    pub calibration: Option<CalibrationFit>,
    pub lift: f64,
    pub lift_ci: [f64; 2],
    pub log_loss: f64,
    pub method: Option<String>,
    pub positives: usize,
    pub pr_auc: f64,
    pub pr_auc_ci: [f64; 2],
    pub precision_ci: [f64; 2],
    pub recall_ci: [f64; 2],
    pub roc_auc: f64,
    pub roc_auc_ci: Option<[f64; 2]>,
    pub roc_auc_includes_chance: Option<bool>,
    pub roc_auc_se: Option<f64>,
    pub rows: usize,
}

#[derive(Debug, Serialize)]
pub struct ResolutionSummary {
    pub chosen: Resolution,
    pub cv_log_loss: Vec<Candidate>,
    pub folds: usize,
    pub level: f64,
    pub rows: usize,
    pub scheme: String,
    pub text: String,
}

/// One candidate resolution's cross-validated figures against the steps.
#[derive(Debug, Serialize)]
pub struct Candidate {
    pub fold_log_loss: Vec<f64>,
    pub gain_over_steps: f64,
    pub gain_se: f64,
    pub log_loss: f64,
    pub p: f64,
    pub resolution: Resolution,
    pub significant: bool,
    pub t: f64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Sample {
    pub rate: f64,
    pub rows_in_file: u64,
    pub rows_sampled: u64,
    pub seed: u64,
    pub strata: Vec<Stratum>,
}

#[derive(Debug, Serialize)]
pub struct Stratum {
    pub label: String,
    pub rows: u64,
}

#[derive(Debug, Serialize)]
pub struct SegmentsSummary<'a> {
    pub column: &'a str,
    pub overall: Option<&'a SegmentCheck>,
    pub segments: Vec<SegmentSummary<'a>>,
    pub significance_level: f64,
}

/// One segment: its update, the evidence for it, and its held-out ROC AUC.
#[derive(Debug, Serialize)]
pub struct SegmentSummary<'a> {
    pub global_roc_auc: Option<f64>,
    pub global_roc_auc_ci: Option<[f64; 2]>,
    pub holdout_rows: usize,
    pub holdout_won: usize,
    pub model: &'a crate::segments::Update,
    pub own_model_needs_rows: Option<f64>,
    pub roc_auc: Option<f64>,
    pub roc_auc_ci: Option<[f64; 2]>,
    pub roc_auc_difference: Option<&'a crate::uncertainty::AucDifference>,
    pub tests: &'a [crate::segments::LrTest],
    pub train_rows: usize,
    pub train_won: usize,
    pub update_parameters: &'a [f64],
    pub value: &'a str,
    pub why: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ColumnAuc {
    pub column: String,
    pub roc_auc: f64,
}

#[derive(Debug, Serialize)]
pub struct Coefficient {
    pub coefficient: f64,
    pub feature: String,
}

impl<'a> TrainSummary<'a> {
    /// The figures of the run `o`.
    pub fn of(o: &'a TrainOutcome) -> TrainSummary<'a> {
        let m = &o.model;
        let mut aucs = o.fit_report.single_column_auc.clone();
        aucs.sort_by(|a, b| b.1.total_cmp(&a.1));
        TrainSummary {
            alpha: m.meta.alpha,
            alpha_search: o.alpha_search.iter().map(|&(alpha, cv_roc_auc)| AlphaTried { alpha, cv_roc_auc }).collect(),
            as_of: o.as_of,
            calibration_map: CalibrationMap {
                asked: o.calibration.asked,
                cv_log_loss: o
                    .calibration
                    .cv_log_loss
                    .iter()
                    .map(|&(method, log_loss)| MethodLoss { log_loss, method })
                    .collect(),
                held_out_rows: o.calibration.rows,
                map: m.calibration.describe(),
                method: o.calibration.chosen,
            },
            columns_left_out: &o.fit_report.skipped,
            columns_screened_out: &o.fit_report.screened,
            columns_used: m
                .features
                .columns
                .iter()
                .map(|c| ColumnUsed { column: c.name.clone(), format: c.format_note(), role: c.role.name() })
                .collect(),
            converged: m.meta.converged,
            cv_roc_auc: &o.cv_aucs,
            encoding: o.encoding,
            events: o.event_report.as_ref(),
            features: m.features.n_features(),
            holdout: Self::holdout(o),
            iterations: m.meta.iterations,
            positive_value: &m.meta.positive_value,
            positives: m.meta.positives,
            preconditioned: m.meta.preconditioned,
            resolution: o.resolution.as_ref().map(|r| ResolutionSummary {
                chosen: r.chosen,
                cv_log_loss: r
                    .cv_log_loss
                    .iter()
                    .zip(&r.fold_log_loss)
                    .zip(&r.against_steps)
                    .map(|(((k, v), f), g)| Candidate {
                        fold_log_loss: f.clone(),
                        gain_over_steps: g.gain,
                        gain_se: g.se,
                        log_loss: *v,
                        p: g.p,
                        resolution: *k,
                        significant: g.significant,
                        t: g.t,
                        text: k.to_string(),
                    })
                    .collect(),
                folds: r.folds,
                level: RESOLUTION_LEVEL,
                rows: r.rows,
                scheme: r.scheme.clone(),
                text: r.chosen.to_string(),
            }),
            interactions: o.interactions.as_ref(),
            rows: m.meta.rows,
            rows_missing_label: m.meta.rows_missing_label,
            sample: m.sample.as_ref().map(|sm| Sample {
                rate: sm.rate(),
                rows_in_file: sm.rows_in_file,
                rows_sampled: sm.rows_sampled,
                seed: sm.seed,
                strata: sm.strata.iter().map(|(v, c)| Stratum { label: v.clone(), rows: *c }).collect(),
            }),
            sample_size: &o.sample_size,
            saved_fit: m.record.as_ref().map(|r| SavedFitSummary { fit: &r.saved_fit, note: r.saved_fit.describe() }),
            screening: o.fit_report.screening,
            segments: m.segments.as_ref().map(|sg| SegmentsSummary {
                column: &sg.column,
                overall: o.segment_checks.first(),
                segments: sg
                    .segments
                    .iter()
                    .map(|g| {
                        let c = o.segment_checks.iter().find(|c| c.value == g.value);
                        SegmentSummary {
                            global_roc_auc: c.and_then(|c| c.global.map(|a| a.roc_auc)),
                            global_roc_auc_ci: c.and_then(|c| c.global.map(|a| a.roc_auc_ci)),
                            holdout_rows: g.holdout_rows,
                            holdout_won: g.holdout_won,
                            model: &g.update,
                            own_model_needs_rows: g.own_model_needs,
                            roc_auc: c.and_then(|c| c.segmented.map(|a| a.roc_auc)),
                            roc_auc_ci: c.and_then(|c| c.segmented.map(|a| a.roc_auc_ci)),
                            roc_auc_difference: c.and_then(|c| c.difference.as_ref()),
                            tests: &g.tests,
                            train_rows: g.train_rows,
                            train_won: g.train_won,
                            update_parameters: &g.update_params,
                            value: &g.value,
                            why: &g.why,
                        }
                    })
                    .collect(),
                significance_level: LEVEL,
            }),
            single_column_roc_auc: aucs.into_iter().map(|(column, roc_auc)| ColumnAuc { column, roc_auc }).collect(),
            threshold: m.threshold.value,
            threshold_precision: m.threshold.precision,
            threshold_recall: m.threshold.recall,
            threshold_routed: m.threshold.routed,
            threshold_strategy: &m.threshold.strategy,
            top_coefficients: m
                .top_coefficients(10)
                .into_iter()
                .map(|(feature, coefficient)| Coefficient { coefficient, feature })
                .collect(),
            train_rows: m.meta.train_rows,
            warnings: &o.warnings,
        }
    }

    fn holdout(o: &TrainOutcome) -> Option<Holdout> {
        let m = &o.model;
        let h = &m.meta.holdout.as_ref()?.metrics;
        Some(Holdout {
            bootstrap: o.holdout_at.bootstrap,
            brier: h.brier,
            calibration: o.holdout_calibration,
            lift: o.holdout_at.lift,
            lift_ci: o.holdout_at.lift_ci,
            log_loss: h.log_loss,
            method: m.meta.holdout.as_ref().map(|x| x.method.clone()),
            positives: h.positives,
            pr_auc: h.pr_auc,
            pr_auc_ci: o.holdout_at.pr_auc_ci,
            precision_ci: o.holdout_at.precision_ci,
            recall_ci: o.holdout_at.recall_ci,
            roc_auc: h.roc_auc,
            roc_auc_ci: o.holdout_auc.map(|a| a.roc_auc_ci),
            roc_auc_includes_chance: o.holdout_auc.map(|a| a.includes_chance()),
            roc_auc_se: o.holdout_auc.map(|a| a.roc_auc_se),
            rows: h.rows,
        })
    }

    /// As a JSON value: every object's keys in alphabetical order, the nested library
    /// structs' too, as `train --json` has always printed them.
    pub fn to_value(&self) -> crate::Result<serde_json::Value> {
        serde_json::to_value(self).map_err(|e| crate::Error::Internal(format!("JSON: {e}")))
    }
}
