//! Recurses until the wasm call stack overflows. Exists to test that the
//! host reports a stack overflow as such.
//!
//! The frames hold no address-taken locals: those live on Rust's shadow
//! stack in linear memory, whose overflow wraps below address 0 and traps as
//! an out-of-bounds access instead (the host's message says so).

use std::hint::black_box;

use algobox_guest_sdk::{AlgoError, export_function};

/// Not a tail call (the result is combined after the call returns, with an
/// operation the optimizer cannot turn into an accumulator loop), and
/// bounded by a limit it cannot see through, so it is not folded away.
#[inline(never)]
fn descend(depth: u64, limit: u64) -> u64 {
    if depth == limit {
        return depth;
    }
    let below = descend(depth + 1, limit);
    below.rotate_left((depth % 63) as u32) ^ depth
}

/// Never returns: the stack overflows long before the limit.
fn apply(_input: ()) -> Result<String, AlgoError> {
    Ok(descend(0, black_box(u64::MAX)).to_string())
}

export_function!(apply);
