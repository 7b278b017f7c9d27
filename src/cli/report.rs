//! `leadscore report`: the model report as one self-contained HTML file.

use std::path::{Path, PathBuf};

use clap::Parser;
use leadscore::api::{
    self,
    report::{ReportJob, Reported},
};
use leadscore::error::Result;
use leadscore::rules::RulesFile;
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
    let rules = args.rules.as_deref().map(RulesFile::load).transpose()?;
    let job = ReportJob {
        model: &model,
        leads: args.leads.job(),
        rules: rules.as_ref().zip(args.rules.as_deref().map(file_name)),
        bootstrap: args.seed.bootstrap(),
    };
    let Reported { html, as_of } = api::report::report(&job)?;
    data::write_text(&args.output, &html)?;
    console.note(&format!("as of {}", as_of.describe()));
    console.note(&format!("report written to {}", args.output.display()));
    Ok(())
}
