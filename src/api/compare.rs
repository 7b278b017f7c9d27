//! The `compare` job: the manual points model and the predictive model on the same
//! labelled leads.

use crate::as_of::AsOf;
use crate::compare::Comparison;
use crate::error::Result;
use crate::model::LeadModel;
use crate::rules::Rules;
use crate::uncertainty::Bootstrap;

use super::Leads;

/// What `compare` is given.
#[derive(Debug, Clone)]
pub struct CompareJob<'a> {
    pub model: &'a LeadModel,
    pub rules: &'a Rules,
    pub leads: Leads,
    /// The id column for the disagreements [default: the model's].
    pub id: Option<String>,
    pub bootstrap: Bootstrap,
}

/// The comparison and the as-of date (the history rule's, over the model's date columns
/// and the rules' fields).
#[derive(Debug, Clone)]
pub struct Compared {
    pub comparison: Comparison,
    pub as_of: AsOf,
}

/// Compare the two rankings ([`crate::compare::compare_on`]).
pub fn compare(job: &CompareJob) -> Result<Compared> {
    let table = job.leads.labelled(job.model)?;
    let (comparison, as_of) =
        crate::compare::compare_on(job.model, job.rules, &table, job.leads.as_of, job.id.as_deref(), job.bootstrap)?;
    Ok(Compared { comparison, as_of })
}
