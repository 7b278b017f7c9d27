//! The after-run workflow of `score --state` (issue 16), as one library call: what
//! changed since the last run, the changes file, the outbox before the state (so a run
//! killed in between finds the same changes, with the same event ids, again), the dry
//! run, and delivery. Also the webhook's settings, checked before any scoring work. The
//! command line only parses the flags and prints what [`after_run`] says.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::changes;
use super::webhook::{self, Delivery, Endpoint, Sender};
use crate::error::{Error, Result};
use crate::format::count;
use crate::model::LeadModel;

/// `--webhook` and its settings, as given.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: String,
    /// The environment variable holding the signing secret.
    pub secret_env: String,
    /// Changes per request (at least 1).
    pub batch: usize,
    pub retries: u32,
    pub backoff_ms: u64,
    /// Seconds to wait for an answer (above 0, at most 600); connecting: at most 5.
    pub timeout_s: f64,
}

impl WebhookSettings {
    /// The sender, or a usage error naming the setting; a warning (to `warn`) for an
    /// unencrypted remote address.
    pub fn sender(&self, warn: &mut dyn FnMut(&str)) -> Result<Sender> {
        if self.batch == 0 {
            return Err(Error::usage("--webhook-batch", "must be at least 1"));
        }
        if !(self.timeout_s > 0.0 && self.timeout_s <= 600.0) {
            return Err(Error::usage(
                "--webhook-timeout",
                format!("must be above 0 and at most 600 seconds, got {}", self.timeout_s),
            ));
        }
        let endpoint = Endpoint::from_env(&self.url, &self.secret_env)?;
        if endpoint.is_plain_remote() {
            warn(&format!("{} is plain http: the changes and their reasons travel unencrypted; use https", self.url));
        }
        let response = Duration::from_secs_f64(self.timeout_s);
        Ok(Sender::new(
            endpoint,
            Delivery {
                batch: self.batch,
                retries: self.retries,
                backoff: Duration::from_millis(self.backoff_ms),
                connect_timeout: response.min(Duration::from_secs(5)),
                response_timeout: response,
                ..Default::default()
            },
        ))
    }
}

/// Check `--hysteresis` (from 0 to below 0.5).
pub fn check_hysteresis(h: f64) -> Result<()> {
    if !(0.0..0.5).contains(&h) {
        return Err(Error::usage("--hysteresis", format!("must be from 0 to below 0.5, got {h}")));
    }
    Ok(())
}

/// What the after-run workflow works on.
pub struct AfterRun<'a> {
    /// The state kept between runs (Parquet).
    pub state: &'a Path,
    /// Where the changes go (JSON lines), if anywhere.
    pub changes: Option<&'a Path>,
    pub hysteresis: f64,
    /// Print the signed requests that would be sent and change nothing.
    pub dry_run: bool,
    pub sender: Option<&'a Sender>,
}

/// Compare the scored file `scored` with the last run's state, write the changes file,
/// the outbox and the state, and deliver. `note` hears progress (silenced by `--quiet`),
/// `warn` what must be said even then; a dry run prints its requests to `out`.
#[allow(clippy::too_many_arguments)]
pub fn after_run(
    model: &LeadModel,
    checksum: String,
    as_of: &str,
    scored: &Path,
    run: &AfterRun,
    out: &mut dyn Write,
    note: &mut dyn FnMut(&str),
    warn: &mut dyn FnMut(&str),
) -> Result<()> {
    let settings = changes::Run {
        model: checksum,
        threshold: model.threshold.value,
        hysteresis: run.hysteresis,
        as_of: as_of.to_string(),
        tiers: Some(model.tiers.clone()),
    };
    let previous = changes::read_state(run.state)?;
    let current = changes::read_scored(scored)?;
    let (found, state) = changes::diff(previous.as_ref(), &current, &settings);
    let outbox_path = webhook::outbox_path(run.state);
    let outbox = webhook::read_outbox(&outbox_path)?;
    if run.dry_run {
        if let Some(sender) = run.sender {
            let pending = webhook::queue(outbox, &found);
            let n = webhook::dry_run(sender, &pending, out)?;
            note(&format!(
                "dry run: {} requests with {} changes printed, nothing sent; the state{} left as it was",
                count(n),
                count(pending.len()),
                if run.changes.is_some() { ", the outbox and the changes file" } else { " and the outbox" }
            ));
        }
        return Ok(());
    }
    if let Some(c) = run.changes {
        changes::write_changes(&found, c)?;
    }
    // The outbox before the state: a run killed in between finds the same changes
    // (with the same event ids) again, and the outbox keeps each once.
    let pending = run.sender.map(|_| webhook::queue(outbox.clone(), &found));
    if let Some(p) = &pending {
        webhook::write_outbox(&outbox_path, p)?;
    }
    changes::write_state(&state, run.state)?;
    let mut by_kind: std::collections::BTreeMap<String, usize> = Default::default();
    for c in &found {
        *by_kind.entry(serde_json::to_string(&c.change).unwrap_or_default().replace('"', "")).or_default() += 1;
    }
    note(&format!(
        "changes since the last run{}: {}{}",
        if previous.is_none() { " (none before: every lead is new)" } else { "" },
        if found.is_empty() {
            "none".to_string()
        } else {
            by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
        },
        run.changes.map_or(String::new(), |c| format!("; written to {}", c.display()))
    ));
    match (run.sender, pending) {
        (Some(sender), Some(pending)) => {
            let total = pending.len();
            if total > 0 {
                note(&format!(
                    "webhook: sending {} changes{}",
                    count(total),
                    if outbox.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} waiting from earlier runs first)", count(outbox.len()))
                    }
                ));
            }
            let report = webhook::deliver_all(sender, pending, &outbox_path, note)?;
            if report.delivered > 0 {
                note(&format!(
                    "webhook: {} changes delivered in {} requests",
                    count(report.delivered),
                    count(report.requests)
                ));
            }
            if let Some(problem) = &report.problem {
                warn(&format!(
                    "webhook: {problem}; {} changes wait in {} and go first on the next run",
                    count(report.left),
                    outbox_path.display()
                ));
            }
        }
        _ if !outbox.is_empty() => note(&format!(
            "{} changes from earlier runs wait in {}; give --webhook to send them",
            count(outbox.len()),
            outbox_path.display()
        )),
        _ => {}
    }
    Ok(())
}
