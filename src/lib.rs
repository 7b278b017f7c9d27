//! leadscore: predictive lead scoring that an analyst owns.
//!
//! The library does the work; the `leadscore` binary is glue around it. Modules are laid
//! out in the order data flows through them:
//!
//! 1. [`data`]: read CSV / Parquet exports, check the label; write outputs atomically.
//! 2. [`events`]: behavioural columns aggregated from a raw activity log, point in time.
//!    [`features`]: column roles and the fitted feature pipeline (design matrix).
//! 3. [`fit`] and [`train`]: split, fit linfa-logistic, holdout metrics.
//! 4. [`metrics`] and [`threshold`]: evaluation on (probability, label) pairs and the
//!    choice of the operating point.
//! 5. [`model`] and [`model_file`]: the trained model and its file format.
//! 6. [`score`]: probabilities, scores, tiers, decisions and reasons for new leads.
//! 7. [`evaluate`]: the evaluation report of a model on labelled leads.
//! 8. [`rules`] and [`compare`]: the manual points model, run as a second model, and
//!    the two side by side.
//! 9. [`report`]: the self-contained HTML report; it formats, it computes nothing.
//! 10. [`synth`]: the synthetic CRM generator for samples, tests and benchmarks.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod compare;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod events;
pub mod features;
pub mod fit;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod report;
pub mod rules;
pub mod score;
pub mod synth;
pub mod threshold;
pub mod train;

pub use error::{Error, Result};
