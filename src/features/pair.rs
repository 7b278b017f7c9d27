//! Pairwise interaction terms (issue 36, part 3): a GA2M's pair kept inside the one
//! logistic model.
//!
//! A pair crosses two input columns on a coarse grid: each column is an [`Axis`] of a few
//! bins (a number's or date's training quartiles, or a category's most frequent levels,
//! then "(other)"; then "(missing)"), and each cell of the grid is one design column in
//! training, a 0/1 indicator centred on its training share and scaled so that linfa's
//! one L2 strength falls on the pair's cells as a ridge of their own
//! ([`crate::interactions`] chooses it). The saved model keeps each pair as a
//! [`PairTerm`]: its axes and the contribution of each cell, which is what every scoring
//! path adds to the log-odds and what the pair's reason shows
//! (`employees x title = 50-200 x vp (+0.30)`). A value beyond what training saw falls in
//! the edge bin, so a pair is flat beyond the training range as the shapes are.

use serde::{Deserialize, Serialize};

use super::column::Cells;
use super::part::{fmt_num, quantile_sorted, CatKind, NumKind, Part, Values, MISSING};
use crate::cell::Cell;

/// Bins of a number on a pair's axis: its training quartiles.
pub const PAIR_BINS: usize = 4;
/// Most levels of a category kept on a pair's axis (the rest are "(other)").
pub const PAIR_LEVELS: usize = 5;
/// Least training rows of a level kept on a pair's axis.
pub const PAIR_MIN_ROWS: usize = 20;

/// One column's bins in a pair, then "(missing)" last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Axis {
    /// A number (a date as its days before the as-of date), as its part reads it: bin `k`
    /// holds the values above `cuts[k-1]` up to `cuts[k]`; the last bin the values above
    /// every cut.
    Cuts { kind: NumKind, cuts: Vec<f64> },
    /// A category's levels, as its part reads them: one bin each, then "(other)".
    Levels { kind: CatKind, levels: Vec<String> },
}

impl Axis {
    /// Bins, "(missing)" included.
    pub fn len(&self) -> usize {
        match self {
            Axis::Cuts { cuts, .. } => cuts.len() + 2,
            Axis::Levels { levels, .. } => levels.len() + 2,
        }
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bin of a number (NaN: missing).
    pub fn bin_of_value(cuts: &[f64], v: f64) -> usize {
        if v.is_nan() {
            cuts.len() + 1
        } else {
            cuts.partition_point(|&c| c < v)
        }
    }

    /// The bin of a level (`None`: missing).
    pub fn bin_of_level(levels: &[String], level: Option<&str>) -> usize {
        match level {
            None => levels.len() + 1,
            Some(l) => levels.iter().position(|k| k == l).unwrap_or(levels.len()),
        }
    }

    /// The bin of one cell, read as the column's own part reads it. A cell the part
    /// cannot read stops the lead before its pairs are reached; here it is "(missing)".
    pub fn bin(&self, cell: Cell, as_of_day: i64) -> usize {
        match self {
            Axis::Cuts { kind, cuts } => Self::bin_of_value(cuts, kind.value(cell, as_of_day).unwrap_or(f64::NAN)),
            Axis::Levels { kind, levels } => match cell {
                Cell::Missing => levels.len() + 1,
                Cell::Text(s) => Self::bin_of_level(levels, Some(&kind.level(s))),
                other => {
                    let text = super::part::typed_text(other);
                    Self::bin_of_level(levels, Some(&kind.level(&text)))
                }
            },
        }
    }

    /// A bin as the reason shows it: `up to 12`, `12-50`, `over 200` (days for a date), a
    /// level, `(other)` or `(missing)`.
    pub fn bin_label(&self, b: usize) -> String {
        match self {
            Axis::Cuts { kind, cuts } => {
                let unit = if kind.date_order().is_some() { " days" } else { "" };
                if b == cuts.len() + 1 {
                    "(missing)".into()
                } else if b == 0 {
                    format!("up to {}{unit}", fmt_num(cuts[0]))
                } else if b == cuts.len() {
                    format!("over {}{unit}", fmt_num(cuts[b - 1]))
                } else {
                    format!("{}-{}{unit}", fmt_num(cuts[b - 1]), fmt_num(cuts[b]))
                }
            }
            Axis::Levels { levels, .. } => match levels.get(b) {
                Some(l) => l.clone(),
                None if b == levels.len() => "(other)".into(),
                None => "(missing)".into(),
            },
        }
    }

    /// The axis of a column, from its first part and that part's cells on the training
    /// rows: a number's quartiles (at least two values apart), or the most frequent
    /// levels. `None` when the column has fewer than two bins with values.
    pub(super) fn fit(part: &Part, cells: &Cells, train_rows: &[usize]) -> Option<Axis> {
        match (part, cells) {
            (Part::Numeric(_) | Part::Spline(_), Cells::Numbers(v)) => {
                let kind = part.numeric()?.kind;
                let mut seen: Vec<f64> = train_rows.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
                if seen.is_empty() {
                    return None;
                }
                seen.sort_unstable_by(f64::total_cmp);
                let top = *seen.last()?;
                let mut cuts: Vec<f64> = (1..PAIR_BINS)
                    .map(|k| quantile_sorted(&seen, k as f64 / PAIR_BINS as f64))
                    .filter(|&c| c < top)
                    .collect();
                cuts.dedup();
                (!cuts.is_empty()).then_some(Axis::Cuts { kind, cuts })
            }
            (Part::Levels(p), Cells::Levels(Values { dict, codes })) => {
                let mut counts = vec![0usize; dict.len()];
                for &i in train_rows {
                    if codes[i] != MISSING {
                        counts[codes[i] as usize] += 1;
                    }
                }
                let mut order: Vec<usize> = (0..dict.len()).filter(|&c| counts[c] >= PAIR_MIN_ROWS).collect();
                order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(dict[a].cmp(&dict[b])));
                order.truncate(PAIR_LEVELS);
                let levels: Vec<String> = order.iter().map(|&c| dict[c].clone()).collect();
                (!levels.is_empty()).then_some(Axis::Levels { kind: p.kind, levels })
            }
            _ => None,
        }
    }

    /// Each of `rows`' bins from a column's cells (its first part's, as [`Self::fit`]
    /// read them).
    pub(super) fn bins_of(&self, cells: &Cells, rows: &[usize]) -> Vec<u16> {
        match (self, cells) {
            (Axis::Cuts { cuts, .. }, Cells::Numbers(v)) => {
                rows.iter().map(|&i| Self::bin_of_value(cuts, v[i]) as u16).collect()
            }
            (Axis::Levels { levels, .. }, Cells::Levels(Values { dict, codes })) => {
                let by_code: Vec<u16> =
                    dict.iter().map(|d| Self::bin_of_level(levels, Some(d.as_str())) as u16).collect();
                let missing = (levels.len() + 1) as u16;
                rows.iter().map(|&i| if codes[i] == MISSING { missing } else { by_code[codes[i] as usize] }).collect()
            }
            (a, _) => vec![(a.len() - 1) as u16; rows.len()],
        }
    }
}

/// A fitted pair: two input columns (indices into the fitted features' columns), their
/// axes, and each cell's contribution to the
/// log-odds, row-major (`a`'s bin times `b`'s bins plus `b`'s bin). The contributions
/// average 0 over the training rows, so the intercept and the columns' own shapes keep
/// their meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairTerm {
    pub a: usize,
    pub b: usize,
    pub axis_a: Axis,
    pub axis_b: Axis,
    pub table: Vec<f64>,
    /// Each cell's rows among those the pair was fitted on: `monitor`'s reference bins.
    pub reference: Vec<u64>,
}

impl PairTerm {
    /// The cell of bins `ba` and `bb`.
    pub fn cell(&self, ba: usize, bb: usize) -> usize {
        ba * self.axis_b.len() + bb
    }

    /// The pair's name from its columns' names: `employees x title`.
    pub fn name(&self, columns: &[super::column::FittedColumn]) -> String {
        let name = |k: usize| columns.get(k).map_or("?", |c| c.name.as_str());
        format!("{} x {}", name(self.a), name(self.b))
    }

    /// A cell as the reason shows it: `50-200 x vp`.
    pub fn cell_label(&self, cell: usize) -> String {
        let nb = self.axis_b.len();
        format!("{} x {}", self.axis_a.bin_label(cell / nb), self.axis_b.bin_label(cell % nb))
    }

    /// Internal consistency, checked after loading a model file.
    pub fn check(&self, columns: usize) -> Result<(), String> {
        if self.a >= columns || self.b >= columns || self.a == self.b {
            return Err("a pair refers to columns the model does not have".into());
        }
        if self.table.len() != self.axis_a.len() * self.axis_b.len()
            || self.reference.len() != self.table.len()
            || self.table.iter().any(|x| !x.is_finite())
        {
            return Err("a pair's table does not match its axes".into());
        }
        Ok(())
    }
}

impl Axis {
    /// The bin of a value as SQL: `value` is the column's value (a number part's, NULL
    /// when missing) or level (a level part's, NULL when missing), as the query's `vals`
    /// computes it for the column's own part.
    pub fn sql_bin(&self, value: &str, d: crate::dialect::sql::Dialect) -> String {
        let mut e = format!("CASE WHEN {value} IS NULL THEN {}", self.len() - 1);
        match self {
            Axis::Cuts { cuts, .. } => {
                for (k, c) in cuts.iter().enumerate() {
                    e.push_str(&format!(" WHEN {value} <= {} THEN {k}", d.float(*c)));
                }
                e.push_str(&format!(" ELSE {} END", cuts.len()));
            }
            Axis::Levels { levels, .. } => {
                for (k, l) in levels.iter().enumerate() {
                    e.push_str(&format!(" WHEN {value} = {} THEN {k}", d.string(l)));
                }
                e.push_str(&format!(" ELSE {} END", levels.len()));
            }
        }
        e
    }
}

impl PairTerm {
    /// The lead's cell as SQL from its two columns' values (see [`Axis::sql_bin`]).
    pub fn sql_cell(&self, va: &str, vb: &str, d: crate::dialect::sql::Dialect) -> String {
        format!("(({}) * {} + ({}))", self.axis_a.sql_bin(va, d), self.axis_b.len(), self.axis_b.sql_bin(vb, d))
    }

    /// The cell's contribution as SQL (`cell`: [`Self::sql_cell`]).
    pub fn sql_contribution(&self, cell: &str, d: crate::dialect::sql::Dialect) -> String {
        let mut e = format!("CASE {cell}");
        for (c, v) in self.table.iter().enumerate() {
            e.push_str(&format!(" WHEN {c} THEN {}", d.float(*v)));
        }
        e + " ELSE 0.0 END"
    }

    /// The cell as the reason shows it, as SQL (`cell`: [`Self::sql_cell`]).
    pub fn sql_label(&self, cell: &str, d: crate::dialect::sql::Dialect) -> String {
        let mut e = format!("CASE {cell}");
        for c in 0..self.table.len() {
            e.push_str(&format!(" WHEN {c} THEN {}", d.string(&self.cell_label(c))));
        }
        e + " END"
    }
}
