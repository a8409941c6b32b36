//! Request bodies, bounded before they are buffered.

use axum::body::Body;
use axum::response::IntoResponse as _;
use http_body::Body as _;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::algorithmia::error::ApiError;
use crate::response::Response;

/// Reads the whole body, refusing one over `limit` bytes: by its declared
/// length before reading anything, and while reading otherwise, so an
/// oversized body is never held in memory whole.
pub(crate) async fn read(body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(ApiError::BodyTooLarge { limit });
    }
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            Err(ApiError::BodyTooLarge { limit })
        }
        Err(err) => Err(ApiError::BadRequest(format!(
            "cannot read the request body: {err}"
        ))),
    }
}

/// What a refusal reads of a body it will not use, at most: enough that
/// the client, still sending, reads the answer rather than a reset.
const DRAINED: usize = 64 << 10;

/// How long a refusal waits for those bytes.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_millis(200);

/// Answers `err` to a request whose body will not be read: reads (and
/// drops) at most a little of the body, so a client still sending sees the
/// answer, and closes the connection after it rather than read the rest.
pub(crate) async fn refuse_unread(mut body: Body, err: ApiError) -> Response {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut drained = 0;
        while drained < DRAINED
            && let Some(Ok(frame)) = body.frame().await
        {
            drained += frame.data_ref().map_or(0, bytes::Bytes::len);
        }
    })
    .await;
    let mut response = err.into_response();
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

/// JSON request bodies (management, Data API) are small documents.
pub(crate) const JSON_LIMIT: usize = 1 << 20;

/// Reads a JSON body; an empty body is `{}`.
///
/// The body is parsed whatever its `Content-Type` says, so `curl -d '{...}'`
/// (which labels JSON as a form) works. A body that does not parse is
/// refused with code 2013, naming the `Content-Type` to send; a form body
/// is told that its values are lost, since a form keeps only the keys of
/// nested objects (what the official Python client 2.0.5's `update()`
/// sends). Valid JSON of the wrong shape is refused naming the field.
pub(crate) async fn json<T: DeserializeOwned>(
    headers: &http::HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    let bytes = read(body, JSON_LIMIT).await?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|err| {
        if err.is_data() {
            return ApiError::BadRequest(format!(
                "the body is not the JSON this endpoint takes: {err}"
            ));
        }
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("none");
        if content_type.starts_with("application/x-www-form-urlencoded") {
            ApiError::InvalidJson(format!(
                "the body is a form (Content-Type: {content_type}), not JSON: a form keeps only the keys of nested objects, so every value was lost and nothing was changed; send the body as JSON with `Content-Type: application/json` (the official Python client 2.0.5's `update()` sends a form: call the API directly, for example `requests.put(url, json=...)`)"
            ))
        } else {
            ApiError::InvalidJson(format!(
                "the body is not valid JSON ({err}; Content-Type: {content_type}); send a JSON document with `Content-Type: application/json`"
            ))
        }
    })
}
