//! The library's typed errors, by who must act.
//!
//! Every stage of the flow (load, features, fit, model file, score, rules) reports
//! failures through [`Error`]. Bad input (the user fixes the file: exit 2) names the
//! file, column, row and value; usage errors (the user fixes the command line: exit 2)
//! name the option; a damaged or foreign model file names the file (exit 2); the solver
//! failing ([`Error::Fit`]), a write failing and an internal failure
//! ([`Error::Internal`], a bug or a library failure on data already read) exit 1 and do
//! not blame the file. Errors carry no control flow: a path that hands work over says so
//! in its return value.

use std::path::{Path, PathBuf};

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, with the numbers and names needed to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: file not found")]
    FileNotFound { path: PathBuf },

    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: the file is empty")]
    EmptyFile { path: PathBuf },

    #[error("{path}: the file has a header but no data rows")]
    HeaderOnly { path: PathBuf },

    #[error("{path}: unsupported file type {ext:?}; use .csv, .tsv, .txt or .parquet")]
    UnsupportedFormat { path: PathBuf, ext: String },

    #[error("{path}: row {row} (line {line}) has {found} fields, the header has {expected}")]
    RaggedRow { path: PathBuf, row: u64, line: u64, found: usize, expected: usize },

    #[error("{path}: row {row} (line {line}) is not valid UTF-8 text (byte {byte} of the line) although the file's other text is UTF-8: it mixes encodings; re-export the file in one encoding, or give --encoding")]
    InvalidUtf8 { path: PathBuf, row: u64, line: u64, byte: u64 },

    #[error("{path}: column name {name:?} appears {count} times in the header; column names must be unique")]
    DuplicateColumn { path: PathBuf, name: String, count: usize },

    #[error("{path}: {message}")]
    Malformed { path: PathBuf, message: String },

    #[error("{path}: column {column:?} not found; the file has columns: {available}{hint}")]
    MissingColumn {
        path: PathBuf,
        column: String,
        available: String,
        /// Extra advice, e.g. about the delimiter when the file has one column.
        hint: String,
    },

    #[error("{path}: id column {column:?} has {value:?} in rows {first_row} and {row}; ids must be unique (or leave out --id)")]
    DuplicateId { path: PathBuf, column: String, value: String, first_row: u64, row: u64 },

    #[error("{path}: the model needs columns the file lacks: {}", missing.join(", "))]
    MissingModelColumns { path: PathBuf, missing: Vec<String> },

    #[error("{path}: label column {column:?} {problem}")]
    BadLabel { path: PathBuf, column: String, problem: String },

    #[error("{path}: column {column:?}, row {row}: {value:?} is not a number ({why}); fix the value, or give the column role \"category\" in a feature spec, or --exclude it")]
    TextInNumeric { path: PathBuf, column: String, row: u64, value: String, why: String },

    #[error("{path}: column {column:?}, row {row}: {value:?} is not a finite number (NaN and infinity are not allowed); leave the cell empty for a missing value")]
    NonFinite { path: PathBuf, column: String, row: u64, value: String },

    #[error(
        "{path}: column {column:?}, row {row}: {value:?} is not a date (expected YYYY-MM-DD, optionally with a \
         time, or the column's dd-mm-yyyy or mm/dd/yyyy order)"
    )]
    BadDate { path: PathBuf, column: String, row: u64, value: String },

    #[error(
        "{path}: column {column:?}: {detail}. Say which with --date-format '{column}=dd/mm/yyyy' (or \
         mm/dd/yyyy), or under [formats] in a feature spec"
    )]
    DateOrder { path: PathBuf, column: String, detail: String },

    #[error("{path}: column {column:?}, row {row}: {value:?} is not a yes/no value (yes, no, true, false, 1, 0)")]
    BadFlag { path: PathBuf, column: String, row: u64, value: String },

    #[error("{path}: no usable feature column: {detail}")]
    NoFeatures { path: PathBuf, detail: String },

    #[error("{what}: {message}")]
    Usage { what: String, message: String },

    #[error("{path}: another leadscore retrain or rollback holds the lock {lock} (waited {waited} s); try again when it has finished, or give --wait SECONDS")]
    Locked { path: PathBuf, lock: PathBuf, waited: u64 },

    #[error("{path}: output path is the same file as the input {input}; choose another output")]
    OutputIsInput { path: PathBuf, input: PathBuf },

    #[error("{path}: already exists; pass --force to replace it")]
    OutputExists { path: PathBuf },

    #[error("{path}: not a leadscore model file (it does not start with the leadscore magic bytes)")]
    NotAModel { path: PathBuf },

    #[error("{path}: model file format version {found} is newer than this leadscore understands (up to {supported}); upgrade leadscore")]
    ModelTooNew { path: PathBuf, found: u32, supported: u32 },

    #[error("{path}: model file is damaged: {message}")]
    CorruptModel { path: PathBuf, message: String },

    #[error("{path}: {message}")]
    Rules { path: PathBuf, message: String },

    #[error("the solver failed: {0}")]
    Fit(String),

    #[error("threshold strategy {strategy}: {message}")]
    Threshold { strategy: String, message: String },

    #[error("{context}: {message}")]
    Data { context: String, message: String },

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Exit status for the binary: 2 for bad input or usage, 1 for internal failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Write { .. } | Error::Fit(_) | Error::Internal(_) => 1,
            Error::Locked { .. } => 5,
            _ => 2,
        }
    }

    /// The same error with its row numbers moved on by `offset` (for batches of a file).
    pub fn shift_rows(self, offset: u64) -> Self {
        match self {
            Error::TextInNumeric { path, column, row, value, why } => {
                Error::TextInNumeric { path, column, row: row + offset, value, why }
            }
            Error::NonFinite { path, column, row, value } => {
                Error::NonFinite { path, column, row: row + offset, value }
            }
            Error::BadDate { path, column, row, value } => Error::BadDate { path, column, row: row + offset, value },
            Error::BadFlag { path, column, row, value } => Error::BadFlag { path, column, row: row + offset, value },
            Error::DuplicateId { path, column, value, first_row, row } => {
                Error::DuplicateId { path, column, value, first_row: first_row + offset, row: row + offset }
            }
            other => other,
        }
    }

    /// The same error with `from` replaced by `to` wherever it names a file (a message
    /// about a temporary UTF-8 copy, told about the user's file).
    pub fn with_path(self, from: &Path, to: &Path) -> Self {
        let fix = |p: PathBuf| if p == from { to.to_path_buf() } else { p };
        match self {
            Error::FileNotFound { path } => Error::FileNotFound { path: fix(path) },
            Error::Read { path, source } => Error::Read { path: fix(path), source },
            Error::EmptyFile { path } => Error::EmptyFile { path: fix(path) },
            Error::HeaderOnly { path } => Error::HeaderOnly { path: fix(path) },
            Error::RaggedRow { path, row, line, found, expected } => {
                Error::RaggedRow { path: fix(path), row, line, found, expected }
            }
            Error::InvalidUtf8 { path, row, line, byte } => Error::InvalidUtf8 { path: fix(path), row, line, byte },
            Error::DuplicateColumn { path, name, count } => Error::DuplicateColumn { path: fix(path), name, count },
            Error::Malformed { path, message } => Error::Malformed { path: fix(path), message },
            Error::MissingColumn { path, column, available, hint } => {
                Error::MissingColumn { path: fix(path), column, available, hint }
            }
            Error::DuplicateId { path, column, value, first_row, row } => {
                Error::DuplicateId { path: fix(path), column, value, first_row, row }
            }
            Error::MissingModelColumns { path, missing } => Error::MissingModelColumns { path: fix(path), missing },
            Error::BadLabel { path, column, problem } => Error::BadLabel { path: fix(path), column, problem },
            Error::TextInNumeric { path, column, row, value, why } => {
                Error::TextInNumeric { path: fix(path), column, row, value, why }
            }
            Error::NonFinite { path, column, row, value } => Error::NonFinite { path: fix(path), column, row, value },
            Error::BadDate { path, column, row, value } => Error::BadDate { path: fix(path), column, row, value },
            Error::BadFlag { path, column, row, value } => Error::BadFlag { path: fix(path), column, row, value },
            Error::NoFeatures { path, detail } => Error::NoFeatures { path: fix(path), detail },
            Error::DateOrder { path, column, detail } => Error::DateOrder { path: fix(path), column, detail },
            Error::Internal(m) => Error::Internal(m.replace(&from.display().to_string(), &to.display().to_string())),
            other => other,
        }
    }

    /// True when the error is a write to a closed pipe (`leadscore ... | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Write { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub fn usage(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Usage { what: what.into(), message: message.into() }
    }

    pub fn data(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Data { context: context.into(), message: message.into() }
    }

    pub fn malformed(path: &Path, message: impl Into<String>) -> Self {
        Error::Malformed { path: path.to_path_buf(), message: message.into() }
    }

    pub fn read(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::FileNotFound { path: path.to_path_buf() }
        } else {
            Error::Read { path: path.to_path_buf(), source }
        }
    }

    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Error::Write { path: path.to_path_buf(), source }
    }
}

/// A cell value as shown in an error message: at most 60 characters, so that a
/// megabyte-long field does not flood the terminal.
pub fn clip(value: &str) -> String {
    let n = value.chars().count();
    if n <= 60 {
        value.to_string()
    } else {
        format!("{}... ({n} characters)", value.chars().take(57).collect::<String>())
    }
}

/// A polars failure while working on data already read (a cast, a new column): ours, not
/// the user's file, so exit 1. Tagged with the file it concerns.
pub(crate) fn polars_err(path: &Path, e: polars::prelude::PolarsError) -> Error {
    Error::Internal(format!("while working on {}: {e}", path.display()))
}

/// A polars failure while reading a user's file: the file does not read as its format
/// says (exit 2).
pub(crate) fn file_err(path: &Path, e: polars::prelude::PolarsError) -> Error {
    Error::malformed(path, format!("{e}"))
}
