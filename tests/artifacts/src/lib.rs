//! The wasm files of every guest, built by this crate's build script.
//!
//! `build.rs` builds each package under `examples/algorithms/`,
//! `tests/guests/` and `tests/language-guests/` in release mode without
//! debug info: Rust packages for `wasm32-wasip2` (or the target their
//! `[package.metadata.algobox]` names), C programs (a `main.c`) with clang
//! for `wasm32-wasi`, Python apps (an `app.py`) with componentize-py and
//! JavaScript apps (an `app.js`) with componentize-js.
//! This crate exposes, per guest, a constant holding the absolute path of
//! its `.wasm` file (`HELLO`, `MEMORY_HOG`, ...), [`ALL`] as
//! `(package name, path)` pairs, and [`foreach_guest!`], which calls a
//! macro once per guest so a test suite can check that each has a test.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
