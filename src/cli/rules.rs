//! `leadscore rules`: run the manual points model; `rules suggest`: write one from a model.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use leadscore::error::Result;
use leadscore::rules::suggest::{suggest, SuggestParams};
use leadscore::rules::RulesFile;
use leadscore::{data, model_file};

use super::args::{parse_date, EventArgs, Force, ModelIn, Quiet};
use super::output::count;

/// Run the manual points model (a TOML rules file) over leads.
///
/// Per lead: the total
/// points, the stage, the rules that fired and the points from each rule, so that "why
/// is this lead an MQL?" has an answer.
///
/// The rules file: [stages] by minimum points (increasing), optional [groups] caps,
/// optional decay of a group's points by inactivity, and [[rule]] tables with a name,
/// a field, one condition (equals, in, contains_any, matches, between, gt, gte, lt, lte,
/// is_missing, older_than_days, within_days) and points or per_unit (with max); and
/// optionally `and = [{ field = "...", <condition> }, ...]`, conditions on other fields
/// that must hold too. A missing value fires no rule but is_missing. See
/// data/sample_rules.toml.
///
/// `leadscore rules suggest` turns a trained model into such a file (see its --help).
///
/// Example: leadscore rules --rules data/sample_rules.toml --data data/new_leads.csv --output points.csv
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub sub: Option<Sub>,
    /// The rules file (TOML).
    #[arg(long, value_name = "FILE", required = true)]
    pub rules: Option<PathBuf>,
    /// Leads: CSV or Parquet.
    #[arg(long, value_name = "FILE", required = true)]
    pub data: Option<PathBuf>,
    /// Output: CSV or Parquet, by extension.
    #[arg(long, value_name = "OUT", required = true)]
    pub output: Option<PathBuf>,
    /// Date that older_than_days, within_days and decay count from [default: the latest
    /// date in the fields the rules read]; the activity log is cut off at its end
    /// [default: the day of the log's latest event].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Id column to carry to the output [default: row numbers].
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Activity log: its aggregates become fields the rules can read, named
    /// events.<type>.7d / .30d / .90d / .all / .days_since / .decayed, events.days_since_last
    /// and events.active_days (joined on --id, cut off at --as-of).
    #[command(flatten)]
    pub events: EventArgs,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    Suggest(SuggestArgs),
}

/// Turn a trained model into a points table people can read, as credit scorecards do:
/// points proportional to the log-odds, scaled so that --pdo points double the odds,
/// written in the rules format, with stages from the model's tiers.
///
/// Example: leadscore rules suggest --model leads.model --output suggested_rules.toml
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct SuggestArgs {
    #[command(flatten)]
    pub model: ModelIn,
    /// Where to write the rules file (TOML).
    #[arg(long, value_name = "RULES.toml")]
    pub output: PathBuf,
    /// Points that double the odds of winning.
    #[arg(long, default_value_t = 20.0)]
    pub pdo: f64,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
}

pub fn run(args: Args) -> Result<()> {
    if let Some(Sub::Suggest(s)) = args.sub {
        return run_suggest(s);
    }
    let console = args.quiet.console();
    let (Some(rules_path), Some(data_path), Some(output)) = (args.rules, args.data, args.output) else {
        return Err(leadscore::Error::usage("rules", "--rules, --data and --output are required"));
    };
    data::check_output(&output, &[&data_path, &rules_path], args.force.force)?;
    let rules = RulesFile::load(&rules_path)?;
    let table = data::load(&data_path)?;
    let log = args.events.load()?;
    let mut run = leadscore::rules::run(&rules, table, args.id.clone(), log.as_ref(), args.as_of)?;
    console.note(&format!("as of {}", run.as_of.describe()));
    data::write_table(&mut run.frame, &output)?;
    let summary: Vec<String> = run.per_stage.iter().map(|(n, c)| format!("{n} {}", count(*c))).collect();
    console.note(&format!(
        "{} leads scored by {} rules as of {}: {}; written to {}",
        count(run.leads),
        rules.rules.len(),
        run.as_of.date,
        summary.join(", "),
        output.display()
    ));
    Ok(())
}

fn run_suggest(args: SuggestArgs) -> Result<()> {
    if !(args.pdo.is_finite() && args.pdo > 0.0) {
        return Err(leadscore::Error::usage("--pdo", format!("must be above 0, got {}", args.pdo)));
    }
    data::check_output(&args.output, &[&args.model.model], args.force.force)?;
    let model = model_file::load(&args.model.model)?;
    let text = suggest(&model, &SuggestParams { pdo: args.pdo });
    // The suggestion must itself be a valid rules file.
    RulesFile::parse(&text, &args.output)?;
    data::write_text(&args.output, &text)?;
    args.quiet.console().note(&format!("suggested rules written to {}", args.output.display()));
    if let Some(sg) = &model.segments {
        args.quiet.console().note(&format!(
            "note: this model has its own weights per {} value; the points follow the global model (one points \
             model per segment is not suggested)",
            sg.column
        ));
    }
    Ok(())
}
