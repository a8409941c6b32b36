//! Loops forever without calling the host, so the host's fuel or epoch
//! limit is what ends it. Exists to test timeouts.

use std::hint::black_box;

use algobox_guest_sdk::{AlgoError, export_function};

/// Never returns.
fn apply(_input: ()) -> Result<(), AlgoError> {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

export_function!(apply);
