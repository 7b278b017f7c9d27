//! The front doors: one function per job, each taking its parameter struct and returning
//! its result type. The command line (`cli/`), `serve` and the Python package are glue
//! over these and nothing else: they parse, call one front door, and print or convert.
//!
//! A job's leads come in one way, [`Leads`]: a file (CSV or Parquet, with its text
//! encoding) or a table already in memory, the as-of date as given, and the activity log
//! when the model uses one. The front doors load them (with the model's event columns
//! appended) themselves, so that no caller loads half of a job's input.
//!
//! | job | front door | takes | returns |
//! |---|---|---|---|
//! | train | [`train::train`] | [`train::TrainJob`] | [`crate::train::TrainOutcome`] |
//! | score | [`score::score_file`], [`score::score_table`] | [`score::ScoreJob`] | [`score::FileScored`], [`score::TableScored`] |
//! | evaluate | [`evaluate::evaluate`] | [`evaluate::EvaluateJob`] | [`evaluate::Evaluated`] |
//! | threshold | [`threshold::threshold`] | [`threshold::ThresholdJob`] | [`threshold::Thresholded`] |
//! | compare | [`compare::compare`] | [`compare::CompareJob`] | [`compare::Compared`] |
//! | report | [`report::report`] | [`report::ReportJob`] | [`report::Reported`] |
//! | monitor | [`monitor::monitor`] | [`monitor::MonitorJob`] | [`monitor::Monitored`] |
//! | export-sql | [`export_sql::export_sql`]; `--dbt`: [`export_sql::export_dbt`] | [`export_sql::ExportSqlJob`]; [`export_sql::DbtJob`] | the query; [`export_sql::DbtProject`] |
//! | retrain | [`retrain::retrain`] | [`retrain::RetrainJob`] | [`retrain::Retrained`] |

pub mod compare;
pub mod evaluate;
pub mod export_sql;
pub mod leads;
pub mod monitor;
pub mod report;
pub mod retrain;
pub mod score;
pub mod threshold;
pub mod train;

pub use leads::{EventsFile, Leads, Source};
