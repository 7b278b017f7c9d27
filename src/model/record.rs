//! What made a model, kept in its file (format version 5; issue 33): the training
//! settings as the analyst gave them, whether the saved fit is the one the holdout
//! measured or the final fit on every labelled lead, the figures with their intervals,
//! the warnings training gave, and which labelled leads the fit saw (by id).
//!
//! Plain data. `train` writes it, `inspect` shows it, `retrain` reads the settings back
//! to train a challenger "the same way on newer data", and the ids tell `retrain` which
//! leads of a new history the champion never saw. The settings are kept as the text of
//! each option (`"f1"`, `"auto"`, `"spline:4"`), parsed by the same parsers as the command
//! line, so that a recorded setting means exactly what the flag meant.

use serde::{Deserialize, Serialize};

/// Everything the model file records about how the model was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub settings: TrainSettings,
    pub saved_fit: SavedFit,
    /// The holdout's figures with their intervals (of the measured fit).
    pub figures: Option<Figures>,
    /// The warnings training gave.
    pub warnings: Vec<RecordedWarning>,
    /// The labelled leads the saved fit was fitted on, by id (when there is an id column).
    pub seen: Option<SeenIds>,
}

/// How rows are held out, as `--holdout-last` / `--holdout-by` gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SplitSetting {
    Stratified,
    Last,
    ByDate(String),
}

impl SplitSetting {
    /// The flag that gives it ("" for the default).
    pub fn flag(&self) -> String {
        match self {
            SplitSetting::Stratified => String::new(),
            SplitSetting::Last => "--holdout-last".into(),
            SplitSetting::ByDate(c) => format!("--holdout-by {c}"),
        }
    }
}

/// A feature spec as it was when the model was trained: its file name and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecText {
    pub file: String,
    pub text: String,
}

/// How an activity log was read and aggregated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSettings {
    pub contact: Option<String>,
    pub event_type: Option<String>,
    pub time: Option<String>,
    pub cutoff_col: Option<String>,
    pub half_life_days: f64,
}

/// How the threshold and tiers carry over from the measured fit to the final fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CarryRule {
    /// The same probability: the threshold and tier cuts keep their values.
    Probability,
    /// The same routed share: the final fit's threshold routes as many held-out leads as
    /// the measured fit's did (and each tier cut likewise).
    Share,
}

impl CarryRule {
    pub fn name(self) -> &'static str {
        match self {
            CarryRule::Probability => "probability",
            CarryRule::Share => "share",
        }
    }
}

impl std::str::FromStr for CarryRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "probability" => Ok(CarryRule::Probability),
            "share" => Ok(CarryRule::Share),
            other => Err(format!("{other:?}: expected probability or share")),
        }
    }
}

/// Every training option that shapes the model, as given (defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub label: String,
    pub positive: Option<String>,
    pub id: Option<String>,
    pub exclude: Vec<String>,
    pub spec: Option<SpecText>,
    /// `--date-format` values (`COL=FORMAT` or `FORMAT`).
    pub date_formats: Vec<String>,
    pub screen: String,
    pub holdout: f64,
    pub split: SplitSetting,
    pub sample: Option<u64>,
    pub seed: u64,
    pub alpha: String,
    pub max_iter: u64,
    pub strategy: String,
    pub cv: Option<usize>,
    pub calibrate: String,
    /// `--resolution` as given (`None`: the default, auto unless the spec fixes it).
    pub resolution: Option<String>,
    pub segment_by: Option<String>,
    pub tiers: Option<String>,
    pub events: Option<EventSettings>,
    /// `--as-of` as given (`None`: the latest date in the data).
    pub as_of: Option<chrono::NaiveDate>,
    pub encoding: String,
    /// The final fit on every labelled lead (`--no-refit` turns it off).
    pub refit: bool,
    pub carry: CarryRule,
    /// `--beyond-range`. Not in the record's bytes: the model file keeps it after the
    /// record (format version 6); a record read from an older file says `extend`, as
    /// its model was trained.
    #[serde(skip)]
    pub beyond_range: crate::features::BeyondRange,
    /// `--rare-levels`, kept as `beyond_range` is (an older file: `standardise`).
    #[serde(skip)]
    pub rare_levels: crate::features::RareLevels,
    /// `--interactions` (`off`, `auto` or a count), kept as `beyond_range` is (format
    /// version 7; an older file: `off`).
    #[serde(skip)]
    pub interactions: String,
}

impl TrainSettings {
    /// The defaults of `train` for a label.
    pub fn new(label: &str) -> Self {
        TrainSettings {
            label: label.to_string(),
            positive: None,
            id: None,
            exclude: Vec::new(),
            spec: None,
            date_formats: Vec::new(),
            screen: "auto".into(),
            holdout: 0.2,
            split: SplitSetting::Stratified,
            sample: None,
            seed: 42,
            alpha: "1".into(),
            max_iter: 500,
            strategy: "f1".into(),
            cv: None,
            calibrate: "none".into(),
            resolution: None,
            segment_by: None,
            tiers: None,
            events: None,
            as_of: None,
            encoding: "auto".into(),
            refit: true,
            carry: CarryRule::Share,
            beyond_range: crate::features::BeyondRange::Edge,
            rare_levels: crate::features::RareLevels::Shrink,
            interactions: "auto".into(),
        }
    }

    /// What a coefficient is per, as the summaries say it: numbers per standard deviation;
    /// a level per standard deviation, or, when rare levels are shrunk, per half its 0/1
    /// indicator (every indicator scaled by 2).
    pub fn coefficient_unit(&self) -> &'static str {
        match self.rare_levels {
            crate::features::RareLevels::Shrink => "numbers per standard deviation; a level's is half its effect",
            crate::features::RareLevels::Standardise => "per standard deviation",
        }
    }

    /// Each setting as (name, value) for `inspect`, in the order of `train --help`.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".into());
        let mut rows = vec![
            ("label", self.label.clone()),
            ("positive", opt(&self.positive)),
            ("id", opt(&self.id)),
            ("exclude", if self.exclude.is_empty() { "(none)".into() } else { self.exclude.join(",") }),
            ("spec", self.spec.as_ref().map_or("(none)".into(), |s| format!("{} (text kept in the model)", s.file))),
            (
                "date-format",
                if self.date_formats.is_empty() { "(inferred)".into() } else { self.date_formats.join(" ") },
            ),
            ("screen", self.screen.clone()),
            ("holdout", format!("{}", self.holdout)),
            (
                "split",
                match &self.split {
                    SplitSetting::Stratified => "stratified random".into(),
                    SplitSetting::Last => "last rows in file order (--holdout-last)".into(),
                    SplitSetting::ByDate(c) => format!("most recent by {c} (--holdout-by)"),
                },
            ),
            ("sample", self.sample.map_or("(whole file)".into(), |n| n.to_string())),
            ("seed", self.seed.to_string()),
            ("alpha", self.alpha.clone()),
            ("max-iter", self.max_iter.to_string()),
            ("strategy", self.strategy.clone()),
            ("cv", self.cv.map_or("(none)".into(), |k| k.to_string())),
            ("calibrate", self.calibrate.clone()),
            ("resolution", self.resolution.clone().unwrap_or_else(|| "auto (default)".into())),
            ("segment-by", opt(&self.segment_by)),
            ("tiers", self.tiers.clone().unwrap_or_else(|| "cold, warm, hot (default)".into())),
            ("as-of", self.as_of.map_or("(latest date in the data)".into(), |d| d.to_string())),
            ("encoding", self.encoding.clone()),
            (
                "refit",
                if self.refit { "yes (the final fit on every labelled lead)".into() } else { "no (--no-refit)".into() },
            ),
            ("carry", self.carry.name().to_string()),
            ("beyond-range", self.beyond_range.to_string()),
            ("rare-levels", self.rare_levels.to_string()),
            ("interactions", self.interactions.clone()),
        ];
        if let Some(e) = &self.events {
            rows.push((
                "events",
                format!(
                    "contact {}, type {}, time {}, cut-off {}, half-life {} days",
                    opt(&e.contact),
                    opt(&e.event_type),
                    opt(&e.time),
                    opt(&e.cutoff_col),
                    e.half_life_days
                ),
            ));
        }
        rows
    }
}

/// Which fit the file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SavedFit {
    /// The fit the holdout measured (`--no-refit`).
    Measured,
    /// The final fit: the same settings on every labelled row, after the holdout measured
    /// a fit without it.
    Refit {
        /// Rows and won leads of the final fit.
        rows: usize,
        won: usize,
        /// Rows the measured fit was fitted on.
        measured_rows: usize,
        /// How the threshold carried over, and the measured fit's threshold.
        carry: CarryRule,
        measured_threshold: f64,
    },
}

impl SavedFit {
    /// The sentence every summary of the model gives about its figures.
    pub fn describe(&self) -> String {
        match self {
            SavedFit::Measured => "the saved model is the fit the holdout measured (--no-refit)".into(),
            SavedFit::Refit { rows, measured_rows, .. } => format!(
                "measured on a model fitted without the holdout ({} rows); the saved model was fitted on all {} labelled \
                 rows with the same settings",
                crate::format::count(*measured_rows),
                crate::format::count(*rows)
            ),
        }
    }
}

/// The holdout's figures with their 95% intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// What they were measured on ("holdout (stratified random, seed 42) of 1,000 rows ...").
    pub measured_on: String,
    pub rows: usize,
    pub won: usize,
    pub roc_auc: f64,
    pub roc_auc_ci: [f64; 2],
    pub pr_auc: f64,
    pub pr_auc_ci: [f64; 2],
    pub log_loss: f64,
    pub brier: f64,
    pub precision: f64,
    pub precision_ci: [f64; 2],
    pub recall: f64,
    pub recall_ci: [f64; 2],
    pub calibration_in_the_large: Option<f64>,
    pub calibration_slope: Option<f64>,
}

/// What a warning is about, for gates that read them (`retrain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    Leakage,
    NoSignal,
    Overfitted,
    Calibration,
    NotConverged,
    Other,
}

/// A warning as summaries show it: `column "x": message`, or the message alone.
pub fn warning_text(column: &str, message: &str) -> String {
    match column.is_empty() {
        true => message.to_string(),
        false => format!("column {column:?}: {message}"),
    }
}

/// A warning as the model keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedWarning {
    pub kind: WarningKind,
    pub column: String,
    pub message: String,
}

/// The ids of the labelled leads a fit saw, as sorted 32-bit hashes of the trimmed id
/// text: about 2 bytes a lead in the file; a new id is taken for a seen one with
/// probability (leads seen) / 2^32 (0.02% at a million).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SeenIdsFile", into = "SeenIdsFile")]
pub struct SeenIds {
    pub column: String,
    /// Sorted, distinct; delta-coded in the file.
    hashes: Vec<u32>,
}

impl SeenIds {
    pub fn new<'a>(column: &str, ids: impl IntoIterator<Item = &'a str>) -> Self {
        let mut hashes: Vec<u32> = ids.into_iter().map(id_hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        SeenIds { column: column.to_string(), hashes }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.hashes.binary_search(&id_hash(id)).is_ok()
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Deltas between the sorted hashes (small numbers, which bincode's variable-length
    /// integers keep short).
    pub fn deltas(&self) -> Vec<u32> {
        let mut prev = 0u32;
        self.hashes
            .iter()
            .map(|&h| {
                let d = h - prev;
                prev = h;
                d
            })
            .collect()
    }

    pub fn from_deltas(column: String, deltas: &[u32]) -> std::result::Result<Self, String> {
        let mut hashes = Vec::with_capacity(deltas.len());
        let mut prev = 0u32;
        for (i, &d) in deltas.iter().enumerate() {
            if i > 0 && d == 0 {
                return Err("the seen ids repeat a value".into());
            }
            prev = prev.checked_add(d).ok_or("the seen ids overflow")?;
            hashes.push(prev);
        }
        Ok(SeenIds { column, hashes })
    }
}

/// [`SeenIds`] as the file holds it: the deltas between the sorted hashes as LEB128
/// bytes (about 3 bytes a lead at 5,000 leads, 2 at a million).
#[derive(Serialize, Deserialize)]
struct SeenIdsFile {
    column: String,
    count: u64,
    deltas: Vec<u8>,
}

impl From<SeenIds> for SeenIdsFile {
    fn from(s: SeenIds) -> Self {
        let mut bytes = Vec::with_capacity(s.hashes.len() * 3);
        for mut d in s.deltas() {
            loop {
                let low = (d & 0x7f) as u8;
                d >>= 7;
                if d == 0 {
                    bytes.push(low);
                    break;
                }
                bytes.push(low | 0x80);
            }
        }
        SeenIdsFile { count: s.hashes.len() as u64, deltas: bytes, column: s.column }
    }
}

impl TryFrom<SeenIdsFile> for SeenIds {
    type Error = String;
    fn try_from(f: SeenIdsFile) -> std::result::Result<Self, String> {
        let mut deltas = Vec::with_capacity(f.deltas.len() / 2);
        let (mut value, mut shift) = (0u64, 0u32);
        for &b in &f.deltas {
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                deltas.push(u32::try_from(value).map_err(|_| "a seen id's hash is out of range".to_string())?);
                (value, shift) = (0, 0);
            } else {
                shift += 7;
                if shift > 28 {
                    return Err("a seen id's hash is out of range".into());
                }
            }
        }
        if shift != 0 || deltas.len() as u64 != f.count {
            return Err(format!("the seen ids hold {} values where {} were written", deltas.len(), f.count));
        }
        SeenIds::from_deltas(f.column, &deltas)
    }
}

/// FNV-1a, 32 bits, of the trimmed id text: stable across versions and machines.
pub fn id_hash(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.trim().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_survive_delta_coding_and_answer_membership() {
        let ids: Vec<String> = (0..5000).map(|i| format!("L{i:07}")).collect();
        let seen = SeenIds::new("lead_id", ids.iter().map(String::as_str));
        let back = SeenIds::from_deltas("lead_id".into(), &seen.deltas()).unwrap();
        assert_eq!(back, seen);
        let file = SeenIdsFile::from(seen.clone());
        assert!(file.deltas.len() < 4 * 5000, "{} bytes for 5,000 ids", file.deltas.len());
        assert_eq!(SeenIds::try_from(file).unwrap(), seen);
        let truncated = SeenIdsFile { deltas: vec![0x80], count: 1, column: "x".into() };
        assert!(SeenIds::try_from(truncated).is_err());
        assert!(ids.iter().all(|i| back.contains(i)));
        assert!(back.contains(" L0000007 "), "ids are trimmed as cells are");
        let unseen = (5000..15000).filter(|i| back.contains(&format!("L{i:07}"))).count();
        assert!(unseen <= 2, "{unseen} of 10,000 new ids taken for seen ones");
    }
}
