//! `GET /v1/requests/:id`: the status and result of an `output=void` call.

use http::{HeaderMap, StatusCode};

use crate::algorithmia::envelope;
use crate::algorithmia::error::ApiError;
use crate::auth;
use crate::response::{self, Response};
use algobox_platform::Platform;

/// The answer for a request the caller cannot see: to anyone but its
/// caller, a call does not exist.
fn no_request(request_id: &str) -> ApiError {
    ApiError::NotFound {
        code: 1000,
        message: format!(
            "no request {request_id}: it never existed, was made by someone else, finished longer ago than results are kept, or your newer results (64 MiB of them are kept) pushed it out"
        ),
    }
}

/// `DELETE /v1/requests/:id`: asks a void call of the caller's to stop,
/// the Hkube way (its `stop-requested` turns true, its `stop` hook runs
/// once `start` returns, and it is ended when the grace runs out). Answers
/// at once with `stopping`, or with how the call ended if it had.
pub(crate) async fn stop(
    platform: &Platform,
    headers: &HeaderMap,
    request_id: &str,
) -> Result<Response, ApiError> {
    let caller = platform.authenticate(auth::api_key(headers)).await?;
    let status = platform
        .stop_void_call(request_id, &caller)
        .await?
        .ok_or_else(|| no_request(request_id))?;
    Ok(response::json(
        StatusCode::OK,
        &serde_json::json!({ "request_id": request_id, "status": status }),
    ))
}

/// The call's status, progress and, once finished, its envelope. Only the
/// caller that made the call can see it.
pub(crate) async fn status(
    platform: &Platform,
    headers: &HeaderMap,
    request_id: &str,
) -> Result<Response, ApiError> {
    let caller = platform.authenticate(auth::api_key(headers)).await?;
    let record = platform
        .void_call(request_id, &caller)
        .await?
        .ok_or_else(|| no_request(request_id))?;
    // The envelope the call would have answered with, once finished.
    let result = record
        .outcome
        .as_ref()
        .map(|outcome| {
            serde_json::from_str::<serde_json::Value>(&envelope::of_outcome(
                outcome,
                &record.request_id,
            ))
            .map_err(|err| ApiError::Internal(format!("an envelope is not JSON: {err}")))
        })
        .transpose()?;
    Ok(response::json(
        StatusCode::OK,
        &serde_json::json!({
            "request_id": record.request_id,
            "status": record.status,
            "progress": record.progress,
            "result": result,
        }),
    ))
}
