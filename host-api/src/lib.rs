//! The contract between algobox and the algorithms it runs.
//!
//! - [`WIT_DIR`] is the one source of truth for the guest interface: the
//!   host's `wasmtime::component::bindgen!` and the guest SDK's
//!   `wit_bindgen::generate!` both read `wit/` by relative path.
//! - [`Payload`] and [`AlgoError`] are the values that cross it, as plain Rust.
//!
//! This crate has no wasmtime or tokio dependency and compiles for
//! `wasm32-wasip2`, so guests may use it too.

mod error;
mod payload;

pub use error::AlgoError;
pub use payload::{ContentType, Payload};

/// The folder holding the WIT package `algobox:algorithm@0.1.0`.
pub const WIT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/wit");

/// The name of the exported interface every algorithm must provide.
pub const LIFECYCLE_EXPORT: &str = "algobox:algorithm/lifecycle@0.1.0";
