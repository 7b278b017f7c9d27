//! What a running `serve` holds: its settings, the model being served (swapped whole
//! when the file is replaced), the metrics, and the watch on the model file.
//!
//! The model sits behind a lock held only to clone an `Arc`: a request keeps the model
//! it started with while a new one is swapped in, so a reload drops no request.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::LeadModel;

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeParams {
    pub model: PathBuf,
    pub listen: SocketAddr,
    /// `Authorization: Bearer` value required, when set.
    pub token: Option<String>,
    /// HubSpot app client secret for the v3 signature, when set.
    pub hubspot_secret: Option<String>,
    /// The address HubSpot calls (scheme and host), for the signed URI; default
    /// `https://` and the request's Host header.
    pub public_url: Option<String>,
    pub max_body: usize,
    pub max_leads: usize,
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// Positive reasons per lead (negatives: one fewer).
    pub reasons: usize,
    pub watch: Duration,
    pub threads: usize,
    pub log: LogMode,
    /// Stop by itself after this long (tests).
    pub exit_after: Option<Duration>,
    /// Answer `POST /v1/_fault` by failing inside the handler (tests of the 500 path).
    pub test_faults: bool,
}

/// The per-request log line: none, text, or one JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogMode {
    Quiet,
    Text,
    Json,
}

/// The model being served, with what the answers and the metrics show of it.
pub struct Loaded {
    pub model: LeadModel,
    pub checksum: String,
    pub as_of: String,
    pub loaded_unix: i64,
    /// The file's identity when read (inode, size, modification time).
    stamp: Option<Stamp>,
}

type Stamp = (u64, u64, i128);

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.len(), m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128))
}

/// Read and check a model file: loaded, checksummed, and compiled once for scoring.
pub fn load(path: &std::path::Path) -> Result<Loaded> {
    let before = stamp(path);
    let (model, checksum) = crate::model_file::load_with_checksum(path)?;
    super::payload::Scoring::new(&model, 1)?;
    Ok(Loaded {
        as_of: model
            .features
            .as_of_day
            .and_then(crate::cell::from_day_number)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        model,
        checksum,
        loaded_unix: chrono::Utc::now().timestamp(),
        stamp: before,
    })
}

/// What every connection shares.
pub struct App {
    pub params: ServeParams,
    pub current: RwLock<Arc<Loaded>>,
    pub metrics: super::metrics::Metrics,
}

impl App {
    pub fn model(&self) -> Arc<Loaded> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn swap(&self, new: Loaded) {
        let new = Arc::new(new);
        match self.current.write() {
            Ok(mut g) => *g = new,
            Err(p) => *p.into_inner() = new,
        }
    }

    /// A line about the server itself (reloads, refusals, stopping), shown even with `-q`.
    pub fn log_event(&self, message: &str) {
        let now = log_time();
        write_log_line(&match self.params.log {
            LogMode::Json => serde_json::json!({"time": now, "event": message}).to_string(),
            _ => format!("{now} leadscore serve: {message}"),
        });
    }
}

/// The time a log line starts with (UTC, milliseconds).
pub(crate) fn log_time() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// One log line to standard error, written whole.
pub(crate) fn write_log_line(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(line.as_bytes()).and_then(|()| err.write_all(b"\n"));
}

/// Read the model file again when it changes or on SIGHUP.
pub(crate) async fn watch(app: Arc<App>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(app.params.watch);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The identity of the last file refused, so that it is not read again and again.
    let mut refused: Option<Stamp> = None;
    loop {
        let forced = tokio::select! {
            _ = tick.tick() => false,
            Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => true,
        };
        let now = stamp(&app.params.model);
        let current = app.model();
        if !forced && (now == current.stamp || now.is_none() || now == refused) {
            continue;
        }
        let path = app.params.model.clone();
        let read = tokio::task::spawn_blocking(move || load(&path)).await;
        let read = read.unwrap_or_else(|e| Err(Error::Internal(format!("reading the model: {e}"))));
        match read {
            Ok(new) if new.checksum == current.checksum && !forced => {
                refused = None;
                app.swap(new);
            }
            Ok(new) => {
                refused = None;
                let was = current.checksum.clone();
                app.log_event(&format!(
                    "model reloaded from {}: {} (was {was})",
                    app.params.model.display(),
                    new.checksum
                ));
                app.metrics.reloads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                app.swap(new);
            }
            Err(e) => {
                refused = now;
                app.metrics.reload_failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                app.log_event(&format!(
                    "refused the new model file {}: {e}; still serving {}",
                    app.params.model.display(),
                    current.checksum
                ));
            }
        }
    }
}
