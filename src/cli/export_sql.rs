//! `leadscore export-sql`: the model as one SQL query, to score leads inside a database.

use std::path::PathBuf;

use clap::Parser;
use leadscore::error::Result;
use leadscore::sql::{export, Dialect, SqlParams};
use leadscore::{data, model_file};

use super::args::{parse_date, Force, ModelIn, Quiet};

/// Write the model as one SQL query that scores the leads in a table.
///
/// The query reads a table with the model's input columns (text, as a CSV loaded raw,
/// or typed) and returns per lead: the id, probability, score (0-100), tier, decision,
/// and problem (why leadscore would refuse the lead, with the probability then NULL).
/// It computes the whole fitted pipeline as `leadscore score` does (trimming,
/// placeholders, number and date parsing, imputation, log1p, standardisation, steps,
/// levels, e-mail kinds, title keywords, the logistic function, threshold and tiers);
/// `.ci/run` checks it on DuckDB against `leadscore score`.
///
/// Issue 15 is in progress: DuckDB and PostgreSQL only; no reasons, no activity log,
/// no local number or date formats yet (such a model is refused with a message).
///
/// Example: leadscore export-sql --model leads.model --dialect duckdb --table leads
///     --as-of 2025-06-30 --output score_leads.sql
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    /// The SQL dialect: duckdb or postgres.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// The table (or view) with the leads; `schema.table` is quoted part by part.
    #[arg(long, default_value = "leads", value_name = "NAME")]
    pub table: String,
    /// The date that date columns count back from [default: the engine's CURRENT_DATE
    /// when the query runs].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// The id column to return [default: the model's id column].
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Wrap the query in CREATE OR REPLACE VIEW with this name.
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
    /// Where to write the query (`-`: standard output).
    #[arg(long, value_name = "FILE.sql")]
    pub output: PathBuf,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
}

fn parse_dialect(s: &str) -> std::result::Result<Dialect, String> {
    s.parse()
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout {
        data::check_output(&args.output, &[&args.model.model], args.force.force)?;
    }
    let bytes = std::fs::read(&args.model.model).map_err(|e| leadscore::Error::read(&args.model.model, e))?;
    let model = model_file::from_bytes(&bytes, &args.model.model)?;
    let checksum = data::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let params = SqlParams {
        dialect: args.dialect,
        table: args.table.clone(),
        as_of: args.as_of,
        id: args.id.clone(),
        view: args.view.clone(),
    };
    let sql = export(&model, &params, &checksum)?;
    if to_stdout {
        return super::out(&sql);
    }
    data::write_text(&args.output, &sql)?;
    console.note(&format!(
        "wrote the {} query for {} ({} input columns) to {}",
        args.dialect.name(),
        args.model.model.display(),
        model.features.columns.len(),
        args.output.display()
    ));
    Ok(())
}
