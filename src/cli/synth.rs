//! `leadscore synth`: write a synthetic B2B CRM export.

use std::path::PathBuf;

use clap::Parser;
use leadscore::data;
use leadscore::error::{Error, Result};
use leadscore::synth::{generate_all, SynthParams};

use super::args::parse_date;
use super::output::count;

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
    /// Also write a matching activity log here (CSV or Parquet), and add a closed_date
    /// column (the day the outcome was decided) to the contacts. The log holds the events
    /// behind the behaviour columns, and events after closed_date that a careless
    /// pipeline would leak.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Extra page-view events per contact in the log, on average (for benchmarks).
    #[arg(long, default_value_t = 0.0, value_name = "N", requires = "events")]
    pub extra_events: f64,
    /// Add N sparse noise columns (counts, picklists, timestamps, free-text notes, each
    /// missing in 50-98% of rows) unrelated to the outcome, as in a CRM's all-property
    /// export: for trying out and benchmarking wide files.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub noise_columns: usize,
    /// Add a product column (crm 45%, analytics 45%, training 10%) whose buyers differ:
    /// for analytics, individual contributors and large companies buy, pricing-page views
    /// count more and a demo request less; for training, students and education buy. For
    /// trying out one model per product (`train --segment-by product`).
    #[arg(long)]
    pub products: bool,
    /// Let the outcome's rule drift with the creation date, by R per year after
    /// 2024-01-01: the won share rises, a demo request counts for less and pricing-page
    /// views for more. Pair with a later --as-of and --first-id for a next period's
    /// leads, for trying out `retrain` [default: 0, no drift].
    #[arg(long, default_value_t = 0.0, value_name = "R", allow_hyphen_values = true)]
    pub drift: f64,
    /// The number of the first contact id (L0000001 for 1): a later period's contacts
    /// then have ids of their own.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub first_id: usize,
    /// Write the contacts as a CRM's export writes them: `hubspot` (HubSpot's contacts
    /// export: property labels as headers, "Lifecycle Stage" Customer for the won) or
    /// `salesforce` (Salesforce Leads by API name: "IsConverted" true for the won). Either
    /// carries the properties a real export has that are set during or after the sale
    /// (a stage, a status, the day of becoming a customer, deal dates, amounts, counts),
    /// for trying out the leakage checks: see docs/crm-export.md.
    #[arg(long, value_name = "CRM")]
    pub crm: Option<leadscore::synth_crm::CrmShape>,
    #[command(flatten)]
    pub force: super::args::Force,
    #[command(flatten)]
    pub quiet: super::args::Quiet,
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    data::check_output(&args.output, &[], args.force.force)?;
    if let Some(e) = &args.events {
        data::check_output(e, &[&args.output], args.force.force)?;
    }
    let mut p = SynthParams::new(args.rows, args.seed);
    p.outcome = !args.no_outcome;
    p.as_of = args.as_of;
    p.events = args.events.is_some();
    p.extra_events = args.extra_events;
    p.noise_columns = args.noise_columns;
    p.products = args.products;
    p.drift = args.drift;
    p.first_id = args.first_id;
    if args.crm.is_some() && (args.no_outcome || args.events.is_some()) {
        return Err(Error::usage("--crm", "goes without --no-outcome and --events (a CRM export with its outcome)"));
    }
    let mut out = generate_all(&p)?;
    if let Some(shape) = args.crm {
        out.contacts = leadscore::synth_crm::shape(&out.contacts, shape, args.seed, args.as_of)?;
    }
    data::write_table(&mut out.contacts, &args.output)?;
    console.note(&format!("wrote {} synthetic contacts to {}", count(args.rows), args.output.display()));
    if let (Some(path), Some(ev)) = (&args.events, out.events.as_mut()) {
        data::write_table(ev, path)?;
        console.note(&format!("wrote {} events to {}", count(data::row_count(ev)), path.display()));
    }
    Ok(())
}
