//! The `score` job: a saved model's scores for new leads, from a file into a file (the
//! command line) or from a table into a table (the Python package).

use std::path::Path;

use polars::prelude::DataFrame;

use crate::as_of::{self, AsOf};
use crate::cell::Cell;
use crate::dialect::OutputDialect;
use crate::error::Result;
use crate::model::LeadModel;
use crate::score::row::{CellError, RowState};
use crate::score::{Explained, OnBadRow, Reject, Route, RowScorer, ScoreParams, ScoredLead};

use super::Leads;

/// What `score` is given ([`ScoreJob::new`], then the fields to change).
#[derive(Debug, Clone)]
pub struct ScoreJob<'m> {
    pub model: &'m LeadModel,
    pub leads: Leads,
    /// The date dates count back from, resolved once from `leads.as_of`: as given, else
    /// today (UTC), so that no lead's score depends on the others in the file, and every
    /// step of one run (the note, the scores, the changes) uses the same day.
    pub as_of: AsOf,
    /// Positive reasons per lead (negative: one fewer); 0 leaves them out.
    pub reasons: usize,
    /// The id column carried to the output [default: the model's, else row numbers].
    pub id: Option<String>,
    pub on_bad_row: OnBadRow,
    /// How a CSV output is written.
    pub dialect: OutputDialect,
}

impl<'m> ScoreJob<'m> {
    /// The leads scored with the command line's defaults: 3 reasons, the model's id
    /// column, stop at the first cell the model cannot read, CSV written as the input.
    pub fn new(model: &'m LeadModel, leads: Leads) -> ScoreJob<'m> {
        let as_of = as_of::for_scoring(leads.as_of);
        ScoreJob { model, leads, as_of, reasons: 3, id: None, on_bad_row: OnBadRow::Fail, dialect: OutputDialect::Auto }
    }

    /// A warning when today is far past the model's training data.
    pub fn gap_warning(&self) -> Option<String> {
        as_of::scoring_gap_warning(self.model, &self.as_of)
    }

    fn params(&self) -> ScoreParams {
        ScoreParams {
            as_of_day: self.as_of.day(),
            reasons: self.reasons,
            id: self.id.clone(),
            on_bad_row: self.on_bad_row,
            dialect: self.dialect,
        }
    }
}

/// What [`score_file`] tells its caller as it goes.
#[derive(Debug, Clone, Copy)]
pub enum FileProgress<'a> {
    /// A CSV path: the route, the bytes read and the (decoded) file's size.
    Csv { route: Route, done: u64, total: u64 },
    /// The leads are being read whole (a Parquet file, a Parquet output, an activity log).
    Reading,
    /// The leads are scored (and the rejects and the CRM file written); what follows
    /// (the changes, the deliveries) has not started.
    Scored(&'a FileScored),
    /// A note on what follows the scored file (the changes, the deliveries).
    Note(&'a str),
    /// A warning that must show even when notes are off.
    Warning(&'a str),
}

/// Where the scores go, and what follows them.
pub struct FileOutput<'a> {
    /// The scored file (CSV or Parquet, by extension), or with `crm` the CRM's import file.
    pub path: &'a Path,
    /// Skip the parallel CSV scorer (the same output; for comparing the two).
    pub streaming_only: bool,
    /// Write the leads set aside (`on_bad_row`) here, as CSV.
    pub rejects: Option<&'a Path>,
    /// Write the scores as this CRM's importer takes them, in place of the scored file.
    pub crm: Option<&'a crate::crm::CrmSpec>,
    /// Compare with the last run's state, write the changes and deliver them; with the
    /// model file's checksum, which the changes carry.
    pub alerts: Option<(&'a crate::alerts::run::AfterRun<'a>, String)>,
}

/// How [`score_file`] scored a file.
#[derive(Debug, Clone)]
pub struct FileScored {
    pub rows: usize,
    /// Leads at or above the threshold.
    pub decisions: usize,
    /// Leads set aside (`on_bad_row`).
    pub rejects: Vec<Reject>,
    /// The text encoding a CSV was read as (the CSV paths only).
    pub encoding: Option<crate::encoding::Detected>,
    /// What the CRM file holds (with `crm`).
    pub crm: Option<crate::crm::Written>,
}

/// Score the leads' file into `output.path`, then write the CRM file and compare with
/// the last run, as `output` asks. A dry run's requests are printed to `out`.
pub fn score_file(
    job: &ScoreJob,
    output: &FileOutput,
    out: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(FileProgress),
) -> Result<FileScored> {
    // With a CRM file, the scores go to a table in a temporary folder first.
    let scratch = match output.crm {
        Some(_) => Some(
            tempfile::tempdir()
                .map_err(|e| crate::Error::Internal(format!("a temporary folder for the scored leads: {e}")))?,
        ),
        None => None,
    };
    let scored_path = match &scratch {
        Some(dir) => dir.path().join("scored.parquet"),
        None => output.path.to_path_buf(),
    };
    let mut done = score_into(job, &scored_path, output.streaming_only, progress)?;
    if let Some(spec) = output.crm {
        let state = output.alerts.as_ref().map(|(a, _)| a.state);
        done.crm = Some(crate::crm::export(spec, &scored_path, state, job.model, output.path)?);
    }
    if let Some(path) = output.rejects {
        crate::score::write_rejects(path, &done.rejects)?;
    }
    progress(FileProgress::Scored(&done));
    if let Some((run, checksum)) = &output.alerts {
        let progress = std::cell::RefCell::new(progress);
        crate::alerts::run::after_run(
            job.model,
            checksum.clone(),
            &job.as_of.date.to_string(),
            &scored_path,
            run,
            out,
            &mut |m| (progress.borrow_mut())(FileProgress::Note(m)),
            &mut |m| (progress.borrow_mut())(FileProgress::Warning(m)),
        )?;
    }
    Ok(done)
}

/// Score the leads' file into `output`. A CSV in and out without an activity log goes
/// through [`crate::score::score_csv_file`] (the parallel path, else the streaming one;
/// `streaming_only` for comparing the two); anything else is read whole (with the model's
/// event columns), scored, and written in `output`'s format and the resolved dialect.
fn score_into(
    job: &ScoreJob,
    output: &Path,
    streaming_only: bool,
    progress: &mut dyn FnMut(FileProgress),
) -> Result<FileScored> {
    let (model, params) = (job.model, job.params());
    if let super::Source::File(input) = &job.leads.source {
        if crate::score::can_stream(model, input, output) && job.leads.events.is_none() {
            let done = crate::score::score_csv_file(
                model,
                input,
                output,
                &params,
                job.leads.encoding,
                streaming_only,
                &mut |route, done, total| progress(FileProgress::Csv { route, done, total }),
            )?;
            return Ok(FileScored {
                rows: done.rows,
                decisions: done.decisions,
                rejects: done.rejects,
                encoding: Some(done.encoding),
                crm: None,
            });
        }
    }
    progress(FileProgress::Reading);
    let table = job.leads.scoring(model, &job.as_of)?;
    let mut params = params;
    params.dialect =
        params.dialect.resolve(table.delimiter.unwrap_or(b','), table.encoding, model.reads_decimal_commas());
    let (mut scored, rejects) = crate::score::score_table_with_rejects(model, &table, &params)?;
    crate::data::write_table_as(&mut scored, output, params.out_dialect())?;
    let decisions = crate::score::count_decisions(&scored);
    Ok(FileScored { rows: scored.height(), decisions, rejects, encoding: None, crm: None })
}

/// The scored leads as a table: the columns the scored file has (the id or row number,
/// probability, score, tier, decision, reasons), one row per lead kept.
#[derive(Debug, Clone)]
pub struct TableScored {
    pub frame: DataFrame,
    pub rejects: Vec<Reject>,
    pub as_of: AsOf,
}

/// Score the leads into a table, as [`score_file`] would write them.
pub fn score_table(job: &ScoreJob) -> Result<TableScored> {
    let table = job.leads.scoring(job.model, &job.as_of)?;
    let (frame, rejects) = crate::score::score_table_with_rejects(job.model, &table, &job.params())?;
    Ok(TableScored { frame, rejects, as_of: job.as_of })
}

/// Each lead explained: its log-odds, each column's contribution, and its `reasons`
/// strongest reasons (value and signed contribution), in the scored file's order.
pub fn explain(job: &ScoreJob) -> Result<Vec<Explained>> {
    let table = job.leads.scoring(job.model, &job.as_of)?;
    crate::score::explain_table(job.model, &table, job.as_of.day(), job.reasons)
}

/// Leads given one at a time as cells (`serve`'s JSON fields), the model compiled once:
/// each lead through the one per-lead arithmetic into a [`ScoredLead`].
pub struct RecordScorer<'m> {
    scorer: RowScorer<'m>,
    reasons: usize,
}

impl<'m> RecordScorer<'m> {
    /// Compile `model`; `reasons` positive reasons per lead (negative: one fewer).
    pub fn new(model: &'m LeadModel, reasons: usize) -> Result<RecordScorer<'m>> {
        Ok(RecordScorer { scorer: RowScorer::new(model)?, reasons })
    }

    pub fn model(&self) -> &'m LeadModel {
        self.scorer.model
    }

    /// A scratch state for [`Self::score`], reused from lead to lead.
    pub fn state(&self) -> RowState {
        self.scorer.state()
    }

    /// One lead: `cell(k)` its cell in the model's k-th input column, `text(k)` that
    /// cell as the reasons show it; as of `as_of_day`. A cell the model cannot read is
    /// the error, naming the column's index.
    pub fn score<'c, Id>(
        &self,
        st: &mut RowState,
        cell: impl Fn(usize) -> Cell<'c>,
        text: impl Fn(usize) -> Option<&'c str>,
        as_of_day: i64,
        id: Option<Id>,
    ) -> std::result::Result<ScoredLead<Id>, CellError> {
        let m = self.scorer.model;
        let z = self.scorer.log_odds(cell, as_of_day, st)?;
        let probability = self.scorer.probability(z, st);
        let verdict = m.verdict(probability);
        let mut reasons = String::new();
        if self.reasons > 0 {
            self.scorer.reason_text(st, self.reasons, text, '.', &mut reasons);
        }
        Ok(ScoredLead {
            id,
            probability,
            score: verdict.score,
            tier: m.tiers.names.get(verdict.tier).cloned().unwrap_or_default(),
            decision: verdict.decision,
            reasons,
            segment: self.scorer.segment(st).map(str::to_string),
        })
    }
}
