//! A column's cells read once, the way the row scorer reads them: typed where the
//! column is typed (Parquet) and its role reads numbers, else the text; and the readers
//! the fit uses for a part's numbers and levels.

use polars::prelude::*;

use super::column::FittedColumn;
use super::kind::{CatKind, NumKind, Role};
use super::part::{Values, MISSING};
use super::read::{internal, is_temporal, numeric_cells, read_dates_as, row_no, temporal_days, text_cells};
use crate::cell::{clean, Cell};
use crate::data::Table;
use crate::error::Result;

/// A column's cells as the row scorer reads them: typed where the column is typed and
/// its role reads numbers (as training read it), else the text; and always the text,
/// for the reasons.
pub struct ColumnCells {
    typed: Option<Typed>,
    pub text: StringChunked,
}

enum Typed {
    Numbers(Vec<f64>),
    Bools(Vec<Option<bool>>),
    Days(Vec<Option<i64>>),
}

impl ColumnCells {
    /// Read `column` of `table` for the model column `fc`.
    pub fn read(table: &Table, fc: &FittedColumn) -> Result<ColumnCells> {
        Self::read_with(table, fc, true)
    }

    /// [`Self::read`] without the text of a typed column: for counting values, where no
    /// reason is written (`monitor`).
    pub fn read_values(table: &Table, fc: &FittedColumn) -> Result<ColumnCells> {
        Self::read_with(table, fc, false)
    }

    fn read_with(table: &Table, fc: &FittedColumn, always_text: bool) -> Result<ColumnCells> {
        let col = table.column(&fc.name)?;
        let dt = col.dtype();
        let typed = match fc.role {
            Role::Number if dt.is_primitive_numeric() => Some(Typed::Numbers(numeric_cells(table, col)?)),
            Role::Flag if dt == &DataType::Boolean => {
                Some(Typed::Bools(col.bool().map_err(|e| internal(table, e))?.iter().collect()))
            }
            Role::Date if is_temporal(dt) => Some(Typed::Days(temporal_days(table, col)?)),
            _ => None,
        };
        let text = if always_text || typed.is_none() { text_cells(table, col)? } else { StringChunked::default() };
        Ok(ColumnCells { typed, text })
    }

    /// Every row's cell (`text` holds the text column's values, from [`Self::texts`]).
    pub fn cell<'a>(&self, texts: &[Option<&'a str>], i: usize) -> Cell<'a> {
        match &self.typed {
            Some(Typed::Numbers(v)) if v[i].is_nan() => Cell::Missing,
            Some(Typed::Numbers(v)) => Cell::Number(v[i]),
            Some(Typed::Bools(v)) => v[i].map_or(Cell::Missing, Cell::Bool),
            Some(Typed::Days(v)) => v[i].map_or(Cell::Missing, Cell::Day),
            None => Cell::text(texts[i]),
        }
    }

    /// The text of every row.
    pub fn texts(&self) -> Vec<Option<&str>> {
        self.text.iter().collect()
    }
}

/// A number part's cells (NaN: missing), read by its kind.
pub(super) fn read_numbers(table: &Table, col: &Column, kind: NumKind, as_of_day: Option<i64>) -> Result<Vec<f64>> {
    let dt = col.dtype();
    match kind {
        NumKind::Number if dt.is_primitive_numeric() => numeric_cells(table, col),
        NumKind::Flag if dt == &DataType::Boolean => {
            let ca = col.bool().map_err(|e| internal(table, e))?;
            Ok(ca.iter().map(|v| v.map(|b| b as u8 as f64).unwrap_or(f64::NAN)).collect())
        }
        NumKind::DaysBefore | NumKind::LocalDaysBefore(_) => {
            let as_of = as_of_day.unwrap_or(0);
            Ok(read_dates_as(table, col, kind.date_order().flatten())?
                .into_iter()
                .map(|d| d.map(|d| (as_of - d) as f64).unwrap_or(f64::NAN))
                .collect())
        }
        _ => {
            let ca = text_cells(table, col)?;
            let mut out = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                let c = Cell::text(v);
                match kind.value(c, 0) {
                    Ok(x) => out.push(x),
                    Err(p) => return Err(p.at(&table.path, col.name(), row_no(i), clean(v).unwrap_or(""))),
                }
            }
            Ok(out)
        }
    }
}

/// A level part's cells as codes into a dictionary of levels, read by its kind.
pub(super) fn read_levels(table: &Table, col: &Column, kind: CatKind) -> Result<Values> {
    let ca = text_cells(table, col)?;
    let mut dict: Vec<String> = Vec::new();
    let mut index: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
    // Cache by raw cell text so each distinct title or category value is read once.
    let mut raw_cache: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    let mut codes = Vec::with_capacity(ca.len());
    let cacheable = kind.cacheable();
    for v in ca.iter() {
        match clean(v) {
            None => codes.push(MISSING),
            Some(s) => {
                if let Some(&c) = raw_cache.get(s).filter(|_| cacheable) {
                    codes.push(c);
                    continue;
                }
                let level = kind.level(s).into_owned();
                let next = dict.len() as u32;
                let code = *index.entry(level.clone()).or_insert_with(|| {
                    dict.push(level);
                    next
                });
                if cacheable {
                    raw_cache.insert(s, code);
                }
                codes.push(code);
            }
        }
    }
    Ok(Values { dict, codes })
}
