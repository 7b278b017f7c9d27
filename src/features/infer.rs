//! Which role a column plays, from the evidence in its cells.
//!
//! Called by the pipeline ([`super::FeatureParams::fit_transform`]) for every column the
//! analyst has not given a role. Typed columns (Parquet) decide by their type. Text
//! columns are read once per distinct value, and each role's own test of a cell counts
//! its evidence: numbers ([`super::cell::parse_number`]), yes/no
//! ([`super::cell::parse_flag`]), dates ([`super::cell::parse_date`]), e-mail addresses
//! ([`super::email::looks_like_email`]), a title-like column name
//! ([`super::title::is_title_column`]). The verdict weighs them in a fixed order; a
//! column that is almost all one kind but for a few cells is an error naming the first
//! odd cell, since a typo there would otherwise silently turn it into a category.

use polars::prelude::*;

use super::cell::{clean, parse_date, parse_flag, parse_number, NumCell};
use super::{numeric_cells, text_cells, Role};
use crate::data::Table;
use crate::error::{clip, Error, Result};

/// What the data says a column is, or why it is left out.
pub(crate) enum Inferred {
    Role(Role),
    Skip(String),
}

fn row_no(i: usize) -> u64 {
    i as u64 + 1
}

/// The role of `col`, or why it is left out.
pub(crate) fn infer_role(table: &Table, col: &Column) -> Result<Inferred> {
    let name = col.name().to_string();
    let n = col.len();
    let dt = col.dtype();
    if matches!(dt, DataType::Date | DataType::Datetime(_, _)) {
        return Ok(Inferred::Role(Role::Date));
    }
    if dt == &DataType::Boolean {
        return Ok(Inferred::Role(Role::Flag));
    }
    if dt.is_primitive_numeric() {
        let v = numeric_cells(table, col)?;
        let present = v.into_iter().filter(|x| !x.is_nan()).map(|x| (x, 1)).collect();
        return Ok(numeric_verdict(present, n));
    }
    let ca = text_cells(table, col)?;
    // Each distinct cleaned cell once, with its first row and count: the tests below run
    // per distinct value (a CRM column holds far fewer values than rows).
    let mut seen: foldhash::HashMap<&str, (usize, usize)> = foldhash::HashMap::default();
    let mut m = 0usize;
    for (i, v) in ca.iter().enumerate() {
        let Some(s) = clean(v) else { continue };
        m += 1;
        seen.entry(s).and_modify(|e| e.1 += 1).or_insert((i, 1));
    }
    let mut cells: Vec<(&str, usize, usize)> = seen.into_iter().map(|(s, (first, count))| (s, first, count)).collect();
    cells.sort_unstable_by_key(|c| c.1);
    let mut numeric = 0usize;
    let mut first_text: Option<(usize, String)> = None;
    let mut first_nonfinite: Option<(usize, String)> = None;
    let mut flags = 0usize;
    let mut dates = 0usize;
    let mut first_nondate: Option<(usize, String)> = None;
    let mut emails = 0usize;
    let mut nums: Vec<(f64, usize)> = Vec::new();
    for &(s, i, count) in &cells {
        match parse_number(s) {
            NumCell::Value(x) => {
                numeric += count;
                nums.push((x, count));
            }
            NumCell::NonFinite => {
                numeric += count;
                if first_nonfinite.is_none() {
                    first_nonfinite = Some((i, clip(s)));
                }
            }
            NumCell::NotANumber => {
                if first_text.is_none() {
                    first_text = Some((i, clip(s)));
                }
            }
        }
        if parse_flag(s).is_some() {
            flags += count;
        }
        if parse_date(s).is_some() {
            dates += count;
        } else if first_nondate.is_none() {
            first_nondate = Some((i, clip(s)));
        }
        if super::email::looks_like_email(s) {
            emails += count;
        }
    }
    if m == 0 {
        return Ok(Inferred::Skip("empty in every row".into()));
    }
    if numeric == m {
        if let Some((row, value)) = first_nonfinite {
            return Err(Error::NonFinite { path: table.path.clone(), column: name, row: row_no(row), value });
        }
        return Ok(numeric_verdict(nums, n));
    }
    if numeric as f64 >= 0.9 * m as f64 {
        if let Some((row, value)) = first_text {
            return Err(Error::TextInNumeric {
                path: table.path.clone(),
                column: name,
                row: row_no(row),
                value,
                why: format!("{:.1}% of the column's filled cells are numbers", 100.0 * numeric as f64 / m as f64),
            });
        }
    }
    if flags == m {
        return Ok(Inferred::Role(Role::Flag));
    }
    if dates == m {
        return Ok(Inferred::Role(Role::Date));
    }
    if dates as f64 >= 0.9 * m as f64 {
        if let Some((row, value)) = first_nondate {
            return Err(Error::BadDate { path: table.path.clone(), column: name, row: row_no(row), value });
        }
    }
    if emails as f64 >= 0.8 * m as f64 {
        return Ok(Inferred::Role(Role::Email));
    }
    if super::title::is_title_column(&name) || super::title::looks_like_titles(cells.iter().map(|c| (c.0, c.2))) {
        return Ok(Inferred::Role(Role::Title));
    }
    // Distinct values ignoring case: needed only for the identifier test, so counted only
    // when it is reached (not for an e-mail column of a million addresses).
    let d = cells.iter().map(|c| c.0.to_lowercase()).collect::<foldhash::HashSet<String>>().len();
    if d == 1 && m == n {
        return Ok(Inferred::Skip("the same value in every row".into()));
    }
    if m >= 20 && d as f64 >= 0.9 * m as f64 {
        return Ok(Inferred::Skip(format!("identifier-like: {d} distinct values in {m} filled rows")));
    }
    Ok(Inferred::Role(Role::Category))
}

/// The role of a column of numbers, from its present values with their counts, of `n`
/// rows in all.
fn numeric_verdict(mut values: Vec<(f64, usize)>, n: usize) -> Inferred {
    let m: usize = values.iter().map(|v| v.1).sum();
    if m == 0 {
        return Inferred::Skip("empty in every row".into());
    }
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut sorted: Vec<f64> = values.iter().map(|v| v.0).collect();
    sorted.dedup();
    let d = sorted.len();
    if d == 1 && m == n {
        return Inferred::Skip("the same value in every row".into());
    }
    if sorted.iter().all(|&x| x == 0.0 || x == 1.0) {
        return Inferred::Role(Role::Flag);
    }
    let integers = sorted.iter().all(|x| x.fract() == 0.0);
    if integers && m >= 20 && d == m {
        return Inferred::Skip(format!("identifier-like: {d} distinct whole numbers in {m} filled rows"));
    }
    Inferred::Role(Role::Number)
}
