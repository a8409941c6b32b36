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
mod api_state;
mod auth;
mod body;
mod body_rate;
mod call;
pub mod connection_limits;
mod data;
pub mod drain_policy;
mod file_body;
mod header_timer;
mod invoke;
mod names;
mod objects;
pub mod public_url;
pub mod request_id;
mod request_span;
mod requests;
mod response;
mod routes;

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use algobox_platform::Platform;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::trace::{HttpMakeClassifier, TraceLayer};
use tracing::Instrument as _;

use crate::api_state::ApiState;
use crate::body_rate::{BodyRate, MinRate};
use crate::connection_limits::{ConnectionLimits, Gate};
use crate::drain_policy::DrainPolicy;
use crate::header_timer::HeaderTimer;
use crate::public_url::PublicUrl;
use crate::request_id::RequestIdLayer;
use crate::request_span::RequestSpan;

/// The API over `platform`: every route, request ids and tracing. Request
/// bodies are bounded per route, by each handler (a call's input, a module
/// upload, a Data API file and a JSON document have different limits), and
/// there is no global timeout, since a call may run for 3,000 s.
///
/// Links in answers (`self_link`, `next_link`) start with `public_url`.
pub fn router(platform: Platform, public_url: PublicUrl) -> Router {
    routes::routes().layer(middleware()).with_state(ApiState {
        platform,
        public_url,
    })
}

/// What every request passes through before its route, outermost first:
/// the request id is minted, then the trace span named by it opened.
type Middleware =
    Stack<TraceLayer<HttpMakeClassifier, RequestSpan, (), ()>, Stack<RequestIdLayer, Identity>>;

fn middleware() -> ServiceBuilder<Middleware> {
    ServiceBuilder::new().layer(RequestIdLayer).layer(
        // Requests are logged by their span and by the handlers' own
        // events; no per-request events of the layer's own.
        TraceLayer::new_for_http()
            .make_span_with(RequestSpan)
            .on_request(())
            .on_response(()),
    )
}

/// Serves the API on `listener` until `shutdown` resolves, then drains
/// with the default [`DrainPolicy`]: stops accepting and waits for requests
/// in flight (up to 30 s). Links in answers name the listener's address.
///
/// Tests pass a listener bound to `127.0.0.1:0`.
pub async fn serve(
    listener: TcpListener,
    platform: Platform,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(
        listener,
        platform,
        shutdown,
        ConnectionLimits::default(),
        DrainPolicy::default(),
        None,
    )
    .await
}

/// [`serve`] with these connection limits and this drain, and links that
/// start with `public_url` (by default, the listener's address).
pub async fn serve_with(
    listener: TcpListener,
    platform: Platform,
    shutdown: impl Future<Output = ()>,
    limits: ConnectionLimits,
    drain: DrainPolicy,
    public_url: Option<PublicUrl>,
) -> std::io::Result<()> {
    let public_url = match public_url {
        Some(url) => url,
        None => PublicUrl::of_listener(listener.local_addr()?),
    };
    let rate = BodyRate {
        grace: limits.body_grace,
        bytes_per_second: limits.min_body_rate,
    };
    // The middleware wraps the whole router here, once, where `router`
    // (for embedders to mount) layers each route: axum boxes a layered
    // route's service and future again on every request. Every request
    // body must keep up a minimum rate; wrapping it costs no allocation,
    // since the router boxes each body once anyway.
    let service = ServiceBuilder::new()
        .map_request(move |request: http::Request<Incoming>| {
            request.map(|body| axum::body::Body::new(MinRate::new(body, rate)))
        })
        .layer(middleware())
        .service(routes::routes().with_state(ApiState {
            platform: platform.clone(),
            public_url,
        }));
    let gate = Gate::new(limits);
    let graceful = GracefulShutdown::new();
    // Resolves once the signal came and the linger is over; the drain's
    // deadline counts from the signal.
    let deadline = std::sync::OnceLock::new();
    let stop_accepting = async {
        shutdown.await;
        let signalled = Instant::now();
        let _ = deadline.set(signalled + drain.within);
        platform.begin_drain();
        tracing::info!(
            linger_ms = drain.linger.as_millis() as u64,
            "shutting down: /readyz answers 503; still accepting connections while load balancers notice"
        );
        tokio::time::sleep_until((signalled + drain.linger).into()).await;
    };
    let mut stop_accepting = pin!(stop_accepting);
    let mut accept_errors = AcceptErrors::default();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors, usually; back off briefly
                        // rather than spin, and say so once a second, not
                        // a hundred times.
                        accept_errors.log(&err);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let admitted = match gate.admit(peer.ip()) {
                    Ok(admitted) => admitted,
                    Err(limit) => {
                        // Closed at once: a client past its share waits
                        // for none of the server's resources.
                        tracing::debug!("closed a connection from {peer}: {limit}");
                        drop(stream);
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let connection = http1::Builder::new()
                    .timer(HeaderTimer::default())
                    .header_read_timeout(gate.limits().header_timeout)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service.clone()));
                let connection = graceful.watch(connection);
                // The peer is named once per connection, by the span every
                // request's span sits in.
                let span = tracing::info_span!("connection", %peer);
                tokio::spawn(
                    async move {
                        if let Err(err) = connection.await {
                            tracing::debug!("connection from {peer} ended: {err}");
                        }
                        drop(admitted);
                    }
                    .instrument(span),
                );
            }
            () = &mut stop_accepting => break,
        }
    }
    drop(listener);
    let deadline = *deadline.get().expect("set before accepting stopped");
    tracing::info!("stopped accepting; waiting for requests in flight and void calls running");
    let (requests, calls) = tokio::join!(
        tokio::time::timeout_at(deadline.into(), graceful.shutdown()),
        platform.drain_void_calls(deadline),
    );
    if requests.is_err() {
        tracing::warn!(
            "requests still in flight after {:?}; closing them",
            drain.within
        );
    }
    if calls.handed_back > 0 {
        tracing::warn!(
            finished = calls.finished,
            handed_back = calls.handed_back,
            "void calls still running at the drain's end were handed back to the cluster's queue; another node runs them again"
        );
    }
    if calls.stopped > 0 {
        tracing::warn!(
            finished = calls.finished,
            stopped = calls.stopped,
            "void calls still queued or running at the drain's end were stopped and recorded as failed (the server shut down); their callers must call again"
        );
    }
    Ok(())
}

/// Failed accepts, logged at most once a second with how many there were.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<std::time::Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    fn log(&mut self, err: &std::io::Error) {
        self.unlogged += 1;
        let now = std::time::Instant::now();
        if self
            .last_logged
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            return;
        }
        tracing::warn!(
            failed = self.unlogged,
            "cannot accept connections: {err}; raise the open-file limit (ulimit -n) or lower --max-connections"
        );
        self.last_logged = Some(now);
        self.unlogged = 0;
    }
}
