//! The flag role: yes/no, true/false, 1/0 columns, read as 0/1 (the words are in
//! [`crate::keywords`]). One [`NumericPart`](super::part::NumericPart) without log1p or
//! steps.

use super::kind::{Kind, NumKind, PartSpec, Role};
use crate::cell::{parse_flag, parse_number, Cell, NumCell, Problem};

pub(crate) struct Flag;

impl Kind for Flag {
    fn role(&self) -> Role {
        Role::Flag
    }
    fn parts(&self, column: &str, _format: Option<crate::format::ColumnFormat>) -> Vec<PartSpec> {
        vec![PartSpec::Numeric(NumKind::Flag, column.to_string())]
    }
}

/// A flag cell as 1 or 0; NaN when missing. A number other than 0 and 1 (a `2` in a
/// column that held only 0 and 1 in training) reads as yes when above zero, as no
/// otherwise: a count where a flag was expected, not a bad cell.
pub(crate) fn value(cell: Cell) -> Result<f64, Problem> {
    match cell {
        Cell::Missing => Ok(f64::NAN),
        Cell::Bool(b) => Ok(b as u8 as f64),
        Cell::Text(s) => match parse_flag(s) {
            Some(v) => Ok(v),
            None => match parse_number(s) {
                NumCell::Value(x) => Ok((x > 0.0) as u8 as f64),
                _ => Err(Problem::NotAFlag),
            },
        },
        Cell::Number(x) if x.is_finite() => Ok((x > 0.0) as u8 as f64),
        Cell::Number(_) | Cell::Day(_) => Err(Problem::NotAFlag),
    }
}

/// The SQL reading of a cleaned text cell `cell` (NULL when missing), as [`value`]
/// reads it: 1, 0, or NULL when missing or not a yes/no value.
pub(crate) fn sql_value(cell: &str, d: crate::dialect::sql::Dialect) -> String {
    let list = |words: &[&str]| words.iter().map(|w| d.string(w)).collect::<Vec<_>>().join(", ");
    let number = d.matches(cell, super::number::SQL_NUMBER);
    format!(
        "CASE WHEN LOWER({cell}) IN ({}) THEN 1.0 WHEN LOWER({cell}) IN ({}) THEN 0.0 \
         WHEN {number} THEN CASE WHEN {} > 0 THEN 1.0 ELSE 0.0 END END",
        list(crate::keywords::YES),
        list(crate::keywords::NO),
        d.to_double(cell)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_a_flag_column_are_yes_above_zero() {
        assert_eq!(value(Cell::Text("2")), Ok(1.0));
        assert_eq!(value(Cell::Text("0.0")), Ok(0.0));
        assert_eq!(value(Cell::Text("-1")), Ok(0.0));
        assert_eq!(value(Cell::Number(3.0)), Ok(1.0));
        assert_eq!(value(Cell::Text("maybe")), Err(Problem::NotAFlag));
        assert_eq!(value(Cell::Text("inf")), Err(Problem::NotAFlag));
    }
}
