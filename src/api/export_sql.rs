//! The `export-sql` job: the model as one SQL query, for scoring in the warehouse.

use crate::error::{Error, Result};
use crate::model::LeadModel;
use crate::sql::dbt::{has_jinja, Expected, UnitLeads};
use crate::sql::SqlParams;

/// What `export-sql` is given.
#[derive(Debug, Clone)]
pub struct ExportSqlJob<'m> {
    pub model: &'m LeadModel,
    /// The model file's checksum, which the query records.
    pub checksum: &'m str,
    pub params: SqlParams,
}

/// Most reasons a query computes per lead.
pub const MOST_REASONS: usize = 20;

/// The query ([`crate::sql::export`]).
pub fn export_sql(job: &ExportSqlJob) -> Result<String> {
    check_reasons(&job.params)?;
    crate::sql::export(job.model, &job.params, job.checksum)
}

/// Refuse more reasons than a query computes.
fn check_reasons(params: &SqlParams) -> Result<()> {
    if params.reasons > MOST_REASONS {
        return Err(Error::usage("--reasons", format!("must be 0 to {MOST_REASONS}, got {}", params.reasons)));
    }
    Ok(())
}

/// Leads the dbt unit test takes from the file: the first this many that score.
pub const DBT_UNIT_LEADS: usize = 5;

/// What `export-sql --dbt` is given: the query's job, and the leads whose scores the unit
/// test expects (none: no unit test).
#[derive(Debug, Clone)]
pub struct DbtJob<'m> {
    pub export: ExportSqlJob<'m>,
    pub leads: Option<super::Leads>,
}

/// What `export-sql --dbt` writes: each file's path in the project and its text, and why
/// the unit test holds fewer leads than [`DBT_UNIT_LEADS`] (when it does).
#[derive(Debug, Clone)]
pub struct DbtProject {
    pub files: Vec<(String, String)>,
    pub unit_leads: usize,
    pub unit_note: Option<String>,
}

/// The dbt model, its data tests and its unit test ([`crate::sql::dbt`]). The unit
/// test's leads are the first [`DBT_UNIT_LEADS`] of `job.leads` that `score` scores and
/// whose cells hold no Jinja, scored as of the leads' `as_of` (else the model's data
/// as-of date), as `leadscore score --as-of` would.
pub fn export_dbt(job: &DbtJob) -> Result<DbtProject> {
    let (model, params) = (job.export.model, &job.export.params);
    check_reasons(params)?;
    let (unit, note) = match &job.leads {
        None => {
            (UnitLeads::default(), Some("no unit test: give --dbt-leads FILE (a few leads) to add one".to_string()))
        }
        Some(_) if model.events.is_some() => (
            UnitLeads::default(),
            Some("no unit test: the model reads an activity log, which the unit test does not mock".to_string()),
        ),
        Some(leads) => unit_leads(model, params, leads)?,
    };
    let files = crate::sql::dbt::files(model, params, job.export.checksum, &unit)?;
    Ok(DbtProject { files, unit_leads: unit.rows.len(), unit_note: note })
}

/// The unit test's leads from `leads` ([`export_dbt`]), and why it holds fewer than
/// [`DBT_UNIT_LEADS`] (none when a column name is one dbt's unit tests cannot quote).
fn unit_leads(model: &LeadModel, params: &SqlParams, leads: &super::Leads) -> Result<(UnitLeads, Option<String>)> {
    let as_of =
        leads.as_of.or_else(|| model.features.as_of_day.and_then(crate::features::cell::from_day_number)).ok_or_else(
            || Error::usage("--as-of", "the model has no data as-of date; give the unit test's with --as-of"),
        )?;
    let table = leads.load()?;
    let id = params.id.clone().or(model.meta.id_column.clone()).ok_or_else(|| {
        Error::usage("--id", "the model has no id column; say which column identifies a lead with --id")
    })?;
    let mut columns = vec![id.clone()];
    columns.extend(model.features.input_columns().iter().map(|s| s.to_string()).filter(|c| *c != id));
    // dbt writes a unit test's input columns between quotes without escaping them
    // (dbt-core 1.10), so a name holding a quote breaks the test's SQL.
    if let Some(bad) = columns.iter().find(|c| c.contains(['"', '`']) || has_jinja(c)) {
        let note =
            format!("no unit test: the column {bad:?} holds a quote or Jinja, which dbt's unit tests do not escape");
        return Ok((UnitLeads::default(), Some(note)));
    }
    // The first leads whose cells are all free of Jinja (the unit test writes them literally).
    let head = table.df.head(Some(200));
    let text = |c: &str| -> Result<Vec<Option<String>>> {
        table.column(c)?;
        let col = head.column(c).map_err(|e| Error::Internal(e.to_string()))?;
        let s = col.cast(&polars::prelude::DataType::String).map_err(|e| Error::Internal(e.to_string()))?;
        let s = s.str().map_err(|e| Error::Internal(e.to_string()))?;
        Ok(s.iter().map(|v| v.filter(|v| !v.trim().is_empty()).map(str::to_string)).collect())
    };
    let cells: Vec<Vec<Option<String>>> = columns.iter().map(|c| text(c)).collect::<Result<_>>()?;
    let clean: Vec<usize> = (0..head.height())
        .filter(|&r| cells[0][r].is_some() && cells.iter().all(|c| c[r].as_deref().is_none_or(|v| !has_jinja(v))))
        .collect();
    let picked =
        polars::prelude::IdxCa::from_vec("rows".into(), clean.iter().map(|&r| r as polars::prelude::IdxSize).collect());
    let subset = head.take(&picked).map_err(|e| Error::Internal(e.to_string()))?;
    let sub_table = crate::data::Table { df: subset, ..table.clone() };
    let mut score = super::score::ScoreJob::new(model, super::Leads::table(sub_table));
    score.as_of = crate::as_of::for_scoring(Some(as_of));
    score.reasons = params.reasons;
    score.id = Some(id.clone());
    score.on_bad_row = crate::score::OnBadRow::Reject;
    let scored = super::score::score_table(&score)?;
    let rejected: std::collections::BTreeSet<u64> = scored.rejects.iter().map(|r| r.row).collect();
    let kept: Vec<usize> = (0..clean.len()).filter(|i| !rejected.contains(&(*i as u64 + 1))).collect();
    let f = &scored.frame;
    let get = |c: &str, i: usize| crate::data::cell_text(f, c, i);
    let mut unit = UnitLeads { as_of, source: leads.name(), ..UnitLeads::default() };
    for (i, &k) in kept.iter().enumerate().take(DBT_UNIT_LEADS) {
        let r = clean[k];
        unit.rows.push(cells.iter().map(|c| c[r].clone()).collect());
        unit.expected.push(Expected {
            id: get(&id, i),
            score: get("score", i).parse().map_err(|_| Error::Internal("a scored lead without a score".into()))?,
            tier: get("tier", i),
            decision: get("decision", i) == "true",
            reasons: (params.reasons > 0).then(|| scored_text(f, "reasons", i)),
        });
    }
    let note = (unit.rows.len() < DBT_UNIT_LEADS).then(|| {
        format!(
            "the unit test holds {} leads: of the file's first {}, the others did not score or hold Jinja",
            unit.rows.len(),
            head.height()
        )
    });
    unit.columns = columns;
    Ok((unit, note))
}

/// One text cell of the scored frame exactly (empty when missing).
fn scored_text(f: &polars::prelude::DataFrame, column: &str, row: usize) -> String {
    f.column(column).ok().and_then(|c| c.str().ok().and_then(|s| s.get(row).map(str::to_string))).unwrap_or_default()
}
