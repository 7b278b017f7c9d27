//! The number role: counts, amounts, sizes. One [`NumericPart`](super::part::NumericPart)
//! per column: median imputation and a missing flag, log1p when skewed and
//! non-negative, quantile steps for nonlinear effects, then standardisation.

use super::cell::{Cell, NumCell, Problem};
use super::format::{parse_number_as, ColumnFormat, NumberFormat};
use super::part::NumKind;
use super::{Kind, PartSpec, Role};

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
