//! The `train` job: the settings as given and the leads in, the trained model and what
//! training measured out.

use crate::error::Result;
use crate::model::record::{EventSettings, TrainSettings};
use crate::train::TrainOutcome;

use super::Leads;

/// What `train` is given. The leads' as-of date, encoding and activity-log columns are
/// written onto the settings, which the model records.
#[derive(Debug, Clone)]
pub struct TrainJob {
    pub leads: Leads,
    /// The options as `train`'s flags give them ([`crate::train::settings::set_option`]);
    /// `sample` draws a stratified sample of a CSV file while reading it.
    pub settings: TrainSettings,
}

/// What training tells its caller as it goes.
#[derive(Debug, Clone, Copy)]
pub enum TrainProgress<'a> {
    /// A one-off note: reading, rows sampled, the encoding read.
    Note(&'a str),
    /// The stage the fit is in.
    Stage(&'a str),
}

impl TrainJob {
    /// The settings with the leads' options written on.
    pub fn settings(&self) -> TrainSettings {
        let mut s = self.settings.clone();
        if self.leads.as_of.is_some() {
            s.as_of = self.leads.as_of;
        }
        s.encoding = self.leads.encoding.to_string();
        s.events = self.leads.events.as_ref().map(|e| EventSettings {
            contact: e.contact.clone(),
            event_type: e.event_type.clone(),
            time: e.time.clone(),
            cutoff_col: s.events.as_ref().and_then(|e| e.cutoff_col.clone()),
            half_life_days: s.events.as_ref().map_or(30.0, |e| e.half_life_days),
        });
        s
    }
}

/// Train a model: read (or sample) the leads, fit, measure on the holdout, and fit again
/// on every labelled lead ([`crate::train::train`]). The caller saves the model.
pub fn train(job: &TrainJob, progress: &mut dyn FnMut(TrainProgress)) -> Result<TrainOutcome> {
    let settings = job.settings();
    let params = crate::train::settings::params(&settings, job.leads.event_log()?)?;
    let path = job.leads.path().to_path_buf();
    progress(TrainProgress::Note(&format!("reading {}", path.display())));
    let (table, sample) = match (settings.sample, &job.leads.source) {
        (Some(n), super::Source::File(p)) => {
            let (t, info) =
                crate::sample::sample_csv(p, job.leads.encoding, &settings.label, n, params.seed, &mut |rows| {
                    progress(TrainProgress::Note(&format!(
                        "sampling: {} rows read",
                        crate::format::count(rows as usize)
                    )))
                })?;
            (t, Some(info))
        }
        (Some(_), super::Source::Table(_)) => {
            return Err(crate::Error::usage("--sample", "samples a file while reading it; a table in memory is whole"))
        }
        (None, _) => (job.leads.load()?, None),
    };
    if let Some(e) = &table.encoding {
        progress(TrainProgress::Note(&format!("read {} as {}", path.display(), e.describe())));
    }
    let mut outcome = crate::train::train(&table, &params, &mut |m| progress(TrainProgress::Stage(m)))?;
    outcome.model.sample = sample;
    Ok(outcome)
}
