//! Request bodies, bounded before they are buffered.

use axum::body::Body;
use http_body::Body as _;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::algorithmia::error::ApiError;

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

/// JSON request bodies (management, Data API) are small documents.
pub(crate) const JSON_LIMIT: usize = 1 << 20;

/// Reads a JSON body; an empty body is `{}`.
pub(crate) async fn json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = read(body, JSON_LIMIT).await?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|err| {
        ApiError::BadRequest(format!(
            "the body is not the JSON this endpoint takes: {err}"
        ))
    })
}
