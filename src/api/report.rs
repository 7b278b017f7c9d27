//! The `report` job: the model report as one self-contained HTML page.

use crate::as_of::AsOf;
use crate::error::Result;
use crate::model::LeadModel;
use crate::rules::Rules;
use crate::uncertainty::Bootstrap;

use super::Leads;

/// What `report` is given.
#[derive(Debug, Clone)]
pub struct ReportJob<'a> {
    pub model: &'a LeadModel,
    pub leads: Leads,
    /// A manual points model to compare with, and its name as the reader knows it.
    pub rules: Option<(&'a Rules, String)>,
    pub bootstrap: Bootstrap,
}

/// The page and the as-of date it measured at.
#[derive(Debug, Clone)]
pub struct Reported {
    pub html: String,
    pub as_of: AsOf,
}

/// Build the report ([`crate::report::build`]); the caller writes it.
pub fn report(job: &ReportJob) -> Result<Reported> {
    let table = job.leads.labelled(job.model)?;
    let name = job.leads.name();
    let rules = job.rules.as_ref().map(|(r, n)| (*r, n.as_str()));
    let (html, as_of) = crate::report::build(job.model, &table, rules, &name, job.leads.as_of, job.bootstrap)?;
    Ok(Reported { html, as_of })
}
