//! How a scored CSV file is written back: delimiter, decimal mark, byte-order mark; and
//! ([`sql`]) what differs between SQL engines. Both sit at the bottom of the house: the
//! feature parts write their own SQL through [`sql::Dialect`].
//!
//! A Danish-locale Excel opens a `;`-separated file with decimal commas and shows æøå
//! only when the UTF-8 file starts with a byte-order mark; polars and pandas want `,`
//! and `.`. `score` writes back in the input's dialect ([`OutputDialect::Auto`], decided
//! by [`Dialect::for_input`] from the input's delimiter and encoding and the model's
//! number formats) unless `--output-dialect` says otherwise. Every CSV writer of scores
//! (the parallel scorer, the streaming path, the in-memory path) takes a [`Dialect`],
//! so the three stay byte-equal.

use crate::encoding::{Detected, Encoding};

pub mod sql;

/// A CSV dialect for output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    /// Numbers written with `,` as the decimal mark (the probability and the reasons'
    /// contributions). Only with a delimiter other than `,`.
    pub decimal_comma: bool,
    /// The file starts with UTF-8's byte-order mark.
    pub bom: bool,
}

impl Dialect {
    /// `,` and `.`, no byte-order mark: what data tools read by default.
    pub const PLAIN: Dialect = Dialect { delimiter: b',', decimal_comma: false, bom: false };

    /// The dialect of an input read with `delimiter` in `encoding`: the same delimiter;
    /// decimal commas with `;` (Excel's list separator in the locales whose decimal mark
    /// is the comma) or with tabs when the model's number columns were written with
    /// decimal commas (`model_commas`, [`crate::model::LeadModel::reads_decimal_commas`]);
    /// a byte-order mark when the input had one or came in a legacy or UTF-16 encoding
    /// (converted to UTF-8 here).
    pub fn for_input(delimiter: u8, encoding: Option<Detected>, model_commas: bool) -> Dialect {
        let decimal_comma = delimiter == b';' || (delimiter == b'\t' && model_commas);
        let bom = encoding.is_some_and(|e| e.bom || e.encoding != Encoding::Utf8);
        Dialect { delimiter, decimal_comma, bom }
    }

    /// Put a float's text (with a `.`) into `buf` with this dialect's decimal mark.
    pub fn push_float(&self, buf: &mut Vec<u8>, text: &str) {
        if self.decimal_comma {
            buf.extend(text.bytes().map(|b| if b == b'.' { b',' } else { b }));
        } else {
            buf.extend_from_slice(text.as_bytes());
        }
    }

    /// The decimal mark.
    pub fn mark(&self) -> char {
        if self.decimal_comma {
            ','
        } else {
            '.'
        }
    }

    pub const BOM: &'static [u8] = b"\xEF\xBB\xBF";
}

/// `--output-dialect`: as the input, or a fixed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputDialect {
    /// As the input ([`Dialect::for_input`]).
    #[default]
    Auto,
    Fixed(Dialect),
}

impl OutputDialect {
    /// The dialect to write for an input read with `delimiter` in `encoding`: the one
    /// fixed, else as the input ([`Dialect::for_input`]).
    pub fn resolve(self, delimiter: u8, encoding: Option<Detected>, model_commas: bool) -> OutputDialect {
        match self {
            OutputDialect::Auto => OutputDialect::Fixed(Dialect::for_input(delimiter, encoding, model_commas)),
            fixed => fixed,
        }
    }
}

impl std::str::FromStr for OutputDialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let d = |delimiter, decimal_comma, bom| OutputDialect::Fixed(Dialect { delimiter, decimal_comma, bom });
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "auto" => OutputDialect::Auto,
            "plain" | "csv" => OutputDialect::Fixed(Dialect::PLAIN),
            "excel" => d(b',', false, true),
            "excel-semicolon" | "semicolon" | "nordic" => d(b';', true, true),
            "tsv" | "tab" => d(b'\t', false, false),
            other => {
                return Err(format!(
                    "unknown output dialect {other:?}; use auto (as the input), plain (`,` and `.`), excel (`,` \
                     and `.` with a byte-order mark), excel-semicolon (`;` and decimal commas with a byte-order \
                     mark) or tsv"
                ))
            }
        })
    }
}
