//! Calls the algorithm its input names and returns what that returned (or
//! its error). Exists to test calls between algorithms: permissions,
//! deadlines, stops and recursion.
//!
//! Input: `{"call": "owner/name/version", "input": <text or JSON>,
//! "timeout_ms": N?, "forward": bool?}`; with `forward`, the callee gets
//! this same input, so an algorithm that calls itself recurses.

use std::time::Duration;

use algobox_guest_sdk::{AlgoError, Json, Payload, export_function, pipeline};
use serde::Deserialize;
use serde_json::Value;

/// What to call.
#[derive(Deserialize)]
struct Request {
    call: String,
    #[serde(default)]
    input: Value,
    timeout_ms: Option<u64>,
    #[serde(default)]
    forward: bool,
}

fn relay(Json(raw): Json<Value>) -> Result<Payload, AlgoError> {
    let request: Request = serde_json::from_value(raw.clone())?;
    let input = if request.forward {
        Json(raw)
    } else {
        Json(request.input)
    };
    let input = match input.0 {
        Value::String(text) => Payload::text(text),
        value => Payload::json(&value)?,
    };
    pipeline::call_with_timeout(
        &request.call,
        input,
        request.timeout_ms.map(Duration::from_millis),
    )
}

export_function!(relay);
