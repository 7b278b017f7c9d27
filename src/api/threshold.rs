//! The `threshold` job: a new operating point for a model, chosen on labelled leads.

use crate::as_of::AsOf;
use crate::error::Result;
use crate::metrics::CurvePoint;
use crate::model::LeadModel;
use crate::threshold::{Choice, Strategy};

use super::Leads;

/// What `threshold` is given.
#[derive(Debug, Clone)]
pub struct ThresholdJob {
    /// The model whose threshold (and default tiers) are chosen anew.
    pub model: LeadModel,
    pub leads: Leads,
    pub strategy: Strategy,
}

/// The model with its new threshold, and how it was chosen.
#[derive(Debug, Clone)]
pub struct Thresholded {
    pub model: LeadModel,
    /// The precision/recall curve it was chosen on.
    pub curve: Vec<CurvePoint>,
    pub choice: Choice,
    pub as_of: AsOf,
    /// Labelled leads, and the won among them.
    pub rows: usize,
    pub won: usize,
    /// The leads are the file the model was trained on (its rows flatter the model).
    pub training_file: bool,
}

/// Choose the threshold on the leads' probabilities as the strategy says; the model
/// records the file's name and its labelled rows. The caller saves the model.
pub fn threshold(job: ThresholdJob) -> Result<Thresholded> {
    let mut model = job.model;
    let (table, as_of) = job.leads.history(&model)?;
    let training_file = table.sha256 == model.meta.data_sha256;
    let (p, y, _) = crate::evaluate::labelled_predictions(&model, &table, as_of.day())?;
    let name = job.leads.name();
    let chosen_on = format!("{name} ({} labelled rows)", y.len());
    let (curve, choice) = model.choose_threshold(&p, &y, &job.strategy, chosen_on)?;
    let won = y.iter().filter(|&&v| v).count();
    Ok(Thresholded { model, curve, choice, as_of, rows: y.len(), won, training_file })
}
