//! How a scoring run is set up (the settings every scoring path takes) and what it sets
//! aside: the leads with a cell the model cannot read, when asked to go on without them.

/// Scoring options.
#[derive(Debug, Clone, Default)]
pub struct ScoreParams {
    /// Anchor for date columns (days from the common era), from [`crate::as_of`].
    pub as_of_day: i64,
    /// How many positive reasons per lead (negatives: one fewer); 0 = none.
    pub reasons: usize,
    /// Id column to carry to the output. Default: the model's id column, else row numbers.
    pub id: Option<String>,
    /// What a lead with a cell the model cannot read does: stop the batch (default) or
    /// be set aside as a [`Reject`] while the other leads are scored.
    pub on_bad_row: OnBadRow,
    /// How a CSV output is written (delimiter, decimal mark, byte-order mark); `Auto`:
    /// as the input, decided where the input is read. Parquet output ignores it.
    pub dialect: crate::dialect::OutputDialect,
}

impl ScoreParams {
    /// The dialect the writers use: the one decided, else plain.
    pub fn out_dialect(&self) -> crate::dialect::Dialect {
        match self.dialect {
            crate::dialect::OutputDialect::Fixed(d) => d,
            crate::dialect::OutputDialect::Auto => crate::dialect::Dialect::PLAIN,
        }
    }
}

/// What scoring does with a lead that has a cell the model cannot read (Spark's read
/// modes where they fit: `FAILFAST`, and a rejects file in place of `DROPMALFORMED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnBadRow {
    /// Stop with an error naming the file, column, row and value.
    #[default]
    Fail,
    /// Set the lead aside (see [`Reject`]) and score the others.
    Reject,
}

/// A lead set aside: its row (from 1, blank lines not counted), id, the cell and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reject {
    pub row: u64,
    pub id: Option<String>,
    pub column: String,
    pub value: String,
    pub reason: String,
}
