//! The command line: one file per subcommand, each an `Args` struct (its help text) and
//! a `run()` that calls the library; the argument groups they share are in [`args`].
//! Shared helpers for printing live here. No polars calls and no decisions: those are the
//! library's.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use leadscore::error::{Error, Result};

mod args;
mod compare;
mod demo;
mod evaluate;
mod events;
mod export_sql;
mod monitor;
mod report;
mod rules;
mod score;
mod synth;
mod threshold;
mod train;

/// Predictive lead scoring you own: train a logistic model on won/lost CRM contacts,
/// choose the threshold sales works to, score new leads with reasons, and compare it with
/// your manual points model.
///
/// Exit codes: 0 success, 1 internal failure, 2 bad input or usage; `monitor`: 3 when a
/// column or the score drifted into the act band.
#[derive(Debug, Parser)]
#[command(name = "leadscore", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Train(train::Args),
    Score(score::Args),
    Evaluate(evaluate::Args),
    Threshold(threshold::Args),
    Rules(rules::Args),
    Compare(compare::Args),
    Report(report::Args),
    Events(events::Args),
    ExportSql(export_sql::Args),
    Monitor(monitor::Args),
    Synth(synth::Args),
    Demo(demo::Args),
}

/// Parse the command line and run the subcommand; the exit code of a success (0, or 3
/// from `monitor` when something drifted into the act band).
pub fn run() -> Result<i32> {
    let cli = Cli::parse();
    if let Command::Monitor(a) = cli.command {
        return piped(a, |a| &mut a.leads, monitor::run);
    }
    match cli.command {
        Command::Train(a) => piped(a, |a| &mut a.leads, train::run),
        Command::Score(a) => piped(a, |a| &mut a.leads, score::run),
        Command::Evaluate(a) => piped(a, |a| &mut a.leads, evaluate::run),
        Command::Threshold(a) => piped(a, |a| &mut a.leads, threshold::run),
        Command::Rules(a) => rules::run(a),
        Command::Compare(a) => piped(a, |a| &mut a.leads, compare::run),
        Command::Report(a) => piped(a, |a| &mut a.leads, report::run),
        Command::Events(a) => events::run(a),
        Command::ExportSql(a) => export_sql::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Monitor(_) => Ok(()),
    }
    .map(|()| 0)
}

/// Run a command whose leads may be `--data -`: standard input is spooled to a file for
/// the command's readers, and errors name "(standard input)".
fn piped<A, T>(mut a: A, leads: fn(&mut A) -> &mut args::Leads, run: fn(A) -> Result<T>) -> Result<T> {
    let spooled = leads(&mut a).take_stdin()?;
    args::Spooled::blame(&spooled, run(a))
}

/// Progress and notes on stderr, silenced by `--quiet`.
pub struct Console {
    pub quiet: bool,
}

/// Temporary files that stand for standard input or output, and the words shown for
/// them in notes and summaries.
static SHOWN_AS: std::sync::Mutex<Vec<(String, &'static str)>> = std::sync::Mutex::new(Vec::new());

/// Show `path` as `words` ("(standard input)") in every later note and summary.
pub fn show_as(path: &Path, words: &'static str) {
    if let Ok(mut v) = SHOWN_AS.lock() {
        v.push((path.display().to_string(), words));
    }
}

/// `text` with the temporary files of [`show_as`] named as the user knows them.
pub fn shown(text: &str) -> String {
    let mut t = text.to_string();
    if let Ok(v) = SHOWN_AS.lock() {
        for (path, words) in v.iter() {
            t = t.replace(path.as_str(), words);
        }
    }
    t
}

impl Console {
    pub fn note(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{}", shown(msg));
        }
    }

    /// A progress bar over `total` bytes on stderr: drawn only when stderr is a terminal
    /// and not `--quiet`.
    pub fn bytes_bar(&self, total: u64) -> indicatif::ProgressBar {
        if self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed} (eta {eta})")
        {
            bar.set_style(style);
        }
        bar
    }

    /// A spinner with the current stage on stderr (terminal only, not with `--quiet`).
    pub fn spinner(&self) -> indicatif::ProgressBar {
        if self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let s = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        s.enable_steady_tick(std::time::Duration::from_millis(200));
        s
    }
}

/// Write text to stdout; a closed pipe surfaces as a broken-pipe write error (exit 0).
pub fn out(text: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(shown(text).as_bytes())
        .and_then(|_| lock.flush())
        .map_err(|e| Error::Write { path: PathBuf::from("<stdout>"), source: e })
}

/// Print one JSON object on stdout.
pub fn out_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Internal(format!("JSON: {e}")))?;
    out(&(text + "\n"))
}

/// Thousands separators for counts in human output.
pub fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn file_name(p: &Path) -> String {
    p.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_else(|| p.display().to_string())
}

/// Align rows of cells into a plain-text table (first column left, others right).
pub fn text_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            if i == 0 {
                s.push_str(&format!(" {c}{}", " ".repeat(pad)));
            } else {
                s.push_str(&format!("  {}{c}", " ".repeat(pad)));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut s = line(headers.iter().map(|h| h.to_string()).collect());
    for r in rows {
        s.push_str(&line(r.clone()));
    }
    s
}

pub fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}
