//! The `monitor` job: is the model still fit for the leads coming in?

use crate::as_of::{self, AsOf};
use crate::error::{Error, Result};
use crate::model::LeadModel;
use crate::monitor::Monitor;

use super::Leads;

/// What `monitor` is given.
#[derive(Debug, Clone)]
pub struct MonitorJob<'m> {
    pub model: &'m LeadModel,
    /// The model as the user knows it (its file), for messages.
    pub model_name: String,
    /// New leads (as of the given date, else today), or labelled ones with `label`.
    pub leads: Leads,
    /// The outcome column, when the leads are labelled: realised conversion too.
    pub label: Option<String>,
    /// Also render the monitoring page.
    pub page: bool,
}

/// The drift and the estimates, the as-of date, and the page when asked for.
#[derive(Debug, Clone)]
pub struct Monitored {
    pub monitor: Monitor,
    pub as_of: AsOf,
    pub page: Option<String>,
}

/// Compare the leads with the profile of the training rows the model keeps.
pub fn monitor(job: &MonitorJob) -> Result<Monitored> {
    let Some(profile) = &job.model.profile else {
        return Err(Error::usage(
            "monitor",
            format!(
                "{} was trained before leadscore kept a profile of the training rows; it still scores, but to monitor it, \
                 retrain it with this version (leadscore train ...) on the same or newer won/lost leads",
                job.model_name
            ),
        ));
    };
    let (table, as_of) = match &job.label {
        Some(_) => job.leads.history(job.model)?,
        None => {
            let a = as_of::for_scoring(job.leads.as_of);
            (job.leads.scoring(job.model, &a)?, a)
        }
    };
    let monitor = crate::monitor::run(job.model, profile, &table, as_of.day(), job.label.as_deref())?;
    let page = match job.page {
        true => Some(crate::report::monitor_page(job.model, &monitor, &job.leads.name())?),
        false => None,
    };
    Ok(Monitored { monitor, as_of, page })
}
