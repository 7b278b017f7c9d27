//! The command line: one file per subcommand, each an `Args` struct (its help text) and
//! a `run()` that calls the library; the argument groups they share are in [`args`].
//! The helpers every command prints with are in [`output`]. No polars calls and no decisions: those are the
//! library's.

use clap::{Parser, Subcommand};
use leadscore::error::Result;

mod args;
mod compare;
mod demo;
mod evaluate;
mod events;
mod export_sql;
mod inspect;
mod models;
mod monitor;
mod output;
mod report;
mod retrain;
mod rollback;
mod rules;
mod score;
mod serve;
mod synth;
mod threshold;
mod train;

/// Predictive lead scoring you own: train a logistic model on won/lost CRM contacts,
/// choose the threshold sales works to, score new leads with reasons, and compare it with
/// your manual points model.
///
/// Exit codes: 0 success, 1 internal failure, 2 bad input or usage; `monitor`: 3 when a
/// column or the score drifted into the act band; `retrain`: 4 when it kept the
/// champion; 5 when another retrain or rollback holds the model's lock.
#[derive(Debug, Parser)]
#[command(name = "leadscore", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Train(train::Args),
    Retrain(retrain::Args),
    Inspect(inspect::Args),
    Models(models::Args),
    Rollback(rollback::Args),
    Score(score::Args),
    Serve(serve::Args),
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
    if let Command::Retrain(a) = cli.command {
        return piped(a, |a| &mut a.leads, retrain::run);
    }
    match cli.command {
        Command::Train(a) => piped(a, |a| &mut a.leads, train::run),
        Command::Inspect(a) => inspect::run(a),
        Command::Models(a) => models::run(a),
        Command::Rollback(a) => rollback::run(a),
        Command::Score(a) => piped(a, |a| &mut a.leads, score::run),
        Command::Serve(a) => serve::run(a),
        Command::Evaluate(a) => piped(a, |a| &mut a.leads, evaluate::run),
        Command::Threshold(a) => piped(a, |a| &mut a.leads, threshold::run),
        Command::Rules(a) => rules::run(a),
        Command::Compare(a) => piped(a, |a| &mut a.leads, compare::run),
        Command::Report(a) => piped(a, |a| &mut a.leads, report::run),
        Command::Events(a) => events::run(a),
        Command::ExportSql(a) => export_sql::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Monitor(_) | Command::Retrain(_) => Ok(()),
    }
    .map(|()| 0)
}

/// Run a command whose leads may be `--data -`: standard input is spooled to a file for
/// the command's readers, and errors name "(standard input)".
fn piped<A, T>(mut a: A, leads: fn(&mut A) -> &mut args::Leads, run: fn(A) -> Result<T>) -> Result<T> {
    let spooled = leads(&mut a).take_stdin()?;
    args::Spooled::blame(&spooled, run(a))
}
