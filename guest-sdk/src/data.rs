//! `data://` files (Algorithmia's hosted data), read and written with the
//! permissions of whoever called the algorithm: `data://.my/...` is the
//! caller's own collection. A typical use is an `output=void` call that
//! writes its result to a file the caller fetches later.
//!
//! ```no_run
//! use algobox_guest_sdk::{AlgoError, data, export_function};
//!
//! fn archive(text: String) -> Result<String, AlgoError> {
//!     data::write("data://.my/results/latest.txt", text.as_bytes())?;
//!     Ok("data://.my/results/latest.txt".to_owned())
//! }
//!
//! export_function!(archive);
//! # fn main() {}
//! ```

use crate::AlgoError;
use crate::bindings::{algo_error, algobox::algorithm::data};

/// Reads a whole file: `data://owner/collection/file`.
pub fn read(uri: &str) -> Result<Vec<u8>, AlgoError> {
    data::read(uri).map_err(algo_error)
}

/// Reads a whole file as UTF-8 text.
pub fn read_text(uri: &str) -> Result<String, AlgoError> {
    Ok(String::from_utf8(read(uri)?)?)
}

/// Writes a whole file, replacing any before it. The collection must exist
/// and belong to the caller.
pub fn write(uri: &str, contents: &[u8]) -> Result<(), AlgoError> {
    data::write(uri, contents).map_err(algo_error)
}

/// Whether a file exists (and the caller may see it).
pub fn exists(uri: &str) -> Result<bool, AlgoError> {
    data::exists(uri).map_err(algo_error)
}

/// Deletes a file.
pub fn delete(uri: &str) -> Result<(), AlgoError> {
    data::delete(uri).map_err(algo_error)
}

/// The names of the files in a collection: `data://owner/collection`.
pub fn list(uri: &str) -> Result<Vec<String>, AlgoError> {
    data::list_files(uri).map_err(algo_error)
}
