//! Compile bombs: uploads whose compile would take the server's memory or
//! time are refused at upload or fail their build, and everyone else's
//! compiles and calls go on. The bombs are generated here.

use std::time::Duration;

use algobox_runtime::compiler::CompileWorker;
use serde_json::{Value, json};
use wasm_encoder::{
    CodeSection, Component, Function, FunctionSection, InstanceSection, Instruction, Module,
    ModuleArg, ModuleSection, TypeSection, ValType,
};

use crate::server::{Reply, TestServer};

/// The compile worker the test servers start: `tests/compile_worker.rs`.
pub(crate) fn worker() -> CompileWorker {
    CompileWorker::new(env!("CARGO_BIN_EXE_compile-worker"))
}

/// A component with `depth` components nested inside each other, written
/// outside in, so that 25,000 levels take linear time.
fn nested_components(depth: usize) -> Vec<u8> {
    const HEADER: &[u8] = b"\0asm\x0d\0\x01\0";
    let mut sizes = vec![HEADER.len()];
    for level in 1..depth {
        let inner = sizes[level - 1];
        sizes.push(HEADER.len() + 1 + leb128(inner).len() + inner);
    }
    let mut wasm = Vec::with_capacity(sizes[depth - 1]);
    for level in (1..depth).rev() {
        wasm.extend_from_slice(HEADER);
        // A nested component section (id 4) holding the next level.
        wasm.push(4);
        wasm.extend_from_slice(&leb128(sizes[level - 1]));
    }
    wasm.extend_from_slice(HEADER);
    wasm
}

fn leb128(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A valid component of `count` functions that each add their parameter
/// `additions` times: within the structure limits (3 bytes per addition),
/// and costly for Cranelift in memory and time.
fn big_functions(count: u32, additions: u32) -> Vec<u8> {
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    module.section(&types);
    let mut functions = FunctionSection::new();
    for _ in 0..count {
        functions.function(0);
    }
    module.section(&functions);
    let mut body = Function::new([]);
    body.instruction(&Instruction::LocalGet(0));
    for _ in 0..additions {
        body.instruction(&Instruction::LocalGet(0));
        body.instruction(&Instruction::I32Add);
    }
    body.instruction(&Instruction::End);
    let mut code = CodeSection::new();
    for _ in 0..count {
        code.function(&body);
    }
    module.section(&code);

    let mut component = Component::new();
    component.section(&ModuleSection(&module));
    let mut instances = InstanceSection::new();
    instances.instantiate(0, Vec::<(&str, ModuleArg)>::new());
    component.section(&instances);
    component.finish()
}

/// Creates `<owner>/<name>` as `key` and uploads `wasm`: the upload's reply.
async fn upload(server: &TestServer, key: &str, owner: &str, name: &str, wasm: Vec<u8>) -> Reply {
    let created = server
        .send(
            "POST",
            &format!("/v1/algorithms/{owner}"),
            Some(key),
            Some("application/json"),
            json!({"name": name, "details": {"label": name}, "settings": crate::server::settings(Value::Null)}).to_string(),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    server
        .send(
            "PUT",
            &format!("/v1/algorithms/{owner}/{name}/source"),
            Some(key),
            Some("application/wasm"),
            wasm,
        )
        .await
}

/// Compiles `<owner>/<name>` as `key`: the build's `compilation`.
async fn compile(server: &TestServer, key: &str, owner: &str, name: &str) -> Value {
    let reply = server
        .send(
            "POST",
            &format!("/v1/algorithms/{owner}/{name}/compile"),
            Some(key),
            Some("application/json"),
            "{}",
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["compilation"].clone()
}

/// Bob deploys and calls `hello` while the attacker's bomb is in flight:
/// the victim's half of each test.
async fn bob_deploys_and_calls_hello(server: &TestServer, bob: &str) {
    let wasm = std::fs::read(test_artifacts::HELLO).unwrap();
    let uploaded = upload(server, bob, "bob", "hello", wasm).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.text());
    let compilation = compile(server, bob, "bob", "hello").await;
    assert_eq!(compilation["successful"], true, "{compilation}");
    let hash = compilation["output"]
        .as_str()
        .and_then(|output| output.split_whitespace().nth(2))
        .expect("the build names its module")
        .to_owned();
    let called = server
        .call_json(bob, &format!("/v1/algo/bob/hello/{hash}"), json!("Bob"))
        .await;
    assert_eq!(called["result"], "Hello Bob", "{called}");
}

#[tokio::test]
async fn a_nesting_bomb_is_refused_at_upload_while_others_deploy() {
    let server = TestServer::start().await;
    let mallory = server.user("mallory").await;
    let bob = server.user("bob").await;

    let bomb = nested_components(25_000);
    assert!(bomb.len() < 400_000, "{} bytes", bomb.len());
    let (refused, ()) = tokio::join!(
        upload(&server, &mallory, "mallory", "bomb", bomb),
        bob_deploys_and_calls_hello(&server, &bob),
    );
    assert_eq!(refused.status, 400, "{}", refused.text());
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("9 levels of nested components and modules, more than the 8"),
        "{message}"
    );
    // Nothing was stored: there is no module to compile.
    let reply = server
        .send(
            "POST",
            "/v1/algorithms/mallory/bomb/compile",
            Some(&mallory),
            Some("application/json"),
            "{}",
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("has no module to compile"),
        "{}",
        reply.text()
    );
}

/// Additions in the memory bomb: under the body-size limit, over the cap.
const BOMB_ADDITIONS: u32 = 320_000;

/// Mallory uploads the big function as `mallory/bomb` and compiles it while
/// bob deploys and calls `hello`: mallory's key and the bomb's
/// `compilation`.
async fn bomb_beside_bob(server: &TestServer, functions: u32) -> (String, Value) {
    let mallory = server.user("mallory").await;
    let bob = server.user("bob").await;
    let bomb = big_functions(functions, BOMB_ADDITIONS);
    let uploaded = upload(server, &mallory, "mallory", "bomb", bomb).await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.text());
    let (compilation, ()) = tokio::join!(
        compile(server, &mallory, "mallory", "bomb"),
        bob_deploys_and_calls_hello(server, &bob),
    );
    (mallory, compilation)
}

#[tokio::test]
async fn a_compile_over_the_memory_cap_fails_its_build_once_and_for_all() {
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.compiler.memory = 160 << 20;
    })
    .await;
    let (mallory, compilation) = bomb_beside_bob(&server, 1).await;
    assert_eq!(compilation["successful"], false, "{compilation}");
    let output = compilation["output"].as_str().unwrap();
    assert!(output.contains("memory cap of 160 MiB"), "{output}");

    // The same bytes fail again without being compiled, saying so.
    let again = compile(&server, &mallory, "mallory", "bomb").await;
    let output = again["output"].as_str().unwrap();
    assert!(
        output.contains("memory cap of 160 MiB") && output.contains("was not compiled again"),
        "{output}"
    );
}

#[tokio::test]
async fn a_compile_over_the_time_cap_fails_and_may_be_tried_again() {
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.compiler.timeout = Duration::from_millis(1500);
        // Several compiles at once, so bob's does not wait behind the bomb.
        config.compiler.concurrency = 2;
    })
    .await;
    // Eight of the largest functions: seconds of compiling on any machine.
    let (mallory, compilation) = bomb_beside_bob(&server, 8).await;
    assert_eq!(compilation["successful"], false, "{compilation}");
    let output = compilation["output"].as_str().unwrap();
    assert!(output.contains("time cap of 1.5s"), "{output}");
    // A time cap may be hit because the server was busy, so it is not
    // remembered: the next compile runs (and here hits the cap again).
    let again = compile(&server, &mallory, "mallory", "bomb").await;
    let output = again["output"].as_str().unwrap();
    assert!(
        output.contains("time cap of 1.5s") && !output.contains("was not compiled again"),
        "{output}"
    );
}
