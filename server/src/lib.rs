//! The Algorithmia-compatible HTTP API of algobox, as an axum [`Router`].
//!
//! [`router`] is the whole API over a [`Platform`], ready to mount in an
//! embedder's own axum app; [`serve`] runs it on a listener with the
//! connection settings a public server needs, until its shutdown future
//! resolves. `routes` is the URL surface on one screen; `algorithmia` holds
//! the wire format (envelopes, error codes, statuses).
//!
//! # Example
//!
//! ```no_run
//! use algobox_platform::{Platform, PlatformConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let platform = Platform::open(PlatformConfig::new("./algobox-data")).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! algobox_server::serve(listener, platform, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

pub mod algorithmia;
mod algorithms;
mod auth;
mod body;
mod call;
mod data;
mod invoke;
mod names;
mod objects;
pub mod request_id;
mod requests;
mod response;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use algobox_platform::Platform;
use axum::Router;
use axum::extract::Request;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt as _;
use tower_http::trace::TraceLayer;

use crate::request_id::RequestId;

/// The address of the client at the other end of a request's connection,
/// as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// How long requests in flight may take to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(30);

/// How long a client may take to send a request's headers. Without it, a
/// client that opens connections and sends nothing holds them forever.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The API over `platform`: every route, request ids and tracing. Request
/// bodies are bounded per route, by each handler (a call's input, a module
/// upload, a Data API file and a JSON document have different limits), and
/// there is no global timeout, since a call may run for 3,000 s.
///
/// The trace span names the connection's peer if a [`Peer`] extension is
/// set, as [`serve`] does; an embedder's own server need not set it.
pub fn router(platform: Platform) -> Router {
    routes::routes()
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .extensions()
                    .get::<RequestId>()
                    .map(|id| id.to_string())
                    .unwrap_or_default();
                let peer = request
                    .extensions()
                    .get::<Peer>()
                    .map(|Peer(peer)| peer.to_string())
                    .unwrap_or_default();
                // The client's own id, for correlation with its logs only.
                let client_id = request
                    .headers()
                    .get(request_id::HEADER)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    %id,
                    method = %request.method(),
                    path = %request.uri().path(),
                    %peer,
                    client_id,
                )
            }),
        )
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(platform)
}

/// Serves the API on `listener` until `shutdown` resolves, then waits for
/// requests in flight (up to 30 s).
///
/// Tests pass a listener bound to `127.0.0.1:0`.
pub async fn serve(
    listener: TcpListener,
    platform: Platform,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let router = router(platform);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
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
                let service = router
                    .clone()
                    .map_request(move |mut request: Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(Peer(peer));
                        request
                    });
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
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
