//! Building responses.

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

/// The response type of every handler.
pub(crate) type Response = axum::response::Response;

/// A JSON response from a serializable value.
pub(crate) fn json<T: serde::Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_text(status, body),
        Err(err) => json_text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                r#"{{"error":{{"code":5001,"message":"cannot serialize the response: {err}"}}}}"#
            )
            .into_bytes(),
        ),
    }
}

/// A JSON response from JSON text already serialized.
pub(crate) fn json_text(status: StatusCode, body: impl Into<Bytes>) -> Response {
    with_type(status, body, "application/json")
}

/// A response with a body of the given media type.
pub(crate) fn with_type(
    status: StatusCode,
    body: impl Into<Bytes>,
    content_type: &'static str,
) -> Response {
    let mut response = http::Response::new(Body::from(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut response = http::Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Adds `Retry-After: 1`: the refusal is for now, not for good, and a
/// second is a fair first wait (the message says what to wait for).
pub(crate) fn retry_after(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
