//! `leadscore report`: the model report as one self-contained HTML file.

use std::path::{Path, PathBuf};

use clap::Parser;
use leadscore::as_of::{self, AsOf};
use leadscore::compare::compare_on;
use leadscore::error::Result;
use leadscore::evaluate::{evaluate_predictions, labelled_predictions};
use leadscore::model::LeadModel;
use leadscore::report::{render, ReportInput};
use leadscore::rules::{Rules, RulesFile};
use leadscore::{data, model_file};

use super::args::{Force, Leads, ModelIn, Quiet, Seed};
use super::output::file_name;

/// Write the model report as one self-contained HTML file.
///
/// The report (inline SVG and CSS, no network) has the data summary and training metadata, ROC and precision-recall curves with the
/// threshold marked, the calibration plot, the gains chart, the score distribution of
/// won and lost leads and the largest coefficients; with --rules, the manual-versus-
/// predictive panel (both curves, conversion by stage and tier, the agreement matrix).
///
/// Example: leadscore report --model leads.model --data holdout.csv --rules rules.toml --output report.html
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    #[command(flatten)]
    pub leads: Leads,
    /// A manual points model to compare with.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// The HTML file to write.
    #[arg(long, value_name = "report.html")]
    pub output: PathBuf,
    #[command(flatten)]
    pub seed: Seed,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let (data_path, model_path) = (&args.leads.data, &args.model.model);
    let mut inputs: Vec<&Path> = vec![data_path, model_path];
    if let Some(r) = &args.rules {
        inputs.push(r);
    }
    data::check_output(&args.output, &inputs, args.force.force)?;
    let model = model_file::load(model_path)?;
    let table = args.leads.load_labelled(&model)?;
    let rules = args.rules.as_deref().map(RulesFile::load).transpose()?;
    let rules = rules.as_ref().zip(args.rules.as_deref());
    let (html, as_of) = build(&model, &table, rules, args.leads.as_of, args.seed.bootstrap())?;
    data::write_text(&args.output, &html)?;
    console.note(&format!("as of {}", as_of.describe()));
    console.note(&format!("report written to {}", args.output.display()));
    Ok(())
}

/// Gather the numbers (evaluation, curves, comparison) and render the report. The
/// as-of date is the history rule's, over the model's date columns and, with rules, the
/// rules' fields: the same date `compare` uses on the same inputs.
pub fn build(
    model: &LeadModel,
    table: &data::Table,
    rules: Option<(&Rules, &Path)>,
    given_as_of: Option<chrono::NaiveDate>,
    bootstrap: leadscore::uncertainty::Bootstrap,
) -> Result<(String, AsOf)> {
    let name = file_name(&table.path);
    let (comparison, as_of) = match rules {
        None => (None, as_of::for_history(given_as_of, Some(model), table, &[])?),
        Some((rules, path)) => {
            let (c, as_of) = compare_on(model, rules, table, given_as_of, None, bootstrap)?;
            (Some((c, file_name(path))), as_of)
        }
    };
    let (p, y, missing) = labelled_predictions(model, table, as_of.day())?;
    let mut ev = evaluate_predictions(model, &p, &y, missing, &name, bootstrap)?;
    ev.as_of = Some(as_of);
    if let Some(sg) = &model.segments {
        ev.segments = leadscore::evaluate::by_segment(model, table, as_of.day(), &p, &y, &sg.column)?;
        ev.segment_column = Some(sg.column.clone());
    }
    let html = render(&ReportInput {
        model,
        data_name: name,
        evaluation: &ev,
        curve: &ev.curve,
        comparison: comparison.as_ref().map(|(c, n)| (c, n.clone())),
    })?;
    Ok((html, as_of))
}
