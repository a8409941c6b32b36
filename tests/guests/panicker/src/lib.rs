//! Panics with a message naming its text input. Exists to test that the
//! host reports a panic by its message (via the SDK's panic hook).

use algobox_guest_sdk::{AlgoError, export_function};

/// Always panics.
fn apply(input: String) -> Result<String, AlgoError> {
    panic!("deliberate panic: {input}")
}

export_function!(apply);
