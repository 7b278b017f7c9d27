//! Alerts to sales (issue 16): after `score` has written its file, which leads changed
//! since the last run ([`changes`]: the state kept between runs, the changes file), and
//! their delivery to sales' systems ([`webhook`]: signed batches, retries, the outbox).
//!
//! Sits at the end of the scoring flow and only reads what scoring wrote; monitoring the
//! model itself is [`crate::monitor`].

pub mod changes;
pub mod run;
pub mod webhook;
