//! `leadscore events`: aggregate an activity log into per-contact behavioural columns.

use std::path::PathBuf;

use clap::Parser;
use leadscore::data;
use leadscore::error::{Error, Result};
use leadscore::events::{fit_and_append, EventParams};

use super::args::{parse_date, EventArgs, Force, Quiet};
use super::output::count;

/// Aggregate a raw activity log into per-contact behavioural columns, point in time.
///
/// Writes the contacts with those columns appended: counts per event type in the last 7,
/// 30 and 90 days and in all, days since the last event of each type, a recency-decayed
/// count, days since the last event and distinct active days. Each contact uses only
/// events up to the end of its cut-off day (--cutoff-col, else --as-of); later events
/// are dropped and counted. This is what `train --events` does before fitting; run it
/// to inspect the features or feed another tool.
///
/// Example: leadscore events --data contacts.csv --id lead_id --events log.csv --output with_events.parquet
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Contacts: CSV or Parquet.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The contacts' id column, matched to the log's contact column [default with
    /// --model: the model's id column].
    #[arg(long, value_name = "COL", required_unless_present = "model")]
    pub id: Option<String>,
    /// Compute exactly the columns this model reads (its event types, windows and
    /// half-life, as `score --events` does), for example to send them to `serve`.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub events: EventArgs,
    /// Per-contact cut-off date column (e.g. the day the deal was won or lost).
    #[arg(long, value_name = "COL")]
    pub cutoff_col: Option<String>,
    /// Cut-off for contacts without one [default: the day of the log's latest event].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Half-life in days of the recency-decayed counts.
    #[arg(long, default_value_t = 30.0, value_name = "DAYS")]
    pub event_half_life: f64,
    /// Output: CSV or Parquet, by extension.
    #[arg(long, value_name = "OUT")]
    pub output: PathBuf,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let log_path =
        args.events.events.clone().ok_or_else(|| Error::usage("events", "give the activity log with --events"))?;
    data::check_output(&args.output, &[&args.data, &log_path], args.force.force)?;
    console.note(&format!("reading {}", args.data.display()));
    let table = data::load(&args.data)?;
    console.note(&format!("reading {}", log_path.display()));
    let Some(log) = args.events.load()? else {
        return Err(Error::usage("events", "give the activity log with --events"));
    };
    if let Some(model_path) = &args.model {
        if args.cutoff_col.is_some() {
            return Err(Error::usage(
                "--cutoff-col",
                "with --model the events count up to --as-of (as scoring counts them); leave out --cutoff-col",
            ));
        }
        let model = leadscore::model_file::load(model_path)?;
        let n = model.events.as_ref().map_or(0, |e| e.column_names().len());
        console.note("aggregating as the model does");
        let mut out = leadscore::score::with_events(&model, table, Some(&log), args.as_of)?;
        data::write_table(&mut out.df, &args.output)?;
        console.note(&format!("the model's {n} event columns appended; written to {}", args.output.display()));
        return Ok(());
    }
    let id = args.id.as_deref().unwrap_or_default();
    let params = EventParams { half_life_days: args.event_half_life, ..Default::default() };
    console.note("aggregating");
    let (mut out, _, report) = fit_and_append(&log, &table, id, args.cutoff_col.as_deref(), args.as_of, &params)?;
    data::write_table(&mut out.df, &args.output)?;
    console.note(&format!(
        "{} events for {} contacts: {} used, {} after their contact's cut-off dropped, {} for unknown contacts; {} columns appended; written to {}",
        count(report.events),
        count(table.height()),
        count(report.used),
        count(report.after_cutoff),
        count(report.unmatched),
        report.columns,
        args.output.display()
    ));
    Ok(())
}
