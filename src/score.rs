//! Batch scoring: a saved model plus a table of leads gives, per lead, the probability,
//! a 0-100 score, a tier, the decision and the reasons.
//!
//! Used by the `score` command (and by `demo`). The reasons are exact: each input
//! column's contribution is the sum, over the design columns built from it, of
//! coefficient times the lead's standardised value, so the intercept plus all
//! contributions is the lead's log-odds.

use ndarray::Array2;
use polars::prelude::*;

use crate::data::Table;
use crate::error::{polars_err, Error, Result};
use crate::features::Role;
use crate::model::{sigmoid, LeadModel};

/// Scoring options.
#[derive(Debug, Clone)]
pub struct ScoreParams {
    /// Anchor for date columns (days from the common era); default: latest date in the data.
    pub as_of_day: Option<i64>,
    /// How many positive reasons per lead (negatives: one fewer). Default 3; 0 = none.
    pub reasons: usize,
    /// Id column to carry to the output. Default: the model's id column, else row numbers.
    pub id: Option<String>,
}

impl Default for ScoreParams {
    fn default() -> Self {
        ScoreParams {
            as_of_day: None,
            reasons: 3,
            id: None,
        }
    }
}

/// Per-lead, per-input-column contributions to the log-odds (`rows x columns`).
pub fn contributions(model: &LeadModel, x: &Array2<f64>) -> Array2<f64> {
    let ncols = model.features.columns.len();
    let mut out = Array2::zeros((x.nrows(), ncols));
    for (j, f) in model.features.features.iter().enumerate() {
        let c = model.coef[j];
        if c == 0.0 {
            continue;
        }
        let xj = x.column(j);
        let mut oc = out.column_mut(f.column);
        oc.scaled_add(c, &xj);
    }
    out
}

/// The scored leads.
#[derive(Debug, Clone)]
pub struct Scored {
    pub probability: Vec<f64>,
    pub log_odds: Vec<f64>,
    pub design: Array2<f64>,
}

/// Append the model's event features to `table` from `log` (cut off at the end of
/// `as_of`, default: the day of the log's latest event). A table is returned as it is
/// when the model uses no activity log.
pub fn with_events(
    model: &LeadModel,
    table: Table,
    log: Option<&crate::events::EventLog>,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Table> {
    match (&model.events, log) {
        (None, None) => Ok(table),
        (None, Some(l)) => Err(Error::usage(
            "--events",
            format!("the model was trained without an activity log; {} is not used by it", l.path.display()),
        )),
        (Some(_), None) => Err(Error::usage(
            "--events",
            "the model was trained with an activity log: give the leads' events with --events",
        )),
        (Some(spec), Some(log)) => {
            let id = model.meta.id_column.as_deref().ok_or_else(|| Error::Internal("event model without an id column".into()))?;
            let day = as_of
                .or_else(|| crate::events::default_cutoff_day(log))
                .ok_or_else(|| Error::data(log.path.display().to_string(), "the activity log has no events"))?;
            let cut = crate::events::cutoff_days(&table, None, day)?;
            Ok(spec.append(&table, id, log, &cut)?.0)
        }
    }
}

/// Build the design matrix for `table` and compute probabilities.
pub fn predict_table(model: &LeadModel, table: &Table, as_of_day: Option<i64>) -> Result<Scored> {
    model.features.check_schema(table)?;
    let as_of = match as_of_day {
        Some(d) => Some(d),
        None => model.features.default_as_of(table)?,
    };
    let x = model.features.transform(table, as_of)?;
    let z = model.log_odds(&x);
    Ok(Scored {
        probability: z.iter().map(|&v| sigmoid(v)).collect(),
        log_odds: z.to_vec(),
        design: x,
    })
}

/// Score every lead of `table`: the output frame for the `score` command.
pub fn score_table(model: &LeadModel, table: &Table, params: &ScoreParams) -> Result<DataFrame> {
    let scored = predict_table(model, table, params.as_of_day)?;
    let n = table.height();
    let mut cols: Vec<Column> = Vec::new();
    let id = params.id.clone().or(model.meta.id_column.clone());
    match id {
        Some(id) if table.column_names().contains(&id) => {
            table.check_unique_ids(&id)?;
            let c = table
                .column(&id)?
                .cast(&DataType::String)
                .map_err(|e| polars_err(&table.path, e))?;
            cols.push(c);
        }
        Some(id) if params.id.is_some() => {
            table.column(&id)?;
        }
        _ => {
            let rows: Vec<u64> = (1..=n as u64).collect();
            cols.push(Column::new("row".into(), rows));
        }
    }
    let p = &scored.probability;
    let thr = model.threshold.value;
    cols.push(Column::new("probability".into(), p.clone()));
    cols.push(Column::new(
        "score".into(),
        p.iter().map(|&v| (v * 100.0).round() as i32).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "tier".into(),
        p.iter().map(|&v| model.tiers.name(v).to_string()).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "decision".into(),
        p.iter().map(|&v| v >= thr).collect::<Vec<_>>(),
    ));
    if params.reasons > 0 {
        let reasons = reason_texts(model, table, &scored.design, params.reasons)?;
        cols.push(Column::new("reasons".into(), reasons));
    }
    DataFrame::new(n, cols).map_err(|e| polars_err(&table.path, e))
}

/// One reason: an input column, the lead's value in it, and its signed contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub column: String,
    pub value: String,
    pub contribution: f64,
}

/// The strongest positive and negative reasons of every lead.
pub fn reasons(model: &LeadModel, table: &Table, x: &Array2<f64>, positive: usize) -> Result<Vec<Vec<Reason>>> {
    let negative = positive.saturating_sub(1);
    let contrib = contributions(model, x);
    let names: Vec<&str> = model.features.input_columns();
    let mut cells: Vec<StringChunked> = Vec::with_capacity(names.len());
    for name in &names {
        let c = table
            .column(name)?
            .cast(&DataType::String)
            .map_err(|e| polars_err(&table.path, e))?;
        cells.push(c.str().map_err(|e| polars_err(&table.path, e))?.clone());
    }
    let mut out = Vec::with_capacity(x.nrows());
    for (i, row) in contrib.rows().into_iter().enumerate() {
        let mut idx: Vec<usize> = (0..row.len()).collect();
        idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        let pos = idx.iter().filter(|&&k| row[k] > 0.0).take(positive);
        let neg = idx.iter().rev().filter(|&&k| row[k] < 0.0).take(negative);
        let mut v = Vec::new();
        for &k in pos.chain(neg) {
            let value = match cells[k].get(i).map(str::trim) {
                // Show an address's kind, never the address itself.
                Some(s) if !s.is_empty() && model.features.columns[k].role == Role::Email => {
                    crate::features::text::email_kind(s).to_string()
                }
                Some(s) if !s.is_empty() => s.to_string(),
                _ => "(missing)".to_string(),
            };
            v.push(Reason {
                column: names[k].to_string(),
                value,
                contribution: row[k],
            });
        }
        out.push(v);
    }
    Ok(out)
}

fn reason_texts(model: &LeadModel, table: &Table, x: &Array2<f64>, positive: usize) -> Result<Vec<String>> {
    let all = reasons(model, table, x, positive)?;
    Ok(all
        .into_iter()
        .map(|v| {
            v.iter()
                .map(|r| {
                    let mut value = r.value.clone();
                    if value.chars().count() > 40 {
                        value = value.chars().take(37).collect::<String>() + "...";
                    }
                    format!("{} = {} ({:+.2})", r.column, value, r.contribution)
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect())
}

/// Labels of a table for a model's label column, for `evaluate` and `compare`.
pub fn labels_for(model: &LeadModel, table: &Table) -> Result<(Vec<usize>, Vec<bool>)> {
    let (labels, pos, neg) = crate::data::read_label(table, &model.meta.label, Some(&model.meta.positive_value))
        .map_err(|e| match e {
            Error::BadLabel { path, column, problem } => Error::BadLabel {
                path,
                column,
                problem: format!(
                    "{problem} (the model was trained with {:?} = won, {:?} = lost)",
                    model.meta.positive_value, model.meta.negative_value
                ),
            },
            other => other,
        })?;
    let _ = (pos, neg);
    let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i].is_some()).collect();
    let y = rows.iter().map(|&i| labels[i] == Some(true)).collect();
    Ok((rows, y))
}
