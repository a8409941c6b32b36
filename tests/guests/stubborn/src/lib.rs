//! Ignores stop requests: busy-loops forever without ever calling the host.
//! Exists to test that the host kills a guest once the stop grace period
//! runs out.

use std::hint::black_box;

use algobox_guest_sdk::{AlgoError, export_function};

/// Never returns and never polls `stop_requested`.
fn apply(_input: ()) -> Result<(), AlgoError> {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_mul(31).wrapping_add(7));
    }
}

export_function!(apply);
