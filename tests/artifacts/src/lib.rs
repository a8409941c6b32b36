//! The wasm files of every guest, built by this crate's build script.
//!
//! `build.rs` builds each package under `examples/algorithms/` and
//! `tests/guests/` for `wasm32-wasip2` in release mode without debug info.
//! This crate exposes, per guest, a constant holding the absolute path of
//! its `.wasm` file (`HELLO`, `MEMORY_HOG`, ...), [`ALL`] as
//! `(package name, path)` pairs, and [`foreach_guest!`], which calls a
//! macro once per guest so a test suite can check that each has a test.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
