//! The date role: a date becomes the days before the as-of date (see [`crate::as_of`]
//! for which date that is), then is treated as a number.

use super::cell::{parse_day, Cell, Problem};
use super::part::NumKind;
use super::{Kind, PartSpec, Role};

pub(crate) struct Date;

impl Kind for Date {
    fn role(&self) -> Role {
        Role::Date
    }
    fn parts(&self, column: &str) -> Vec<PartSpec> {
        vec![PartSpec::Numeric(NumKind::DaysBefore, format!("{column} (days before as-of)"))]
    }
}

/// A date cell's day number (days from the common era); `None` when missing.
pub(crate) fn day(cell: Cell) -> Result<Option<i64>, Problem> {
    match cell {
        Cell::Missing => Ok(None),
        Cell::Day(d) => Ok(Some(d)),
        Cell::Text(s) => parse_day(s).map(Some).ok_or(Problem::NotADate),
        Cell::Number(_) | Cell::Bool(_) => Err(Problem::NotADate),
    }
}

/// Days from the cell's date to `as_of_day`; NaN when missing.
pub(crate) fn days_before(cell: Cell, as_of_day: i64) -> Result<f64, Problem> {
    Ok(day(cell)?.map(|d| (as_of_day - d) as f64).unwrap_or(f64::NAN))
}
