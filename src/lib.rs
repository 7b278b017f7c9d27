//! leadscore: predictive lead scoring that an analyst owns.
//!
//! The library does the work; the `leadscore` binary is glue around it.
//!
//! ## Layers
//!
//! The modules stand in layers, the order data flows through them. A module imports
//! only from its own layer or the ones below, and no files import each other in a
//! circle: `.ci/check_layers.py` reads this table and fails CI otherwise.
//!
//! | layer | modules |
//! |---|---|
//! | 1. plain helpers and cell readers | error, encoding, keywords, cell, format, dialect, reasons, metrics, uncertainty, split, newton, fit, threshold, calibrate |
//! | 2. data | data, sample |
//! | 3. feature parts | features |
//! | 4. events | events |
//! | 5. the model as plain data | model, model_file, history |
//! | 6. operations | as_of, resolution, train, segments, score, sql, monitor, rules, compare, evaluate, alerts, crm, synth, synth_crm, inspect, retrain |
//! | 7. report | report |
//! | 8. front doors | api |
//! | 9. the front ends | serve, cli |
//!
//! 1. The typed errors; text encodings; what one cell means ([`cell`], its local
//!    [`format`]s, the [`keywords`] tables); how files and SQL engines write things
//!    ([`dialect`]); evaluation on (probability, label) pairs ([`metrics`], with
//!    [`uncertainty`]'s intervals and tests); the logistic fits ([`fit`]: linfa-logistic
//!    with its traps handled; [`newton`] for the small cross-validation problems); the
//!    operating point ([`threshold`]) and the calibration map ([`calibrate`]).
//! 2. [`data`]: read CSV / Parquet exports, check the label, write outputs atomically;
//!    [`sample`]: a stratified sample of a large training file.
//! 3. [`features`]: column roles and the fitted feature pipeline; one file per role, the
//!    part encodings, and the reference profile the model keeps for monitoring.
//! 4. [`events`]: behavioural columns aggregated from a raw activity log, point in time.
//! 5. [`model`] and [`model_file`]: the trained model (fitted parts, coefficients,
//!    threshold, tiers, calibration map, segment weights, the record of how it was
//!    made) and its file format; [`history`]: the versions kept beside a model file.
//! 6. The operations: [`train`] (with the [`resolution`] choice and [`segments`]),
//!    [`score`] (the per-lead arithmetic, [`score::row`], and its drivers), [`sql`],
//!    [`monitor`], [`rules`] and [`compare`], [`evaluate`], [`alerts`], [`as_of`] (the one
//!    rule for the date that dates count back from), [`synth`], [`crm`] (scores in a CRM's
//!    import format), [`inspect`] (what a saved model is), [`retrain`] (a challenger
//!    against the champion, the gate, the history).
//! 7. [`report`]: the self-contained HTML report; it formats, it computes nothing.
//! 8. [`api`]: the front doors, one per job (a parameter struct in, a result type out);
//!    the command line, `serve` and the Python package call these.
//! 9. The front ends, glue over the front doors: [`serve`] (scoring over HTTP, each lead
//!    through [`api::score::RecordScorer`]) and `cli` (in the binary: parse, call one
//!    front door, print). The Python package (`python/`) is the third.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod alerts;
pub mod api;
pub mod as_of;
pub mod calibrate;
pub mod cell;
pub mod compare;
pub mod crm;
pub mod data;
pub mod dialect;
pub mod encoding;
pub mod error;
pub mod evaluate;
pub mod events;
pub mod features;
pub mod fit;
pub mod format;
pub mod history;
pub mod inspect;
pub mod keywords;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod monitor;
pub mod newton;
pub mod reasons;
pub mod report;
pub mod resolution;
pub mod retrain;
pub mod rules;
pub mod sample;
pub mod score;
pub mod segments;
pub mod serve;
pub mod split;
pub mod sql;
pub mod synth;
pub mod synth_crm;
pub mod threshold;
pub mod train;
pub mod uncertainty;

pub use error::{Error, Result};
