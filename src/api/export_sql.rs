//! The `export-sql` job: the model as one SQL query, for scoring in the warehouse.

use crate::error::{Error, Result};
use crate::model::LeadModel;
use crate::sql::SqlParams;

/// What `export-sql` is given.
#[derive(Debug, Clone)]
pub struct ExportSqlJob<'m> {
    pub model: &'m LeadModel,
    /// The model file's checksum, which the query records.
    pub checksum: &'m str,
    pub params: SqlParams,
}

/// Most reasons a query computes per lead.
pub const MOST_REASONS: usize = 20;

/// The query ([`crate::sql::export`]).
pub fn export_sql(job: &ExportSqlJob) -> Result<String> {
    if job.params.reasons > MOST_REASONS {
        return Err(Error::usage("--reasons", format!("must be 0 to {MOST_REASONS}, got {}", job.params.reasons)));
    }
    crate::sql::export(job.model, &job.params, job.checksum)
}
