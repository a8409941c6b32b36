//! `POST /v1/algo/:owner/:algo[/:version]`: calling an algorithm.

use algobox_host_api::Payload;
use algobox_platform::Platform;
use algobox_platform::call::{CallError, CallFailure, CallOutcome, CallRequest};
use axum::body::Body;
use http::{HeaderMap, StatusCode, header};

use crate::algorithmia::envelope;
use crate::algorithmia::error::ApiError;
use crate::call::{self, CallOptions, InputsMode, OutputMode};
use crate::request_id::RequestId;
use crate::response::{self, Response};
use crate::{auth, body};

/// Calls the algorithm named by the path: parses the whole request, then
/// makes one call of the platform.
pub(crate) async fn call(
    platform: &Platform,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Body,
    path: (&str, &str, Option<&str>),
    request_id: &RequestId,
) -> Result<Response, ApiError> {
    let caller = platform.authenticate(auth::api_key(headers)).await?;
    let limits = platform.runtime().limits();
    let options = CallOptions::parse(query, limits.max_timeout)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let body = body::read(body, limits.input).await?;
    let inputs = match options.inputs {
        InputsMode::One => vec![call::input(content_type, body)?],
        InputsMode::Array => call::input_array(&body)?,
    };
    let (owner, name, version) = path;
    let request = CallRequest {
        timeout: options.timeout,
        stdout: options.stdout,
        inputs,
        ..CallRequest::parse(owner, name, version, Payload::Void)?
    };

    if options.output == OutputMode::Void {
        platform
            .call_void(&caller, request, request_id.as_str())
            .await?;
        let body = serde_json::json!({ "async": "void", "request_id": request_id.as_str() });
        return Ok(response::json(StatusCode::OK, &body));
    }

    let result = match platform.call(&caller, request).await {
        Ok(outcome) => Ok(outcome),
        Err(CallError::Failed(failure)) => Err(failure),
        Err(CallError::Refused(err)) => return Err(err.into()),
    };
    if let Err(failure) = &result
        && failure.at_capacity
    {
        // Not the algorithm's failure: the caller should retry, and clients
        // and load balancers know 503 with `Retry-After` as "try again".
        return Ok(response::retry_after(response::json_text(
            StatusCode::SERVICE_UNAVAILABLE,
            envelope::of_outcome(&result, request_id.as_str()),
        )));
    }
    Ok(match options.output {
        OutputMode::Raw => raw(result),
        // An algorithm's failure is a 200: the official clients throw away
        // the body of any other status.
        _ => response::json_text(
            StatusCode::OK,
            envelope::of_outcome(&result, request_id.as_str()),
        ),
    })
}

/// `output=raw`: the bare result; 400 with the error envelope on failure.
fn raw(result: Result<CallOutcome, CallFailure>) -> Response {
    match result {
        Ok(outcome) => match outcome.output.payload {
            Payload::Text(text) => {
                response::with_type(StatusCode::OK, text, "text/plain; charset=utf-8")
            }
            Payload::Json(json) => response::json_text(StatusCode::OK, json),
            Payload::Binary(bytes) => {
                response::with_type(StatusCode::OK, bytes, "application/octet-stream")
            }
            Payload::Void => response::empty(StatusCode::OK),
        },
        Err(failure) => response::json_text(
            StatusCode::BAD_REQUEST,
            envelope::failure(&envelope::ErrorBody::of(&failure.error), 0.0),
        ),
    }
}
