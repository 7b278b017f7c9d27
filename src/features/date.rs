//! The date role: a date becomes the days before the as-of date (see [`crate::as_of`]
//! for which date that is), then is treated as a number.

use super::cell::parse_day;
use super::cell::{Cell, Problem};
use super::format::{excel_serial_day, parse_day_as, ColumnFormat, DateOrder};
use super::part::NumKind;
use super::{Kind, PartSpec, Role};

pub(crate) struct Date;

impl Kind for Date {
    fn role(&self) -> Role {
        Role::Date
    }
    fn parts(&self, column: &str, format: Option<ColumnFormat>) -> Vec<PartSpec> {
        let kind = match format {
            Some(ColumnFormat::Date(Some(o))) => NumKind::LocalDaysBefore(o),
            _ => NumKind::DaysBefore,
        };
        vec![PartSpec::Numeric(kind, format!("{column} (days before as-of)"))]
    }
}

/// A date cell's day number (days from the common era), text written in `order`
/// (`None`: ISO); `None` when missing.
pub(crate) fn day(cell: Cell, order: Option<DateOrder>) -> Result<Option<i64>, Problem> {
    match (cell, order) {
        (Cell::Missing, _) => Ok(None),
        (Cell::Day(d), _) => Ok(Some(d)),
        (Cell::Text(s), None) => parse_day(s).map(Some).ok_or(Problem::NotADate),
        (Cell::Text(s), Some(o)) => parse_day_as(s, o).map(Some).ok_or(Problem::NotADate),
        (Cell::Number(x), Some(DateOrder::ExcelSerial)) => excel_serial_day(x).map(Some).ok_or(Problem::NotADate),
        (Cell::Number(_) | Cell::Bool(_), _) => Err(Problem::NotADate),
    }
}

/// Days from the cell's date (written in `order`) to `as_of_day`; NaN when missing.
pub(crate) fn days_before(cell: Cell, order: Option<DateOrder>, as_of_day: i64) -> Result<f64, Problem> {
    Ok(day(cell, order)?.map(|d| (as_of_day - d) as f64).unwrap_or(f64::NAN))
}
