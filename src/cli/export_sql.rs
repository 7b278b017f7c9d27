//! `leadscore export-sql`: the model as one SQL query, to score leads inside a database.

use std::path::PathBuf;

use clap::Parser;
use leadscore::api::{self, export_sql::ExportSqlJob};
use leadscore::error::Result;
use leadscore::sql::{AsOfSql, Dialect, SqlParams};
use leadscore::{data, model_file};

use super::args::{parse_date, Force, ModelIn, Quiet};

/// Write the model as one SQL query that scores the leads in a table.
///
/// The query reads a table with the model's input columns (text, as a CSV loaded raw,
/// or typed: numbers, dates and booleans are cast to text first) and returns per lead:
/// the id, probability, score (0-100), tier, decision, reasons (the same text
/// `leadscore score` writes), and problem (why leadscore would refuse the lead, with the
/// probability then NULL). It computes the whole fitted pipeline as `leadscore score`
/// does: trimming, placeholders, number and date parsing, imputation, log1p,
/// standardisation, steps, levels, e-mail kinds, title keywords, the activity log's
/// aggregates (with --events-table), the logistic function, threshold, tiers, reasons.
///
/// Tested engines: DuckDB, PostgreSQL and Spark (.ci/run runs the query on each and
/// compares every lead with `leadscore score`). BigQuery and Snowflake have no engine
/// here: their SQL is only checked by parsing it with an independent parser (sqlglot).
/// Numbers and dates the model read in a local format (1.234,5 kr.; 24-04-2026) are
/// read the same way in SQL.
///
/// Example: leadscore export-sql --model leads.model --dialect duckdb --table leads
///     --as-of 2025-06-30 --output score_leads.sql
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    /// The SQL dialect: duckdb, postgres, spark (also Databricks), bigquery, snowflake.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// The table (or view) with the leads; `schema.table` is quoted part by part.
    #[arg(long, default_value = "leads", value_name = "NAME")]
    pub table: String,
    /// The table with the activity log, for a model trained with --events (its columns
    /// named as in training).
    #[arg(long, value_name = "NAME")]
    pub events_table: Option<String>,
    /// The date that date columns (and the activity log's cut-off) count back from
    /// [default: the engine's CURRENT_DATE when the query runs].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, conflicts_with = "as_of_param")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Take the as-of date from a query parameter bound when the query runs ($as_of in
    /// DuckDB, $1 in PostgreSQL, :as_of in Spark and Snowflake, @as_of in BigQuery). Not
    /// with --view: a view has no parameters.
    #[arg(long, conflicts_with = "view")]
    pub as_of_param: bool,
    /// Positive reasons per lead (negative reasons: one fewer), as `score --reasons`;
    /// 0 leaves them out.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub reasons: usize,
    /// Also return each reason as three columns: reason1_column, reason1_value,
    /// reason1_contribution, reason2_...
    #[arg(long)]
    pub reason_columns: bool,
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
    let (model, checksum) = model_file::load_with_checksum(&args.model.model)?;
    let params = SqlParams {
        dialect: args.dialect,
        table: args.table.clone(),
        events_table: args.events_table.clone(),
        as_of: match (args.as_of, args.as_of_param) {
            (Some(d), _) => AsOfSql::Date(d),
            (None, true) => AsOfSql::Param,
            (None, false) => AsOfSql::Today,
        },
        id: args.id.clone(),
        view: args.view.clone(),
        reasons: args.reasons,
        reason_columns: args.reason_columns,
    };
    let sql = api::export_sql::export_sql(&ExportSqlJob { model: &model, checksum: &checksum, params })?;
    if to_stdout {
        return super::output::out(&sql);
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
