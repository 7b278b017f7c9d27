//! One input column as the pipeline holds it: the fitted column the model keeps (its
//! role and parts), and while fitting, its parts' cells read once. Below the pipeline in
//! [`super`] and the screening in [`super::screen`], which both work on these.

use serde::{Deserialize, Serialize};

use super::kind::Role;
use super::part::{Part, PureLevels, Values};

/// An input column the pipeline uses, and the parts built from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedColumn {
    pub name: String,
    pub role: Role,
    pub parts: Vec<Part>,
}

impl FittedColumn {
    /// How the column's numbers or dates are written, when not plain ("decimal comma,
    /// thousands separators"), for summaries.
    pub fn format_note(&self) -> Option<String> {
        self.parts.iter().find_map(|p| p.numeric().and_then(|p| p.kind.format_note()))
    }
}

/// The cells of one part, read once.
#[derive(Clone)]
pub(super) enum Cells {
    Numbers(Vec<f64>),
    Levels(Values),
}

/// One column fitted: the column, its parts' cells, its best single-part AUC and any
/// almost-always-won levels.
pub(super) struct FittedCol {
    pub(super) column: FittedColumn,
    pub(super) cells: Vec<Cells>,
    pub(super) auc: f64,
    pub(super) pure: Vec<PureLevels>,
    /// How often the column is filled for won and for lost training rows, when it is
    /// filled in some and empty in others.
    pub(super) filled: Option<FilledSplit>,
}

/// How often a column is filled for won and for lost leads on the training rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FilledSplit {
    pub column: String,
    pub won_filled: usize,
    pub won: usize,
    pub lost_filled: usize,
    pub lost: usize,
}

impl FilledSplit {
    /// Counts of `column`'s filled cells (`filled(i)`) over the training `rows` with `labels`.
    pub(super) fn count(column: &str, rows: &[usize], labels: &[bool], filled: impl Fn(usize) -> bool) -> FilledSplit {
        let mut s = FilledSplit { column: column.to_string(), won_filled: 0, won: 0, lost_filled: 0, lost: 0 };
        for (&i, &y) in rows.iter().zip(labels) {
            let f = filled(i) as usize;
            if y {
                s.won += 1;
                s.won_filled += f;
            } else {
                s.lost += 1;
                s.lost_filled += f;
            }
        }
        s
    }

    /// Shares of won and of lost leads with the column filled.
    pub fn shares(&self) -> (f64, f64) {
        (self.won_filled as f64 / self.won.max(1) as f64, self.lost_filled as f64 / self.lost.max(1) as f64)
    }

    /// The ROC AUC of "is filled" alone, oriented (at least 0.5): for a yes/no score,
    /// half of one plus the gap between the two shares.
    pub fn auc(&self) -> f64 {
        let (w, l) = self.shares();
        0.5 + 0.5 * (w - l).abs()
    }

    /// Filled in some training rows and empty in others.
    pub fn varies(&self) -> bool {
        let filled = self.won_filled + self.lost_filled;
        filled > 0 && filled < self.won + self.lost
    }
}
