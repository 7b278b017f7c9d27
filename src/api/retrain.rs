//! The `retrain` job: a challenger trained the champion's way on a newer history,
//! promoted only when it is not worse.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::retrain::{RetrainParams, RetrainReport};

use super::Leads;

/// What `retrain` is given.
#[derive(Debug, Clone)]
pub struct RetrainJob {
    /// The live model (the champion); a promoted challenger replaces it.
    pub model: PathBuf,
    /// The history. Its encoding, when not auto, and its as-of date override the
    /// champion's; the activity log's columns default to the champion's.
    pub leads: Leads,
    /// `train` flags overriding the champion's recorded settings, as (flag, values).
    pub options: Vec<(String, Vec<String>)>,
    /// The label column, when the history names it otherwise.
    pub label: Option<String>,
    pub margin: f64,
    /// Promote even when the window of new leads is small.
    pub force: bool,
    pub dry_run: bool,
    /// Versions the history keeps.
    pub keep: usize,
    /// How long to wait for another retrain or rollback of the same model.
    pub wait: Duration,
}

/// The report, and the challenger's model file (when one was trained).
#[derive(Debug, Clone)]
pub struct Retrained {
    pub report: RetrainReport,
    pub challenger: Option<Vec<u8>>,
}

/// Retrain ([`crate::retrain::retrain`]): the champion's settings with the overrides, the
/// challenger graded against the champion on the leads it never saw, the gate, and on
/// promotion the history.
pub fn retrain(job: &RetrainJob, progress: &mut dyn FnMut(&str)) -> Result<Retrained> {
    if !(job.margin.is_finite() && (0.0..0.5).contains(&job.margin)) {
        return Err(Error::usage("--margin", format!("must be from 0 to 0.5, got {}", job.margin)));
    }
    if job.keep == 0 {
        return Err(Error::usage("--keep", "must be at least 1"));
    }
    let lock = crate::history::Lock::acquire(&job.model, job.wait)?;
    let (champion, info) = crate::model_file::load_with_info(&job.model)?;
    let mut settings = champion.record.as_ref().map(|r| r.settings.clone()).ok_or_else(|| {
        Error::usage(
            "retrain",
            format!(
                "{} was written before models recorded their settings (format version {}): train it once with `train`, \
                 and retrain from then on",
                job.model.display(),
                info.format_version
            ),
        )
    })?;
    let mut overrides = crate::train::settings::apply_options(&mut settings, &job.options)?;
    if let Some(l) = &job.label {
        settings.label = l.clone();
        overrides.push(format!("--label {l}"));
    }
    if let Some(d) = job.leads.as_of {
        settings.as_of = Some(d);
        overrides.push(format!("--as-of {d}"));
    }
    if job.leads.encoding != crate::encoding::EncodingChoice::Auto {
        settings.encoding = job.leads.encoding.to_string();
    }
    if let (Some(e), Some(ev)) = (settings.events.as_mut(), &job.leads.events) {
        e.contact = ev.contact.clone().or(e.contact.take());
        e.event_type = ev.event_type.clone().or(e.event_type.take());
        e.time = ev.time.clone().or(e.time.take());
    }
    let encoding = settings.encoding.parse().map_err(|m| Error::usage("--encoding", m))?;
    progress(&format!("reading {}", job.leads.path().display()));
    // Read in the settings' encoding (the champion's, unless given).
    let table = Leads { encoding, ..job.leads.clone() }.load()?;
    let log = match (&settings.events, &job.leads.events) {
        (Some(e), Some(file)) => {
            Some(crate::events::load(&file.path, e.contact.as_deref(), e.event_type.as_deref(), e.time.as_deref())?)
        }
        _ => None,
    };
    let params = RetrainParams {
        settings,
        overrides,
        margin: job.margin,
        force: job.force,
        dry_run: job.dry_run,
        keep: job.keep,
    };
    let (report, challenger) =
        crate::retrain::retrain(&job.model, (&champion, &info.checksum), &table, log, &params, &lock, progress)?;
    Ok(Retrained { report, challenger })
}
