//! Request ids: minted here for every request, never taken from the client.
//!
//! An id is `req-` followed by this process's random nonce and a counter,
//! so ids are unique across restarts without a system call per request. A
//! client's own `X-Request-Id` is logged beside ours for correlation; it is
//! never used as a handle, since a caller could otherwise name (and probe
//! for) someone else's call.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;

/// The header that carries the id back to the client.
pub(crate) const HEADER: &str = "x-request-id";

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

/// Middleware: mints the request's id, makes it available to handlers and
/// the trace span, and returns it in `X-Request-Id`.
pub(crate) async fn assign(mut request: Request, next: Next) -> Response {
    let id = RequestId::mint();
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
