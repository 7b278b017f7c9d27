//! `leadscore serve`: score leads over HTTP as they arrive.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use leadscore::error::{Error, Result};
use leadscore::serve::{LogMode, ServeParams};

use super::args::{ModelIn, Quiet};

/// Score leads over HTTP the moment they arrive: the scorer a CRM workflow calls.
///
/// POST /v1/score takes one lead as a flat JSON object (keys: the training columns),
/// {"leads": [...]}, or the record HubSpot's workflow webhook sends, and answers per lead
/// id, probability, score, tier, decision and reasons: the same bits as `score`. Values
/// may be strings, numbers, booleans or null; columns the model does not use are listed
/// under "ignored"; a missing column is a missing value. Dates count back from today
/// (UTC) or from "as_of" in the request.
///
/// GET /v1/model (metadata), /healthz, /readyz, /metrics (Prometheus).
///
/// The model file is read again when it is replaced (write a new file and rename it over
/// the old) or on SIGHUP; a file that fails its checks is refused and the old model keeps
/// serving. SIGTERM stops after the requests in flight.
///
/// Listens on loopback only by default. Another address needs --token-env or
/// --hubspot-secret-env, or --allow-open.
///
/// Example:
///   leadscore serve --model leads.model
///   curl -s localhost:8080/v1/score -d '{"Lead Source": "Reference", "TotalVisits": 5}'
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Require `Authorization: Bearer <token>`, the token read from this environment
    /// variable (on /v1/score and /v1/model).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Verify HubSpot's request signature (X-HubSpot-Signature-v3) with the HubSpot app's
    /// client secret read from this environment variable; requests signed more than 5
    /// minutes ago are refused. With --token-env too, either one lets a request in.
    #[arg(long, value_name = "VAR")]
    pub hubspot_secret_env: Option<String>,
    /// The address HubSpot calls, as entered in the workflow (scheme and host, e.g.
    /// https://scoring.example.com), for the signature check behind a proxy
    /// [default: https:// and the request's Host header].
    #[arg(long, value_name = "URL", requires = "hubspot_secret_env")]
    pub public_url: Option<String>,
    /// Listen on a non-loopback address with no token and no signature check.
    #[arg(long)]
    pub allow_open: bool,
    /// Largest request body; larger ones get 413. Bytes, or with K, M (KiB, MiB).
    #[arg(long, value_name = "SIZE", default_value = "1M", value_parser = parse_size)]
    pub max_body: usize,
    /// Most leads in one request; more get 413.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_leads: usize,
    /// Most open connections; more are answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers (idle keep-alive connections
    /// are closed after it too).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Seconds a client has to send a request's body (408 after it).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub body_timeout: f64,
    /// Positive reasons per lead (negative reasons: one fewer); 0 leaves them out.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub reasons: usize,
    /// How often the model file is checked for a replacement, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub watch: f64,
    /// Worker threads [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// One JSON object per log line instead of text.
    #[arg(long)]
    pub log_json: bool,
    /// -q: no line per request (reloads, refusals and stopping are still logged).
    #[command(flatten)]
    pub quiet: Quiet,
    /// Stop by itself after this many seconds (for tests).
    #[arg(long, value_name = "SECS", hide = true)]
    pub exit_after: Option<f64>,
    /// Answer POST /v1/_fault by failing inside the handler (for tests of the 500 path).
    #[arg(long, hide = true)]
    pub test_faults: bool,
}

fn parse_size(s: &str) -> std::result::Result<usize, String> {
    let t = s.trim();
    let (num, mult) = match t.to_ascii_uppercase() {
        u if u.ends_with("KIB") || u.ends_with('K') => (t.trim_end_matches(['K', 'k', 'i', 'B', 'b']), 1024),
        u if u.ends_with("MIB") || u.ends_with('M') => (t.trim_end_matches(['M', 'm', 'i', 'B', 'b']), 1024 * 1024),
        _ => (t, 1),
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a size: give bytes, or a number with K or M (1M = 1,048,576 bytes)"))
}

fn secs(flag: &str, v: f64) -> Result<Duration> {
    match v.is_finite() && v > 0.0 && v < 1e7 {
        true => Ok(Duration::from_secs_f64(v)),
        false => Err(Error::usage(flag, format!("{v} is not a number of seconds above 0"))),
    }
}

fn secret(flag: &str, var: &Option<String>) -> Result<Option<String>> {
    let Some(var) = var else { return Ok(None) };
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
        _ => Err(Error::usage(flag, format!("the environment variable {var} is not set (or empty)"))),
    }
}

pub fn run(args: Args) -> Result<()> {
    let token = secret("--token-env", &args.token_env)?;
    let hubspot_secret = secret("--hubspot-secret-env", &args.hubspot_secret_env)?;
    let guarded = token.is_some() || hubspot_secret.is_some();
    if !args.listen.ip().is_loopback() && !guarded && !args.allow_open {
        return Err(Error::usage(
            "--listen",
            format!(
                "{} is reachable from other machines and nothing checks who calls: give --token-env or \
                 --hubspot-secret-env, or --allow-open if the network in front does that",
                args.listen
            ),
        ));
    }
    let params = ServeParams {
        model: args.model.model.clone(),
        listen: args.listen,
        token,
        hubspot_secret,
        public_url: args.public_url.clone(),
        max_body: args.max_body,
        max_leads: args.max_leads.max(1),
        max_connections: args.max_connections.max(1),
        header_timeout: secs("--header-timeout", args.header_timeout)?,
        body_timeout: secs("--body-timeout", args.body_timeout)?,
        reasons: args.reasons,
        watch: secs("--watch", args.watch)?,
        threads: args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        log: match (args.quiet.quiet, args.log_json) {
            (true, _) => LogMode::Quiet,
            (false, true) => LogMode::Json,
            (false, false) => LogMode::Text,
        },
        exit_after: args.exit_after.map(|s| secs("--exit-after", s)).transpose()?,
        test_faults: args.test_faults,
    };
    let log_json = args.log_json;
    leadscore::serve::run(params, &mut |addr, loaded| {
        let reach = match (addr.ip().is_loopback(), guarded) {
            (true, _) => {
                "loopback only: this machine's programs can call it; use --listen 0.0.0.0:PORT with \
                          --token-env to serve others"
            }
            (false, true) => "reachable from other machines; callers must pass the token or signature check",
            (false, false) => "reachable from other machines with no check on callers (--allow-open)",
        };
        let msg = format!(
            "listening on http://{addr} ({reach}); model {} ({}, as of {})",
            args.model.model.display(),
            loaded.checksum,
            if loaded.as_of.is_empty() { "no date" } else { &loaded.as_of }
        );
        match log_json {
            true => eprintln!("{}", serde_json::json!({"event": msg, "listen": addr.to_string()})),
            false => eprintln!("leadscore serve: {msg}"),
        }
        // Requests without "as_of" count dates back from today: say when that is far
        // from the model's own as-of date.
        if let Some(w) = leadscore::as_of::scoring_gap_warning(&loaded.model, &leadscore::as_of::for_scoring(None)) {
            match log_json {
                true => eprintln!("{}", serde_json::json!({ "event": w })),
                false => eprintln!("leadscore serve: {w}; requests may give \"as_of\""),
            }
        }
    })
}
