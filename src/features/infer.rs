//! Which role a column plays, from the evidence in its cells.
//!
//! Called by the pipeline ([`super::FeatureParams::fit_transform`]) for every column the
//! analyst has not given a role. Typed columns (Parquet) decide by their type. Text
//! columns are read once per distinct value, and each role's own test of a cell counts
//! its evidence: numbers ([`crate::cell::parse_number`]), yes/no
//! ([`crate::cell::parse_flag`]), dates ([`crate::cell::parse_date`]), e-mail addresses
//! ([`super::email::looks_like_email`]), a title-like column name
//! ([`super::title::is_title_column`]). The verdict weighs them in a fixed order; a
//! column that is almost all one kind but for a few cells is an error naming the first
//! odd cell, since a typo there would otherwise silently turn it into a category.

use polars::prelude::*;

use super::kind::Role;
use super::read::{numeric_cells, text_cells};
use crate::cell::{clean, parse_date, parse_flag, parse_number, NumCell};
use crate::data::Table;
use crate::error::{clip, Error, Result};
use crate::format::{
    infer_order, parse_day_as, parse_number_as, split_local_date, ColumnFormat, DateOrder, NumberFormat, OrderProblem,
};

/// What the data says a column is (with the format its numbers or dates are written
/// in, when not plain), or why it is left out.
pub(crate) enum Inferred {
    Role(Role, Option<ColumnFormat>),
    Skip(String),
}

fn row_no(i: usize) -> u64 {
    i as u64 + 1
}

/// The role of `col`, or why it is left out. `order` is the date order given for every
/// day-first or month-first column (`--date-format`), if any.
pub(crate) fn infer_role(table: &Table, col: &Column, order: Option<DateOrder>) -> Result<Inferred> {
    let name = col.name().to_string();
    let n = col.len();
    let dt = col.dtype();
    if matches!(dt, DataType::Date | DataType::Datetime(_, _)) {
        return Ok(Inferred::Role(Role::Date, None));
    }
    if dt == &DataType::Boolean {
        return Ok(Inferred::Role(Role::Flag, None));
    }
    if dt.is_primitive_numeric() {
        let v = numeric_cells(table, col)?;
        let present = v.into_iter().filter(|x| !x.is_nan()).map(|x| (x, 1)).collect();
        return Ok(numeric_verdict(present, n));
    }
    let ca = text_cells(table, col)?;
    let cells = distinct_cells(&ca);
    let mut numeric = 0usize;
    let mut first_text: Option<(usize, String)> = None;
    let mut first_nonfinite: Option<(usize, String)> = None;
    let mut flags = 0usize;
    let mut dates = 0usize;
    let mut first_nondate: Option<(usize, String)> = None;
    let mut emails = 0usize;
    let mut local_dates = 0usize;
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
        } else if split_local_date(s).is_some() {
            local_dates += count;
        } else if first_nondate.is_none() {
            first_nondate = Some((i, clip(s)));
        }
        if super::email::looks_like_email(s) {
            emails += count;
        }
    }
    let m: usize = cells.iter().map(|c| c.2).sum();
    if m == 0 {
        return Ok(Inferred::Skip("empty in every row".into()));
    }
    let semicolons = table.delimiter == Some(b';');
    if numeric == m && !(semicolons && points_read_as_grouping(&cells, m)) {
        if let Some((row, value)) = first_nonfinite {
            return Err(Error::NonFinite { path: table.path.clone(), column: name, row: row_no(row), value });
        }
        return Ok(numeric_verdict(nums, n));
    }
    // Numbers in a local format: read when the plain reading leaves cells over, or in a
    // `;` file (Excel's in comma-decimal locales) whose points all group thousands.
    if let Some(local) = local_numbers(&cells, m, semicolons) {
        if local.count == m {
            return Ok(match numeric_verdict(local.values, n) {
                Inferred::Role(Role::Number | Role::Flag, _) => {
                    Inferred::Role(Role::Number, Some(ColumnFormat::Number(local.format)))
                }
                other => other,
            });
        }
        if local.count > numeric {
            numeric = local.count;
            first_text = local.first_bad;
        }
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
        return Ok(Inferred::Role(Role::Flag, None));
    }
    if dates == m {
        return Ok(Inferred::Role(Role::Date, None));
    }
    if (dates + local_dates) as f64 >= 0.9 * m as f64 {
        let mut first_bad = first_nondate;
        let format = if local_dates > 0 {
            let order = date_order(table, &name, &cells, order)?;
            // Every local date must be a real date in that order (no 31/02).
            if let Some(&(s, i, _)) =
                cells.iter().find(|c| split_local_date(c.0).is_some() && parse_day_as(c.0, order).is_none())
            {
                if first_bad.as_ref().is_none_or(|(r, _)| i < *r) {
                    first_bad = Some((i, clip(s)));
                }
            }
            Some(ColumnFormat::Date(Some(order)))
        } else {
            None
        };
        match first_bad {
            None => return Ok(Inferred::Role(Role::Date, format)),
            Some((row, value)) => {
                return Err(Error::BadDate { path: table.path.clone(), column: name, row: row_no(row), value })
            }
        }
    }
    if emails as f64 >= 0.8 * m as f64 {
        return Ok(Inferred::Role(Role::Email, None));
    }
    // A CRM stage or status reads like titles ("Sales Qualified Lead"): its name says not.
    let crm_stage = crate::keywords::after_the_sale(&name).is_some();
    if super::title::is_title_column(&name)
        || (!crm_stage && super::title::looks_like_titles(cells.iter().map(|c| (c.0, c.2))))
    {
        return Ok(Inferred::Role(Role::Title, None));
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
    Ok(Inferred::Role(Role::Category, None))
}

/// Each distinct cleaned cell once, with its first row and count, in order of first
/// appearance: the tests run per distinct value (a CRM column holds far fewer values
/// than rows).
fn distinct_cells(ca: &StringChunked) -> Vec<(&str, usize, usize)> {
    let mut seen: foldhash::HashMap<&str, (usize, usize)> = foldhash::HashMap::default();
    for (i, v) in ca.iter().enumerate() {
        let Some(s) = clean(v) else { continue };
        seen.entry(s).and_modify(|e| e.1 += 1).or_insert((i, 1));
    }
    let mut cells: Vec<(&str, usize, usize)> = seen.into_iter().map(|(s, (first, count))| (s, first, count)).collect();
    cells.sort_unstable_by_key(|c| c.1);
    cells
}

/// Whether some cell has a `.` and every cell reads with `.` as a thousands separator
/// and `,` as the decimal mark (`1.621`): in a `;` file, that is what the points mean.
fn points_read_as_grouping(cells: &[(&str, usize, usize)], m: usize) -> bool {
    cells.iter().any(|c| c.0.contains('.'))
        && local_numbers(cells, m, true).is_some_and(|l| l.count == m && l.format.decimal_comma)
}

/// A column's cells read in the local number format that reads the most of them.
struct LocalNumbers {
    format: NumberFormat,
    /// Filled cells read (with their counts).
    count: usize,
    values: Vec<(f64, usize)>,
    first_bad: Option<(usize, String)>,
}

/// The local number format (decimal comma or point, with thousands separators and
/// currency or percent signs as needed) that reads every cell, or else the one reading
/// the most; `None` when neither reads 90%. With both reading every cell (`1.234`
/// could be either), a `;`-delimited file (`semicolons`) says decimal comma. The
/// format recorded is the narrowest that reads every cell.
fn local_numbers(cells: &[(&str, usize, usize)], m: usize, semicolons: bool) -> Option<LocalNumbers> {
    let read = |format: NumberFormat| -> Option<LocalNumbers> {
        let (mut count, mut bad, mut values, mut first_bad) = (0usize, 0usize, Vec::new(), None);
        for &(s, i, c) in cells {
            match parse_number_as(s, format) {
                NumCell::Value(x) => {
                    count += c;
                    values.push((x, c));
                }
                _ => {
                    bad += c;
                    first_bad.get_or_insert((i, clip(s)));
                    // Past a tenth unread, it is not a number column: stop early.
                    if bad as f64 > 0.1 * m as f64 {
                        return None;
                    }
                }
            }
        }
        Some(LocalNumbers { format, count, values, first_bad })
    };
    let order = if semicolons { [true, false] } else { [false, true] };
    let mut best: Option<LocalNumbers> = None;
    for comma in order {
        let Some(r) = read(NumberFormat::widest(comma)) else { continue };
        if r.count == m {
            let narrowest =
                NumberFormat::widest(comma).narrowings().into_iter().find_map(|f| read(f).filter(|r| r.count == m));
            return narrowest.or(Some(r));
        }
        if best.as_ref().is_none_or(|b| r.count > b.count) {
            best = Some(r);
        }
    }
    best
}

/// The order of a column's day-first or month-first dates: the one given, else from
/// the values ([`infer_order`]); a column that could be either is an error that says
/// how to choose.
fn date_order(
    table: &Table,
    column: &str,
    cells: &[(&str, usize, usize)],
    given: Option<DateOrder>,
) -> Result<DateOrder> {
    if let Some(o) = given {
        return Ok(o);
    }
    let err = |detail: String| Error::DateOrder { path: table.path.clone(), column: column.to_string(), detail };
    match infer_order(cells.iter().map(|c| c.0)) {
        Ok(Some(o)) => Ok(o),
        Ok(None) => Ok(DateOrder::DayFirst),
        Err(OrderProblem::Ambiguous(ex)) => Err(err(format!(
            "dates such as {ex:?} could be day-first (dd/mm/yyyy) or month-first (mm/dd/yyyy): no value has a day above 12"
        ))),
        Err(OrderProblem::Mixed(a, b)) => {
            Err(err(format!("{a:?} reads only day-first and {b:?} only month-first: the column mixes both orders")))
        }
    }
}

/// The format of a column whose role was given (feature spec or a default role): the
/// local number format of a number column, the order of a date column's day-first or
/// month-first dates, Excel serial day numbers in a date column of numbers; `None` for
/// plain columns, typed columns, and roles that do not read numbers or dates.
pub(crate) fn format_for(
    table: &Table,
    col: &Column,
    role: Role,
    order: Option<DateOrder>,
) -> Result<Option<ColumnFormat>> {
    let dt = col.dtype();
    if matches!(dt, DataType::Date | DataType::Datetime(_, _) | DataType::Boolean) {
        return Ok(None);
    }
    if dt.is_primitive_numeric() {
        return Ok((role == Role::Date).then_some(ColumnFormat::Date(Some(DateOrder::ExcelSerial))));
    }
    match role {
        Role::Number => {
            let ca = text_cells(table, col)?;
            let cells = distinct_cells(&ca);
            let m = cells.iter().map(|c| c.2).sum();
            let semicolons = table.delimiter == Some(b';');
            if cells.iter().all(|c| matches!(parse_number(c.0), NumCell::Value(_) | NumCell::NonFinite))
                && !(semicolons && points_read_as_grouping(&cells, m))
            {
                return Ok(None);
            }
            // A column given as numbers is read in the format reading the most cells;
            // the cells it cannot read are reported when the part reads them.
            Ok(local_numbers(&cells, m, semicolons).map(|l| ColumnFormat::Number(l.format)))
        }
        Role::Date => {
            let ca = text_cells(table, col)?;
            let cells = distinct_cells(&ca);
            if cells.iter().any(|c| split_local_date(c.0).is_some()) {
                return Ok(Some(ColumnFormat::Date(Some(date_order(table, col.name(), &cells, order)?))));
            }
            let serials = cells
                .iter()
                .filter(|c| parse_date(c.0).is_none())
                .all(|c| matches!(parse_number(c.0), NumCell::Value(_)));
            let any_serial = cells.iter().any(|c| parse_date(c.0).is_none());
            Ok((serials && any_serial).then_some(ColumnFormat::Date(Some(DateOrder::ExcelSerial))))
        }
        _ => Ok(None),
    }
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
        return Inferred::Role(Role::Flag, None);
    }
    let integers = sorted.iter().all(|x| x.fract() == 0.0);
    if integers && m >= 20 && d == m {
        return Inferred::Skip(format!("identifier-like: {d} distinct whole numbers in {m} filled rows"));
    }
    Inferred::Role(Role::Number, None)
}
