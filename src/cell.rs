//! One cell of text to a typed value: placeholders, numbers, yes/no, dates.
//!
//! Every path that reads a lead (training's columns, the in-memory, streaming and
//! parallel CSV scorers, the rules, the activity log) reads cells with these functions,
//! so a cell means the same thing everywhere. The parts ([`crate::features::number`],
//! [`crate::features::flag`], [`crate::features::date`], ...) say which reader a column uses; a reader that
//! refuses a cell says why with a [`Problem`], and the caller adds the file, column, row
//! and value ([`Problem::at`]).

use std::path::Path;

use chrono::NaiveDate;

use crate::error::{clip, Error};
use crate::keywords::{is_one_of, NO, YES};

/// A cell as the parts read it: text from a CSV file, or a typed value from Parquet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Empty, null, or a placeholder such as `Select`.
    Missing,
    /// Trimmed text (see [`clean`]).
    Text(&'a str),
    /// A numeric column's value.
    Number(f64),
    /// A boolean column's value.
    Bool(bool),
    /// A date column's value (days from the common era, [`day_number`]).
    Day(i64),
}

impl<'a> Cell<'a> {
    /// A text cell, cleaned: placeholders are [`Cell::Missing`].
    pub fn text(raw: Option<&'a str>) -> Cell<'a> {
        match clean(raw) {
            Some(s) => Cell::Text(s),
            None => Cell::Missing,
        }
    }
}

/// Why a cell cannot be read as its column's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Not a number, in a column read as numbers.
    NotANumber,
    /// NaN or infinity.
    NonFinite,
    /// Not a date, in a date column.
    NotADate,
    /// Not yes/no, in a flag column.
    NotAFlag,
}

impl Problem {
    /// The error for this problem at `row` (counted from 1) of `column` in `path`.
    pub fn at(&self, path: &Path, column: &str, row: u64, value: &str) -> Error {
        let (path, column, value) = (path.to_path_buf(), column.to_string(), clip(value));
        match self {
            Problem::NotANumber => {
                Error::TextInNumeric { path, column, row, value, why: "the model reads this column as numbers".into() }
            }
            Problem::NonFinite => Error::NonFinite { path, column, row, value },
            Problem::NotADate => Error::BadDate { path, column, row, value },
            Problem::NotAFlag => Error::BadFlag { path, column, row, value },
        }
    }

    /// A short reason, for lists of rejected cells.
    pub fn describe(&self) -> &'static str {
        match self {
            Problem::NotANumber => "not a number",
            Problem::NonFinite => "not a finite number",
            Problem::NotADate => "not a date",
            Problem::NotAFlag => "not a yes/no value",
        }
    }
}

/// Trim a cell and map placeholders to `None`.
pub fn clean(cell: Option<&str>) -> Option<&str> {
    let t = cell?.trim();
    if crate::keywords::is_placeholder(t) {
        None
    } else {
        Some(t)
    }
}

/// What a cleaned cell says when read as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumCell {
    Value(f64),
    /// NaN or infinity written out: a value the model cannot use.
    NonFinite,
    NotANumber,
}

/// Parse a cleaned cell as a number (`1`, `-2.5`, `3e4`).
pub fn parse_number(s: &str) -> NumCell {
    // Whole numbers of up to 15 digits, the common case, without the float parser (the
    // same value: every such number is exact in an f64).
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        return NumCell::Value(b.iter().fold(0u64, |a, &d| a * 10 + (d - b'0') as u64) as f64);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => NumCell::Value(v),
        Ok(_) => NumCell::NonFinite,
        Err(_) => NumCell::NotANumber,
    }
}

/// Read a yes/no cell ([`YES`], [`NO`]): 1 or 0.
pub fn parse_flag(s: &str) -> Option<f64> {
    if is_one_of(YES, s) {
        Some(1.0)
    } else if is_one_of(NO, s) {
        Some(0.0)
    } else {
        None
    }
}

/// Parse a date `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by a time after a space or `T`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() < 10 || !s.is_char_boundary(10) {
        return None;
    }
    let (day, rest) = s.split_at(10);
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('T')) {
        return None;
    }
    // FromStr reads ISO dates without re-reading a format string for every cell.
    day.parse::<NaiveDate>().or_else(|_| NaiveDate::parse_from_str(day, "%Y/%m/%d")).ok()
}

/// [`parse_date`] as a day number ([`day_number`]), with `YYYY-MM-DD` read directly (the
/// common case; the same dates and the same refusals as chrono's parser).
pub fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let digits = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0u32, |a, &d| d.is_ascii_digit().then(|| a * 10 + (d - b'0') as u32))
        };
        if let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) {
            return NaiveDate::from_ymd_opt(y as i32, m, d).map(day_number);
        }
    }
    parse_date(s).map(day_number)
}

/// Days from the common era, the integer form dates take inside the pipeline.
pub fn day_number(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    d.num_days_from_ce() as i64
}

pub fn from_day_number(n: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(n).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_missing() {
        assert_eq!(clean(Some(" Select ")), None);
        assert_eq!(clean(Some("N/A")), None);
        assert_eq!(clean(Some(" x ")), Some("x"));
        assert_eq!(Cell::text(Some(" unknown ")), Cell::Missing);
        for p in ["Vælg", "VÆLG", "Velg", "Välj", "ukendt", "Keine Angabe", "Inconnu", "desconocido"] {
            assert_eq!(clean(Some(p)), None, "{p}");
        }
    }

    #[test]
    fn yes_and_no_in_six_languages() {
        for y in ["ja", "JA", "Ja", "oui", "sí", "SÍ", "si"] {
            assert_eq!(parse_flag(y), Some(1.0), "{y}");
        }
        for n in ["nej", "Nei", "nein", "non", "NO"] {
            assert_eq!(parse_flag(n), Some(0.0), "{n}");
        }
    }

    #[test]
    fn whole_numbers_read_as_the_float_parser_does() {
        for s in ["0", "7", "0012", "999999999999999", "123456789012345", "1234567890123456", "1.5", "-3", "1e3"] {
            assert_eq!(parse_number(s), NumCell::Value(s.parse::<f64>().unwrap()), "{s}");
        }
        assert_eq!(parse_number("inf"), NumCell::NonFinite);
        assert_eq!(parse_number("12a"), NumCell::NotANumber);
    }

    #[test]
    fn direct_day_parse_agrees_with_chrono() {
        for y in [0, 1, 99, 999, 1900, 1999, 2000, 2023, 2024, 2100, 9999] {
            for m in 0..=13 {
                for d in 0..=32 {
                    let s = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(parse_day(&s), parse_date(&s).map(day_number), "{s}");
                }
            }
        }
        for s in
            ["2024-1-01", "2024-01-1 ", "2024/01/02", "2024-01-02T10:00", "+024-01-02", "2024-0a-02", "2024-01-02 x"]
        {
            assert_eq!(parse_day(s), parse_date(s).map(day_number), "{s}");
        }
    }

    #[test]
    fn dates_with_and_without_time() {
        assert!(parse_date("2024-03-01").is_some());
        assert!(parse_date("2024-03-01 10:00:00").is_some());
        assert!(parse_date("2024-03-01T10:00:00Z").is_some());
        assert!(parse_date("2024-02-30").is_none());
        assert!(parse_date("01/03/2024").is_none());
    }
}
