//! The polars column readers under the feature pipeline: a column's cells as text, as
//! numbers from a typed (Parquet) column, or as days from a date column, each failure
//! named by file, column, row and value. Below the role inference and the parts, which
//! read through them.

use polars::prelude::*;

use crate::cell::{self, clean, Cell};
use crate::data::Table;
use crate::error::{Error, Result};
use crate::format::DateOrder;

pub(super) fn row_no(i: usize) -> u64 {
    i as u64 + 1
}

/// A polars failure inside the pipeline: ours, not the user's file.
pub(super) fn internal(table: &Table, e: PolarsError) -> Error {
    Error::Internal(format!("{}: {e}", table.path.display()))
}

pub(super) fn is_temporal(dt: &DataType) -> bool {
    matches!(dt, DataType::Date | DataType::Datetime(_, _))
}

/// The column's cells as text (cast if needed).
pub fn text_cells(table: &Table, col: &Column) -> Result<StringChunked> {
    let c = col.cast(&DataType::String).map_err(|e| internal(table, e))?;
    Ok(c.str().map_err(|e| internal(table, e))?.clone())
}

/// The column's cells as f64 from a numeric-typed (Parquet) column; NaN for null.
pub fn numeric_cells(table: &Table, col: &Column) -> Result<Vec<f64>> {
    let c = col.cast(&DataType::Float64).map_err(|e| internal(table, e))?;
    let ca = c.f64().map_err(|e| internal(table, e))?;
    let mut out = Vec::with_capacity(ca.len());
    for (i, v) in ca.iter().enumerate() {
        match v {
            Some(x) if !x.is_finite() => {
                return Err(Error::NonFinite {
                    path: table.path.clone(),
                    column: col.name().to_string(),
                    row: row_no(i),
                    value: format!("{x}"),
                })
            }
            Some(x) => out.push(x),
            None => out.push(f64::NAN),
        }
    }
    Ok(out)
}

/// Days (from the common era) of a temporal-typed column; None for null.
pub(super) fn temporal_days(table: &Table, col: &Column) -> Result<Vec<Option<i64>>> {
    let c = col.cast(&DataType::Date).map_err(|e| internal(table, e))?;
    let phys = c.cast(&DataType::Int32).map_err(|e| internal(table, e))?;
    let ca = phys.i32().map_err(|e| internal(table, e))?;
    // Polars dates count from 1970-01-01, which is day 719163 from the common era.
    Ok(ca.iter().map(|v| v.map(|d| d as i64 + 719_163)).collect())
}

/// Days (from the common era) of a date column, text or temporal, its text written in
/// `order` (`None`: ISO); `None` where missing.
pub fn read_dates_as(table: &Table, col: &Column, order: Option<DateOrder>) -> Result<Vec<Option<i64>>> {
    if is_temporal(col.dtype()) {
        return temporal_days(table, col);
    }
    let ca = text_cells(table, col)?;
    let mut out = Vec::with_capacity(ca.len());
    // Dates repeat: read each distinct cell once.
    let mut cache: foldhash::HashMap<&str, std::result::Result<Option<i64>, cell::Problem>> =
        foldhash::HashMap::default();
    for (i, v) in ca.iter().enumerate() {
        match clean(v) {
            None => out.push(None),
            Some(s) => match cache.entry(s).or_insert_with(|| super::date::day(Cell::Text(s), order)) {
                Ok(d) => out.push(*d),
                Err(p) => return Err(p.at(&table.path, col.name(), row_no(i), s)),
            },
        }
    }
    Ok(out)
}
