//! Recurses until the wasm stack overflows. Exists to test that the host
//! reports a stack overflow as such.

use std::hint::black_box;

use algobox_guest_sdk::{AlgoError, export_function};

/// Not a tail call: the frame is read after the call returns, and the
/// result passes through `black_box`, so the optimizer can turn neither into
/// a loop.
#[expect(unconditional_recursion, reason = "overflowing the stack is the point")]
fn descend(depth: u64) -> u64 {
    let frame = black_box([depth; 8]);
    let below = black_box(descend(black_box(depth.wrapping_add(1))));
    below.wrapping_add(frame[7])
}

/// Never returns.
fn apply(_input: ()) -> Result<String, AlgoError> {
    Ok(descend(0).to_string())
}

export_function!(apply);
