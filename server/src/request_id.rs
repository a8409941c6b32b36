//! Request ids: minted here for every request, never taken from the client.
//!
//! An id is `req-` followed by this process's random nonce and a counter,
//! so ids are unique across restarts without a system call per request. A
//! client's own `X-Request-Id` is logged beside ours for correlation; it is
//! never used as a handle, since a caller could otherwise name (and probe
//! for) someone else's call.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use http::{HeaderName, HeaderValue, Request, Response};
use tower::{Layer, Service};

/// The header that carries the id back to the client.
pub(crate) const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Where the id a client sent is kept, for correlation in the logs.
pub(crate) const CLIENT_HEADER: HeaderName = HeaderName::from_static("x-client-request-id");

/// The id of one request, as the server minted it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// A new id, different from every other this process mints and, with
    /// overwhelming probability, from those of earlier processes.
    pub fn mint() -> Self {
        static NONCE: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nonce = *NONCE.get_or_init(|| {
            let mut bytes = [0u8; 8];
            // Without the OS's randomness, a hash of the start time still
            // separates restarts.
            if getrandom::fill(&mut bytes).is_err() {
                use std::hash::{BuildHasher, RandomState};
                return RandomState::new().hash_one(std::time::SystemTime::now());
            }
            u64::from_le_bytes(bytes)
        });
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        Self(format!("req-{nonce:016x}{count:012x}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Middleware that gives every request its id: it replaces any
/// `X-Request-Id` the client sent with a new id, keeping the client's in
/// `X-Client-Request-Id` for the logs, puts the id in the request's
/// extensions for the handlers and the request's span, and writes it into
/// the answer's `X-Request-Id`.
///
/// One layer of our own, rather than a request mapping plus tower-http's
/// `PropagateHeader`: the id goes from the extension straight to the
/// answer, without a copy in the request's headers, and every request
/// pays for one layer instead of two.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = WithRequestId<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithRequestId { inner }
    }
}

/// The service [`RequestIdLayer`] makes.
#[derive(Debug, Clone)]
pub(crate) struct WithRequestId<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for WithRequestId<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = WithRequestIdFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let id = RequestId::mint();
        let header = HeaderValue::from_str(id.as_str()).ok();
        let headers = request.headers_mut();
        if let Some(client) = headers.remove(HEADER) {
            headers.insert(CLIENT_HEADER, client);
        }
        request.extensions_mut().insert(id);
        WithRequestIdFuture {
            inner: self.inner.call(request),
            header,
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a [`WithRequestId`] service, with the id added.
    pub(crate) struct WithRequestIdFuture<F> {
        #[pin]
        inner: F,
        header: Option<HeaderValue>,
    }
}

impl<F, R, E> Future for WithRequestIdFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(header) = this.header.take() {
            response.headers_mut().insert(HEADER, header);
        }
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_clients_id_is_kept_aside_and_never_used() {
        use tower::ServiceExt as _;

        let handler = tower::service_fn(|request: Request<()>| async move {
            let ours = request.extensions().get::<RequestId>().unwrap().clone();
            // The handler sees our id alone, and the client's aside.
            assert!(request.headers().get(HEADER).is_none());
            assert_eq!(
                request.headers()[CLIENT_HEADER],
                "req-0000000000000000000000000001"
            );
            Ok::<_, std::convert::Infallible>(Response::new(ours))
        });
        let request = Request::builder()
            .header(HEADER, "req-0000000000000000000000000001")
            .body(())
            .unwrap();
        let response = RequestIdLayer
            .layer(handler)
            .oneshot(request)
            .await
            .unwrap();
        let ours = response.body();
        assert_ne!(ours.as_str(), "req-0000000000000000000000000001");
        assert!(ours.as_str().starts_with("req-"), "{ours}");
        assert_eq!(response.headers()[HEADER], ours.as_str());
    }

    #[test]
    fn ids_are_distinct_and_shaped_alike() {
        let (a, b) = (RequestId::mint(), RequestId::mint());
        assert_ne!(a, b);
        for id in [&a, &b] {
            let hex = id.as_str().strip_prefix("req-").unwrap();
            assert_eq!(hex.len(), 28, "{id}");
            assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        }
        // Same process: same nonce, counter apart.
        assert_eq!(a.as_str()[..20], b.as_str()[..20]);
    }
}
