//! Request bodies, bounded before they are buffered.

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};

use super::error::ApiError;

/// Reads the whole body, refusing one over `limit` bytes: by its declared
/// length before reading anything, and while reading otherwise, so an
/// oversized body is never held in memory whole.
pub(crate) async fn read(body: Incoming, limit: usize) -> Result<Vec<u8>, ApiError> {
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
