//! The trace span each request runs in, named by its request id.

use http::Request;
use tower_http::trace::MakeSpan;
use tracing::Span;

use crate::request_id::{self, RequestId};

/// Opens a request's `request` span: our id, the method, the path and the
/// client's own id (for correlation with its logs only). Field values are
/// formatted only when the span is enabled.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .map_or("", RequestId::as_str);
        let client_id = request
            .headers()
            .get(request_id::CLIENT_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            id,
            method = %request.method(),
            path = %request.uri().path(),
            client_id,
        )
    }
}
