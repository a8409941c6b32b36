//! Always fails with code `InputError`, message `bad input: {text}` and
//! two-line details. Exists to test how the host reports an algorithm's
//! own errors.

use algobox_guest_sdk::{AlgoError, export_function};

/// Never succeeds.
fn apply(text: String) -> Result<String, AlgoError> {
    Err(AlgoError::input(format!("bad input: {text}")).with_details("line 1\nline 2"))
}

export_function!(apply);
