//! `leadscore report`: the model report as one self-contained HTML file.

use std::path::{Path, PathBuf};

use clap::Parser;
use leadscore::compare::compare;
use leadscore::error::Result;
use leadscore::evaluate::{evaluate_predictions, labelled_predictions};
use leadscore::features::text::{day_number, from_day_number};
use leadscore::model::LeadModel;
use leadscore::report::{render, ReportInput};
use leadscore::rules::RulesFile;
use leadscore::score::{labels_for, predict_table};
use leadscore::{data, model_file};

use super::{file_name, parse_date, Console};

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
    /// Model file written by `leadscore train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Labelled leads to measure on, ideally not used in training.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// A manual points model to compare with.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// As-of date [default: the latest date in the data].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub events: super::EventArgs,
    /// The HTML file to write.
    #[arg(long, value_name = "report.html")]
    pub output: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// No progress messages.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let console = Console { quiet: args.quiet };
    let mut inputs: Vec<&Path> = vec![&args.data, &args.model];
    if let Some(r) = &args.rules {
        inputs.push(r);
    }
    data::check_output(&args.output, &inputs, args.force)?;
    let model = model_file::load(&args.model)?;
    let table = super::load_leads(&model, &args.data, &args.events, args.as_of)?;
    let html = build(&model, &table, args.rules.as_deref(), args.as_of)?;
    data::write_text(&args.output, &html)?;
    console.note(&format!("report written to {}", args.output.display()));
    Ok(())
}

/// Gather the numbers (evaluation, curves, comparison) and render the report.
pub fn build(model: &LeadModel, table: &data::Table, rules: Option<&Path>, as_of: Option<chrono::NaiveDate>) -> Result<String> {
    let as_of_day = match as_of {
        Some(d) => Some(day_number(d)),
        None => model.features.default_as_of(table)?,
    };
    let (p, y, missing) = labelled_predictions(model, table, as_of_day)?;
    let name = file_name(&table.path);
    let ev = evaluate_predictions(model, &p, &y, missing, &name)?;
    let comparison = match rules {
        None => None,
        Some(path) => {
            let rules = RulesFile::load(path)?;
            rules.check_fields(table)?;
            let rules_as_of = as_of
                .or_else(|| as_of_day.and_then(from_day_number))
                .unwrap_or_else(|| chrono::Local::now().date_naive());
            let scores = rules.evaluate(table, rules_as_of)?;
            let scored = predict_table(model, table, as_of_day)?;
            let (rows, y) = labels_for(model, table)?;
            let id = model.meta.id_column.clone().filter(|c| table.column_names().contains(c));
            Some((compare(model, &rules, table, &scores, &scored.probability, &rows, &y, id.as_deref())?, file_name(path)))
        }
    };
    render(&ReportInput {
        model,
        data_name: name,
        evaluation: &ev,
        curve: &ev.curve,
        comparison: comparison.as_ref().map(|(c, n)| (c, n.clone())),
    })
}
