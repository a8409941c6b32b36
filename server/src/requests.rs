//! `GET /v1/requests/:id`: the status and result of an `output=void` call.

use http::{HeaderMap, StatusCode};

use crate::algorithmia::error::ApiError;
use crate::auth;
use crate::response::{self, Response};
use algobox_platform::Platform;

/// The call's status, progress and, once finished, its envelope. Only the
/// caller that made the call can see it.
pub(crate) async fn status(
    platform: &Platform,
    headers: &HeaderMap,
    request_id: &str,
) -> Result<Response, ApiError> {
    let caller = platform.authenticate(auth::api_key(headers)).await?;
    let record = platform
        .calls()
        .get(request_id, &caller.name)
        .ok_or_else(|| ApiError::NotFound {
            code: 1000,
            message: format!(
                "no request {request_id}: it never existed, was made by someone else, or finished longer ago than results are kept"
            ),
        })?;
    Ok(response::json(StatusCode::OK, &record))
}
