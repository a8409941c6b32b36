//! Compiled code shared between runtimes, as the nodes of a cluster share
//! it: what one compiles, the others load without compiling, and code that
//! fails authentication is never loaded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::compiler::{CompileWorker, CompilerConfig};
use algobox_runtime::content_hash::ContentHash;
use algobox_runtime::error::RegisterError;
use algobox_runtime::shared_code::{CodeShelf, SharedCode, ShelfFuture};

use crate::support::limits;

const SECRET: &[u8] = b"the cluster's secret, 32 bytes..";

/// A shelf in memory, standing in for the cluster's object store.
#[derive(Default)]
struct MemoryShelf {
    objects: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryShelf {
    fn objects(&self) -> HashMap<String, Vec<u8>> {
        self.objects.lock().unwrap().clone()
    }

    /// The one object whose name ends with the module `hash`.
    fn name_of(&self, hash: &ContentHash) -> String {
        let names: Vec<String> = self
            .objects()
            .into_keys()
            .filter(|name| name.ends_with(&format!("/{hash}")))
            .collect();
        assert_eq!(names.len(), 1, "one object for {hash}: {names:?}");
        names.into_iter().next().unwrap()
    }

    fn replace(&self, name: &str, bytes: Vec<u8>) {
        self.objects.lock().unwrap().insert(name.to_owned(), bytes);
    }
}

impl CodeShelf for MemoryShelf {
    fn get(&self, name: String) -> ShelfFuture<Option<Vec<u8>>> {
        let found = self.objects.lock().unwrap().get(&name).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn put(&self, name: String, bytes: Vec<u8>) -> ShelfFuture<()> {
        self.objects.lock().unwrap().insert(name, bytes);
        Box::pin(async { Ok(()) })
    }
}

/// A node sharing code through `shelf` with `secret`. One that cannot
/// compile has a compile worker that does not exist, so whatever it
/// registers must come from the shelf.
fn node(shelf: &Arc<MemoryShelf>, secret: &[u8], can_compile: bool) -> Runtime {
    let shared = SharedCode::new(Arc::clone(shelf) as Arc<dyn CodeShelf>, secret).unwrap();
    let mut builder = Runtime::builder().limits(limits()).shared_code(shared);
    if !can_compile {
        builder = builder.compiler(CompilerConfig {
            worker: Some(CompileWorker::new("/nonexistent/algobox-compile-worker")),
            ..CompilerConfig::default()
        });
    }
    builder.build().unwrap()
}

fn wasm(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Asserts that registering failed because the node had to compile and
/// could not: the shelf's code was not loaded.
fn assert_had_to_compile(result: Result<impl Sized, RegisterError>) {
    match result {
        Err(RegisterError::Compiler(message)) => {
            assert!(
                message.contains("cannot start the compile worker"),
                "{message}"
            )
        }
        Err(other) => panic!("expected the compile to be tried, got {other}"),
        Ok(_) => panic!("expected the compile to be tried, but code was loaded"),
    }
}

async fn assert_says_hello(runtime: &Runtime) {
    let hello = runtime.register(wasm(test_artifacts::HELLO)).await.unwrap();
    let output = runtime.invoke(&hello, Payload::text("Neo")).await.unwrap();
    assert_eq!(output.payload, Payload::text("Hello Neo"));
}

#[tokio::test]
async fn code_one_node_compiled_is_loaded_by_another_without_compiling() {
    let shelf = Arc::new(MemoryShelf::default());
    let compiler = node(&shelf, SECRET, true);
    let hello = compiler
        .register(wasm(test_artifacts::HELLO))
        .await
        .unwrap();
    let name = shelf.name_of(hello.hash());
    assert!(name.starts_with("engine-"), "{name}");
    assert_eq!(shelf.objects().len(), 1);

    let other = node(&shelf, SECRET, false);
    assert_says_hello(&other).await;
    // The other node really cannot compile: bytes no node shared fail.
    assert_had_to_compile(other.register(wasm(test_artifacts::ECHO)).await);
    // Loading shares nothing new.
    assert_eq!(shelf.objects().len(), 1);
}

#[tokio::test]
async fn tampered_code_is_never_loaded_and_a_compiling_node_replaces_it() {
    let shelf = Arc::new(MemoryShelf::default());
    let hello = node(&shelf, SECRET, true)
        .register(wasm(test_artifacts::HELLO))
        .await
        .unwrap();
    let name = shelf.name_of(hello.hash());
    let mut tampered = shelf.objects()[&name].clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x40;
    shelf.replace(&name, tampered.clone());

    // The attacker's half: the altered code is refused, not run.
    assert_had_to_compile(
        node(&shelf, SECRET, false)
            .register(wasm(test_artifacts::HELLO))
            .await,
    );
    // Everyone else's: a node that compiles serves the call and shares
    // good code again, which a node that cannot compile then loads.
    assert_says_hello(&node(&shelf, SECRET, true)).await;
    assert_ne!(shelf.objects()[&name], tampered);
    assert_says_hello(&node(&shelf, SECRET, false)).await;
}

#[tokio::test]
async fn code_signed_with_another_secret_or_for_another_module_is_refused() {
    let shelf = Arc::new(MemoryShelf::default());
    let compiler = node(&shelf, SECRET, true);
    let hello = compiler
        .register(wasm(test_artifacts::HELLO))
        .await
        .unwrap();
    let echo = compiler.register(wasm(test_artifacts::ECHO)).await.unwrap();

    // A node with another secret cannot tell this code from an attacker's.
    assert_had_to_compile(
        node(&shelf, b"another secret of 32 bytes......", false)
            .register(wasm(test_artifacts::HELLO))
            .await,
    );

    // Authentic code for `echo`, stored under `hello`'s name: were it
    // loaded, a call to `hello` would run `echo`.
    let hello_name = shelf.name_of(hello.hash());
    let echo_code = shelf.objects()[&shelf.name_of(echo.hash())].clone();
    shelf.replace(&hello_name, echo_code);
    assert_had_to_compile(
        node(&shelf, SECRET, false)
            .register(wasm(test_artifacts::HELLO))
            .await,
    );
    // The node that compiled both still runs each as itself.
    let output = compiler.invoke(&hello, Payload::text("Neo")).await.unwrap();
    assert_eq!(output.payload, Payload::text("Hello Neo"));
}
