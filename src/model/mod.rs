//! The trained model as a whole: fitted features, coefficients, threshold, tiers and
//! where it all came from.
//!
//! Produced by [`crate::train`], saved and loaded by [`crate::model_file`], used by
//! [`crate::score`], `evaluate`, `threshold` and `compare`. Coefficients are oriented so
//! that a positive coefficient raises the probability of a *won* lead, whatever linfa
//! called its positive class.

use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::FittedFeatures;
use crate::metrics::Summary;

pub mod record;
pub mod segments;

/// Named score tiers: `names[0]` below `cuts[0]`, `names[i]` from `cuts[i-1]` up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tiers {
    pub names: Vec<String>,
    /// Lower probability bounds of tiers 1.., increasing.
    pub cuts: Vec<f64>,
    /// True when the top tier's cut follows the threshold (the default tiers).
    pub top_follows_threshold: bool,
}

impl Tiers {
    /// The default: cold, warm (from half the threshold), hot (from the threshold).
    pub fn default_for(threshold: f64) -> Tiers {
        Tiers {
            names: vec!["cold".into(), "warm".into(), "hot".into()],
            cuts: vec![threshold / 2.0, threshold],
            top_follows_threshold: true,
        }
    }

    /// Parse `--tiers "contact,mql:0.2,sql:0.5"`: the first name has no cut, the others
    /// `name:probability` with increasing probabilities.
    pub fn parse(spec: &str) -> Result<Tiers> {
        let bad = |m: String| Error::usage(format!("--tiers {spec}"), m);
        let mut names = Vec::new();
        let mut cuts = Vec::new();
        for (i, item) in spec.split(',').enumerate() {
            let item = item.trim();
            if i == 0 {
                if item.contains(':') {
                    return Err(bad("the first tier is the lowest and takes no cut point".into()));
                }
                if item.is_empty() {
                    return Err(bad("a tier needs a name".into()));
                }
                names.push(item.to_string());
                continue;
            }
            let (name, cut) =
                item.split_once(':').ok_or_else(|| bad(format!("{item:?}: expected name:probability")))?;
            let cut: f64 = cut
                .trim()
                .parse()
                .ok()
                .filter(|c: &f64| (0.0..=1.0).contains(c))
                .ok_or_else(|| bad(format!("{item:?}: the cut must be a probability from 0 to 1")))?;
            if cuts.last().is_some_and(|&l| cut <= l) {
                return Err(bad("cut points must increase".into()));
            }
            if name.trim().is_empty() {
                return Err(bad("a tier needs a name".into()));
            }
            names.push(name.trim().to_string());
            cuts.push(cut);
        }
        if names.len() < 2 {
            return Err(bad("give at least two tiers".into()));
        }
        Ok(Tiers { names, cuts, top_follows_threshold: false })
    }

    /// Index of the tier of a probability.
    pub fn index(&self, p: f64) -> usize {
        self.cuts.iter().take_while(|&&c| p >= c).count()
    }

    pub fn name(&self, p: f64) -> &str {
        &self.names[self.index(p)]
    }

    pub fn describe(&self) -> String {
        let mut s = self.names[0].clone();
        for (n, c) in self.names[1..].iter().zip(&self.cuts) {
            s.push_str(&format!(", {n} from {c:.4}"));
        }
        s
    }
}

/// How the held-out rows were chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutInfo {
    /// "stratified random", "most recent by <column>", "last rows in file order".
    pub method: String,
    pub fraction: f64,
    pub metrics: Summary,
}

/// How the threshold was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdInfo {
    pub value: f64,
    pub strategy: String,
    /// Which data chose it ("holdout of 1,848 rows of leads.csv").
    pub chosen_on: String,
    pub precision: f64,
    pub recall: f64,
    pub routed: usize,
}

/// Training provenance, stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainMeta {
    pub crate_version: String,
    pub data_file: String,
    pub data_sha256: String,
    pub rows: usize,
    pub rows_missing_label: usize,
    pub positives: usize,
    pub label: String,
    pub positive_value: String,
    pub negative_value: String,
    pub id_column: Option<String>,
    pub seed: u64,
    pub alpha: f64,
    /// Solver iterations on the training rows, in blocks of 10: the plain solve's, or the
    /// preconditioned solve's plus any polishing ones.
    pub iterations: u64,
    /// Solved preconditioned (large training sets; see `fit`).
    pub preconditioned: bool,
    pub converged: bool,
    pub gradient_norm: f64,
    pub train_rows: usize,
    pub holdout: Option<HoldoutInfo>,
    pub cv_auc: Option<(f64, f64, usize)>,
    /// The per-contact cut-off column used for the activity log in training.
    pub cutoff_col: Option<String>,
}

/// One number's fitted effect ([`LeadModel::effects`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    pub column: String,
    pub label: String,
    /// The value is days before the as-of date (a date column).
    pub days: bool,
    pub median: f64,
    /// (value, log-odds relative to the median's), across the training range.
    pub curve: Vec<(f64, f64)>,
    /// (from, to, share of training rows) per reference bin inside the range.
    pub density: Vec<(f64, f64, f64)>,
}

/// The whole model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadModel {
    /// Event features aggregated from an activity log, when trained with one.
    pub events: Option<crate::events::EventSpec>,
    pub features: FittedFeatures,
    pub intercept: f64,
    /// One per design column, oriented towards "won".
    pub coef: Vec<f64>,
    pub threshold: ThresholdInfo,
    pub tiers: Tiers,
    pub meta: TrainMeta,
    /// How the training rows were sampled from the file (`train --sample`), else `None`.
    /// Kept after the model in the file (format version 2; see [`crate::model_file`]),
    /// so that models trained on whole files keep their bytes and older files load.
    #[serde(skip)]
    pub sample: Option<crate::sample::SampleInfo>,
    /// The training rows' reference profile for `monitor` (format version 3); `None` for
    /// models written before it was kept.
    #[serde(skip)]
    pub profile: Option<crate::features::profile::Profile>,
    /// The calibration map from log-odds to probability (format version 3; none before).
    #[serde(skip)]
    pub calibration: crate::calibrate::Calibration,
    /// Per-segment weights (`train --segment-by`; format version 4), else `None`.
    #[serde(skip)]
    pub segments: Option<segments::Segments>,
    /// How the model was made: the settings, the saved fit, the figures, the warnings and
    /// the ids it saw (format version 5; `None` for models written before it was kept).
    #[serde(skip)]
    pub record: Option<record::Record>,
    /// Pairwise interactions (issue 36; format version 7), each cell's contribution added
    /// to the log-odds after the columns' own and the intercept.
    #[serde(skip)]
    pub pairs: Vec<crate::features::pair::PairTerm>,
}

/// What a lead's probability means for sales: the 0-100 score, the tier (an index into
/// [`Tiers::names`]) and the decision (routed: at or above the threshold). Every scoring
/// path writes these from [`LeadModel::verdict`], the one definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub score: i32,
    pub tier: usize,
    pub decision: bool,
}

impl LeadModel {
    /// The score, tier and decision of probability `p`.
    pub fn verdict(&self, p: f64) -> Verdict {
        Verdict { score: (p * 100.0).round() as i32, tier: self.tiers.index(p), decision: p >= self.threshold.value }
    }

    /// Whether some number column of the model was read with decimal commas (an export
    /// from a comma-decimal locale): scores written back for it use them too.
    pub fn reads_decimal_commas(&self) -> bool {
        self.features.columns.iter().flat_map(|c| &c.parts).any(|p| {
            p.numeric().is_some_and(|n| matches!(n.kind, crate::features::NumKind::LocalNumber(f) if f.decimal_comma))
        })
    }

    /// Log-odds of "won" for each row of a design matrix: the columns' part only. A
    /// design matrix holds no pairwise interactions; a model with [`Self::pairs`] adds
    /// them from each row's cells (`train::interactions::add_pairs`, as training's
    /// holdout does), or scores leads with the row scorer, which adds them itself.
    ///
    /// Each row's sum runs over the design columns in order from zero, then adds the
    /// intercept: the fast scorer (`score::fast`) sums a lead the same way, so both give
    /// the same bits.
    pub fn log_odds(&self, x: ArrayView2<f64>) -> Array1<f64> {
        linear_predictor(x, &self.coef, self.intercept)
    }

    /// Probability of "won" for each row of a design matrix (the columns' part only: see
    /// [`Self::log_odds`]).
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<f64> {
        self.log_odds(x).iter().map(|&z| self.probability(z)).collect()
    }

    /// The probability of a lead with log-odds `z`, through the calibration map: every
    /// scoring path turns log-odds into a probability here.
    pub fn probability(&self, z: f64) -> f64 {
        self.calibration.probability(z)
    }

    /// Set a new threshold; the default tiers follow it.
    /// Choose the threshold on `probs` and `labels` as `strategy` asks (the default tiers
    /// follow it), noting where it was chosen (`chosen_on`). Returns the curve it was
    /// chosen on and the choice. The one way `train` and `threshold` set it.
    pub fn choose_threshold(
        &mut self,
        probs: &[f64],
        labels: &[bool],
        strategy: &crate::threshold::Strategy,
        chosen_on: String,
    ) -> Result<(Vec<crate::metrics::CurvePoint>, crate::threshold::Choice)> {
        let curve = crate::metrics::curve(probs, labels);
        let choice = crate::threshold::choose(&curve, strategy)?;
        let point = choice.point;
        // A retrain keeps the strategy the threshold was last chosen by.
        if let Some(r) = self.record.as_mut() {
            r.settings.strategy = strategy.to_string();
        }
        self.set_threshold(ThresholdInfo {
            value: point.threshold,
            strategy: strategy.to_string(),
            chosen_on,
            precision: point.precision(),
            recall: point.recall(),
            routed: point.routed(),
        });
        Ok((curve, choice))
    }

    pub fn set_threshold(&mut self, info: ThresholdInfo) {
        if self.tiers.top_follows_threshold {
            self.tiers = Tiers::default_for(info.value);
        }
        self.threshold = info;
    }

    /// Each number's and date's fitted effect (issue 18): its part's contribution to the
    /// log-odds across the training range, relative to the value at the training median
    /// (the global model's weights), with the training rows' density from the reference
    /// profile. Flags are left out (two values are not a curve).
    pub fn effects(&self) -> Vec<Effect> {
        const POINTS: usize = 80;
        let f = &self.features;
        let mut out = Vec::new();
        let mut j = 0usize;
        for col in &f.columns {
            for part in &col.parts {
                let width = part.width();
                let first = j;
                j += width;
                let Some(base) = part.numeric() else { continue };
                if base.kind == crate::features::NumKind::Flag || base.hi <= base.lo {
                    continue;
                }
                let mut row = vec![0.0; width];
                let mut at = |raw: f64| -> f64 {
                    part.number_values(raw, &mut row);
                    row.iter()
                        .enumerate()
                        .map(|(k, &x)| self.coef[first + k] * ((x - f.center[first + k]) * f.scale[first + k]))
                        .sum::<f64>()
                };
                let raw = |t: f64| if base.log1p { t.exp_m1() } else { t };
                let reference = at(base.median);
                let curve: Vec<(f64, f64)> = (0..=POINTS)
                    .map(|k| {
                        let x = raw(base.lo + (base.hi - base.lo) * k as f64 / POINTS as f64);
                        (x, at(x) - reference)
                    })
                    .collect();
                let density = self
                    .profile
                    .as_ref()
                    .and_then(|p| {
                        p.parts.iter().find(|pp| {
                            pp.column == col.name
                                && pp.label == crate::features::profile::part_label(&col.name, part, col.parts.len())
                        })
                    })
                    .and_then(|pp| match &pp.reference {
                        crate::features::profile::Reference::Numbers { edges, counts } => {
                            let total: u64 = counts.iter().sum::<u64>().max(1);
                            let (lo, hi) = (raw(base.lo), raw(base.hi));
                            // Bins (-inf, e0], (e0, e1], ..., (e_last, inf), clipped to the
                            // range (the missing bin last is left out).
                            let mut bounds = vec![lo];
                            bounds.extend(edges.iter().map(|e| e.clamp(lo, hi)));
                            bounds.push(hi);
                            Some(
                                bounds
                                    .windows(2)
                                    .zip(counts)
                                    .map(|(e, &c)| (e[0], e[1], c as f64 / total as f64))
                                    .filter(|(a, b, _)| b > a)
                                    .collect(),
                            )
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                out.push(Effect {
                    column: col.name.clone(),
                    label: base.label.clone(),
                    days: matches!(
                        base.kind,
                        crate::features::NumKind::DaysBefore | crate::features::NumKind::LocalDaysBefore(_)
                    ),
                    median: base.median,
                    curve,
                    density,
                });
            }
        }
        out
    }

    /// The largest coefficients by absolute size, with their feature names.
    pub fn top_coefficients(&self, k: usize) -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> =
            self.features.features.iter().zip(&self.coef).map(|(f, &c)| (f.name.clone(), c)).collect();
        v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        v.truncate(k);
        v
    }

    /// Internal consistency, checked after loading a model file.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let p = self.features.features.len();
        if self.coef.len() != p || self.features.center.len() != p || self.features.scale.len() != p {
            return Err(format!(
                "expected {p} coefficients and scalings, found {}, {} and {}",
                self.coef.len(),
                self.features.center.len(),
                self.features.scale.len()
            ));
        }
        if self.features.features.iter().any(|f| f.column >= self.features.columns.len()) {
            return Err("a feature refers to a column the model does not have".into());
        }
        let widths: usize = self.features.columns.iter().flat_map(|c| c.parts.iter()).map(|part| part.width()).sum();
        if widths != p {
            return Err(format!("the feature pipeline builds {widths} columns but the model has {p}"));
        }
        let finite = self.coef.iter().chain(&self.features.center).chain(&self.features.scale).all(|x| x.is_finite())
            && self.intercept.is_finite()
            && self.threshold.value.is_finite();
        if !finite {
            return Err("non-finite numbers in the coefficients or scaling".into());
        }
        for pair in &self.pairs {
            pair.check(self.features.columns.len())?;
        }
        if !self.pairs.is_empty() && self.segments.is_some() {
            return Err("a model with segments has no pairs".into());
        }
        if self.tiers.names.len() != self.tiers.cuts.len() + 1 {
            return Err("tier names and cut points do not match".into());
        }
        if let Some(s) = &self.segments {
            s.check(p)?;
            if !self
                .features
                .columns
                .iter()
                .any(|c| c.name == s.column && matches!(c.parts.as_slice(), [crate::features::Part::Levels(_)]))
            {
                return Err(format!("the segment column {:?} is not one of the model's category columns", s.column));
            }
        }
        Ok(())
    }
}

/// `intercept` plus `coef` times each row of a design matrix, each row's sum running
/// over the design columns in order from zero before the intercept is added: the order
/// of the row scorer ([`crate::score::row`]), so that both give the same bits.
pub fn linear_predictor(x: ArrayView2<f64>, coef: &[f64], intercept: f64) -> Array1<f64> {
    let mut z = Array1::zeros(x.nrows());
    for (col, &w) in x.columns().into_iter().zip(coef) {
        z.zip_mut_with(&col, |z: &mut f64, &v| *z += v * w);
    }
    z + intercept
}

/// The logistic function, defined with the other plain arithmetic in [`crate::metrics`].
pub use crate::metrics::sigmoid;
