//! Takes a JSON number N, prints N MiB to stdout, and returns
//! `printed N MiB`. Exists to test stdout capture limits.

use algobox_guest_sdk::{AlgoError, Json, export_function};

/// Lines of 1023 characters plus a newline: 1024 of them make 1 MiB.
const LINES_PER_MIB: usize = 1024;

/// Prints `mebibytes` MiB.
fn apply(Json(count): Json<u64>) -> Result<String, AlgoError> {
    let line = "x".repeat(1023);
    for _ in 0..count {
        for _ in 0..LINES_PER_MIB {
            println!("{line}");
        }
    }
    Ok(format!("printed {count} MiB"))
}

export_function!(apply);
