//! The number role: counts, amounts, sizes. One [`NumericPart`](super::part::NumericPart)
//! per column: median imputation and a missing flag, log1p when skewed and
//! non-negative, quantile steps for nonlinear effects, then standardisation.

use super::kind::{Kind, NumKind, PartSpec, Role};
use crate::cell::{Cell, NumCell, Problem};
use crate::format::{parse_number_as, ColumnFormat, NumberFormat};

pub(crate) struct Number;

impl Kind for Number {
    fn role(&self) -> Role {
        Role::Number
    }
    fn parts(&self, column: &str, format: Option<ColumnFormat>) -> Vec<PartSpec> {
        let kind = match format {
            Some(ColumnFormat::Number(f)) if f != NumberFormat::PLAIN => NumKind::LocalNumber(f),
            _ => NumKind::Number,
        };
        vec![PartSpec::Numeric(kind, column.to_string())]
    }
}

/// A number cell's value; NaN when missing.
pub(crate) fn value(cell: Cell) -> Result<f64, Problem> {
    value_as(cell, NumberFormat::PLAIN)
}

/// A number cell's value, text written in `format`; NaN when missing.
pub(crate) fn value_as(cell: Cell, format: NumberFormat) -> Result<f64, Problem> {
    match cell {
        Cell::Missing => Ok(f64::NAN),
        Cell::Number(x) if x.is_finite() => Ok(x),
        Cell::Number(_) => Err(Problem::NonFinite),
        Cell::Text(s) => match parse_number_as(s, format) {
            NumCell::Value(x) => Ok(x),
            NumCell::NonFinite => Err(Problem::NonFinite),
            NumCell::NotANumber => Err(Problem::NotANumber),
        },
        Cell::Bool(_) | Cell::Day(_) => Err(Problem::NotANumber),
    }
}

/// The SQL reading of a cleaned text cell `cell` (NULL when missing), as [`value`] reads
/// it: the number, NULL when missing or not a number (Rust's float syntax; `inf` and
/// `NaN` are not finite: [`sql_problem_message`]).
pub(crate) fn sql_value(cell: &str, d: crate::dialect::sql::Dialect) -> String {
    format!("CASE WHEN {} THEN {} END", d.matches(cell, SQL_NUMBER), d.to_double(cell))
}

/// The problem of a present cell that is not a number ([`sql_value`]'s NULL), as SQL text.
pub(crate) fn sql_problem_message(cell: &str, d: crate::dialect::sql::Dialect) -> String {
    let nonfinite = d.matches(&format!("LOWER({cell})"), SQL_NONFINITE);
    format!("CASE WHEN {nonfinite} THEN 'not a finite number' ELSE 'not a number' END")
}

/// Rust's float syntax (`f64::from_str`) for finite numbers.
pub(crate) const SQL_NUMBER: &str = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$";
/// The non-finite spellings Rust reads (after lower-casing).
const SQL_NONFINITE: &str = r"^[+-]?(inf|infinity|nan)$";
