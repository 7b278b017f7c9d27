//! What a saved model is (`leadscore inspect`; issue 33): its file, the data and settings
//! that made it, the figures with their intervals, which fit it holds, its features and
//! largest effects, the threshold and tiers, and the warnings training gave.
//!
//! Reads only the model file ([`crate::model_file::load_with_info`]); every format
//! version that still loads is described, with what an older file does not record said
//! so. The command line prints [`Inspection::text`] or the JSON of [`Inspection`].

use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::format::count;
use crate::model::record::{Figures, RecordedWarning, SavedFit, TrainSettings};
use crate::model::{LeadModel, ThresholdInfo, Tiers};
use crate::model_file::FileInfo;

/// One input column and its role.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnRole {
    pub column: String,
    pub role: &'static str,
}

/// One design feature's coefficient (per standard deviation).
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    pub feature: String,
    pub coefficient: f64,
}

/// The training data's fingerprint.
#[derive(Debug, Clone, Serialize)]
pub struct DataPrint {
    pub file: String,
    pub rows: usize,
    pub labelled_rows: usize,
    pub won: usize,
    pub sha256: String,
    pub label: String,
    pub positive_value: String,
    /// The date that dates counted back from (none without date columns).
    pub as_of: Option<chrono::NaiveDate>,
    pub sampled: Option<String>,
}

/// A segment's update, in short.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentLine {
    pub value: String,
    pub update: &'static str,
    pub train_rows: usize,
}

/// The settings as JSON: their fields, and the two the model file keeps beside them
/// (format version 6; `extend` and `standardise` for older files).
fn settings_json<S: serde::Serializer>(settings: &Option<TrainSettings>, ser: S) -> Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    let Some(set) = settings else { return ser.serialize_none() };
    let mut v = serde_json::to_value(set).map_err(S::Error::custom)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("beyond_range".into(), set.beyond_range.to_string().into());
        o.insert("rare_levels".into(), set.rare_levels.to_string().into());
        o.insert("interactions".into(), set.interactions.clone().into());
    }
    v.serialize(ser)
}

/// Everything `inspect` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub model: String,
    pub file: FileInfo,
    pub crate_version: String,
    pub data: DataPrint,
    /// `None` for models written before the settings were kept (format version 4 and older).
    #[serde(serialize_with = "settings_json")]
    pub settings: Option<TrainSettings>,
    pub saved_fit: Option<SavedFit>,
    pub saved_fit_note: String,
    pub figures: Option<Figures>,
    pub train_rows: usize,
    pub alpha: f64,
    pub input_columns: Vec<ColumnRole>,
    pub features: usize,
    pub largest_effects: Vec<Effect>,
    pub threshold: ThresholdInfo,
    pub tiers: Tiers,
    pub calibration: String,
    pub segments: Option<(String, Vec<SegmentLine>)>,
    /// The pairwise interactions: each pair's columns, its cells and its largest
    /// contribution either way.
    pub pairs: Vec<PairLine>,
    pub events: bool,
    pub warnings: Vec<RecordedWarning>,
    /// How many labelled leads the saved fit saw, by id (for `retrain`'s window).
    pub ids_seen: Option<usize>,
}

/// One pairwise interaction, as `inspect` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PairLine {
    pub columns: String,
    pub cells: usize,
    pub lowest: f64,
    pub highest: f64,
}

/// Read and describe the model file at `path`.
pub fn inspect(path: &Path) -> Result<Inspection> {
    let (m, file) = crate::model_file::load_with_info(path)?;
    Ok(describe(&m, path, file))
}

/// Describe a loaded model.
pub fn describe(m: &LeadModel, path: &Path, file: FileInfo) -> Inspection {
    let r = m.record.as_ref();
    let meta = &m.meta;
    Inspection {
        model: path.display().to_string(),
        file,
        crate_version: meta.crate_version.clone(),
        data: DataPrint {
            file: meta.data_file.clone(),
            rows: meta.rows,
            labelled_rows: meta.rows - meta.rows_missing_label,
            won: meta.positives,
            sha256: meta.data_sha256.clone(),
            label: meta.label.clone(),
            positive_value: meta.positive_value.clone(),
            as_of: m.features.as_of_day.and_then(crate::features::cell::from_day_number),
            sampled: m.sample.as_ref().map(|s| {
                format!(
                    "{} of {} rows (seed {})",
                    count(s.rows_sampled as usize),
                    count(s.rows_in_file as usize),
                    s.seed
                )
            }),
        },
        settings: r.map(|r| r.settings.clone()),
        saved_fit: r.map(|r| r.saved_fit.clone()),
        saved_fit_note: r.map_or(
            "not recorded (a model written before leadscore kept it): the saved fit is the one the holdout measured"
                .into(),
            |r| r.saved_fit.describe(),
        ),
        figures: r.and_then(|r| r.figures.clone()),
        train_rows: meta.train_rows,
        alpha: meta.alpha,
        input_columns: m
            .features
            .columns
            .iter()
            .map(|c| ColumnRole { column: c.name.clone(), role: c.role.name() })
            .collect(),
        features: m.features.n_features(),
        largest_effects: m
            .top_coefficients(10)
            .into_iter()
            .map(|(feature, coefficient)| Effect { feature, coefficient })
            .collect(),
        threshold: m.threshold.clone(),
        tiers: m.tiers.clone(),
        calibration: m.calibration.describe(),
        segments: m.segments.as_ref().map(|s| {
            (
                s.column.clone(),
                s.segments
                    .iter()
                    .map(|g| SegmentLine { value: g.value.clone(), update: g.update.name(), train_rows: g.train_rows })
                    .collect(),
            )
        }),
        pairs: m
            .pairs
            .iter()
            .map(|p| PairLine {
                columns: p.name(&m.features.columns),
                cells: p.table.len(),
                lowest: p.table.iter().copied().fold(f64::INFINITY, f64::min),
                highest: p.table.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            })
            .collect(),
        events: m.events.is_some(),
        warnings: r.map(|r| r.warnings.clone()).unwrap_or_default(),
        ids_seen: r.and_then(|r| r.seen.as_ref()).map(|s| s.len()),
    }
}

impl Inspection {
    /// The human description.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let f = &self.file;
        s.push_str(&format!(
            "model {}: format version {}, {} bytes, checksum {}\n  written by leadscore {}\n",
            self.model,
            f.format_version,
            count(f.bytes as usize),
            f.checksum,
            self.crate_version
        ));
        let d = &self.data;
        s.push_str(&format!(
            "data: {} ({} rows, {} labelled, {} won, {:?} = won in {}), SHA-256 {}\n",
            d.file,
            count(d.rows),
            count(d.labelled_rows),
            count(d.won),
            d.positive_value,
            d.label,
            d.sha256
        ));
        if let Some(a) = d.as_of {
            s.push_str(&format!("  dates counted back from {a}\n"));
        }
        if let Some(x) = &d.sampled {
            s.push_str(&format!("  trained on a sample: {x}\n"));
        }
        match &self.settings {
            Some(set) => {
                s.push_str("settings (retrain reuses these):\n");
                for (k, v) in set.rows() {
                    s.push_str(&format!("  {k:<12} {v}\n"));
                }
            }
            None => s.push_str(&format!(
                "settings: not recorded (format version {} models predate them); retrain needs them given as flags\n",
                f.format_version
            )),
        }
        s.push_str(&format!("fit: {}\n", self.saved_fit_note));
        s.push_str(&format!("  {} rows in the saved fit, alpha {}\n", count(self.train_rows), self.alpha));
        match &self.figures {
            Some(x) => {
                let ci = |c: [f64; 2]| format!("{:.3}-{:.3}", c[0], c[1]);
                s.push_str(&format!(
                    "figures on the {} ({} rows, {} won), 95% intervals:\n  ROC AUC {:.4} ({}, DeLong)   PR AUC {:.4} ({})   log loss {:.4}   Brier {:.4}\n  at the threshold: precision {:.3} ({}), recall {:.3} ({})\n",
                    x.measured_on,
                    count(x.rows),
                    count(x.won),
                    x.roc_auc,
                    ci(x.roc_auc_ci),
                    x.pr_auc,
                    ci(x.pr_auc_ci),
                    x.log_loss,
                    x.brier,
                    x.precision,
                    ci(x.precision_ci),
                    x.recall,
                    ci(x.recall_ci)
                ));
                if let (Some(a), Some(b)) = (x.calibration_in_the_large, x.calibration_slope) {
                    s.push_str(&format!("  calibration in the large {a:+.3}, slope {b:.3}\n"));
                }
            }
            None => {
                s.push_str("figures: the intervals are not recorded in this format version; `evaluate` measures them\n")
            }
        }
        s.push_str(&format!(
            "features: {} input columns -> {} model features{}\n",
            self.input_columns.len(),
            self.features,
            if self.events { " (with activity-log columns)" } else { "" }
        ));
        for c in &self.input_columns {
            s.push_str(&format!("  {:<10} {}\n", c.role, c.column));
        }
        let unit = self.settings.as_ref().map_or("per standard deviation", |r| r.coefficient_unit());
        s.push_str(&format!("largest effects ({unit}):\n"));
        for e in &self.largest_effects {
            s.push_str(&format!("  {:+.3}  {}\n", e.coefficient, e.feature));
        }
        let t = &self.threshold;
        s.push_str(&format!(
            "threshold {:.4} ({}; chosen on {}): precision {:.3}, recall {:.3}\ntiers: {}\ncalibration: {}\n",
            t.value,
            t.strategy,
            t.chosen_on,
            t.precision,
            t.recall,
            self.tiers.describe(),
            self.calibration
        ));
        if let Some((col, segs)) = &self.segments {
            let parts: Vec<String> =
                segs.iter().map(|g| format!("{} {} ({} rows)", g.value, g.update, count(g.train_rows))).collect();
            s.push_str(&format!("segments by {col}: {}\n", parts.join(", ")));
        }
        if !self.pairs.is_empty() {
            s.push_str(&format!("pairwise interactions: {}\n", self.pairs.len()));
            for p in &self.pairs {
                s.push_str(&format!(
                    "  {} ({} cells, contributions {:+.2} to {:+.2})\n",
                    p.columns, p.cells, p.lowest, p.highest
                ));
            }
        }
        if let Some(n) = self.ids_seen {
            s.push_str(&format!("ids: {} labelled leads seen by the saved fit are recorded (for retrain)\n", count(n)));
        }
        for w in &self.warnings {
            match w.column.is_empty() {
                true => s.push_str(&format!("warning at training: {}\n", w.message)),
                false => s.push_str(&format!("warning at training: column {:?}: {}\n", w.column, w.message)),
            }
        }
        s
    }
}
