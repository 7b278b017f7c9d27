//! The `evaluate` job: a saved model measured on labelled leads it did not train on.

use crate::as_of::AsOf;
use crate::error::Result;
use crate::evaluate::Evaluation;
use crate::model::LeadModel;
use crate::uncertainty::Bootstrap;

use super::Leads;

/// What `evaluate` is given.
#[derive(Debug, Clone)]
pub struct EvaluateJob<'m> {
    pub model: &'m LeadModel,
    pub leads: Leads,
    /// Also measure per value of this column [default: a segmented model's column].
    pub by: Option<String>,
    /// The bootstrap intervals' replicates and seed.
    pub bootstrap: Bootstrap,
}

/// The evaluation and the as-of date it was measured at.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub evaluation: Evaluation,
    pub as_of: AsOf,
}

/// Measure the model on the leads (with its event columns, as of the history rule's
/// date): ROC AUC with DeLong's interval, PR AUC, calibration, gains, the figures at the
/// threshold with bootstrap intervals.
pub fn evaluate(job: &EvaluateJob) -> Result<Evaluated> {
    let (table, as_of) = job.leads.history(job.model)?;
    let name = job.leads.path().display().to_string();
    let evaluation =
        crate::evaluate::evaluate_table(job.model, &table, as_of, &name, job.by.as_deref(), job.bootstrap)?;
    Ok(Evaluated { evaluation, as_of })
}
