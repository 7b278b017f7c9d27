//! Argument groups shared by the subcommands, defined once and flattened into each
//! (`#[command(flatten)]`), with the value parsers for typed options. A subcommand's own
//! file adds only what is its alone.

use std::path::PathBuf;

use chrono::NaiveDate;
use leadscore::encoding::EncodingChoice;
use leadscore::error::Result;
use leadscore::model::Tiers;
use leadscore::threshold::Strategy;

/// The model a command reads.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelIn {
    /// Model file written by `leadscore train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
}

/// The leads a command reads: the file, the as-of date, the activity log.
#[derive(Debug, Clone, clap::Args)]
pub struct Leads {
    /// Leads: a CSV (delimiter sniffed) or Parquet export; `-` reads standard input
    /// (CSV, or as --format says). Labelled (with the model's label column) for train,
    /// evaluate, threshold, compare and report.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The format of `--data -` (standard input has no file extension).
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = ["csv", "parquet"])]
    pub format: String,
    /// The date that date columns and rule windows count back from. Scoring new leads:
    /// default today (UTC), so that no lead's score depends on the others in the file.
    /// Labelled history (train, evaluate, threshold, compare, report, rules): default the
    /// latest date in the data. Every summary says which date was used.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Text encoding of a CSV file: auto (a byte-order mark, else UTF-8 when the file is
    /// valid UTF-8, else Windows-1252, as Excel writes on Nordic and German machines),
    /// utf-8, utf-16le, utf-16be, windows-1252 (also latin-1).
    #[arg(long, value_name = "NAME", default_value = "auto", value_parser = parse_encoding)]
    pub encoding: EncodingChoice,
    #[command(flatten)]
    pub events: EventArgs,
}

/// Standard input spooled to a temporary file, so that every reader (encoding sniffing,
/// the validating pass, the parallel scorer) reads it as a file; removed when dropped.
pub struct Spooled {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Spooled {
    /// `result` with the temporary file's name replaced by "(standard input)".
    pub fn blame<T>(spooled: &Option<Spooled>, result: Result<T>) -> Result<T> {
        match spooled {
            Some(s) => result.map_err(|e| e.with_path(&s.path, std::path::Path::new("(standard input)"))),
            None => result,
        }
    }
}

impl Leads {
    /// With `--data -`, copy standard input to a temporary file and read that instead.
    pub fn take_stdin(&mut self) -> Result<Option<Spooled>> {
        if self.data.as_os_str() != "-" {
            return Ok(None);
        }
        let (dir, path) = leadscore::data::spool_stdin(&self.format)?;
        self.data = path.clone();
        super::output::show_as(&path, "(standard input)");
        // Summaries that name the file alone.
        super::output::show_as(
            std::path::Path::new(&format!("trained on standard-input.{}", self.format)),
            "trained on (standard input)",
        );
        Ok(Some(Spooled { _dir: dir, path }))
    }

    /// The leads as the front doors take them.
    pub fn job(&self) -> leadscore::api::Leads {
        leadscore::api::Leads {
            source: leadscore::api::Source::File(self.data.clone()),
            encoding: self.encoding,
            as_of: self.as_of,
            events: self.events.events.as_ref().map(|path| leadscore::api::EventsFile {
                path: path.clone(),
                contact: self.events.event_contact.clone(),
                event_type: self.events.event_type.clone(),
                time: self.events.event_time.clone(),
            }),
        }
    }
}

/// The activity-log options shared by the commands that read leads.
#[derive(Debug, Clone, clap::Args)]
pub struct EventArgs {
    /// Activity log (CSV or Parquet): one row per page view, e-mail open, click, webinar,
    /// demo request..., joined to the leads on the id column.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// The log's contact id column [default: contact_id, lead_id, contact, id, ...].
    #[arg(long, value_name = "COL", requires = "events")]
    pub event_contact: Option<String>,
    /// The log's event type column [default: event_type, type, activity, ...].
    #[arg(long, value_name = "COL", requires = "events")]
    pub event_type: Option<String>,
    /// The log's timestamp column [default: timestamp, event_time, time, date, ...].
    #[arg(long, value_name = "COL", requires = "events")]
    pub event_time: Option<String>,
}

impl EventArgs {
    pub fn load(&self) -> Result<Option<leadscore::events::EventLog>> {
        match &self.events {
            None => Ok(None),
            Some(p) => Ok(Some(leadscore::events::load(
                p,
                self.event_contact.as_deref(),
                self.event_type.as_deref(),
                self.event_time.as_deref(),
            )?)),
        }
    }
}

/// Replacing an existing output.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Force {
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// The seed of the bootstrap intervals.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Seed {
    /// Seed for the bootstrap intervals (PR AUC, precision, recall, lift): the same seed
    /// gives the same intervals.
    #[arg(long, default_value_t = 42, value_name = "N")]
    pub seed: u64,
}

impl Seed {
    pub fn bootstrap(self) -> leadscore::uncertainty::Bootstrap {
        leadscore::uncertainty::Bootstrap { seed: self.seed, ..Default::default() }
    }
}

/// Silence on stderr.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Quiet {
    /// No progress messages or notes on stderr (errors still show).
    #[arg(long, short)]
    pub quiet: bool,
}

impl Quiet {
    pub fn console(self) -> super::output::Console {
        super::output::Console { quiet: self.quiet }
    }
}

/// Machine-readable output.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Json {
    /// Print one JSON object on stdout; the human summary goes to stderr.
    #[arg(long)]
    pub json: bool,
}

/// Parse `YYYY-MM-DD`.
pub fn parse_screen(s: &str) -> std::result::Result<leadscore::features::screen::ScreenSetting, String> {
    s.parse()
}

pub fn parse_dialect(s: &str) -> std::result::Result<leadscore::dialect::OutputDialect, String> {
    s.parse()
}

pub fn parse_date(s: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date; use YYYY-MM-DD"))
}

/// Parse `--encoding`.
pub fn parse_encoding(s: &str) -> std::result::Result<EncodingChoice, String> {
    s.parse()
}

/// Parse a threshold strategy (`f1`, `precision:0.6`, `top:500`, ...).
pub fn parse_strategy(s: &str) -> std::result::Result<Strategy, String> {
    s.parse::<Strategy>().map_err(|e| e.to_string())
}

/// Parse `--tiers "contact,mql:0.2,sql:0.5"`.
pub fn parse_tiers(s: &str) -> std::result::Result<Tiers, String> {
    Tiers::parse(s).map_err(|e| e.to_string())
}

/// Parse `--alpha`: a number above 0, or `auto`.
pub fn parse_alpha(s: &str) -> std::result::Result<leadscore::train::Alpha, String> {
    leadscore::train::settings::parse_alpha(s)
}
