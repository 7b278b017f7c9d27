//! What the roles and the parts are, as names: the [`Role`] of a column, the [`Kind`]
//! each role file implements, and how a part reads its cells ([`NumKind`], [`CatKind`]).
//! Definitions only, at the bottom of the folder, so that the role files and the parts
//! that call them both read them from here (the arithmetic is in the role files and in
//! [`super::part`]).

use serde::{Deserialize, Serialize};

use crate::format::{ColumnFormat, DateOrder, NumberFormat};

/// What a column is, and so which transforms it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Median imputation + missing flag, log1p when skewed, quantile steps, scaling.
    Number,
    /// yes/no, true/false, 0/1 as 0/1.
    Flag,
    /// Days before the as-of date, then treated as a number.
    Date,
    /// Trimmed, case-folded levels; rare levels pooled as "other"; one-hot.
    Category,
    /// free-mail / company / education domain, never the raw address.
    Email,
    /// Seniority and function from keyword tables.
    Title,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Number => "number",
            Role::Flag => "flag",
            Role::Date => "date",
            Role::Category => "category",
            Role::Email => "email",
            Role::Title => "title",
        }
    }
}

/// What a role knows about itself: the parts it builds from a column, and how a reason
/// shows a lead's value. One implementation per role file; [`super::kind_of`] is the registry.
pub trait Kind: Sync {
    fn role(&self) -> Role;
    /// The parts built from the column named `column`, in design order, reading cells
    /// written in `format` where the role reads numbers or dates.
    fn parts(&self, column: &str, format: Option<ColumnFormat>) -> Vec<PartSpec>;
    /// The value a reason shows for a lead's trimmed, non-empty cell.
    fn reason_value<'a>(&self, cell: &'a str) -> &'a str {
        cell
    }
    /// [`Self::reason_value`] in SQL, of a trimmed, non-empty text cell.
    fn sql_reason_value(&self, cell: &str, _d: crate::dialect::sql::Dialect) -> String {
        cell.to_string()
    }
}

/// A part a role builds, before fitting: its encoding and its label.
pub enum PartSpec {
    Numeric(NumKind, String),
    Levels(CatKind, String),
}

/// How a number part reads its cells (saved in the model file; the order is the format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NumKind {
    Number,
    Flag,
    DaysBefore,
    /// A number written in a local format ([`NumberFormat`]: decimal comma, thousands
    /// separators, currency or percent signs).
    LocalNumber(NumberFormat),
    /// A date written day-first, month-first or as Excel serials ([`DateOrder`]), as
    /// days before the as-of date.
    LocalDaysBefore(DateOrder),
}

/// How a level part reads its cells (saved in the model file; the order is the format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CatKind {
    Text,
    TitleSeniority,
    TitleFunction,
    EmailKind,
}
