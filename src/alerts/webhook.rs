//! `score --webhook URL`: post the changes since the last run to sales' systems
//! (issue 16, second part).
//!
//! Sits after [`crate::changes`]: the changes found by a run join the outbox (a JSON-lines
//! file beside the state, written before the state is replaced, so that nothing found is
//! lost if the process dies), and the outbox is delivered in batches, oldest first. Each
//! batch delivered is taken out of the outbox at once; whatever could not be delivered
//! stays there and goes first on the next run.
//!
//! Each request is signed as the Standard Webhooks specification says: headers
//! `webhook-id` (the same on every retry of a message), `webhook-timestamp` (Unix seconds
//! of the attempt) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
//! `id.timestamp.body` under the secret, given as `whsec_` and base64). Receivers drop
//! duplicates by each change's `event_id`, which is stable across runs.
//!
//! Delivery never fails the run: the scored file is written before any of this starts,
//! and undelivered changes are reported and kept.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::alerts::changes::Change;
use crate::data;
use crate::error::{Error, Result};

/// How delivery behaves; every field has a default ([`Delivery::default`]).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Changes per request. Default 100.
    pub batch: usize,
    /// Further attempts after the first failed one, per request. Default 5.
    pub retries: u32,
    /// The first wait before a retry; each further wait doubles, up to [`Self::max_wait`],
    /// with jitter (a random half to whole of it). Default 1 s.
    pub backoff: Duration,
    /// The longest wait between attempts, and the longest `Retry-After` honoured; a
    /// receiver asking for longer is left for the next run. Default 60 s.
    pub max_wait: Duration,
    /// Time to connect. Default 5 s.
    pub connect_timeout: Duration,
    /// Time for the whole answer, from sending to the last byte. Default 15 s.
    pub response_timeout: Duration,
    /// The whole delivery stops starting new attempts after this. Default 5 min.
    pub deadline: Duration,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            batch: 100,
            retries: 5,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(15),
            deadline: Duration::from_secs(300),
        }
    }
}

/// Where the changes go and the key they are signed with.
#[derive(Clone)]
pub struct Endpoint {
    pub url: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("url", &self.url).field("key", &"(secret)").finish()
    }
}

impl Endpoint {
    /// The endpoint at `url`, signing with the secret in the environment variable `env`
    /// (Standard Webhooks form: `whsec_` then base64; the prefix may be left out).
    pub fn from_env(url: &str, env: &str) -> Result<Endpoint> {
        let secret = std::env::var(env).map_err(|_| {
            Error::usage(
                "--webhook-secret-env",
                format!(
                    "the environment variable {env} is not set; set it to the receiver's signing secret \
                     (whsec_ and base64, as the receiver shows it)"
                ),
            )
        })?;
        Endpoint::with_secret(url, &secret, env)
    }

    /// The endpoint at `url` signing with `secret` (`whsec_` and base64); `from` names
    /// where the secret came from, in errors.
    pub fn with_secret(url: &str, secret: &str, env: &str) -> Result<Endpoint> {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) || url.len() < 9 {
            return Err(Error::usage("--webhook", format!("{url:?} is not an http:// or https:// address")));
        }
        let b64 = secret.trim().strip_prefix("whsec_").unwrap_or(secret.trim());
        let key = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| {
            Error::usage(
                "--webhook-secret-env",
                format!(
                    "the secret in {env} is not base64 after its whsec_ prefix ({e}); copy it whole from the receiver"
                ),
            )
        })?;
        if key.len() < 16 {
            return Err(Error::usage(
                "--webhook-secret-env",
                format!("the secret in {env} is {} bytes; Standard Webhooks secrets are 24 to 64 bytes", key.len()),
            ));
        }
        Ok(Endpoint { url: url.to_string(), key })
    }

    /// Plain HTTP to a host other than this machine sends the changes readable on the way.
    pub fn is_plain_remote(&self) -> bool {
        let rest = self.url.to_ascii_lowercase();
        let Some(host) = rest.strip_prefix("http://") else { return false };
        let host = host.split(['/', '?']).next().unwrap_or("");
        let host =
            host.rsplit_once(':').map_or(host, |(h, p)| if p.chars().all(|c| c.is_ascii_digit()) { h } else { host });
        !(host == "localhost" || host.starts_with("127.") || host == "[::1]")
    }

    /// The `webhook-signature` header for a message sent at `timestamp`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &str) -> String {
        // A key of any length is accepted by HMAC; this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// One request's worth of changes.
#[derive(Debug, Clone)]
pub struct Message {
    /// `msg_` and a hash of the batch's event ids: the same on every retry.
    pub id: String,
    pub body: String,
    /// How many changes of the outbox it carries (from its front).
    pub changes: usize,
}

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: PayloadData<'a>,
}

#[derive(Serialize)]
struct PayloadData<'a> {
    changes: &'a [Change],
}

/// The next message: up to `batch` changes from the front of `pending`.
pub fn next_message(pending: &[Change], batch: usize, now: chrono::DateTime<chrono::Utc>) -> Result<Message> {
    let take = pending.len().min(batch.max(1));
    let chunk = &pending[..take];
    let mut h = Sha256::new();
    for c in chunk {
        h.update(c.event_id.as_bytes());
        h.update([0]);
    }
    let id = format!("msg_{}", data::hex(&h.finalize()[..16]));
    let payload = Payload {
        kind: "leadscore.changes",
        timestamp: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        data: PayloadData { changes: chunk },
    };
    let body = serde_json::to_string(&payload).map_err(|e| Error::Internal(format!("a webhook body as JSON: {e}")))?;
    Ok(Message { id, body, changes: take })
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered { attempts: u32 },
    /// A 4xx answer other than 408 and 429: not retried (the receiver refuses it as it
    /// is); kept in the outbox for the next run, after the receiver is mended.
    Refused { status: u16, body: String },
    /// No 2xx after every attempt, or the receiver asked to wait longer than allowed.
    GaveUp { attempts: u32, last: String },
}

/// One attempt's answer.
enum Attempt {
    Ok,
    Refuse(u16, String),
    /// Retry after at least this long (429 with `Retry-After`).
    RetryAfter(Duration, String),
    Retry(String),
}

/// Sends messages to one endpoint.
pub struct Sender {
    endpoint: Endpoint,
    params: Delivery,
    agent: ureq::Agent,
    started: Instant,
}

impl Sender {
    pub fn new(endpoint: Endpoint, params: Delivery) -> Sender {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(params.connect_timeout))
            .timeout_recv_response(Some(params.response_timeout))
            .timeout_recv_body(Some(params.response_timeout))
            .timeout_send_body(Some(params.response_timeout))
            .user_agent(format!("leadscore/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Sender { endpoint, params, agent: config.into(), started: Instant::now() }
    }

    fn past_deadline(&self) -> bool {
        self.started.elapsed() >= self.params.deadline
    }

    /// The signed headers for `msg` sent now.
    pub fn headers(&self, msg: &Message) -> Vec<(&'static str, String)> {
        let ts = chrono::Utc::now().timestamp();
        vec![
            ("content-type", "application/json".to_string()),
            ("webhook-id", msg.id.clone()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", self.endpoint.sign(&msg.id, ts, &msg.body)),
        ]
    }

    fn attempt(&self, msg: &Message) -> Attempt {
        let mut req = self.agent.post(&self.endpoint.url);
        for (k, v) in self.headers(msg) {
            req = req.header(k, v);
        }
        let mut resp = match req.send(msg.body.as_bytes()) {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(e.to_string()),
        };
        let status = resp.status().as_u16();
        let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = resp.body_mut().with_config().limit(4096).read_to_string().unwrap_or_default();
        let text: String = text.chars().take(200).collect();
        match status {
            200..=299 => Attempt::Ok,
            429 => {
                let wait = retry_after.as_deref().and_then(parse_retry_after).unwrap_or(self.params.backoff);
                Attempt::RetryAfter(
                    wait,
                    format!("429 Too Many Requests (Retry-After: {})", retry_after.unwrap_or_default()),
                )
            }
            408 | 500..=599 => Attempt::Retry(format!("{status} {}", text.trim())),
            300..=399 => Attempt::Refuse(status, "a redirect; give the final address as --webhook".into()),
            _ => Attempt::Refuse(status, text.trim().to_string()),
        }
    }

    /// Deliver one message, retrying as [`Delivery`] says. `wait` is told each wait.
    pub fn deliver(&self, msg: &Message, wait: &mut dyn FnMut(Duration, &str)) -> Outcome {
        let mut rng = rand_chacha::ChaCha8Rng::from_seed(Sha256::digest(msg.id.as_bytes()).into());
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (pause, why) = match self.attempt(msg) {
                Attempt::Ok => return Outcome::Delivered { attempts },
                Attempt::Refuse(status, body) => return Outcome::Refused { status, body },
                Attempt::RetryAfter(d, why) => {
                    if d > self.params.max_wait {
                        return Outcome::GaveUp {
                            attempts,
                            last: format!("{why}: longer than the {} s allowed", self.params.max_wait.as_secs()),
                        };
                    }
                    (d, why)
                }
                Attempt::Retry(why) => {
                    // Exponential backoff with jitter: half to all of base * 2^(n-1).
                    let full =
                        self.params.backoff.saturating_mul(1 << (attempts - 1).min(16)).min(self.params.max_wait);
                    (full.mul_f64(rng.gen_range(0.5..=1.0)), why)
                }
            };
            if attempts > self.params.retries || self.past_deadline() {
                return Outcome::GaveUp { attempts, last: why };
            }
            wait(pause, &why);
            std::thread::sleep(pause);
        }
    }
}

/// `Retry-After`: seconds, or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (when.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(secs as u64))
}

/// The outbox beside a state file: `leads.parquet` keeps `leads.outbox.jsonl`.
pub fn outbox_path(state: &Path) -> PathBuf {
    let stem = state.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
    state.with_file_name(format!("{stem}.outbox.jsonl"))
}

/// The changes waiting in the outbox (none when there is no outbox).
pub fn read_outbox(path: &Path) -> Result<Vec<Change>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::read(path, e)),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let c: Change = serde_json::from_str(line).map_err(|e| {
            Error::malformed(
                path,
                format!("line {}: not a change as leadscore writes them ({e}); the outbox was edited", i + 1),
            )
        })?;
        out.push(c);
    }
    Ok(out)
}

/// Replace the outbox with `pending` (atomically); removes it when nothing is pending.
pub fn write_outbox(path: &Path, pending: &[Change]) -> Result<()> {
    if pending.is_empty() {
        return match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::write(path, e)),
        };
    }
    data::atomic_write(path, |w| {
        for c in pending {
            let line = serde_json::to_string(c).map_err(|e| Error::Internal(format!("a change as JSON: {e}")))?;
            writeln!(w, "{line}").map_err(|e| Error::write(path, e))?;
        }
        Ok(())
    })
}

/// The outbox's changes, then this run's not already in it (by `event_id`).
pub fn queue(outbox: Vec<Change>, found: &[Change]) -> Vec<Change> {
    let mut seen: std::collections::HashSet<String> = outbox.iter().map(|c| c.event_id.clone()).collect();
    let mut all = outbox;
    for c in found {
        if seen.insert(c.event_id.clone()) {
            all.push(c.clone());
        }
    }
    all
}

/// What a delivery did, for the run's summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub delivered: usize,
    pub requests: usize,
    pub left: usize,
    /// Why delivery stopped early, if it did.
    pub problem: Option<String>,
}

/// Deliver everything in `pending`, keeping the outbox at `outbox` up to date after each
/// message. Stops at the first message that cannot be delivered (the receiver is down or
/// refusing); the rest stay in the outbox.
pub fn deliver_all(
    sender: &Sender,
    mut pending: Vec<Change>,
    outbox: &Path,
    note: &mut dyn FnMut(&str),
) -> Result<Report> {
    let mut report = Report::default();
    while !pending.is_empty() {
        let msg = next_message(&pending, sender.params.batch, chrono::Utc::now())?;
        let outcome = sender
            .deliver(&msg, &mut |d, why| note(&format!("webhook: {why}; trying again in {:.1} s", d.as_secs_f64())));
        match outcome {
            Outcome::Delivered { .. } => {
                pending.drain(..msg.changes);
                write_outbox(outbox, &pending)?;
                report.delivered += msg.changes;
                report.requests += 1;
            }
            Outcome::Refused { status, body } => {
                report.problem = Some(format!(
                    "the receiver refused the changes with {status} (not retried){}",
                    if body.is_empty() { String::new() } else { format!("; it said: {body}") }
                ));
                break;
            }
            Outcome::GaveUp { attempts, last } => {
                report.problem = Some(format!("no delivery after {attempts} attempts; the last: {last}"));
                break;
            }
        }
    }
    report.left = pending.len();
    Ok(report)
}

/// `--dry-run`: the requests that would be sent, as text.
pub fn dry_run(sender: &Sender, pending: &[Change], out: &mut dyn Write) -> Result<usize> {
    let mut at = 0;
    let mut n = 0;
    let failed = |e: std::io::Error| Error::write(Path::new("(standard output)"), e);
    while at < pending.len() {
        let msg = next_message(&pending[at..], sender.params.batch, chrono::Utc::now())?;
        writeln!(out, "POST {}", sender.endpoint.url).map_err(failed)?;
        for (k, v) in sender.headers(&msg) {
            writeln!(out, "{k}: {v}").map_err(failed)?;
        }
        writeln!(out, "\n{}\n", msg.body).map_err(failed)?;
        at += msg.changes;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The specification's worked example (standard-webhooks, spec/standard-webhooks.md).
        let ep =
            Endpoint::with_secret("https://example.com", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "test").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            ep.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
