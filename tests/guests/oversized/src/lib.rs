//! Takes a JSON number N and returns N bytes of 0xAB as binary. Exists to
//! test the host's result size limit.

use algobox_guest_sdk::{AlgoError, Json, export_function};

/// Returns `size` bytes.
fn apply(Json(size): Json<u64>) -> Result<Vec<u8>, AlgoError> {
    let size = usize::try_from(size)?;
    Ok(vec![0xAB; size])
}

export_function!(apply);
