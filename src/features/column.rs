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
}
