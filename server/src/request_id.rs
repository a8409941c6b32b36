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

use http::{HeaderName, HeaderValue, Request};

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

/// Middleware (a plain request mapping, so it costs no allocation beyond
/// the id): replaces any `X-Request-Id` the client sent with a new id,
/// keeping the client's in `X-Client-Request-Id` for the logs, and puts the
/// id in the request's extensions. A `PropagateHeader` layer copies it to
/// the response.
pub(crate) fn assign<B>(mut request: Request<B>) -> Request<B> {
    let id = RequestId::mint();
    let headers = request.headers_mut();
    if let Some(client) = headers.remove(HEADER) {
        headers.insert(CLIENT_HEADER, client);
    }
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        headers.insert(HEADER, value);
    }
    request.extensions_mut().insert(id);
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_id_is_kept_aside_and_never_used() {
        let request = Request::builder()
            .header(HEADER, "req-0000000000000000000000000001")
            .body(())
            .unwrap();
        let request = assign(request);
        let ours = request.extensions().get::<RequestId>().unwrap();
        assert_ne!(ours.as_str(), "req-0000000000000000000000000001");
        assert_eq!(request.headers()[HEADER], ours.as_str());
        assert_eq!(
            request.headers()[CLIENT_HEADER],
            "req-0000000000000000000000000001"
        );
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
