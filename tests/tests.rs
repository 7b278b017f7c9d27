//! The one integration-test binary: every module drives the real `leadscore` binary in
//! a scratch folder of its own (or calls the library where a number must be checked
//! exactly).

mod common;

mod alerts;
mod bad_input;
mod beyond_range;
mod corpus;
mod crm;
mod crm_export;
mod evaluate_threshold;
mod events;
mod export_sql;
mod exports;
mod intervals;
mod metrics_pinned;
mod model_file;
mod monitor;
mod monotone;
mod pairs;
mod real_data;
mod reasons;
mod retrain;
mod rules_compare;
mod scoring_paths;
mod segments;
mod serve;
mod splines;
mod train_score;
