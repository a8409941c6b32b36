//! Takes a JSON number of milliseconds, sleeps that long, and returns
//! `slept {ms} ms`. Exists to test wall-clock timeouts on a guest that is
//! blocked in WASI rather than computing.

use std::thread;
use std::time::Duration;

use algobox_guest_sdk::{AlgoError, Json, export_function};

/// Sleeps `ms` milliseconds.
fn apply(Json(ms): Json<u64>) -> Result<String, AlgoError> {
    thread::sleep(Duration::from_millis(ms));
    Ok(format!("slept {ms} ms"))
}

export_function!(apply);
