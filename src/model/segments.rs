//! A segmented model's per-segment weights (issue 17), as the model file keeps them: for
//! each value of the segment column, which update of the global model it gets and that
//! update's weights. Plain data; [`crate::segments`] chooses and fits them.

use serde::{Deserialize, Serialize};

/// What a segment gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Update {
    Global,
    Intercept,
    Recalibration,
    Own,
}

impl Update {
    pub fn name(self) -> &'static str {
        match self {
            Update::Global => "global",
            Update::Intercept => "intercept",
            Update::Recalibration => "recalibration",
            Update::Own => "own",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Update::Global => "the global model as it is",
            Update::Intercept => "the global model with its own intercept",
            Update::Recalibration => "the global model recalibrated (its own intercept and slope)",
            Update::Own => "its own model, shrunk towards the global one",
        }
    }
}

/// One likelihood-ratio test of the closed-testing procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrTest {
    /// "own vs global", "recalibration vs intercept", ...
    pub test: String,
    pub chi2: f64,
    pub df: usize,
    pub p_value: f64,
}

/// One segment's model and how it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The segment value as the model matches it (trimmed, case-folded).
    pub value: String,
    pub update: Update,
    /// Why, in words, for the summary.
    pub why: String,
    /// The segment's log-odds: `intercept` plus `coef` over the global model's
    /// standardised design columns (both the global model's when `update` is global).
    pub intercept: f64,
    pub coef: Vec<f64>,
    /// The update's parameters on the held-out leads: `[a]`, `[a, b]` or `[a, b1, b2]`.
    pub update_params: Vec<f64>,
    pub train_rows: usize,
    pub train_won: usize,
    pub holdout_rows: usize,
    pub holdout_won: usize,
    /// The training rows the segment's own model needs (Riley et al. criteria i and iii),
    /// `None` when the global model explains nothing on the segment's held-out leads.
    pub own_model_needs: Option<f64>,
    pub tests: Vec<LrTest>,
}

/// Every segment of a segmented model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segments {
    /// The segment column (one of the model's input columns, a category).
    pub column: String,
    pub segments: Vec<Segment>,
}

impl Segments {
    /// The segment key of a cell's text: trimmed and case-folded as category levels are.
    pub fn key(text: &str) -> String {
        crate::features::part::CatKind::Text.level(text.trim()).into_owned()
    }

    /// The index of the segment a key routes to, when it has weights of its own.
    pub fn route(&self, key: &str) -> Option<usize> {
        self.segments.iter().position(|s| s.value == key && s.update != Update::Global)
    }

    pub fn check(&self, coefs: usize) -> std::result::Result<(), String> {
        for s in &self.segments {
            let width = if s.update == Update::Global { 0 } else { coefs };
            if s.coef.len() != width || !s.intercept.is_finite() || s.coef.iter().any(|c| !c.is_finite()) {
                return Err(format!("segment {:?} has damaged weights", s.value));
            }
        }
        Ok(())
    }
}
