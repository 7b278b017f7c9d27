//! The model as one SQL query, for scoring where the leads live (issue 15, in progress).
//!
//! `leadscore export-sql` writes a `SELECT` that reads a table with the model's input
//! columns (text or typed) and returns, per lead, the id, `probability`, `score`, `tier`,
//! `decision`, and `problem` (why leadscore would refuse the lead, else NULL; the
//! probability is then NULL). Each part writes its own SQL beside its Rust reading
//! ([`crate::features::NumKind::sql_value`], [`crate::features::CatKind::sql_level`],
//! [`crate::features::NumericPart::sql_contribution`],
//! [`crate::features::LevelPart::sql_contribution`]); this module only assembles them
//! in common table expressions, each input computed once:
//!
//! 1. `src`: the id and each input column as text;
//! 2. `trimmed`: Unicode white space trimmed as Rust's `str::trim` does;
//! 3. `cells`: placeholders (`Select`, `N/A`, `Vælg`, ...) and empty cells as NULL;
//! 4. `vals`: each part's value or level, and its problem;
//! 5. `scored`: the log-odds (intercept plus each column's contribution) and the first
//!    problem in column order;
//! 6. the probability (the same two-branch logistic function as the row scorer), score,
//!    tier and decision.
//!
//! Nothing from the data is trusted: names and levels pass through the dialect's quoting
//! ([`Dialect::ident`], [`Dialect::string`]). Numbers are written with 17 significant
//! digits. Not yet: reasons, the activity log, local number and date formats, and the
//! Spark, BigQuery and Snowflake dialects; a model that needs them is refused with a
//! message saying so.

mod dialect;

pub use dialect::Dialect;

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::features::part::SqlWeight;
use crate::features::{keywords::PLACEHOLDERS, Part};
use crate::model::LeadModel;

/// What the query is asked to do.
#[derive(Debug, Clone)]
pub struct SqlParams {
    pub dialect: Dialect,
    /// The table (or view) holding the leads: a name, quoted as an identifier; a dotted
    /// name (`schema.table`) is quoted part by part.
    pub table: String,
    /// The date that date columns count back from. Default: the engine's current date.
    pub as_of: Option<NaiveDate>,
    /// The id column to return. Default: the model's id column.
    pub id: Option<String>,
    /// Wrap the query in `CREATE OR REPLACE VIEW` with this name.
    pub view: Option<String>,
}

/// The query for `model`. `checksum` is the model file's SHA-256, for the header.
pub fn export(model: &LeadModel, params: &SqlParams, checksum: &str) -> Result<String> {
    let d = params.dialect;
    let id = params.id.clone().or(model.meta.id_column.clone()).ok_or_else(|| {
        Error::usage("--id", "the model has no id column; say which column identifies a lead with --id")
    })?;
    for name in model.features.input_columns().into_iter().chain([id.as_str(), params.table.as_str()]) {
        if dialect::has_nul(name) {
            return Err(Error::usage("export-sql", format!("{name:?} holds a NUL character, which SQL cannot quote")));
        }
    }
    let as_of = match params.as_of {
        Some(date) => format!("DATE {}", d.string(&date.to_string())),
        None => "CURRENT_DATE".to_string(),
    };
    let table: Vec<String> = params.table.split('.').map(|p| d.ident(p)).collect();
    let cols = &model.features.columns;
    let c = |i: usize| format!("c{i}");
    let mut sql = String::new();
    sql.push_str(&format!(
        "-- leadscore {} model {checksum}\n-- trained on {} ({} rows, label {:?}); dialect {}; dates count back from {}\n",
        env!("CARGO_PKG_VERSION"),
        model.meta.data_file.replace('\n', " "),
        model.meta.rows,
        model.meta.label,
        d.name(),
        params.as_of.map_or("the engine's current date".to_string(), |a| a.to_string()),
    ));
    if let Some(v) = &params.view {
        sql.push_str(&format!(
            "CREATE OR REPLACE VIEW {} AS\n",
            v.split('.').map(|p| d.ident(p)).collect::<Vec<_>>().join(".")
        ));
    }
    // 1. src
    let mut src = vec![format!("{} AS id", d.ident(&id))];
    for (i, fc) in cols.iter().enumerate() {
        src.push(format!("{} AS {}", d.as_text(&d.ident(&fc.name)), c(i)));
    }
    sql.push_str(&format!(
        "WITH {} (\n  SELECT {}\n  FROM {}\n),\n",
        d.cte("src"),
        src.join(",\n    "),
        table.join(".")
    ));
    // 2. trimmed
    let ws = d.whitespace_class();
    let trim_re = format!("^{ws}+|{ws}+$");
    let trimmed: Vec<String> = (0..cols.len()).map(|i| format!("{} AS {}", d.strip(&c(i), &trim_re), c(i))).collect();
    sql.push_str(&format!("{} (\n  SELECT id,\n    {}\n  FROM src\n),\n", d.cte("trimmed"), trimmed.join(",\n    ")));
    // 3. cells
    let placeholders: Vec<String> = PLACEHOLDERS.iter().map(|p| d.string(&p.to_lowercase())).collect();
    let cells: Vec<String> = (0..cols.len())
        .map(|i| format!("CASE WHEN LOWER({0}) IN ({1}) THEN NULL ELSE {0} END AS {0}", c(i), placeholders.join(", ")))
        .collect();
    sql.push_str(&format!("{} (\n  SELECT id,\n    {}\n  FROM trimmed\n),\n", d.cte("cells"), cells.join(",\n    ")));
    // 4. vals: each part's value or level, and its problem.
    let mut vals = Vec::new();
    let mut problems = Vec::new();
    let mut contributions = Vec::new();
    let mut j = 0usize;
    let f = &model.features;
    for (i, fc) in cols.iter().enumerate() {
        for (k, part) in fc.parts.iter().enumerate() {
            let name = format!("v{i}_{k}");
            let w: Vec<SqlWeight> = (j..j + part.width())
                .map(|q| SqlWeight { coef: model.coef[q], scale: f.scale[q], center: f.center[q] })
                .collect();
            j += part.width();
            match part {
                Part::Numeric(p) => {
                    let (value, problem) = p.kind.sql_value(&c(i), &as_of, d).ok_or_else(|| {
                        Error::usage(
                            "export-sql",
                            format!(
                                "column {:?} is read as {}: the SQL export cannot read that yet (issue 15 is in progress)",
                                fc.name,
                                p.kind.format_note().unwrap_or_default()
                            ),
                        )
                    })?;
                    vals.push(format!("{value} AS {name}"));
                    problems.push(format!(
                        "CASE WHEN ({problem}) IS NOT NULL THEN {} || ': ' || ({problem}) END",
                        d.string(&format!("column {}", fc.name))
                    ));
                    contributions.push(format!("({})", p.sql_contribution(&name, &w, d)));
                }
                Part::Levels(p) => {
                    vals.push(format!(
                        "CASE WHEN {0} IS NULL THEN NULL ELSE {1} END AS {name}",
                        c(i),
                        p.kind.sql_level(&c(i), d)
                    ));
                    contributions.push(format!("({})", p.sql_contribution(&name, &w, d)));
                }
            }
        }
    }
    if j != model.coef.len() {
        return Err(Error::Internal("export-sql: the model's parts and coefficients differ in number".into()));
    }
    let problem =
        if problems.is_empty() { "NULL".to_string() } else { format!("COALESCE({})", problems.join(",\n      ")) };
    sql.push_str(&format!(
        "{} (\n  SELECT id,\n    {},\n    {problem} AS problem\n  FROM cells\n),\n",
        d.cte("vals"),
        vals.join(",\n    ")
    ));
    // 5. scored
    sql.push_str(&format!(
        "{} (\n  SELECT id, problem,\n    {} + {} AS z\n  FROM vals\n),\n",
        d.cte("scored"),
        d.float(model.intercept),
        if contributions.is_empty() { "0.0".to_string() } else { contributions.join("\n      + ") }
    ));
    // 6. probability, score, tier, decision
    sql.push_str(
        "probabilities AS (\n  SELECT id, problem,\n    CASE WHEN problem IS NOT NULL THEN NULL \
         WHEN z >= 0 THEN 1.0 / (1.0 + EXP(-z)) ELSE EXP(z) / (1.0 + EXP(z)) END AS probability\n  FROM scored\n)\n",
    );
    let mut tier = String::from("CASE");
    for (k, cut) in model.tiers.cuts.iter().enumerate().rev() {
        tier.push_str(&format!(" WHEN probability >= {} THEN {}", d.float(*cut), d.string(&model.tiers.names[k + 1])));
    }
    tier.push_str(&format!(
        " WHEN probability IS NOT NULL THEN {} END",
        d.string(model.tiers.names.first().map(String::as_str).unwrap_or("cold"))
    ));
    sql.push_str(&format!(
        "SELECT id AS {},\n  probability,\n  CAST(FLOOR(probability * 100 + 0.5) AS INTEGER) AS score,\n  {tier} AS tier,\n  \
         probability >= {} AS decision,\n  problem\nFROM probabilities\n",
        d.ident(&id),
        d.float(model.threshold.value)
    ));
    if params.view.is_some() {
        sql.push_str(";\n");
    }
    Ok(sql)
}
