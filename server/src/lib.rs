//! The Algorithmia-compatible HTTP API, on hyper.
//!
//! [`serve`] accepts connections until its shutdown future resolves, then
//! lets requests in flight finish. `routes` is the whole URL surface on one
//! screen; `error` is the one place errors become statuses.

mod algorithms;
mod auth;
mod body;
mod call;
mod data;
mod error;
mod invoke;
mod objects;
mod requests;
mod response;
mod routes;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tracing::Instrument as _;

use crate::Platform;

/// How long requests in flight may take to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves the API on `listener` until `shutdown` resolves, then waits for
/// requests in flight (up to 30 s).
///
/// Tests pass a listener bound to `127.0.0.1:0`.
pub async fn serve(
    listener: TcpListener,
    platform: Platform,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    let requests = std::sync::Arc::new(AtomicU64::new(0));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors, usually; back off briefly
                        // rather than spin.
                        tracing::warn!("cannot accept a connection: {err}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let platform = platform.clone();
                let requests = std::sync::Arc::clone(&requests);
                let service = service_fn(move |request| {
                    let id = requests.fetch_add(1, Ordering::Relaxed);
                    let span = tracing::info_span!(
                        "request",
                        id,
                        method = %request.method(),
                        path = %request.uri().path(),
                        %peer,
                    );
                    routes::handle(platform.clone(), request, id).instrument(span)
                });
                let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!("connection from {peer} ended: {err}");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down; waiting for requests in flight");
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; closing them");
    }
    Ok(())
}
