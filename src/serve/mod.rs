//! `leadscore serve`: score a lead the moment it arrives, over HTTP, with the same bits
//! as batch scoring.
//!
//! An HTTP/1.1 server on hyper over tokio. The request handling is in [`http`]; what a
//! body means and the answer in [`payload`] (which scores through
//! [`crate::score::RowScorer`], the one per-lead arithmetic); who may call in [`auth`];
//! the Prometheus page in [`metrics`]. This file starts the server, watches the model
//! file and stops on SIGTERM:
//!
//! - **Reloading.** The model file is watched (its inode, size and modification time,
//!   every `watch` interval) and read again on SIGHUP. A new file is read and checked
//!   (checksum, consistency, a scorer built from it) on a blocking thread, then swapped
//!   in: a request holds the model it started with, so none is dropped. A file that
//!   fails the checks is refused and logged; the old model keeps serving.
//! - **Bounds.** At most `max_connections` connections (more are answered 503 and
//!   closed), headers within `header_timeout`, a body within `body_timeout` and
//!   `max_body` bytes.
//! - **Shutdown.** On SIGTERM or Ctrl-C the listener closes and requests in flight
//!   complete (for at most 30 s).

mod app;
mod auth;
mod http;
pub mod metrics;
pub mod payload;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

pub use app::{load, Loaded, LogMode, ServeParams};
pub use auth::{hubspot_signature, MAX_AGE_MS};

use crate::error::{Error, Result};

/// Run the server until SIGTERM (or `exit_after`); `ready` is called with the address
/// bound, once the model is loaded and the listener open.
pub fn run(params: ServeParams, ready: &mut dyn FnMut(SocketAddr, &Loaded)) -> Result<()> {
    let loaded = load(&params.model)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(params.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("starting the server's runtime: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(params.listen)
            .await
            .map_err(|e| Error::usage("--listen", format!("cannot listen on {}: {e}", params.listen)))?;
        let addr = listener.local_addr().map_err(|e| Error::Internal(format!("the address bound: {e}")))?;
        ready(addr, &loaded);
        let app =
            Arc::new(app::App { params, current: RwLock::new(Arc::new(loaded)), metrics: metrics::Metrics::default() });
        tokio::spawn(app::watch(app.clone()));
        http::accept_until_stopped(listener, app).await
    })
}
