//! `leadscore synth`: write a synthetic B2B CRM export.

use std::path::PathBuf;

use clap::Parser;
use leadscore::data;
use leadscore::error::Result;
use leadscore::synth::{generate, SynthParams};

use super::{count, parse_date, Console};

/// Write a realistic synthetic B2B CRM export.
///
/// Columns: lead_id, job_title, industry, employees, country, lead_source, email,
/// website_visits, pricing_page_views, careers_page_views, email_opens, email_clicks,
/// webinars_attended, content_downloads, demo_requested, created_date,
/// last_activity_date and outcome (won/lost). The outcome is drawn from a known logistic
/// model with noise and nonlinear effects (company size has an inverted-U effect).
/// The same --seed gives the same file.
///
/// Example: leadscore synth --rows 100000 --seed 1 --output leads.parquet
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Number of contacts.
    #[arg(long, default_value_t = 5000)]
    pub rows: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output: CSV or Parquet, by extension.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Leave out the outcome column (new leads to score).
    #[arg(long)]
    pub no_outcome: bool,
    /// Export date: all dates fall before it.
    #[arg(long, default_value = "2025-06-30", value_parser = parse_date)]
    pub as_of: chrono::NaiveDate,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// No progress messages.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let console = Console { quiet: args.quiet };
    data::check_output(&args.output, &[], args.force)?;
    let mut p = SynthParams::new(args.rows, args.seed);
    p.outcome = !args.no_outcome;
    p.as_of = args.as_of;
    let mut df = generate(&p)?;
    data::write_table(&mut df, &args.output)?;
    console.note(&format!("wrote {} synthetic contacts to {}", count(args.rows), args.output.display()));
    Ok(())
}
