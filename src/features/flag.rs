//! The flag role: yes/no, true/false, 1/0 columns, read as 0/1 (the words are in
//! [`super::keywords`]). One [`NumericPart`](super::part::NumericPart) without log1p or
//! steps.

use super::cell::{parse_flag, Cell, Problem};
use super::part::NumKind;
use super::{Kind, PartSpec, Role};

pub(crate) struct Flag;

impl Kind for Flag {
    fn role(&self) -> Role {
        Role::Flag
    }
    fn parts(&self, column: &str) -> Vec<PartSpec> {
        vec![PartSpec::Numeric(NumKind::Flag, column.to_string())]
    }
}

/// A flag cell as 1 or 0; NaN when missing.
pub(crate) fn value(cell: Cell) -> Result<f64, Problem> {
    match cell {
        Cell::Missing => Ok(f64::NAN),
        Cell::Bool(b) => Ok(b as u8 as f64),
        Cell::Text(s) => parse_flag(s).ok_or(Problem::NotAFlag),
        Cell::Number(x) if x == 0.0 || x == 1.0 => Ok(x),
        Cell::Number(_) | Cell::Day(_) => Err(Problem::NotAFlag),
    }
}
