//! Shared set-up: a runtime with tight limits, and guest loading.

use std::time::Duration;

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::compiled_algorithm::CompiledAlgorithm;
use algobox_runtime::limits::Limits;

/// Limits small enough that misbehaving guests hit them quickly.
pub(crate) fn limits() -> Limits {
    Limits {
        default_timeout: Duration::from_secs(20),
        memory: 64 << 20,
        output: 1 << 20,
        stdio: 1 << 20,
        host_calls: 1_000,
        stop_grace: Duration::from_millis(200),
        max_stop_grace: Duration::from_secs(2),
        concurrency: 64,
        ..Limits::default()
    }
}

/// A runtime with [`limits`].
pub(crate) fn runtime() -> Runtime {
    Runtime::builder()
        .limits(limits())
        .build()
        .expect("the runtime builds")
}

/// Registers the guest built at `path`.
pub(crate) async fn load(runtime: &Runtime, path: &str) -> CompiledAlgorithm {
    let wasm = std::fs::read(path).unwrap_or_else(|err| panic!("cannot read {path}: {err}"));
    runtime
        .register(wasm)
        .await
        .unwrap_or_else(|err| panic!("cannot register {path}: {err}"))
}

/// Checks that `runtime` still runs `hello` correctly: after a guest
/// misbehaves, the next invocation must be unharmed.
pub(crate) async fn assert_still_healthy(runtime: &Runtime) {
    let hello = load(runtime, test_artifacts::HELLO).await;
    let output = runtime
        .invoke(&hello, Payload::text("again"))
        .await
        .expect("hello still runs");
    assert_eq!(output.payload, Payload::text("Hello again"));
}
