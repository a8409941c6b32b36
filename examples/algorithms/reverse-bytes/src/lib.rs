//! Binary in, binary out: returns the input bytes in reverse order. Shows
//! that `Vec<u8>` maps to the `binary` content type both ways.
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p reverse-bytes
//! target/release/algobox run target/wasm32-wasip2/release/reverse_bytes.wasm --data-file photo.jpg
//! ```
//!
//! (Cargo names the file `reverse_bytes.wasm`; pass the bytes however the
//! `algobox` CLI takes binary input.)

use algobox_guest_sdk::{AlgoError, export_function};

/// Reverses the bytes.
fn apply(mut bytes: Vec<u8>) -> Result<Vec<u8>, AlgoError> {
    bytes.reverse();
    Ok(bytes)
}

export_function!(apply);
