//! The one integration-test binary: every module drives the real `leadscore` binary in
//! a scratch folder of its own (or calls the library where a number must be checked
//! exactly).

mod common;

mod bad_input;
mod corpus;
mod evaluate_threshold;
mod events;
mod issue_13;
mod issue_14;
mod issue_15;
mod issue_16;
mod issue_17;
mod issue_18;
mod metrics_pinned;
mod model_file;
mod real_data;
mod reasons;
mod rules_compare;
mod train_score;
