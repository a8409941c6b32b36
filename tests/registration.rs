//! Registering bytes: what is accepted, what is refused and why, and the
//! compiled-code cache.

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::error::RegisterError;

use crate::support::{limits, runtime};

#[tokio::test]
async fn bytes_that_are_not_a_component_are_refused_with_the_reason() {
    let runtime = runtime();
    let err = runtime.register(b"hello".to_vec()).await.unwrap_err();
    assert!(matches!(err, RegisterError::NotWasm), "{err:?}");
    assert!(err.to_string().contains("wasm32-wasip2"), "{err}");

    // The smallest valid core module: not a WASI command, having no `_start`.
    let err = runtime
        .register(b"\0asm\x01\0\0\0".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, RegisterError::CoreModule(_)), "{err:?}");
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");
    assert!(err.to_string().contains("no `_start`"), "{err}");
    assert!(err.to_string().contains("wasm32-wasip1"), "{err}");

    // A component header with nothing valid after it.
    let err = runtime
        .register(b"\0asm\x0d\0\x01\0\xff".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, RegisterError::Compile(_)), "{err:?}");
}

#[tokio::test]
async fn a_component_with_neither_export_is_refused_with_what_it_exports() {
    // A component that exports nothing: neither an algorithm nor a program.
    let err = runtime()
        .register(b"\0asm\x0d\0\x01\0".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegisterError::MissingExport { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("wasi:cli/run"), "{message}");
    assert!(message.contains("it exports: nothing"), "{message}");
}

#[tokio::test]
async fn the_same_bytes_register_once() {
    let runtime = runtime();
    let wasm = std::fs::read(test_artifacts::HELLO).unwrap();
    let first = runtime.register(wasm.clone()).await.unwrap();
    let second = runtime.register(wasm).await.unwrap();
    assert_eq!(first.hash(), second.hash());
    assert_eq!(runtime.lookup(first.hash()).unwrap().hash(), first.hash());
}

#[tokio::test]
async fn compiled_code_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(test_artifacts::HELLO).unwrap();
    let build = || {
        Runtime::builder()
            .limits(limits())
            .cache_dir(dir.path())
            .build()
            .unwrap()
    };

    let first = build();
    let hello = first.register(wasm.clone()).await.unwrap();
    let cached = cached_files(dir.path());
    assert_eq!(cached.len(), 1, "one compiled file: {cached:?}");
    assert!(cached[0].ends_with(format!("{}.cwasm", hello.hash())));
    let written = std::fs::metadata(&cached[0]).unwrap().modified().unwrap();
    drop((first, hello));

    // A new runtime loads the file rather than compiling and rewriting it.
    let second = build();
    let hello = second.register(wasm).await.unwrap();
    assert_eq!(cached_files(dir.path()), cached);
    assert_eq!(
        std::fs::metadata(&cached[0]).unwrap().modified().unwrap(),
        written
    );
    let output = second.invoke(&hello, Payload::text("cache")).await.unwrap();
    assert_eq!(output.payload, Payload::text("Hello cache"));

    // A damaged file is discarded and replaced, not trusted.
    std::fs::write(&cached[0], b"garbage").unwrap();
    let third = build();
    let hello = third
        .register(std::fs::read(test_artifacts::HELLO).unwrap())
        .await
        .unwrap();
    let output = third.invoke(&hello, Payload::text("again")).await.unwrap();
    assert_eq!(output.payload, Payload::text("Hello again"));
    assert_ne!(std::fs::read(&cached[0]).unwrap(), b"garbage");
}

fn cached_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for engine in std::fs::read_dir(dir).unwrap() {
        for file in std::fs::read_dir(engine.unwrap().path()).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    files
}

#[tokio::test]
async fn an_algorithm_from_another_runtime_is_refused() {
    let (one, two) = (runtime(), runtime());
    let hello = one
        .register(std::fs::read(test_artifacts::HELLO).unwrap())
        .await
        .unwrap();
    let result = two.invoke(&hello, Payload::text("x")).await;
    assert!(
        matches!(&result, Err(algobox_runtime::error::InvokeError::InvalidInput(why)) if why.contains("another Runtime")),
        "{result:?}"
    );
}
