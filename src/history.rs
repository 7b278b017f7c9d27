//! A model's history (issue 33): every version that has been live, kept beside the model
//! file in `MODEL.history/`, each named by when it entered the history and its checksum
//! (`20261207T051500.123Z-0123456789ab.model`), with a log of promotions and rollbacks.
//!
//! `retrain` promotes a challenger and `rollback` puts an earlier version back, both
//! through here, under a lock beside the model (`MODEL.lock`, an OS file lock that a
//! killed process gives up). Every write is a complete temporary file renamed into
//! place ([`crate::data::atomic_write`]), in this order: the live model copied into the history (if it is not there),
//! the new model staged beside the model file, renamed over it (the one atomic switch a
//! running `serve` sees), then recorded in the history and the history pruned. A process
//! killed at any point leaves the old model or the new one in place, never a partial
//! file, and a history of whole files; a leftover temporary file is removed next time.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How many versions the history keeps by default (the live one is always kept).
pub const KEEP: usize = 10;

/// The history folder of a model file.
pub fn dir_of(model: &Path) -> PathBuf {
    let mut name = model.file_name().map(|f| f.to_os_string()).unwrap_or_default();
    name.push(".history");
    model.with_file_name(name)
}

fn lock_path(model: &Path) -> PathBuf {
    let mut name = model.file_name().map(|f| f.to_os_string()).unwrap_or_default();
    name.push(".lock");
    model.with_file_name(name)
}

/// The lock on a model's history, held while it lives.
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Take the lock beside `model`, waiting up to `wait` for another holder.
    pub fn acquire(model: &Path, wait: Duration) -> Result<Lock> {
        let path = lock_path(model);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::write(&path, e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked { path: model.to_path_buf(), lock: path, waited: wait.as_secs() })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::write(&path, e)),
            }
        }
    }
}

/// One version in the history (or the live file when the history lacks it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Version {
    /// When it entered the history (UTC), as in its file name.
    pub since: String,
    pub checksum: String,
    pub file: PathBuf,
    pub live: bool,
    /// From the model itself: training rows of the saved fit, the holdout's ROC AUC, the
    /// training file. `None` where the file does not load.
    pub train_rows: Option<usize>,
    pub holdout_roc_auc: Option<f64>,
    pub data_file: Option<String>,
}

/// A hook for the fault tests: `LEADSCORE_TEST_PAUSE=STEP` sleeps 60 s at that step of a
/// promotion or rollback (`archived`, `staged`, `switched`, `recorded`), so that a test
/// can kill the process there.
fn step(name: &str) {
    if std::env::var("LEADSCORE_TEST_PAUSE").is_ok_and(|v| v == name) {
        eprintln!("leadscore: test pause at {name}");
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn checksum(bytes: &[u8]) -> String {
    crate::data::hex(&Sha256::digest(bytes))
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// (since, checksum) from a history file's name.
fn parse_name(name: &str) -> Option<(String, String)> {
    let stem = name.strip_suffix(".model")?;
    let (since, sum) = stem.split_once('-')?;
    (since.len() == 20 && sum.len() == 12 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| (since.to_string(), sum.to_string()))
}

/// Write `bytes` to `path` atomically ([`crate::data::atomic_write`]); the test hook
/// `before_rename` (when named) runs once the temporary file holds them all.
fn write_whole(path: &Path, bytes: &[u8], before_rename: &str) -> Result<()> {
    crate::data::atomic_write(path, |w| {
        w.write_all(bytes).map_err(|e| Error::write(path, e))?;
        if !before_rename.is_empty() {
            step(before_rename);
        }
        Ok(())
    })
}

/// Temporary files a killed promotion left in the history folder.
fn clean_leftovers(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(".leadscore-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// The history's files, oldest first: (since, short checksum, path).
fn entries(dir: &Path) -> Result<Vec<(String, String, PathBuf)>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::read(dir, e)),
    };
    for e in rd.flatten() {
        if let Some((since, sum)) = parse_name(&e.file_name().to_string_lossy()) {
            out.push((since, sum, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Make sure the live model file is in the history (under its modification time).
fn archive_live(model: &Path, dir: &Path) -> Result<Option<String>> {
    let bytes = match std::fs::read(model) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::read(model, e)),
    };
    let sum = checksum(&bytes);
    if !entries(dir)?.iter().any(|(_, s, _)| sum.starts_with(s.as_str())) {
        let when: chrono::DateTime<chrono::Utc> =
            std::fs::metadata(model).and_then(|m| m.modified()).map(Into::into).unwrap_or_else(|_| chrono::Utc::now());
        let when = when.min(chrono::Utc::now() - chrono::Duration::milliseconds(1));
        write_whole(&dir.join(format!("{}-{}.model", stamp(when), &sum[..12])), &bytes, "")?;
    }
    Ok(Some(sum))
}

fn log(dir: &Path, line: &str) -> Result<()> {
    let path = dir.join("history.log");
    let mut f =
        std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| Error::write(&path, e))?;
    writeln!(f, "{} {line}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")).map_err(|e| Error::write(&path, e))
}

/// What a promotion or rollback did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Switch {
    pub previous: Option<String>,
    pub live: String,
    pub pruned: Vec<PathBuf>,
}

/// Put `bytes` (a checked model file) live at `model`, keeping the replaced model in the
/// history; keep at most `keep` versions. The caller holds the [`Lock`].
pub fn promote(model: &Path, bytes: &[u8], keep: usize, _lock: &Lock) -> Result<Switch> {
    let dir = dir_of(model);
    std::fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
    clean_leftovers(&dir);
    let previous = archive_live(model, &dir)?;
    step("archived");
    let sum = checksum(bytes);
    write_whole(model, bytes, "staged")?;
    step("switched");
    let entry = dir.join(format!("{}-{}.model", stamp(chrono::Utc::now()), &sum[..12]));
    write_whole(&entry, bytes, "")?;
    step("recorded");
    let pruned = prune(&dir, &sum, keep)?;
    log(&dir, &format!("promoted {} (was {})", &sum[..12], previous.as_deref().map_or("none", |p| &p[..12])))?;
    Ok(Switch { previous, live: sum, pruned })
}

/// Keep the `keep` newest versions and the live one.
fn prune(dir: &Path, live: &str, keep: usize) -> Result<Vec<PathBuf>> {
    let all = entries(dir)?;
    let mut pruned = Vec::new();
    let excess = all.len().saturating_sub(keep.max(1));
    for (_, sum, path) in all.into_iter().take(excess) {
        if live.starts_with(sum.as_str()) {
            continue;
        }
        std::fs::remove_file(&path).map_err(|e| Error::write(&path, e))?;
        pruned.push(path);
    }
    Ok(pruned)
}

/// Put an earlier version back at `model`, byte for byte: the one with a checksum
/// starting `to`, else the newest version before the live one. The caller holds the
/// [`Lock`].
pub fn rollback(model: &Path, to: Option<&str>, _lock: &Lock) -> Result<Switch> {
    let dir = dir_of(model);
    std::fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
    clean_leftovers(&dir);
    let live = archive_live(model, &dir)?;
    step("archived");
    let all = entries(&dir)?;
    let target = match to {
        Some(prefix) => {
            let p = prefix.trim().to_ascii_lowercase();
            let hits: Vec<&(String, String, PathBuf)> =
                all.iter().filter(|(_, s, _)| s.starts_with(&p) || p.starts_with(s.as_str())).collect();
            match hits.last() {
                Some(h) if !p.is_empty() => (*h).clone(),
                _ => {
                    return Err(Error::usage(
                        format!("--to {prefix}"),
                        format!(
                            "no version in {} has a checksum starting so; `leadscore models {}` lists them",
                            dir.display(),
                            model.display()
                        ),
                    ))
                }
            }
        }
        None => {
            let live_sum = live.clone().unwrap_or_default();
            let at = all.iter().rposition(|(_, s, _)| live_sum.starts_with(s.as_str()));
            let before = at.map_or(&all[..], |i| &all[..i]);
            match before.iter().rev().find(|(_, s, _)| !live_sum.starts_with(s.as_str())) {
                Some(e) => e.clone(),
                None => {
                    return Err(Error::usage(
                        "rollback",
                        format!("{} holds no version older than the live one", dir.display()),
                    ))
                }
            }
        }
    };
    let bytes = std::fs::read(&target.2).map_err(|e| Error::read(&target.2, e))?;
    let sum = checksum(&bytes);
    if !sum.starts_with(&target.1) {
        return Err(Error::CorruptModel {
            path: target.2.clone(),
            message: format!("its checksum is {sum}, not the {} its name says", target.1),
        });
    }
    crate::model_file::from_bytes(&bytes, &target.2)?;
    write_whole(model, &bytes, "staged")?;
    step("switched");
    log(&dir, &format!("rolled back to {} (was {})", &sum[..12], live.as_deref().map_or("none", |p| &p[..12])))?;
    Ok(Switch { previous: live, live: sum, pruned: Vec::new() })
}

/// Every version, oldest first, the live one marked (the live file is listed even when
/// the history lacks it).
pub fn list(model: &Path) -> Result<Vec<Version>> {
    let dir = dir_of(model);
    let live = match std::fs::read(model) {
        Ok(b) => Some(checksum(&b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::read(model, e)),
    };
    let mut out: Vec<Version> = Vec::new();
    let mut live_listed = false;
    for (since, sum, path) in entries(&dir)? {
        let is_live = live.as_deref().is_some_and(|l| l.starts_with(&sum));
        out.push(describe(since, sum, path, is_live));
    }
    // A version held twice (rolled back to) is live once: its latest entry.
    if let Some(i) = out.iter().rposition(|v| v.live) {
        for (j, v) in out.iter_mut().enumerate() {
            v.live = j == i;
        }
        live_listed = true;
    }
    if let (Some(l), false) = (&live, live_listed) {
        let since = std::fs::metadata(model).and_then(|m| m.modified()).map(|t| stamp(t.into())).unwrap_or_default();
        out.push(describe(since, l[..12].to_string(), model.to_path_buf(), true));
    }
    Ok(out)
}

fn describe(since: String, checksum: String, file: PathBuf, live: bool) -> Version {
    let m = crate::model_file::load(&file).ok();
    Version {
        since,
        checksum,
        live,
        train_rows: m.as_ref().map(|m| m.meta.train_rows),
        holdout_roc_auc: m
            .as_ref()
            .and_then(|m| m.record.as_ref().and_then(|r| r.figures.as_ref().map(|f| f.roc_auc)))
            .or_else(|| m.as_ref().and_then(|m| m.meta.holdout.as_ref().map(|h| h.metrics.roc_auc))),
        data_file: m.map(|m| m.meta.data_file),
        file,
    }
}

/// The last `n` lines of the history's log.
pub fn recent_log(model: &Path, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(dir_of(model).join("history.log")).unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}
