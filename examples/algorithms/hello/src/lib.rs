//! The smallest algorithm: text in, `Hello <input>` out, in the simple form
//! (`export_function!`).
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p hello
//! target/release/algobox run target/wasm32-wasip2/release/hello.wasm -d Neo
//! ```
//!
//! prints `Hello Neo`.

use algobox_guest_sdk::{AlgoError, export_function};

/// Greets the caller by the name it sent.
fn apply(name: String) -> Result<String, AlgoError> {
    Ok(format!("Hello {name}"))
}

export_function!(apply);
