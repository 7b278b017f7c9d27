//! The scored lead: what scoring says of one lead, the one type every consumer of scores
//! carries (`serve`'s answers, the changes between runs, the CRM import files), and the
//! one reader of a scored file back into it.

use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{polars_err, Error, Result};

/// One scored lead. `Id` is the id as the consumer keeps it: text read back from a
/// scored file, or `serve`'s JSON value (a number stays a number).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredLead<Id = String> {
    /// The id column's value (a scored file without one: the row number); `None` when
    /// the lead has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    pub probability: f64,
    /// 0-100.
    pub score: i32,
    pub tier: String,
    /// At or above the model's threshold.
    pub decision: bool,
    /// As the scored file writes them: `column = value (+0.84); ...` (empty without).
    pub reasons: String,
    /// The segment whose own weights scored the lead (segmented models only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
}

/// The leads of a scored file (CSV in any decimal mark, or Parquet) as this run wrote it,
/// and whether it has reasons (`--reasons 0` leaves them out). Cells are read as text,
/// so that either writer gives the same values; a blank id is `None`.
pub fn read_scored(path: &Path) -> Result<(Vec<ScoredLead>, bool)> {
    let t = crate::data::load(path)?;
    let err = |e: PolarsError| polars_err(path, e);
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        let c = t.column(name)?.cast(&DataType::String).map_err(err)?;
        Ok(c.str().map_err(err)?.iter().map(|v| v.map(str::to_string)).collect())
    };
    let id_name = t.column_names().first().cloned().unwrap_or_default();
    let ids = text(&id_name)?;
    let probability = text("probability")?;
    let score = text("score")?;
    let decision = text("decision")?;
    let tier = text("tier")?;
    let has_reasons = t.column_names().iter().any(|c| c == "reasons");
    let reasons = if has_reasons { text("reasons")? } else { vec![None; t.height()] };
    let number = |v: &Option<String>| v.as_deref().and_then(|x| x.trim().replace(',', ".").parse::<f64>().ok());
    let mut leads = Vec::with_capacity(t.height());
    for (i, id) in ids.into_iter().enumerate() {
        let bad = |m: &str| {
            Error::Internal(format!("{}: row {}: {m} in the scored file just written", path.display(), i + 1))
        };
        leads.push(ScoredLead {
            id: id.filter(|k| !k.trim().is_empty()),
            probability: number(&probability[i]).ok_or_else(|| bad("a probability that is not a number"))?,
            score: number(&score[i]).ok_or_else(|| bad("a score that is not a number"))? as i32,
            tier: tier[i].clone().unwrap_or_default(),
            decision: decision[i].as_deref() == Some("true"),
            reasons: reasons[i].clone().unwrap_or_default(),
            segment: None,
        });
    }
    Ok((leads, has_reasons))
}
