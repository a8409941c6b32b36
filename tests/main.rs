//! The integration tests: one binary, one module per concern.
//!
//! Guests are built from source by `tests/artifacts` (Rust for
//! `wasm32-wasip2` or `wasm32-wasip1`, C with clang, Python with
//! componentize-py, JavaScript with componentize-js);
//! every guest must have a test here (see `every_guest_has_a_test`).

mod api;
mod call_slots;
mod cluster_calls;
mod compiles;
mod cpu_share;
mod data_api;
mod examples;
mod gpu;
mod invoke;
mod languages;
mod management;
mod network;
mod pipeline;
mod python_client;
mod registration;
mod registry_postgres;
mod sandbox;
mod server;
mod shared_code;
mod spares;
mod stops;
mod support;
mod tenants;
mod void_calls;
mod wasi_programs;

/// Fails to compile when a guest has no test named after it in one of the
/// modules above, so a new guest cannot go untested.
#[test]
fn every_guest_has_a_test() {
    macro_rules! assert_test_exists {
        ($name:ident) => {
            #[allow(unused_imports, reason = "only the name's existence matters")]
            use crate::covered::$name as _;
        };
    }
    test_artifacts::foreach_guest!(assert_test_exists);
}

/// The guests the tests cover, by name.
mod covered {
    pub(crate) use crate::data_api::archiver;
    pub(crate) use crate::examples::{countdown, hello, reverse_bytes, summary};
    pub(crate) use crate::gpu::{gpu_bench, gpu_probe, matrix_multiply, vector_add};
    pub(crate) use crate::languages::{
        group_records, js_hello, js_probe, py_hello, py_probe, word_stats,
    };
    pub(crate) use crate::network::net_probe;
    pub(crate) use crate::pipeline::caller;
    pub(crate) use crate::sandbox::{
        chatterbox, deep_recursion, echo, failer, looper, memory_hog, oversized, panicker, sleeper,
        spammer, stubborn,
    };
    pub(crate) use crate::stops::janitor;
    pub(crate) use crate::wasi_programs::{byte_stats, command, wc_p1};
}
