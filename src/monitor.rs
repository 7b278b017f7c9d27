//! Watching a model age: the reference profile kept in the model, and `leadscore monitor`
//! (issue 16, third part).
//!
//! While training fits the features, every feature part's values on the training rows are
//! counted into fixed bins ([`Reference::of_numbers`], [`Reference::of_levels`]) (a number's deciles and a missing bin; a level part's kept levels,
//! "(other)" and "(missing)", and the values seen) and the holdout's probabilities into
//! their deciles. The model file keeps these counts (format version 3, see
//! [`crate::model_file`]). Later, [`check`] counts new leads into the same bins, never
//! re-binning, and reports per part and for the score:
//!
//! - the population stability index, with bands below 0.1 stable, 0.1 to 0.25 watch,
//!   above 0.25 act; beside it the leads counted and a chi-square test of homogeneity
//!   (reference counts against new counts), because the bands alone mislead on small
//!   samples: a hundred leads can land in "act" by chance, a million in "stable" while
//!   the difference is real;
//! - values of a level column never seen in training;
//! - the precision, recall and routed share to expect at the threshold, estimated from the
//!   probabilities alone (confidence-based performance estimation, as NannyML's CBPE:
//!   a calibrated probability is the expected label), with normal-approximation intervals;
//! - with labels, the realised ROC AUC (DeLong's interval), precision and recall
//!   (Wilson intervals) and calibration, beside the training figures;
//! - the model's age: the days from its training data's as-of date.
//!
//! A part's bins are drawn on what the part reads from a cell ([`Part::observe`]), so the
//! monitor bins exactly what the scorer reads. The report formats these numbers
//! ([`crate::report::monitor_page`]); it computes nothing.

use std::collections::HashMap;

use serde::Serialize;

use crate::data::Table;
use crate::error::{Error, Result};
use crate::features::cell::Cell;
use crate::features::part::{Beyond, Observed, Part};
use crate::features::ColumnCells;
use crate::metrics::CalibrationBin;
use crate::model::LeadModel;

use crate::features::profile::{count_levels, count_numbers};
pub use crate::features::profile::{part_label, profile, PartProfile, Profile, Reference, BINS, MAX_SEEN};

/// Population stability index bands.
pub const WATCH_PSI: f64 = 0.1;
pub const ACT_PSI: f64 = 0.25;
/// A model whose training data is older than this many days should be re-evaluated (the
/// guides: at least twice a year).
pub const OLD_DAYS: i64 = 183;

/// A part's observations over a set of rows.
enum Obs {
    /// `outside`: values below and above the training range.
    Numbers {
        values: Vec<f64>,
        unreadable: u64,
        outside: [u64; 2],
    },
    Levels {
        counts: HashMap<String, u64>,
        missing: u64,
        unreadable: u64,
    },
}

/// Every part's observations over `rows` of `table` (all rows when `None`).
fn observe(model: &LeadModel, table: &Table, rows: Option<&[usize]>, as_of_day: i64) -> Result<Vec<Vec<Obs>>> {
    model.features.check_schema(table)?;
    let all: Vec<usize>;
    let rows = match rows {
        Some(r) => r,
        None => {
            all = (0..table.height()).collect();
            &all
        }
    };
    // One column per task: the columns are independent (two cores halve a profile's time).
    use rayon::prelude::*;
    model.features.columns.par_iter().map(|fc| observe_column(fc, table, rows, as_of_day)).collect()
}

fn observe_column(
    fc: &crate::features::FittedColumn,
    table: &Table,
    rows: &[usize],
    as_of_day: i64,
) -> Result<Vec<Obs>> {
    let cells = ColumnCells::read_values(table, fc)?;
    let texts = cells.texts();
    let mut per_part: Vec<Obs> = fc
        .parts
        .iter()
        .map(|p| match p {
            Part::Numeric(_) | Part::Spline(_) => {
                Obs::Numbers { values: Vec::with_capacity(rows.len()), unreadable: 0, outside: [0; 2] }
            }
            Part::Levels(_) => Obs::Levels { counts: HashMap::new(), missing: 0, unreadable: 0 },
        })
        .collect();
    for &i in rows {
        let cell: Cell = cells.cell(&texts, i);
        for (part, obs) in fc.parts.iter().zip(per_part.iter_mut()) {
            match (part.observe(cell, as_of_day), obs) {
                (Observed::Value(v), Obs::Numbers { values, outside, .. }) => {
                    match part.numeric().and_then(|p| p.outside(v)) {
                        Some(Beyond::Below) => outside[0] += 1,
                        Some(Beyond::Above) => outside[1] += 1,
                        None => {}
                    }
                    values.push(v)
                }
                (Observed::Level(Some(l)), Obs::Levels { counts, .. }) => match counts.get_mut(l.as_ref()) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(l.into_owned(), 1);
                    }
                },
                (Observed::Level(None), Obs::Levels { missing, .. }) => *missing += 1,
                (Observed::Unreadable, Obs::Numbers { unreadable, .. })
                | (Observed::Unreadable, Obs::Levels { unreadable, .. }) => *unreadable += 1,
                _ => return Err(Error::Internal(format!("column {:?}: a part observed the wrong kind", fc.name))),
            }
        }
    }
    Ok(per_part)
}

/// Population stability band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Stable,
    Watch,
    Act,
}

impl Band {
    pub fn of(psi: f64) -> Band {
        if psi > ACT_PSI {
            Band::Act
        } else if psi >= WATCH_PSI {
            Band::Watch
        } else {
            Band::Stable
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Band::Stable => "stable",
            Band::Watch => "watch",
            Band::Act => "act",
        }
    }
}

/// One bin's share in training and now.
#[derive(Debug, Clone, Serialize)]
pub struct BinShare {
    pub bin: String,
    pub reference: f64,
    pub current: f64,
}

/// How far a distribution moved from its reference.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub psi: f64,
    pub band: Band,
    /// Chi-square test of homogeneity of the reference and current counts.
    pub chi_square: f64,
    pub df: usize,
    pub p_value: f64,
    pub leads: u64,
    pub reference_leads: u64,
    pub bins: Vec<BinShare>,
}

/// The population stability index of `current` against `reference` counts (shares
/// smoothed by half a lead per bin, so that an empty bin counts but does not explode),
/// and the chi-square test of homogeneity over the bins either side fills.
pub fn drift(reference: &[u64], current: &[u64], names: Vec<String>) -> Drift {
    let (nr, nc) = (reference.iter().sum::<u64>(), current.iter().sum::<u64>());
    let k = reference.len() as f64;
    let share = |c: u64, n: u64| (c as f64 + 0.5) / (n as f64 + 0.5 * k);
    let mut psi = 0.0;
    for (&r, &c) in reference.iter().zip(current) {
        let (e, a) = (share(r, nr), share(c, nc));
        psi += (a - e) * (a / e).ln();
    }
    let total = (nr + nc) as f64;
    let (mut chi, mut used) = (0.0, 0usize);
    if nr > 0 && nc > 0 {
        for (&r, &c) in reference.iter().zip(current) {
            let col = (r + c) as f64;
            if col == 0.0 {
                continue;
            }
            used += 1;
            let (er, ec) = (nr as f64 * col / total, nc as f64 * col / total);
            chi += (r as f64 - er).powi(2) / er + (c as f64 - ec).powi(2) / ec;
        }
    }
    let df = used.saturating_sub(1);
    let p_value = crate::uncertainty::chi_square_sf(chi, df);
    let bins = names
        .into_iter()
        .zip(reference.iter().zip(current))
        .map(|(bin, (&r, &c))| BinShare {
            bin,
            reference: if nr > 0 { r as f64 / nr as f64 } else { 0.0 },
            current: if nc > 0 { c as f64 / nc as f64 } else { 0.0 },
        })
        .collect();
    Drift { psi, band: Band::of(psi), chi_square: chi, df, p_value, leads: nc, reference_leads: nr, bins }
}

/// One part's drift, and what its column held that training never saw.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnDrift {
    pub column: String,
    pub part: String,
    #[serde(flatten)]
    pub drift: Drift,
    /// Cells the part could not read (such leads are left out of the score's figures).
    pub unreadable: u64,
    /// Leads with a value never seen in training, and the most frequent such values.
    pub new_value_leads: u64,
    pub new_values: Vec<(String, u64)>,
    /// A number's or date's leads below and above the range training saw (a unit
    /// changed from thousands to ones shows here first); 0 for levels.
    pub below_range_leads: u64,
    pub above_range_leads: u64,
}

/// A figure with its 95% interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub ci: [f64; 2],
}

/// Performance to expect at the threshold, from the probabilities alone.
#[derive(Debug, Clone, Serialize)]
pub struct Expected {
    pub threshold: f64,
    pub routed: usize,
    pub routed_share: f64,
    pub precision: Estimate,
    pub recall: Estimate,
    /// The same figures on the training holdout, when the threshold was chosen.
    pub training_precision: f64,
    pub training_recall: f64,
    pub training_routed_share: Option<f64>,
}

/// Performance measured on labelled leads.
#[derive(Debug, Clone, Serialize)]
pub struct Realised {
    pub leads: usize,
    pub won: usize,
    pub roc_auc: Option<Estimate>,
    pub precision: Estimate,
    pub recall: Estimate,
    /// Calibration in the large: the mean probability against the share won.
    pub mean_probability: f64,
    pub won_share: f64,
    pub calibration: Vec<CalibrationBin>,
    pub ece: f64,
    pub training_roc_auc: Option<f64>,
}

/// One segment of a segmented model on the new leads.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentMonitor {
    pub segment: String,
    /// Which weights score it (as in `evaluate`).
    pub model: String,
    pub leads: usize,
    pub share: f64,
    /// Its share of the training rows (`None` for a value not seen in training).
    pub training_share: Option<f64>,
    pub expected: Expected,
    pub realised: Option<Realised>,
}

/// Everything `monitor` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Monitor {
    pub leads: usize,
    /// Leads every cell of which the model reads (the score's figures are on these).
    pub scored: usize,
    pub as_of: String,
    pub model_as_of: Option<String>,
    pub model_age_days: Option<i64>,
    pub model_too_old: bool,
    pub columns: Vec<ColumnDrift>,
    pub score: Drift,
    pub expected: Expected,
    pub realised: Option<Realised>,
    /// A segmented model's figures per segment value (empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentMonitor>,
    /// The worst band of any column and the score: `act` makes the exit code 3.
    pub worst: Band,
}

fn wilson(k: usize, n: usize) -> Estimate {
    if n == 0 {
        return Estimate { value: 0.0, ci: [0.0, 1.0] };
    }
    let (z, n_f, p) = (crate::uncertainty::Z95, n as f64, k as f64 / n as f64);
    let d = 1.0 + z * z / n_f;
    let c = (p + z * z / (2.0 * n_f)) / d;
    let h = z * ((p * (1.0 - p) + z * z / (4.0 * n_f)) / n_f).sqrt() / d;
    Estimate { value: p, ci: [(c - h).max(0.0), (c + h).min(1.0)] }
}

/// CBPE at `threshold`: each probability is the expected label, so the expected true
/// positives among the routed are the sum of their probabilities; the intervals are the
/// normal approximation to the sums of those Bernoulli variables (recall by the delta
/// method).
pub fn expected(model: &LeadModel, probs: &[f64]) -> Expected {
    let thr = model.threshold.value;
    let (mut routed, mut tp, mut vtp, mut fnn, mut vfn) = (0usize, 0.0, 0.0, 0.0, 0.0);
    for &p in probs {
        if p >= thr {
            routed += 1;
            tp += p;
            vtp += p * (1.0 - p);
        } else {
            fnn += p;
            vfn += p * (1.0 - p);
        }
    }
    let z = crate::uncertainty::Z95;
    let clamp = |v: f64| v.clamp(0.0, 1.0);
    let precision = if routed > 0 {
        let (v, h) = (tp / routed as f64, z * vtp.sqrt() / routed as f64);
        Estimate { value: v, ci: [clamp(v - h), clamp(v + h)] }
    } else {
        Estimate { value: 0.0, ci: [0.0, 1.0] }
    };
    let recall = if tp + fnn > 0.0 {
        let s = tp + fnn;
        let v = tp / s;
        let var = (fnn * fnn * vtp + tp * tp * vfn) / s.powi(4);
        let h = z * var.sqrt();
        Estimate { value: v, ci: [clamp(v - h), clamp(v + h)] }
    } else {
        Estimate { value: 0.0, ci: [0.0, 1.0] }
    };
    let holdout_rows = model.meta.holdout.as_ref().map(|h| h.metrics.rows).filter(|&n| n > 0);
    Expected {
        threshold: thr,
        routed,
        routed_share: if probs.is_empty() { 0.0 } else { routed as f64 / probs.len() as f64 },
        precision,
        recall,
        training_precision: model.threshold.precision,
        training_recall: model.threshold.recall,
        training_routed_share: holdout_rows.map(|n| model.threshold.routed as f64 / n as f64),
    }
}

fn realised(model: &LeadModel, probs: &[f64], labels: &[bool]) -> Realised {
    let thr = model.threshold.value;
    let won = labels.iter().filter(|&&y| y).count();
    let routed = probs.iter().filter(|&&p| p >= thr).count();
    let tp = probs.iter().zip(labels).filter(|(&p, &y)| y && p >= thr).count();
    let roc_auc =
        crate::uncertainty::auc_interval(probs, labels).map(|a| Estimate { value: a.roc_auc, ci: a.roc_auc_ci });
    let (calibration, ece) = crate::metrics::calibration(probs, labels, 10);
    Realised {
        leads: labels.len(),
        won,
        roc_auc,
        precision: wilson(tp, routed),
        recall: wilson(tp, won),
        mean_probability: probs.iter().sum::<f64>() / probs.len().max(1) as f64,
        won_share: won as f64 / labels.len().max(1) as f64,
        calibration,
        ece,
        training_roc_auc: model.meta.holdout.as_ref().map(|h| h.metrics.roc_auc),
    }
}

/// The leads to monitor: the table, the probabilities of the leads the model reads
/// whole, and their labels when given (one per probability).
pub struct Leads<'a> {
    pub table: &'a Table,
    /// The table rows the probabilities belong to.
    pub rows: &'a [usize],
    pub as_of_day: i64,
    pub probabilities: &'a [f64],
    pub labels: Option<&'a [Option<bool>]>,
}

/// What `monitor` runs: `table`'s leads scored as of `as_of_day` and compared with the
/// model's reference `profile`; with `label` (the model's label column), the realised
/// figures too.
pub fn run(
    model: &LeadModel,
    profile: &Profile,
    table: &Table,
    as_of_day: i64,
    label: Option<&str>,
) -> Result<Monitor> {
    let (rows, probs) = crate::score::predict_readable(model, table, as_of_day)?;
    let labels: Option<Vec<Option<bool>>> = match label {
        Some(col) => {
            let (all, _, _) = crate::data::read_label(table, col, Some(&model.meta.positive_value))?;
            Some(rows.iter().map(|&i| all[i]).collect())
        }
        None => None,
    };
    check(model, profile, &Leads { table, rows: &rows, as_of_day, probabilities: &probs, labels: labels.as_deref() })
}

/// Compare `leads` with the model's reference profile.
pub fn check(model: &LeadModel, profile: &Profile, leads: &Leads) -> Result<Monitor> {
    let obs = observe(model, leads.table, None, leads.as_of_day)?;
    let mut columns = Vec::new();
    let mut refs = profile.parts.iter();
    for (fc, per_part) in model.features.columns.iter().zip(obs) {
        for o in per_part {
            let pp = refs.next().ok_or_else(|| Error::Internal("the profile has fewer parts than the model".into()))?;
            let mut outside_range = [0u64; 2];
            let (current, unreadable, new_value_leads, new_values) = match (&pp.reference, o) {
                (Reference::Numbers { edges, .. }, Obs::Numbers { values, unreadable, outside }) => {
                    outside_range = outside;
                    (count_numbers(edges, &values), unreadable, 0, Vec::new())
                }
                (Reference::Levels { levels, seen, seen_all, .. }, Obs::Levels { counts, missing, unreadable }) => {
                    let known: std::collections::HashSet<&str> = seen.iter().map(String::as_str).collect();
                    let mut new: Vec<(String, u64)> = if *seen_all {
                        counts
                            .iter()
                            .filter(|(l, _)| !known.contains(l.as_str()))
                            .map(|(l, n)| (l.clone(), *n))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    new.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    let total = new.iter().map(|(_, n)| n).sum();
                    new.truncate(10);
                    (count_levels(levels, &counts, missing), unreadable, total, new)
                }
                _ => return Err(Error::Internal(format!("column {:?}: the profile does not fit the model", fc.name))),
            };
            columns.push(ColumnDrift {
                column: fc.name.clone(),
                part: pp.label.clone(),
                drift: drift(pp.reference.counts(), &current, pp.reference.bin_names()),
                unreadable,
                new_value_leads,
                new_values,
                below_range_leads: outside_range[0],
                above_range_leads: outside_range[1],
            });
        }
    }
    // Each pair's cells against those it was fitted on: each paired column's bins read
    // once, however many pairs it is in (a column is often in several).
    let mut bins: Vec<(usize, &crate::features::pair::Axis, Vec<usize>)> = Vec::new();
    for pair in &model.pairs {
        for (k, axis) in [(pair.a, &pair.axis_a), (pair.b, &pair.axis_b)] {
            if bins.iter().any(|(c, x, _)| *c == k && *x == axis) {
                continue;
            }
            let fc = model.features.columns.get(k).ok_or_else(|| Error::Internal("a pair's column".into()))?;
            let cells = ColumnCells::read_values(leads.table, fc)?;
            let texts = cells.texts();
            let b = (0..leads.table.height()).map(|i| axis.bin(cells.cell(&texts, i), leads.as_of_day)).collect();
            bins.push((k, axis, b));
        }
    }
    let bins_of = |k: usize, axis: &crate::features::pair::Axis| {
        bins.iter().find(|(c, x, _)| *c == k && *x == axis).map(|(_, _, b)| b.as_slice()).unwrap_or(&[])
    };
    for pair in &model.pairs {
        let name = pair.name(&model.features.columns);
        let (ba, bb) = (bins_of(pair.a, &pair.axis_a), bins_of(pair.b, &pair.axis_b));
        let mut current = vec![0u64; pair.table.len()];
        for (&a, &b) in ba.iter().zip(bb) {
            current[pair.cell(a, b)] += 1;
        }
        let names = (0..pair.table.len()).map(|c| pair.cell_label(c)).collect();
        columns.push(ColumnDrift {
            column: name.clone(),
            part: format!("{name} (pair)"),
            drift: drift(&pair.reference, &current, names),
            unreadable: 0,
            new_value_leads: 0,
            new_values: Vec::new(),
            below_range_leads: 0,
            above_range_leads: 0,
        });
    }
    let mut score = match &profile.score {
        Reference::Numbers { edges, counts } => {
            drift(counts, &count_numbers(edges, leads.probabilities), profile.score.bin_names())
        }
        Reference::Levels { .. } => return Err(Error::Internal("the score's reference is not numeric".into())),
    };
    // A probability is never missing: the empty bin is not shown.
    score.bins.pop();
    let realised_all = leads.labels.map(|labels| {
        let (p, y): (Vec<f64>, Vec<bool>) =
            leads.probabilities.iter().zip(labels).filter_map(|(&p, l)| l.map(|y| (p, y))).unzip();
        realised(model, &p, &y)
    });
    let segments = match &model.segments {
        Some(sg) => {
            let keys = crate::segments::keys(leads.table, &sg.column, leads.rows)?;
            crate::segments::groups(&keys)
                .into_iter()
                .map(|(key, idx)| {
                    let p: Vec<f64> = idx.iter().map(|&k| leads.probabilities[k]).collect();
                    let trained = key.and_then(|k| sg.segments.iter().find(|g| g.value == k));
                    SegmentMonitor {
                        segment: key.unwrap_or("(missing)").to_string(),
                        model: crate::segments::weights_name(model, key),
                        leads: p.len(),
                        share: p.len() as f64 / leads.probabilities.len().max(1) as f64,
                        training_share: trained.map(|g| g.train_rows as f64 / model.meta.train_rows.max(1) as f64),
                        expected: expected(model, &p),
                        realised: leads.labels.map(|labels| {
                            let (p, y): (Vec<f64>, Vec<bool>) =
                                idx.iter().filter_map(|&k| labels[k].map(|y| (leads.probabilities[k], y))).unzip();
                            realised(model, &p, &y)
                        }),
                    }
                })
                .collect()
        }
        None => Vec::new(),
    };
    let model_day = model.features.as_of_day;
    let age = model_day.map(|d| leads.as_of_day - d);
    let day_text = |d: i64| crate::features::cell::from_day_number(d).map(|d| d.to_string()).unwrap_or_default();
    let worst = columns.iter().map(|c| c.drift.band).chain([score.band]).max().unwrap_or(Band::Stable);
    Ok(Monitor {
        leads: leads.table.height(),
        scored: leads.probabilities.len(),
        as_of: day_text(leads.as_of_day),
        model_as_of: model_day.map(day_text),
        model_age_days: age,
        model_too_old: age.is_some_and(|a| a > OLD_DAYS),
        columns,
        score,
        expected: expected(model, leads.probabilities),
        realised: realised_all,
        segments,
        worst,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::profile::edges_of;

    #[test]
    fn psi_is_zero_on_equal_shares_and_large_on_a_shift() {
        let r = [100, 100, 100, 100, 0];
        assert!(drift(&r, &[50, 50, 50, 50, 0], vec![String::new(); 5]).psi < 1e-3);
        let d = drift(&r, &[0, 0, 0, 200, 0], vec![String::new(); 5]);
        assert_eq!(d.band, Band::Act);
        assert!(d.p_value < 1e-10);
        // A small sample in the act band by chance is not significant.
        let small = drift(&[1000, 1000, 1000, 1000, 0], &[4, 0, 1, 3, 0], vec![String::new(); 5]);
        assert!(small.psi > ACT_PSI && small.p_value > 0.05, "{small:?}");
    }

    #[test]
    fn bins_are_fixed_at_training_deciles() {
        let v: Vec<f64> = (1..=100).map(f64::from).chain([f64::NAN]).collect();
        let e = edges_of(&v);
        assert_eq!(e.len(), 9);
        let c = count_numbers(&e, &v);
        assert_eq!(c.iter().sum::<u64>(), 101);
        assert_eq!(c[10], 1);
        assert!(c[..10].iter().all(|&n| (9..=11).contains(&n)), "{c:?}");
    }
}
