//! The reference profile a model keeps of its training rows (issue 16): each feature
//! part's values counted into fixed bins while the features are fitted, and the holdout's
//! probabilities in their deciles. It lives with the parts that read the cells, so that
//! the bins are drawn on what a part reads; [`crate::monitor`] counts new leads into the
//! same bins later and compares.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::part::{fmt_num, quantile_sorted, Part, SplinePart};

/// Bins per number (deciles) and for the score.
pub const BINS: usize = 10;
/// The most values of a level column the profile keeps, most frequent first.
pub const MAX_SEEN: usize = 2000;
/// The reference profile: what the training rows looked like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Training rows the parts were counted on.
    pub rows: u64,
    pub parts: Vec<PartProfile>,
    /// The holdout's probabilities in their deciles.
    pub score: Reference,
}

/// One feature part's reference bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartProfile {
    pub column: String,
    /// The part's label (the column name, or e.g. "job_title (seniority)").
    pub label: String,
    pub reference: Reference,
}

/// Fixed bins and their training counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reference {
    /// Value bins (-inf, e0], (e0, e1], ..., (e_last, inf), then missing.
    Numbers { edges: Vec<f64>, counts: Vec<u64> },
    /// The part's kept levels, then every other value, then missing; `seen` holds the
    /// values seen in training (all of them when `seen_all`, else the most frequent).
    Levels { levels: Vec<String>, counts: Vec<u64>, seen: Vec<String>, seen_all: bool },
}

impl Reference {
    pub(crate) fn bin_names(&self) -> Vec<String> {
        match self {
            Reference::Numbers { edges, .. } => {
                let mut v = Vec::with_capacity(edges.len() + 2);
                for (i, e) in edges.iter().enumerate() {
                    v.push(match i {
                        0 => format!("<= {}", fmt_num(*e)),
                        _ => format!("{} to {}", fmt_num(edges[i - 1]), fmt_num(*e)),
                    });
                }
                v.push(match edges.last() {
                    Some(e) => format!("> {}", fmt_num(*e)),
                    None => "any value".into(),
                });
                v.push("(missing)".into());
                v
            }
            Reference::Levels { levels, .. } => {
                let mut v = levels.clone();
                v.push("(other)".into());
                v.push("(missing)".into());
                v
            }
        }
    }

    pub(crate) fn counts(&self) -> &[u64] {
        match self {
            Reference::Numbers { counts, .. } | Reference::Levels { counts, .. } => counts,
        }
    }
}

/// A part's name in monitoring: the column's, or the part's label when the column has
/// several parts ("job_title seniority").
pub fn part_label(column: &str, part: &Part, parts: usize) -> String {
    let label = match part {
        Part::Numeric(p) | Part::Spline(SplinePart { base: p, .. }) => &p.label,
        Part::Levels(p) => &p.label,
    };
    if parts > 1 && label != column {
        label.clone()
    } else {
        column.to_string()
    }
}

/// Decile edges of the present values: strictly increasing, below the largest value.
pub(crate) fn edges_of(values: &[f64]) -> Vec<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.is_empty() {
        return Vec::new();
    }
    present.sort_by(f64::total_cmp);
    let hi = present[present.len() - 1];
    let mut edges: Vec<f64> = Vec::new();
    for k in 1..BINS {
        let e = quantile_sorted(&present, k as f64 / BINS as f64);
        if e < hi && edges.last().is_none_or(|&l| e > l) {
            edges.push(e);
        }
    }
    edges
}

/// Counts of `values` in the bins of `edges`, then missing (NaN).
pub(crate) fn count_numbers(edges: &[f64], values: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; edges.len() + 2];
    for &v in values {
        let bin = if v.is_nan() { edges.len() + 1 } else { edges.partition_point(|&e| e < v) };
        counts[bin] += 1;
    }
    counts
}

pub(crate) fn count_levels(levels: &[String], counts: &HashMap<String, u64>, missing: u64) -> Vec<u64> {
    let mut out = vec![0u64; levels.len() + 2];
    for (l, n) in counts {
        match levels.iter().position(|k| k == l) {
            Some(i) => out[i] += n,
            None => out[levels.len()] += n,
        }
    }
    out[levels.len() + 1] = missing;
    out
}

/// The reference profile: each part's bins from training (counted while the features
/// were fitted, [`super::FitReport::profile`]) and the holdout's probabilities.
pub fn profile(parts: Vec<PartProfile>, rows: usize, holdout_probs: &[f64]) -> Profile {
    Profile { rows: rows as u64, parts, score: Reference::of_numbers(holdout_probs.to_vec()) }
}

impl Reference {
    /// Decile bins of `values` (NaN: missing) and their counts.
    pub fn of_numbers(values: Vec<f64>) -> Reference {
        let edges = edges_of(&values);
        let counts = count_numbers(&edges, &values);
        Reference::Numbers { edges, counts }
    }

    /// The bins of a level part with `levels` kept, from each value's count and the
    /// missing count.
    pub fn of_levels(levels: &[String], mut seen: Vec<(String, u64)>, missing: u64) -> Reference {
        seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let counts: HashMap<String, u64> = seen.iter().cloned().collect();
        let seen_all = seen.len() <= MAX_SEEN;
        Reference::Levels {
            levels: levels.to_vec(),
            counts: count_levels(levels, &counts, missing),
            seen: seen.into_iter().take(MAX_SEEN).map(|(l, _)| l).collect(),
            seen_all,
        }
    }
}
