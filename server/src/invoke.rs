//! `POST /v1/algo/:owner/:algo[/:version]`: calling an algorithm.

use std::time::Instant;

use algobox_host_api::Payload;

use crate::algorithmia::envelope::{self, ErrorBody};
use crate::request_id::RequestId;
use axum::body::Body;
use http::{HeaderMap, StatusCode, header};

use crate::algorithmia::error::ApiError;
use crate::call::{self, CallOptions, OutputMode};
use crate::response::{self, Response};
use crate::{auth, body};
use algobox_platform::Platform;
use algobox_platform::async_calls::CallProgress;
use algobox_platform::{Caller, Target};
use algobox_runtime::error::InvokeError;
use algobox_runtime::invocation::{Invocation, Output};

/// Calls the algorithm named by the path.
pub(crate) async fn call(
    platform: &Platform,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Body,
    path: (&str, &str, Option<&str>),
    request_id: RequestId,
) -> Result<Response, ApiError> {
    let caller = platform.authenticate(auth::api_key(headers)).await?;
    let limits = platform.runtime().limits();
    let options = CallOptions::parse(query, limits.max_timeout)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let input = call::input(content_type, body::read(body, limits.input).await?)?;
    let (owner, name, version) = path;
    let target = platform.resolve(&caller, owner, name, version).await?;

    // The version's own settings decide what it may reach.
    let mut invocation = platform.invocation(&caller, &target, input, 0);
    if let Some(timeout) = options.timeout {
        invocation = invocation.timeout(timeout);
    }
    // Only the owner may see what the algorithm printed.
    let show_stdout = options.stdout && target.caller_is_owner;

    if options.output == OutputMode::Void {
        let request_id = request_id.to_string();
        spawn_void(
            platform.clone(),
            caller,
            target,
            invocation,
            request_id.clone(),
            show_stdout,
        );
        let body = serde_json::json!({ "async": "void", "request_id": request_id });
        return Ok(response::json(StatusCode::OK, &body));
    }

    let started = Instant::now();
    let result = platform
        .runtime()
        .invoke(&target.algorithm, invocation)
        .await;
    Ok(match options.output {
        OutputMode::Raw => raw(result),
        _ => {
            let (_, text) = envelope_of(result, started, show_stdout);
            response::json_text(StatusCode::OK, text)
        }
    })
}

/// The envelope for a result, and whether it is a success.
fn envelope_of(
    result: Result<Output, InvokeError>,
    started: Instant,
    show_stdout: bool,
) -> (bool, String) {
    match result {
        Ok(output) => {
            let metadata = envelope::Metadata {
                duration: output.duration.as_secs_f64(),
                stdout: show_stdout.then_some(output.stdout),
            };
            (true, envelope::success(&output.payload, &metadata))
        }
        // An algorithm's failure is a 200: the official clients throw away
        // the body of any other status.
        Err(err) => (
            false,
            envelope::failure(
                &ErrorBody::of(&err.to_algo_error()),
                started.elapsed().as_secs_f64(),
            ),
        ),
    }
}

/// `output=raw`: the bare result; 400 with the error envelope on failure.
fn raw(result: Result<Output, InvokeError>) -> Response {
    match result {
        Ok(output) => match output.payload {
            Payload::Text(text) => {
                response::with_type(StatusCode::OK, text, "text/plain; charset=utf-8")
            }
            Payload::Json(json) => response::json_text(StatusCode::OK, json),
            Payload::Binary(bytes) => {
                response::with_type(StatusCode::OK, bytes, "application/octet-stream")
            }
            Payload::Void => response::empty(StatusCode::OK),
        },
        Err(err) => response::json_text(
            StatusCode::BAD_REQUEST,
            envelope::failure(&ErrorBody::of(&err.to_algo_error()), 0.0),
        ),
    }
}

/// Runs a void call in the background, recording it for its caller.
fn spawn_void(
    platform: Platform,
    caller: Caller,
    target: Target,
    invocation: Invocation,
    request_id: String,
    show_stdout: bool,
) {
    platform.calls().insert(&request_id, &caller.name);
    let progress_platform = platform.clone();
    let progress_id = request_id.clone();
    let invocation = invocation.on_progress(move |progress| {
        progress_platform.calls().progress(
            &progress_id,
            CallProgress {
                percent: progress.percent,
                details: progress.details.clone(),
                elapsed: progress.elapsed.as_secs_f64(),
            },
        );
    });
    tokio::spawn(async move {
        platform.calls().running(&request_id);
        let started = Instant::now();
        let result = platform
            .runtime()
            .invoke(&target.algorithm, invocation)
            .await;
        let (succeeded, text) = envelope_of(result, started, show_stdout);
        let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        platform.calls().finish(&request_id, succeeded, value);
        tracing::info!(%request_id, succeeded, "void call finished");
    });
}
