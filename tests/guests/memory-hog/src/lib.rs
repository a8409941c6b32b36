//! Allocates 1 MiB at a time forever and keeps every block, so the host's
//! memory limit is what ends it. Exists to test memory limits.

use std::hint::black_box;

use algobox_guest_sdk::{AlgoError, export_function};

/// One allocation.
const BLOCK: usize = 1 << 20;

/// Never returns: grows until the host refuses more memory.
fn apply(_input: ()) -> Result<(), AlgoError> {
    let mut kept = Vec::new();
    loop {
        // Touching every byte makes the pages real, not just reserved.
        let block = black_box(vec![0x5Au8; BLOCK]);
        kept.push(block);
        black_box(&kept);
    }
}

export_function!(apply);
