//! Takes a JSON number N and calls the host's `log` N times with a 1 KiB
//! message, then returns `logged N`. Exists to test host-call limits.

use algobox_guest_sdk::{AlgoError, Json, context, export_function};

/// Logs `count` lines.
fn apply(Json(count): Json<u64>) -> Result<String, AlgoError> {
    let message = "s".repeat(1024);
    for _ in 0..count {
        context::info(&message);
    }
    Ok(format!("logged {count}"))
}

export_function!(apply);
