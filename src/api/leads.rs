//! The leads a job reads, one way for every front door: a file or a table in memory, the
//! as-of date as given, and the activity log the model's event columns come from.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::as_of::{self, AsOf};
use crate::data::Table;
use crate::encoding::EncodingChoice;
use crate::error::Result;
use crate::events::EventLog;
use crate::model::LeadModel;

/// Where the leads are.
#[derive(Debug, Clone)]
pub enum Source {
    /// A CSV (delimiter sniffed) or Parquet file.
    File(PathBuf),
    /// A table already in memory ([`crate::data::from_frame`]).
    Table(Table),
}

/// An activity log file and its columns (`None`: found by name).
#[derive(Debug, Clone, Default)]
pub struct EventsFile {
    pub path: PathBuf,
    pub contact: Option<String>,
    pub event_type: Option<String>,
    pub time: Option<String>,
}

impl EventsFile {
    pub fn load(&self) -> Result<EventLog> {
        crate::events::load(&self.path, self.contact.as_deref(), self.event_type.as_deref(), self.time.as_deref())
    }
}

/// The leads of a job.
#[derive(Debug, Clone)]
pub struct Leads {
    pub source: Source,
    /// A CSV file's text encoding.
    pub encoding: EncodingChoice,
    /// The as-of date as given (`None`: each job's rule, [`crate::as_of`]).
    pub as_of: Option<NaiveDate>,
    pub events: Option<EventsFile>,
}

impl Leads {
    pub fn file(path: impl Into<PathBuf>) -> Leads {
        Leads { source: Source::File(path.into()), encoding: EncodingChoice::Auto, as_of: None, events: None }
    }

    pub fn table(table: Table) -> Leads {
        Leads { source: Source::Table(table), encoding: EncodingChoice::Auto, as_of: None, events: None }
    }

    /// The file's path, or the table's name.
    pub fn path(&self) -> &Path {
        match &self.source {
            Source::File(p) => p,
            Source::Table(t) => &t.path,
        }
    }

    /// The file's name without its folder (the table's name), as summaries show it.
    pub fn name(&self) -> String {
        crate::data::file_name(self.path())
    }

    /// The leads alone (no activity log).
    pub fn load(&self) -> Result<Table> {
        match &self.source {
            Source::File(p) => crate::data::load_with(p, self.encoding),
            Source::Table(t) => Ok(t.clone()),
        }
    }

    /// The activity log, when one is given.
    pub fn event_log(&self) -> Result<Option<EventLog>> {
        self.events.as_ref().map(EventsFile::load).transpose()
    }

    /// Labelled history for `model`: the leads with the model's event columns (cut off
    /// at the given as-of date, else at the log's latest event).
    pub fn labelled(&self, model: &LeadModel) -> Result<Table> {
        self.with_events(model, self.as_of)
    }

    /// [`Self::labelled`] and the as-of date by the history rule (over the model's date
    /// columns).
    pub fn history(&self, model: &LeadModel) -> Result<(Table, AsOf)> {
        let table = self.labelled(model)?;
        let as_of = as_of::for_history(self.as_of, Some(model), &table, &[])?;
        Ok((table, as_of))
    }

    /// New leads to score as of `as_of`: the leads with the model's event columns, cut
    /// off at the end of that day.
    pub fn scoring(&self, model: &LeadModel, as_of: &AsOf) -> Result<Table> {
        self.with_events(model, Some(as_of.date))
    }

    fn with_events(&self, model: &LeadModel, cutoff: Option<NaiveDate>) -> Result<Table> {
        let table = self.load()?;
        let log = self.event_log()?;
        crate::score::with_events(model, table, log.as_ref(), cutoff)
    }
}
