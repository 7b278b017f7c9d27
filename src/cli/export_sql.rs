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
/// With --dbt DIR it writes a dbt model instead, into the dbt project in DIR:
/// models/lead_scores.sql (the query, reading {{ ref(var('leadscore_input',
/// 'stg_leads')) }}, dates counting back from the var leadscore_as_of, else the
/// engine's current date), models/lead_scores.yml (not_null and unique on the id,
/// not_null on the probability of leads without a problem, the score within 0-100,
/// the tier among the model's tiers, and a dbt unit test whose expected rows are
/// `leadscore score`'s for the first 5 leads of --dbt-leads) and
/// macros/leadscore_between.sql (the range test). Then: dbt build --select lead_scores.
///
/// Example: leadscore export-sql --model leads.model --dialect duckdb --table leads
///     --as-of 2025-06-30 --output score_leads.sql
/// Example: leadscore export-sql --model leads.model --dialect duckdb --dbt my_dbt_project
///     --dbt-leads new_leads.csv
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    /// The SQL dialect: duckdb, postgres, spark (also Databricks), bigquery, snowflake.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// The table (or view) with the leads; `schema.table` is quoted part by part.
    #[arg(long, default_value = "leads", value_name = "NAME", conflicts_with = "dbt")]
    pub table: String,
    /// The table with the activity log, for a model trained with --events (its columns
    /// named as in training). With --dbt: the var leadscore_events (default
    /// stg_lead_events) names its model.
    #[arg(long, value_name = "NAME", conflicts_with = "dbt")]
    pub events_table: Option<String>,
    /// The date that date columns (and the activity log's cut-off) count back from
    /// [default: the engine's CURRENT_DATE when the query runs]. With --dbt: the date the
    /// unit test scores its leads as of [default: the model's data as-of date].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, conflicts_with = "as_of_param")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Take the as-of date from a query parameter bound when the query runs ($as_of in
    /// DuckDB, $1 in PostgreSQL, :as_of in Spark and Snowflake, @as_of in BigQuery). Not
    /// with --view: a view has no parameters.
    #[arg(long, conflicts_with_all = ["view", "dbt"])]
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
    #[arg(long, value_name = "NAME", conflicts_with = "dbt")]
    pub view: Option<String>,
    /// Where to write the query (`-`: standard output).
    #[arg(long, value_name = "FILE.sql", required_unless_present = "dbt", conflicts_with = "dbt")]
    pub output: Option<PathBuf>,
    /// Write a dbt model and its tests into the dbt project in this folder (models/ and
    /// macros/; existing files are kept unless --force).
    #[arg(long, value_name = "DIR")]
    pub dbt: Option<PathBuf>,
    /// Leads (CSV or Parquet) for the dbt unit test: the first 5 that score, with
    /// `leadscore score`'s results as the expected rows. Without it, no unit test.
    #[arg(long, value_name = "FILE", requires = "dbt")]
    pub dbt_leads: Option<PathBuf>,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
}

fn parse_dialect(s: &str) -> std::result::Result<Dialect, String> {
    s.parse()
}

pub fn run(args: Args) -> Result<()> {
    if let Some(dir) = args.dbt.clone() {
        return run_dbt(args, dir);
    }
    let console = args.quiet.console();
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from("-"));
    let to_stdout = output.as_os_str() == "-";
    if !to_stdout {
        data::check_output(&output, &[&args.model.model], args.force.force)?;
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
    data::write_text(&output, &sql)?;
    console.note(&format!(
        "wrote the {} query for {} ({} input columns) to {}",
        args.dialect.name(),
        args.model.model.display(),
        model.features.columns.len(),
        output.display()
    ));
    Ok(())
}

/// `--dbt DIR`: the model, its data tests and its unit test, written into the project.
fn run_dbt(args: Args, dir: PathBuf) -> Result<()> {
    let console = args.quiet.console();
    if !dir.is_dir() {
        return Err(leadscore::error::Error::usage(
            "--dbt",
            format!("{}: no such folder; give the dbt project's folder (where dbt_project.yml is)", dir.display()),
        ));
    }
    let (model, checksum) = model_file::load_with_checksum(&args.model.model)?;
    let params = SqlParams {
        dialect: args.dialect,
        table: String::new(),
        events_table: None,
        as_of: AsOfSql::Today,
        id: args.id.clone(),
        view: None,
        reasons: args.reasons,
        reason_columns: args.reason_columns,
    };
    let leads = args.dbt_leads.as_ref().map(|p| {
        let mut l = api::Leads::file(p);
        l.as_of = args.as_of;
        l
    });
    let job = api::export_sql::DbtJob { export: ExportSqlJob { model: &model, checksum: &checksum, params }, leads };
    let project = api::export_sql::export_dbt(&job)?;
    let paths: Vec<PathBuf> = project.files.iter().map(|(p, _)| dir.join(p)).collect();
    for p in &paths {
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| leadscore::error::Error::Write { path: parent.to_path_buf(), source: e })?;
        }
        data::check_output(p, &[&args.model.model], args.force.force)?;
    }
    for (p, (_, text)) in paths.iter().zip(&project.files) {
        data::write_text(p, text)?;
    }
    console.note(&format!(
        "wrote the {} dbt model for {} into {}: {}; the unit test holds {} leads{}",
        args.dialect.name(),
        args.model.model.display(),
        dir.display(),
        project.files.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(", "),
        project.unit_leads,
        project.unit_note.map_or(String::new(), |n| format!(" ({n})")),
    ));
    Ok(())
}
