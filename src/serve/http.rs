//! The HTTP side of `serve`: accept connections within their bounds, route each
//! request, check who is calling, read the body within its limits, answer, count and
//! log. A failure inside a handler is caught and answered 500; the server goes on.
//!
//! | route | answer |
//! |---|---|
//! | `POST /v1/score` | the leads scored ([`super::payload`]); token or HubSpot signature when set |
//! | `GET /v1/model` | the model's metadata; token when set |
//! | `GET /healthz` | `ok` while the process runs |
//! | `GET /readyz` | ready once a model is loaded (always, after start) |
//! | `GET /metrics` | Prometheus text ([`super::metrics`]) |

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use tokio::io::AsyncWriteExt;

use super::app::{log_time, write_log_line, App, Loaded, LogMode};
use super::auth;
use super::payload::{self, Refusal};
use crate::error::Result;

/// How long requests in flight may take to finish after SIGTERM.
const DRAIN: Duration = Duration::from_secs(30);

/// One answer before it becomes a response.
struct Answer {
    status: u16,
    body: Vec<u8>,
    content_type: &'static str,
    leads: usize,
}

impl Answer {
    fn json(status: u16, body: Vec<u8>, leads: usize) -> Answer {
        Answer { status, body, content_type: "application/json", leads }
    }

    fn refusal(r: Refusal) -> Answer {
        Answer::json(r.status, error_body(&r.message), 0)
    }
}

fn error_body(message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "error": message })).unwrap_or_default()
}

/// Accept connections until SIGTERM, Ctrl-C or `exit_after`, then let the requests in
/// flight finish.
pub(crate) async fn accept_until_stopped(listener: tokio::net::TcpListener, app: Arc<App>) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(app.params.max_connections.max(1)));
    let mut term = signal(SignalKind::terminate()).ok();
    let stop_after = async {
        match app.params.exit_after {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop_after);
    let why = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, then go on.
                        app.log_event(&format!("accepting a connection: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tokio::spawn(turn_away(stream));
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let app2 = app.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let app = app2.clone();
                    async move { Ok::<_, Infallible>(respond(req, app).await) }
                });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(app.params.header_timeout);
                let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            Some(()) = async { match term.as_mut() { Some(t) => t.recv().await, None => std::future::pending().await } } => break "SIGTERM",
            _ = tokio::signal::ctrl_c() => break "Ctrl-C",
            _ = &mut stop_after => break "--exit-after",
        }
    };
    drop(listener);
    app.log_event(&format!("stopping ({why}): finishing {} open connections", graceful.count()));
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => app.log_event("stopped waiting for open connections after 30 s"),
    }
    Ok(())
}

/// Answer a connection over the limit with 503 and close it.
async fn turn_away(mut stream: tokio::net::TcpStream) {
    let body = error_body("too many open connections; try again");
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(&body).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Route, answer (a panic inside becomes a 500), count and log one request.
async fn respond(req: Request<Incoming>, app: Arc<App>) -> Response<Full<Bytes>> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let answer = match AssertUnwindSafe(route(req, &app)).catch_unwind().await {
        Ok(a) => a,
        Err(_) => Answer::json(500, error_body("internal error while answering; the server goes on"), 0),
    };
    let took = start.elapsed();
    app.metrics.observe(answer.status, took.as_secs_f64());
    log_request(&app, &method, &path, answer.status, answer.leads, took);
    let mut resp = Response::new(Full::new(Bytes::from(answer.body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(answer.content_type) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}

async fn route(req: Request<Incoming>, app: &App) -> Answer {
    let path = req.uri().path();
    match (req.method(), path) {
        (&Method::GET, "/healthz") => {
            Answer { status: 200, body: b"ok\n".to_vec(), content_type: "text/plain", leads: 0 }
        }
        (&Method::GET, "/readyz") => {
            let m = app.model();
            let body = serde_json::json!({ "ready": true, "model": m.checksum });
            Answer::json(200, body.to_string().into_bytes(), 0)
        }
        (&Method::GET, "/metrics") => {
            let m = app.model();
            let info = super::metrics::ModelInfo { checksum: &m.checksum, as_of: &m.as_of, loaded_unix: m.loaded_unix };
            Answer {
                status: 200,
                body: app.metrics.render(&info).into_bytes(),
                content_type: "text/plain; version=0.0.4; charset=utf-8",
                leads: 0,
            }
        }
        (&Method::GET, "/v1/model") => {
            if let Some(t) = &app.params.token {
                if !auth::bearer_ok(header(&req, "authorization"), t) {
                    return Answer::refusal(Refusal { status: 401, message: "a bearer token is required".into() });
                }
            }
            Answer::json(200, model_info(&app.model()), 0)
        }
        (&Method::POST, "/v1/score") => score(req, app).await,
        (&Method::POST, "/v1/_fault") if app.params.test_faults => fault(),
        (_, "/healthz" | "/readyz" | "/metrics" | "/v1/model" | "/v1/score") => {
            Answer::refusal(Refusal { status: 405, message: format!("{} is not answered on {path}", req.method()) })
        }
        _ => Answer::refusal(Refusal {
            status: 404,
            message: format!("no such path: {path}; POST /v1/score, GET /v1/model, /healthz, /readyz, /metrics"),
        }),
    }
}

#[allow(clippy::panic)]
fn fault() -> Answer {
    panic!("a fault asked for with --test-faults")
}

fn header<'r>(req: &'r Request<Incoming>, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `POST /v1/score`: read the body within its limits, check the caller, score.
async fn score(req: Request<Incoming>, app: &App) -> Answer {
    let p = &app.params;
    let (parts, body) = req.into_parts();
    let declared = parts.headers.get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > p.max_body as u64) {
        return too_large(p.max_body);
    }
    let body = match tokio::time::timeout(p.body_timeout, Limited::new(body, p.max_body).collect()).await {
        Err(_) => {
            return Answer::refusal(Refusal {
                status: 408,
                message: format!("the body did not arrive within {} s", p.body_timeout.as_secs_f64()),
            })
        }
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => return too_large(p.max_body),
        Ok(Err(e)) => return Answer::refusal(Refusal::bad(format!("reading the body: {e}"))),
        Ok(Ok(c)) => c.to_bytes(),
    };
    if let Some(refusal) = caller_refused(&parts, &body, app) {
        return Answer::refusal(refusal);
    }
    let loaded = app.model();
    let req = match payload::parse(&body, &loaded.model, p.max_leads) {
        Ok(r) => r,
        Err(r) => return Answer::refusal(r),
    };
    let as_of = crate::as_of::for_scoring(req.as_of);
    let scoring = match payload::Scoring::new(&loaded.model, p.reasons) {
        Ok(s) => s,
        Err(e) => return Answer::json(500, error_body(&format!("the model cannot score: {e}")), 0),
    };
    match scoring.score(&req, as_of.day()) {
        Ok((scored, ignored)) => {
            app.metrics.scored(scored.iter().map(|s| s.tier.as_str()));
            let n = scored.len();
            let body = payload::answer(req.shape, scored, ignored, &as_of.date.to_string(), &loaded.checksum);
            Answer::json(200, body, n)
        }
        Err(r) => Answer::refusal(r),
    }
}

fn too_large(max: usize) -> Answer {
    Answer::refusal(Refusal { status: 413, message: format!("the body is over {max} bytes (--max-body)") })
}

/// Why the caller may not score, when a token or a HubSpot secret is set: neither a
/// matching bearer token nor a valid HubSpot signature.
fn caller_refused(parts: &hyper::http::request::Parts, body: &[u8], app: &App) -> Option<Refusal> {
    let p = &app.params;
    if p.token.is_none() && p.hubspot_secret.is_none() {
        return None;
    }
    let h = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(t) = &p.token {
        if auth::bearer_ok(h("authorization"), t) {
            return None;
        }
    }
    let Some(secret) = &p.hubspot_secret else {
        return Some(Refusal { status: 401, message: "a bearer token is required (Authorization: Bearer ...)".into() });
    };
    if p.token.is_some() && h("authorization").is_some() && h("x-hubspot-signature-v3").is_none() {
        return Some(Refusal { status: 401, message: "the bearer token does not match".into() });
    }
    let base = match &p.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => format!("https://{}", h("host").unwrap_or("")),
    };
    let pq = parts.uri.path_and_query().map(|x| x.as_str()).unwrap_or("/");
    let uri = format!("{base}{pq}");
    let now_ms = chrono::Utc::now().timestamp_millis();
    match auth::hubspot_check(
        secret,
        parts.method.as_str(),
        &uri,
        body,
        h("x-hubspot-signature-v3"),
        h("x-hubspot-request-timestamp"),
        now_ms,
    ) {
        Ok(()) => None,
        Err(problem) => Some(Refusal { status: 401, message: format!("HubSpot signature: {}", problem.describe()) }),
    }
}

/// `GET /v1/model`: what the model is and reads.
fn model_info(l: &Loaded) -> Vec<u8> {
    let m = &l.model;
    let body = serde_json::json!({
        "checksum": l.checksum,
        "as_of": l.as_of,
        "columns": m.features.input_columns(),
        "id_column": m.meta.id_column,
        "label": m.meta.label,
        "threshold": m.threshold.value,
        "tiers": m.tiers.names.iter().enumerate().map(|(k, name)| serde_json::json!({
            "name": name,
            "from": if k == 0 { 0.0 } else { m.tiers.cuts.get(k - 1).copied().unwrap_or(f64::NAN) },
        })).collect::<Vec<_>>(),
        "events": m.events.as_ref().map(|e| e.column_names()),
        "segment_column": m.segments.as_ref().map(|s| s.column.clone()),
        "calibrated": m.calibration != crate::calibrate::Calibration::default(),
        "trained_rows": m.meta.rows,
        "loaded_at": chrono::DateTime::from_timestamp(l.loaded_unix, 0).map(|t| t.to_rfc3339()),
    });
    body.to_string().into_bytes()
}

/// The one line per request: method, path, status, leads, microseconds.
fn log_request(app: &App, method: &Method, path: &str, status: u16, leads: usize, took: Duration) {
    if app.params.log == LogMode::Quiet {
        return;
    }
    let us = took.as_micros();
    let now = log_time();
    write_log_line(&match app.params.log {
        LogMode::Json => serde_json::json!({"time": now, "method": method.as_str(), "path": path,
            "status": status, "leads": leads, "us": us as u64})
        .to_string(),
        _ => format!("{now} {method} {path} {status} {leads} {us}us"),
    });
}
