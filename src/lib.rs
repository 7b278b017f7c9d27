//! leadscore: predictive lead scoring that an analyst owns.
//!
//! The library does the work; the `leadscore` binary is glue around it. Modules are laid
//! out in the order data flows through them:
//!
//! 1. [`encoding`] and [`data`]: read CSV / Parquet exports (any common text encoding
//!    decoded to UTF-8 first; the one CSV record rule), check the label; write outputs
//!    atomically.
//! 2. [`events`]: behavioural columns aggregated from a raw activity log, point in time.
//! 3. [`as_of`]: the one rule for the date that dates count back from.
//! 4. [`features`]: column roles and the fitted feature pipeline; one file per role, the
//!    part encodings, cell readers and keyword tables.
//! 5. [`fit`] and [`train`]: split, fit linfa-logistic, holdout metrics; [`segments`]: the
//!    global model updated per segment (`--segment-by`) by closed testing.
//! 6. [`metrics`] and [`threshold`]: evaluation on (probability, label) pairs and the
//!    choice of the operating point; [`uncertainty`]: their intervals and tests.
//! 7. [`model`] and [`model_file`]: the trained model and its file format; [`calibrate`]:
//!    its map from log-odds to probability.
//! 8. [`score`]: the per-lead arithmetic ([`score::row`]) and its drivers: in-memory,
//!    streaming, parallel CSV; probabilities, scores, tiers, decisions and reasons.
//! 9. [`evaluate`]: the evaluation report of a model on labelled leads.
//! 10. [`rules`] and [`compare`]: the manual points model, run as a second model, and
//!     the two side by side (one compare pipeline for `compare`, `report` and `demo`).
//! 11. [`report`]: the self-contained HTML report; it formats, it computes nothing.
//! 12. [`synth`]: the synthetic CRM generator for samples, tests and benchmarks.
//! 13. [`alerts`]: which leads changed since the last scoring run, and
//!     their delivery to sales' systems; [`monitor`]: the model's reference profile and
//!     drift, expected and realised performance on new leads.
//! 14. [`sql`] and [`sample`]: the model as one SQL query; sampling a large training file.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod alerts;
pub mod as_of;
pub mod calibrate;
pub mod cell;
pub mod compare;
pub mod data;
pub mod dialect;
pub mod encoding;
pub mod error;
pub mod evaluate;
pub mod events;
pub mod features;
pub mod fit;
pub mod format;
pub mod keywords;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod monitor;
pub mod newton;
pub mod report;
pub mod resolution;
pub mod rules;
pub mod sample;
pub mod score;
pub mod segments;
pub mod split;
pub mod sql;
pub mod synth;
pub mod threshold;
pub mod train;
pub mod uncertainty;

pub use error::{Error, Result};
