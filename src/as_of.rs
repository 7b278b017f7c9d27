//! The one as-of rule: which date "days before" and rule windows count back from.
//!
//! Every command asks here. Scoring new leads ([`for_scoring`]) uses `--as-of`, else
//! today's date (UTC): never a date taken from the file, so that a lead's score does not
//! depend on the other leads beside it. Labelled history (`train`, `evaluate`,
//! `threshold`, `compare`, `report`, `rules`; [`for_history`]) uses `--as-of`, else the
//! latest date in the data, since those leads were scored as of their own time. The
//! answer says which date and why, for every summary and `--json`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::data::Table;
use crate::error::Result;
use crate::features::cell::{day_number, from_day_number, parse_date};
use crate::model::LeadModel;

/// Where an as-of date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `--as-of`.
    Given,
    /// Today's date (UTC), the default for scoring new leads.
    Today,
    /// The latest date in the data, the default for labelled history.
    LatestInData,
    /// The data holds no date: the model's own as-of date from training.
    Model,
}

/// The as-of date used, and why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AsOf {
    pub date: NaiveDate,
    pub source: Source,
}

impl AsOf {
    /// Days from the common era, as the features count dates.
    pub fn day(&self) -> i64 {
        day_number(self.date)
    }

    /// "2024-06-30 (latest date in the data)", for summaries.
    pub fn describe(&self) -> String {
        let why = match self.source {
            Source::Given => "given with --as-of",
            Source::Today => "today, UTC; give --as-of to score as of another date",
            Source::LatestInData => "the latest date in the data; give --as-of to change it",
            Source::Model => "the model's own as-of date: the data holds no date",
        };
        format!("{} ({why})", self.date)
    }
}

/// Today's date in UTC.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The as-of date for scoring new leads: `given`, else today (UTC).
pub fn for_scoring(given: Option<NaiveDate>) -> AsOf {
    match given {
        Some(date) => AsOf { date, source: Source::Given },
        None => AsOf { date: today(), source: Source::Today },
    }
}

/// A warning when scoring runs more than a year after the model's own as-of date: the
/// leads may be historical, and `--as-of` may be meant.
pub fn scoring_gap_warning(model: &LeadModel, as_of: &AsOf) -> Option<String> {
    let model_day = model.features.as_of_day?;
    let gap = as_of.day() - model_day;
    (as_of.source == Source::Today && gap > 365).then(|| {
        let model_date = from_day_number(model_day).map(|d| d.to_string()).unwrap_or_default();
        format!(
            "warning: scoring as of today ({}), {gap} days after the model's as-of date {model_date}; if these leads are historical, give --as-of",
            as_of.date
        )
    })
}

/// The as-of date for labelled history: `given`, else the latest date in `table`'s
/// columns that the model reads as dates and in `date_fields` (say, the fields a rules
/// file reads), else the model's own as-of date, else today.
pub fn for_history(
    given: Option<NaiveDate>,
    model: Option<&LeadModel>,
    table: &Table,
    date_fields: &[&str],
) -> Result<AsOf> {
    if let Some(date) = given {
        return Ok(AsOf { date, source: Source::Given });
    }
    let mut best: Option<i64> = match model {
        Some(m) => m.features.latest_date(table)?,
        None => None,
    };
    for f in date_fields {
        if let Some(d) = latest_text_date(table, f)? {
            best = Some(best.map_or(d, |b| b.max(d)));
        }
    }
    if let Some(date) = best.and_then(from_day_number) {
        return Ok(AsOf { date, source: Source::LatestInData });
    }
    if let Some(date) = model.and_then(|m| m.features.as_of_day).and_then(from_day_number) {
        return Ok(AsOf { date, source: Source::Model });
    }
    Ok(AsOf { date: today(), source: Source::Today })
}

/// The latest cell of a column that reads as a date (other cells are passed over: a
/// rules field need not be a date column).
fn latest_text_date(table: &Table, column: &str) -> Result<Option<i64>> {
    use crate::features::{ColumnFormat, DateOrder, Role};
    let col = table.column(column)?;
    let cells = crate::features::text_cells(table, col)?;
    // In the order the field's values show (a Danish export's 24-04-2026), else ISO.
    match crate::features::infer::format_for(table, col, Role::Date, None) {
        Ok(Some(ColumnFormat::Date(Some(o)))) if o != DateOrder::ExcelSerial => {
            Ok(cells.iter().flatten().filter_map(|c| crate::features::format::parse_day_as(c.trim(), o)).max())
        }
        _ => Ok(cells.iter().flatten().filter_map(parse_date).map(day_number).max()),
    }
}
