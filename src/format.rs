//! How a column writes its numbers and dates, when not as `1234.5` and `2026-04-24`.
//!
//! Excel and CRM exports write numbers and dates in the user's locale: `1.234,5` and
//! `24-04-2026` in Denmark, `1 234,5` and `24.04.2026` in Norway and Germany, `1,234.5`
//! and `04/24/2026` in the US, `12 %` and `kr 1.200` anywhere. Training infers each
//! column's format from its values ([`crate::features::infer`]; the feature spec's `[formats]` and
//! `--date-format` override it) and records it in the model inside the part's kind
//! ([`crate::features::NumKind::LocalNumber`], [`crate::features::NumKind::LocalDaysBefore`]), so that every
//! scoring path reads a cell of that column the same way. A column in the plain formats
//! keeps the plain kinds: models of such files are unchanged.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::cell::{day_number, parse_day, parse_number, NumCell};

/// How a number column is written (the plain format is none of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NumberFormat {
    /// `,` is the decimal mark (`12,5`); else `.`.
    pub decimal_comma: bool,
    /// Thousands separators in groups of three: the other mark, a space, a no-break
    /// space or an apostrophe (`1.234.567`, `1 234`, `1'234`).
    pub grouping: bool,
    /// A currency sign or code (`kr`, `kr.`, `DKK`, `€`, `$`, ...) or a percent sign
    /// before or after the number, dropped: `12 %` is 12, `kr 1.200` is 1200.
    pub signs: bool,
}

impl NumberFormat {
    /// `1234.5`: Rust's float syntax, nothing else.
    pub const PLAIN: NumberFormat = NumberFormat { decimal_comma: false, grouping: false, signs: false };

    /// Words for summaries: "decimal comma, thousands separators, currency/percent signs".
    pub fn describe(&self) -> String {
        let mut v = vec![if self.decimal_comma { "decimal comma" } else { "decimal point" }];
        if self.grouping {
            v.push("thousands separators");
        }
        if self.signs {
            v.push("currency/percent signs");
        }
        v.join(", ")
    }

    /// The formats inference tries on a column that is not plain, widest first.
    pub(crate) fn widest(decimal_comma: bool) -> NumberFormat {
        NumberFormat { decimal_comma, grouping: true, signs: true }
    }

    /// The narrower formats of the same decimal mark, narrowest first (inference records
    /// the narrowest that reads every cell).
    pub(crate) fn narrowings(self) -> [NumberFormat; 4] {
        let d = self.decimal_comma;
        [
            NumberFormat { decimal_comma: d, grouping: false, signs: false },
            NumberFormat { decimal_comma: d, grouping: true, signs: false },
            NumberFormat { decimal_comma: d, grouping: false, signs: true },
            NumberFormat { decimal_comma: d, grouping: true, signs: true },
        ]
    }
}

/// Currency signs and codes dropped before or after a number, longest first so that
/// `kr.` goes before `kr`; compared ignoring case.
const CURRENCIES: &[&str] =
    &["DKK", "NOK", "SEK", "EUR", "USD", "GBP", "CHF", "ISK", "kr.", "kr", "€", "$", "£", "¥", "Fr."];

/// Spaces that separate thousands (or a sign from its number) in exports.
fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}'
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let head = s.get(..p.len())?;
    head.eq_ignore_ascii_case(p).then(|| &s[p.len()..])
}

fn strip_suffix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(p.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(p).then(|| &s[..cut])
}

/// The number inside currency and percent signs, and whether it was negative outside
/// them (`-kr 12`, `kr -12`, `12 kr`, `12%`, `-12 %`).
fn strip_signs(s: &str) -> (bool, &str) {
    let mut t = s.trim_matches(is_space);
    let mut neg = false;
    if let Some(r) = t.strip_prefix('-').or_else(|| t.strip_prefix('\u{2212}')) {
        neg = true;
        t = r.trim_start_matches(is_space);
    }
    if let Some(r) = t.strip_suffix('%') {
        t = r.trim_end_matches(is_space);
    }
    for c in CURRENCIES {
        if let Some(r) = strip_prefix_ci(t, c) {
            t = r.trim_start_matches(is_space);
            break;
        }
        if let Some(r) = strip_suffix_ci(t, c) {
            t = r.trim_end_matches(is_space);
            break;
        }
    }
    (neg, t)
}

/// Read a cleaned cell as a number written in `format`.
pub fn parse_number_as(s: &str, format: NumberFormat) -> NumCell {
    if format == NumberFormat::PLAIN {
        return parse_number(s);
    }
    let (neg, t) = if format.signs { strip_signs(s) } else { (false, s) };
    let (mark, other) = if format.decimal_comma { (',', '.') } else { ('.', ',') };
    let (int, frac) = match t.split_once(mark) {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let (sign, digits) = match int.strip_prefix(['-', '+']) {
        Some(r) => (&int[..1], r),
        None => match int.strip_prefix('\u{2212}') {
            Some(r) => ("-", r),
            None => ("", int),
        },
    };
    if neg && !sign.is_empty() {
        return NumCell::NotANumber;
    }
    let is_sep = |c: char| c == other || is_space(c) || c == '\'';
    let mut buf = String::with_capacity(t.len() + 1);
    if neg {
        buf.push('-');
    }
    buf.push_str(sign);
    if digits.contains(is_sep) {
        if !format.grouping {
            return NumCell::NotANumber;
        }
        // Groups of three after a first group of one to three digits.
        for (k, g) in digits.split(is_sep).enumerate() {
            let ok =
                g.bytes().all(|b| b.is_ascii_digit()) && if k == 0 { (1..=3).contains(&g.len()) } else { g.len() == 3 };
            if !ok {
                return NumCell::NotANumber;
            }
            buf.push_str(g);
        }
    } else {
        buf.push_str(digits);
    }
    if let Some(f) = frac {
        // The fraction is digits (and an exponent): no second mark, no separators.
        if f.contains([',', '.', '\'']) || f.contains(is_space) {
            return NumCell::NotANumber;
        }
        buf.push('.');
        buf.push_str(f);
    }
    // `parse_number` rejects what Rust's float syntax rejects (`--1`, `1..`, ``).
    parse_number(&buf)
}

/// How a date column is written, when not ISO (`2026-04-24`, with or without a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateOrder {
    /// `24-04-2026`, `24.04.2026`, `24/04/2026` (Nordic, German, UK Excel).
    DayFirst,
    /// `04/24/2026` (US Excel).
    MonthFirst,
    /// Excel's serial day numbers (`46136` is 2026-04-24), in a column declared a date.
    ExcelSerial,
}

impl fmt::Display for DateOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateOrder::DayFirst => "day first (dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy)",
            DateOrder::MonthFirst => "month first (mm/dd/yyyy)",
            DateOrder::ExcelSerial => "Excel serial day numbers",
        })
    }
}

/// A date written `a SEP b SEP yyyy` (one or two digits each for `a` and `b`, `SEP` one of
/// `-` `.` `/`), optionally followed by a time after a space or `T`: `(a, b, year, SEP)`.
pub fn split_local_date(s: &str) -> Option<(u32, u32, i32, u8)> {
    let b = s.as_bytes();
    let num = |r: &[u8]| -> Option<u32> {
        (!r.is_empty() && r.len() <= 4 && r.iter().all(u8::is_ascii_digit))
            .then(|| r.iter().fold(0u32, |a, &d| a * 10 + (d - b'0') as u32))
    };
    let sep_at = b.iter().position(|c| matches!(c, b'-' | b'.' | b'/'))?;
    let sep = b[sep_at];
    let second = sep_at + 1 + b[sep_at + 1..].iter().position(|&c| c == sep)?;
    let year_end = b[second + 1..].iter().position(|c| !c.is_ascii_digit()).map_or(b.len(), |p| second + 1 + p);
    let rest = &b[year_end..];
    if !(rest.is_empty() || rest[0] == b' ' || rest[0] == b'T') {
        return None;
    }
    let (x, y, year) = (&b[..sep_at], &b[sep_at + 1..second], &b[second + 1..year_end]);
    if x.len() > 2 || y.len() > 2 || year.len() != 4 {
        return None;
    }
    Some((num(x)?, num(y)?, num(year)? as i32, sep))
}

/// Read a cleaned cell as a date written in `order` (ISO dates are read in every order),
/// as a day number ([`day_number`]).
pub fn parse_day_as(s: &str, order: DateOrder) -> Option<i64> {
    if let Some(d) = parse_day(s) {
        return Some(d);
    }
    match order {
        DateOrder::DayFirst | DateOrder::MonthFirst => {
            let (a, b, y, _) = split_local_date(s)?;
            let (d, m) = if order == DateOrder::DayFirst { (a, b) } else { (b, a) };
            NaiveDate::from_ymd_opt(y, m, d).map(day_number)
        }
        DateOrder::ExcelSerial => match parse_number(s) {
            NumCell::Value(x) => excel_serial_day(x),
            _ => None,
        },
    }
}

/// Excel's serial day number (the 1900 date system; a fraction is the time of day) as a
/// day number. Excel counts a 29 February 1900 that never was, so serials from 61 on
/// count from 1899-12-30 and those below from 1899-12-31.
pub fn excel_serial_day(x: f64) -> Option<i64> {
    if !(1.0..2_958_466.0).contains(&x) {
        return None;
    }
    let n = x.floor() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, if n >= 61 { 30 } else { 31 })?;
    Some(day_number(base) + n)
}

/// A format as the feature spec's `[formats]` and `--date-format` write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnFormat {
    Date(Option<DateOrder>),
    Number(NumberFormat),
}

impl std::str::FromStr for ColumnFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "yyyy-mm-dd" | "iso" | "yyyy/mm/dd" => ColumnFormat::Date(None),
            "dd-mm-yyyy" | "dd.mm.yyyy" | "dd/mm/yyyy" | "day-first" | "d-m-y" => {
                ColumnFormat::Date(Some(DateOrder::DayFirst))
            }
            "mm/dd/yyyy" | "mm-dd-yyyy" | "mm.dd.yyyy" | "month-first" | "m/d/y" => {
                ColumnFormat::Date(Some(DateOrder::MonthFirst))
            }
            "excel" | "serial" | "excel-serial" => ColumnFormat::Date(Some(DateOrder::ExcelSerial)),
            "1234.5" | "plain" => ColumnFormat::Number(NumberFormat::PLAIN),
            "1,234.5" | "decimal-point" => ColumnFormat::Number(NumberFormat::widest(false)),
            "1.234,5" | "1 234,5" | "decimal-comma" => ColumnFormat::Number(NumberFormat::widest(true)),
            _ => {
                return Err(format!(
                    "unknown format {s:?}; dates: yyyy-mm-dd, dd-mm-yyyy (also dd.mm.yyyy, dd/mm/yyyy), \
                     mm/dd/yyyy or excel; numbers: 1234.5, 1,234.5 or 1.234,5"
                ))
            }
        })
    }
}

/// Day-first or month-first, from the distinct local dates of a column (`a/b/yyyy`):
/// a first number above 12 says day-first, a second above 12 month-first. With neither,
/// `.` and `-` are read day-first (no locale writes them month-first); `/` is ambiguous:
/// `Err` with an example, for the caller's message.
pub fn infer_order<'a>(dates: impl IntoIterator<Item = &'a str>) -> Result<Option<DateOrder>, OrderProblem> {
    let (mut first_big, mut second_big, mut slash, mut any) = (None, None, None, false);
    for s in dates {
        let Some((a, b, _, sep)) = split_local_date(s) else { continue };
        any = true;
        if a > 12 && first_big.is_none() {
            first_big = Some(s.to_string());
        }
        if b > 12 && second_big.is_none() {
            second_big = Some(s.to_string());
        }
        if sep == b'/' && slash.is_none() {
            slash = Some(s.to_string());
        }
    }
    match (first_big, second_big) {
        _ if !any => Ok(None),
        (Some(a), Some(b)) => Err(OrderProblem::Mixed(a, b)),
        (Some(_), None) => Ok(Some(DateOrder::DayFirst)),
        (None, Some(_)) => Ok(Some(DateOrder::MonthFirst)),
        (None, None) => match slash {
            Some(example) => Err(OrderProblem::Ambiguous(example)),
            None => Ok(Some(DateOrder::DayFirst)),
        },
    }
}

/// Why a column's date order cannot be inferred.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderProblem {
    /// No day above 12 anywhere: `03/04/2026` could be either.
    Ambiguous(String),
    /// Both orders occur (`24/04/2026` and `04/24/2026`).
    Mixed(String, String),
}

/// The SQL of [`parse_number_as`] up to its last step: a cleaned text cell `cell` (not
/// NULL) written in `format`, as the text in Rust's float syntax that Rust reads (or a
/// text that is not a number, when the format's rules refuse the cell). The caller reads
/// that text as a plain number ([`crate::features::number::sql_value`]).
///
/// Currency codes are stripped before the number, else after it, in one regular
/// expression each: where Rust's ordered search would strip the other end, a sign is
/// left at both ends, and both readings refuse the cell.
pub(crate) fn sql_plain_number(cell: &str, format: NumberFormat, d: crate::dialect::sql::Dialect) -> String {
    let sp = "[ \u{A0}\u{202F}]";
    let (neg, t) = if format.signs {
        let neg = d.matches(cell, "^[-\u{2212}]");
        let t1 = format!(
            "CASE WHEN {neg} THEN {} ELSE {cell} END",
            d.strip(&format!("SUBSTR({cell}, 2)"), &format!("^{sp}+"))
        );
        let t2 = d.strip(&t1, &format!("{sp}*%$"));
        let codes: Vec<String> = CURRENCIES.iter().map(|c| regex::escape(&c.to_lowercase())).collect();
        let codes = codes.join("|");
        let prefix = format!("(?i)^({codes}){sp}*");
        let suffix = format!("(?i){sp}*({codes})$");
        let t3 = format!(
            "CASE WHEN {} THEN {} ELSE {} END",
            d.matches(&t2, &prefix),
            d.strip(&t2, &prefix),
            d.strip(&t2, &suffix)
        );
        (Some(neg), t3)
    } else {
        (None, cell.to_string())
    };
    let (mark, other) = if format.decimal_comma { (",", r"\.") } else { (r"\.", ",") };
    let at = d.strpos(&t, &d.string(&mark.replace('\\', "")));
    let int = format!("(CASE WHEN {at} > 0 THEN SUBSTR({t}, 1, {at} - 1) ELSE {t} END)");
    let frac = format!("(CASE WHEN {at} > 0 THEN SUBSTR({t}, {at} + 1) END)");
    let has_sign = d.matches(&int, "^[-+\u{2212}]");
    let sign =
        format!("CASE WHEN {has_sign} THEN CASE WHEN {} THEN '+' ELSE '-' END ELSE '' END", d.matches(&int, r"^\+"));
    let digits = format!("(CASE WHEN {has_sign} THEN SUBSTR({int}, 2) ELSE {int} END)");
    let sep = format!("[{other} \u{A0}\u{202F}']");
    let has_sep = d.matches(&digits, &sep);
    let grouped = d.matches(&digits, &format!("^[0-9]{{1,3}}({sep}[0-9]{{3}})+$"));
    let digits_ok = if format.grouping { format!("(NOT {has_sep} OR {grouped})") } else { format!("(NOT {has_sep})") };
    let frac_ok = format!("({frac} IS NULL OR NOT {})", d.matches(&frac, "[,.' \u{A0}\u{202F}]"));
    let neg_text = neg.as_ref().map_or("''".to_string(), |n| format!("CASE WHEN {n} THEN '-' ELSE '' END"));
    let neg_ok = neg.as_ref().map_or("TRUE".to_string(), |n| format!("NOT ({n} AND {has_sign})"));
    format!(
        "CASE WHEN {neg_ok} AND {digits_ok} AND {frac_ok} THEN {neg_text} || {sign} || {} || \
         COALESCE('.' || {frac}, '') ELSE 'not a number' END",
        d.strip(&digits, &sep)
    )
}

/// The SQL of a cleaned text cell `cell` (not NULL) written day-first or month-first,
/// as the ISO text `YYYY-MM-DD` that [`parse_day`] reads; any other cell (ISO, or in
/// neither shape, which the ISO reading then refuses) as it is.
pub(crate) fn sql_iso_date(cell: &str, order: DateOrder, d: crate::dialect::sql::Dialect) -> String {
    let shape = |sep: &str| format!("^[0-9]{{1,2}}{sep}[0-9]{{1,2}}{sep}[0-9]{{4}}([ T]|$)");
    let local = [r"-", r"\.", "/"].iter().map(|s| d.matches(cell, &shape(s))).collect::<Vec<_>>().join(" OR ");
    let first = d.extract(cell, "^([0-9]{1,2})");
    let second = d.extract(cell, "^[0-9]{1,2}[-./]([0-9]{1,2})");
    let year = d.extract(cell, "^[0-9]{1,2}[-./][0-9]{1,2}[-./]([0-9]{4})");
    let (day, month) = match order {
        DateOrder::MonthFirst => (second, first),
        _ => (first, second),
    };
    format!(
        "CASE WHEN {local} THEN {year} || '-' || LPAD({month}, 2, '0') || '-' || LPAD({day}, 2, '0') ELSE {cell} END"
    )
}

/// A count with thousands separators, as every summary writes counts (`12,345`).
pub fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str, f: NumberFormat) -> Option<f64> {
        match parse_number_as(s, f) {
            NumCell::Value(x) => Some(x),
            _ => None,
        }
    }

    #[test]
    fn local_numbers_read_as_their_locale_writes_them() {
        let comma = NumberFormat::widest(true);
        let point = NumberFormat::widest(false);
        for (s, x) in [
            ("12,5", 12.5),
            ("1.234,5", 1234.5),
            ("1 234,5", 1234.5),
            ("1\u{a0}234\u{a0}567", 1234567.0),
            ("-1.234", -1234.0),
            ("kr 1.200", 1200.0),
            ("1.200 kr.", 1200.0),
            ("12 %", 12.0),
            ("-12,5%", -12.5),
            ("DKK 3,5", 3.5),
            ("7", 7.0),
        ] {
            assert_eq!(v(s, comma), Some(x), "{s}");
        }
        for (s, x) in [("1,234", 1234.0), ("1,234.5", 1234.5), ("$1,234,567.25", 1234567.25), ("-$12", -12.0)] {
            assert_eq!(v(s, point), Some(x), "{s}");
        }
        // Groups must be of three; one mark only; no point where the comma is decimal.
        for s in ["1.5", "12.34,5", "1,2,3", "1.23.456", "12,3,4", "kr", "", "1,234.5"] {
            assert_eq!(v(s, comma), None, "{s}");
        }
        for s in ["1,5", "1,23", "1.234,5", "12 34"] {
            assert_eq!(v(s, point), None, "{s}");
        }
        // Without grouping or signs in the format, they are not read.
        assert_eq!(v("1.234,5", NumberFormat { decimal_comma: true, grouping: false, signs: false }), None);
        assert_eq!(v("12 %", NumberFormat { decimal_comma: true, grouping: true, signs: false }), None);
        assert_eq!(parse_number_as("1e3", NumberFormat::PLAIN), NumCell::Value(1000.0));
    }

    #[test]
    fn local_dates_in_both_orders_and_excel_serials() {
        let day = |y, m, d| Some(day_number(NaiveDate::from_ymd_opt(y, m, d).unwrap()));
        assert_eq!(parse_day_as("24-04-2026", DateOrder::DayFirst), day(2026, 4, 24));
        assert_eq!(parse_day_as("24.04.2026 10:30", DateOrder::DayFirst), day(2026, 4, 24));
        assert_eq!(parse_day_as("4/5/2026", DateOrder::DayFirst), day(2026, 5, 4));
        assert_eq!(parse_day_as("4/5/2026", DateOrder::MonthFirst), day(2026, 4, 5));
        assert_eq!(parse_day_as("2026-04-24T10:00:00Z", DateOrder::MonthFirst), day(2026, 4, 24));
        assert_eq!(parse_day_as("31/02/2026", DateOrder::DayFirst), None);
        assert_eq!(parse_day_as("24-04-26", DateOrder::DayFirst), None);
        assert_eq!(parse_day_as("46136", DateOrder::ExcelSerial), day(2026, 4, 24));
        assert_eq!(parse_day_as("46136.75", DateOrder::ExcelSerial), day(2026, 4, 24));
        assert_eq!(parse_day_as("61", DateOrder::ExcelSerial), day(1900, 3, 1));
        assert_eq!(parse_day_as("59", DateOrder::ExcelSerial), day(1900, 2, 28));
        assert_eq!(parse_day_as("1", DateOrder::ExcelSerial), day(1900, 1, 1));
    }

    #[test]
    fn date_order_from_days_above_twelve_or_separator() {
        assert_eq!(infer_order(["03/04/2026", "24/04/2026"]), Ok(Some(DateOrder::DayFirst)));
        assert_eq!(infer_order(["03/04/2026", "04/24/2026"]), Ok(Some(DateOrder::MonthFirst)));
        assert_eq!(infer_order(["03.04.2026"]), Ok(Some(DateOrder::DayFirst)));
        assert_eq!(infer_order(["03/04/2026"]), Err(OrderProblem::Ambiguous("03/04/2026".into())));
        assert!(matches!(infer_order(["13/04/2026", "04/13/2026"]), Err(OrderProblem::Mixed(..))));
        assert_eq!(infer_order(["2026-04-03"]), Ok(None));
    }

    #[test]
    fn no_cell_makes_the_readers_panic() {
        use rand::{Rng, SeedableRng};
        let alphabet: Vec<char> = "0123456789.,- '%$€krDKK/T:Zæ\u{a0}\u{202f}\u{2212}eE+".chars().collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        let formats = [NumberFormat::PLAIN, NumberFormat::widest(true), NumberFormat::widest(false)];
        for _ in 0..20_000 {
            let len = rng.gen_range(0..14);
            let s: String = (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())]).collect();
            for f in formats {
                let _ = parse_number_as(&s, f);
            }
            for o in [DateOrder::DayFirst, DateOrder::MonthFirst, DateOrder::ExcelSerial] {
                let _ = parse_day_as(&s, o);
            }
            let _ = split_local_date(&s);
        }
    }
}
