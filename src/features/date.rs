//! The date role: a date becomes the days before the as-of date (see [`crate::as_of`]
//! for which date that is), then is treated as a number.

use super::kind::{Kind, NumKind, PartSpec, Role};
use crate::cell::parse_day;
use crate::cell::{Cell, Problem};
use crate::format::{excel_serial_day, parse_day_as, ColumnFormat, DateOrder};

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

/// The SQL reading of a cleaned text cell `cell` (NULL when missing) as an ISO date
/// (`YYYY-MM-DD` or `YYYY/MM/DD`, a time after a space or `T` ignored), as days before
/// the date expression `as_of`: the days, NULL when missing or not a date (the problem,
/// [`super::NumKind::sql_problem`]). Impossible dates (`2024-02-30`) are not dates,
/// checked before any cast so that no engine errors.
pub(crate) fn sql_days_before(cell: &str, as_of: &str, d: crate::dialect::sql::Dialect) -> String {
    let shape = d.matches(cell, r"^[0-9]{4}(-[0-9]{2}-|/[0-9]{2}/)[0-9]{2}([ T]|$)");
    // Casts only behind the shape test (SQL's AND does not stop early; CASE does).
    let part = |from: u8, len: u8| {
        format!("(CASE WHEN {shape} THEN {} END)", d.to_small_int(&format!("SUBSTR({cell}, {from}, {len})")))
    };
    let (y, m, dd) = (part(1, 4), part(6, 2), part(9, 2));
    let leap = format!("({} = 0 AND ({} <> 0 OR {} = 0))", d.modulo(&y, "4"), d.modulo(&y, "100"), d.modulo(&y, "400"));
    let month_days = format!(
        "CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    );
    let valid = format!("COALESCE({shape} AND {m} BETWEEN 1 AND 12 AND {dd} BETWEEN 1 AND {month_days}, FALSE)");
    format!("CASE WHEN {valid} THEN {} END", d.to_double(&d.days_between(as_of, &d.make_date(&y, &m, &dd))))
}

/// [`sql_days_before`] for a column of Excel serial day numbers (ISO dates read too):
/// the whole part of a plain number from 1 to 2,958,465, counted from 1899-12-30 (from 61
/// on) or 1899-12-31, as [`crate::format::excel_serial_day`] counts.
pub(crate) fn sql_days_before_serial(cell: &str, as_of: &str, d: crate::dialect::sql::Dialect) -> String {
    let iso = sql_days_before(cell, as_of, d);
    let number = d.matches(cell, super::number::SQL_NUMBER);
    let x = format!("(CASE WHEN {number} THEN {} END)", d.to_double(cell));
    let n = format!("FLOOR({x})");
    let from = |base: &str| d.to_double(&d.days_between(as_of, &format!("DATE '{base}'")));
    let serial = format!(
        "CASE WHEN {x} >= 1 AND {x} < 2958466 THEN CASE WHEN {n} >= 61 THEN {} - {n} ELSE {} - {n} END END",
        from("1899-12-30"),
        from("1899-12-31")
    );
    format!("COALESCE({iso}, {serial})")
}
