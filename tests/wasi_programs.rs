//! Plain WASI programs (`fn main`, C's `main`): a `wasi:cli/command`
//! component, a `wasm32-wasip1` Rust module and a C module, each run with
//! its input on stdin and its result on stdout, through the embedding API
//! and over HTTP.

use std::time::{Duration, Instant};

use algobox_host_api::{AlgoError, Payload};
use algobox_runtime::compiled_algorithm::AlgorithmKind;
use algobox_runtime::content_hash::ContentHash;
use algobox_runtime::error::InvokeError;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::stop::StopHandle;
use serde_json::{Value, json};

use crate::server::{ADMIN_KEY, TestServer};
use crate::support::{assert_still_healthy, limits, load, runtime};

#[tokio::test]
pub(crate) async fn command() {
    let runtime = runtime();
    let command = load(&runtime, test_artifacts::COMMAND).await;
    assert_eq!(command.kind(), AlgorithmKind::Command);
    let echo = |input| {
        let (runtime, command) = (runtime.clone(), command.clone());
        async move { runtime.invoke(&command, input).await.unwrap().payload }
    };
    // Stdout comes back typed: JSON only when the call sent JSON and it
    // parses, text when it is UTF-8, bytes otherwise.
    assert_eq!(
        echo(Payload::text("héllo\n")).await,
        Payload::text("héllo\n")
    );
    assert_eq!(
        echo(Payload::json(&json!({"a": [1, 2]})).unwrap()).await,
        Payload::Json(r#"{"a":[1,2]}"#.to_owned())
    );
    assert_eq!(echo(Payload::text("[1]")).await, Payload::text("[1]"));
    assert_eq!(
        echo(Payload::binary(vec![0, 159, 255])).await,
        Payload::binary(vec![0, 159, 255])
    );
    assert_eq!(echo(Payload::Void).await, Payload::text(""));

    // A non-zero exit is the algorithm's error, with its stderr. The guest
    // calls `exit(3)`, but WASI 0.2's `exit` carries only success or
    // failure, so every failure arrives as 1.
    let failed = runtime.invoke(&command, Payload::text("fail")).await;
    let Err(InvokeError::Algorithm(AlgoError { code, message, .. })) = failed else {
        panic!("expected an AlgorithmError, got {failed:?}");
    };
    assert_eq!(code, "AlgorithmError");
    assert_eq!(
        message,
        "the program exited with code 1: command: checking the input\ncommand: refusing to continue"
    );

    // One stdin: several inputs are refused, not guessed at.
    let several = Invocation::positional(vec![Payload::text("a"), Payload::text("b")]);
    let refused = runtime.invoke(&command, several).await.unwrap_err();
    assert_eq!(refused.error_type(), "InputError", "{refused}");
    assert!(
        refused.to_string().contains("one input on stdin"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_program_is_ended_at_its_timeout_and_its_stdout_is_capped_at_the_result_limit() {
    let runtime = runtime();
    let command = load(&runtime, test_artifacts::COMMAND).await;
    let started = Instant::now();
    let timeout = Duration::from_millis(300);
    let looped = runtime
        .invoke(
            &command,
            Invocation::new(Payload::text("loop")).timeout(timeout),
        )
        .await;
    assert_eq!(looped, Err(InvokeError::Timeout { limit: timeout }));
    // Ended at the timeout: a program cannot see a stop, so it gets no
    // grace (the limits' grace is 1 s).
    assert!(
        started.elapsed() < timeout + Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );

    // Stdout is the result: past `Limits::output` (1 MiB here) it is too
    // large, not truncated.
    let flooded = runtime
        .invoke(&command, Payload::text("flood"))
        .await
        .unwrap_err();
    let InvokeError::OutputTooLarge { size, limit } = flooded else {
        panic!("expected OutputTooLarge, got {flooded:?}");
    };
    assert_eq!(limit, limits().output);
    assert!(size > limit, "{size} <= {limit}");
    assert_eq!(flooded.error_type(), "TooLargeError");
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
async fn a_stopped_program_is_ended_when_its_grace_runs_out() {
    let runtime = runtime();
    let command = load(&runtime, test_artifacts::COMMAND).await;
    let stop = StopHandle::new();
    let invocation = Invocation::new(Payload::text("loop")).stop_handle(stop.clone());
    let started = Instant::now();
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.request();
    };
    let (stopped, ()) = tokio::join!(runtime.invoke(&command, invocation), stopper);
    // It cannot see the request, so the grace (200 ms here) runs out.
    assert_eq!(stopped, Err(InvokeError::Stopped { forced: true }));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn wc_p1() {
    let runtime = runtime();
    let core = std::fs::read(test_artifacts::WC_P1).unwrap();
    assert_eq!(&core[4..8], [1, 0, 0, 0], "a core module, not a component");
    // Made a component once, before hashing: the hash is the component's.
    let component = runtime.admit(core.clone()).await.unwrap();
    assert_eq!(&component[4..8], [0x0d, 0, 1, 0]);
    let wc = runtime.register(core).await.unwrap();
    assert_eq!(wc.hash(), &ContentHash::of(&component));
    assert_eq!(wc.kind(), AlgorithmKind::Command);

    let output = runtime
        .invoke(&wc, Payload::text("one two three\nfour five\n"))
        .await
        .unwrap();
    // A text call gets text back, even when it looks like JSON.
    assert_eq!(
        output.payload,
        Payload::text("{\"lines\":2,\"words\":5,\"bytes\":24}\n")
    );
    let output = runtime
        .invoke(&wc, Payload::json(&"one two three\nfour five\n").unwrap())
        .await
        .unwrap();
    let Payload::Json(counts) = output.payload else {
        panic!("a JSON call gets JSON back, got {:?}", output.payload);
    };
    assert_eq!(
        serde_json::from_str::<Value>(&counts).unwrap(),
        // The JSON text's `\n` are escapes, not newlines: `three\nfour` is one word.
        json!({"lines": 0, "words": 4, "bytes": 28})
    );
    let failed = runtime.invoke(&wc, Payload::Void).await;
    let Err(InvokeError::Algorithm(err)) = failed else {
        panic!("expected an AlgorithmError, got {failed:?}");
    };
    // Through the preview1 adapter too, `exit(2)` arrives as a failure, 1.
    assert_eq!(
        err.message,
        "the program exited with code 1: wc-p1: reading stdin\nwc-p1: the input is empty; send some text"
    );
}

#[tokio::test]
pub(crate) async fn byte_stats() {
    let runtime = runtime();
    let stats = load(&runtime, test_artifacts::BYTE_STATS).await;
    assert_eq!(stats.kind(), AlgorithmKind::Command);
    let output = runtime
        .invoke(&stats, Payload::binary(b"aab".to_vec()))
        .await
        .unwrap();
    let Payload::Text(text) = output.payload else {
        panic!("a binary call gets text back, got {:?}", output.payload);
    };
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value, expected_stats(b"aab"));

    let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let output = runtime
        .invoke(&stats, Payload::binary(bytes.clone()))
        .await
        .unwrap();
    let Payload::Text(text) = output.payload else {
        panic!("got {:?}", output.payload);
    };
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        expected_stats(&bytes)
    );

    let output = runtime
        .invoke(&stats, Payload::Json(r#"[1,1]"#.to_owned()))
        .await
        .unwrap();
    let Payload::Json(json) = output.payload else {
        panic!("a JSON call gets JSON back, got {:?}", output.payload);
    };
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        expected_stats(b"[1,1]")
    );
}

/// What `byte-stats` computes, computed here: counts, the most common
/// byte, the longest run (the first of equal ones), entropy and Adler-32.
fn expected_stats(bytes: &[u8]) -> Value {
    let mut histogram = [0u64; 256];
    let (mut a, mut b) = (1u32, 0u32);
    let (mut run, mut longest, mut previous) = (0u64, (0u8, 0u64), None);
    for &byte in bytes {
        histogram[usize::from(byte)] += 1;
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
        run = if previous == Some(byte) { run + 1 } else { 1 };
        previous = Some(byte);
        if run > longest.1 {
            longest = (byte, run);
        }
    }
    let total = bytes.len() as f64;
    let mut most_common = 0;
    let mut entropy = 0.0;
    for (byte, &count) in histogram.iter().enumerate() {
        if count > histogram[most_common] {
            most_common = byte;
        }
        if count > 0 {
            let p = count as f64 / total;
            entropy -= p * p.log2();
        }
    }
    let entropy: f64 = format!("{entropy:.6}").parse().unwrap();
    json!({
        "bytes": bytes.len(),
        "distinct": histogram.iter().filter(|&&count| count > 0).count(),
        "most_common": {"byte": most_common, "count": histogram[most_common]},
        "longest_run": {"byte": longest.0, "length": longest.1},
        "entropy_bits": entropy,
        "adler32": (b << 16) | a,
    })
}

/// Calls `admin/<name>` as `key` with `body` of `content_type`; the
/// envelope.
async fn call(
    server: &TestServer,
    key: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Value {
    server
        .send("POST", path, Some(key), Some(content_type), body.to_vec())
        .await
        .json()
}

#[tokio::test]
async fn programs_deploy_and_answer_over_http() {
    let server = TestServer::start().await;
    server
        .deploy("command", test_artifacts::COMMAND, "public")
        .await;
    server.deploy("wc", test_artifacts::WC_P1, "public").await;
    server
        .deploy("stats", test_artifacts::BYTE_STATS, "public")
        .await;

    // The wasip1 upload was stored as the component it became.
    let stored = server
        .platform
        .registry()
        .algorithm(&"admin".parse().unwrap(), &"wc".parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .source
        .unwrap();
    let core = std::fs::read(test_artifacts::WC_P1).unwrap();
    assert_ne!(stored, ContentHash::of(&core));

    let command = "/v1/algo/admin/command/0.1.0";
    let text = call(&server, ADMIN_KEY, command, "text/plain", b"hi there").await;
    assert_eq!(
        (&text["result"], &text["metadata"]["content_type"]),
        (&json!("hi there"), &json!("text"))
    );
    let value = call(
        &server,
        ADMIN_KEY,
        command,
        "application/json",
        br#"{"a":1}"#,
    )
    .await;
    assert_eq!(
        (&value["result"], &value["metadata"]["content_type"]),
        (&json!({"a": 1}), &json!("json"))
    );
    let binary = call(
        &server,
        ADMIN_KEY,
        command,
        "application/octet-stream",
        &[0, 255, 7],
    )
    .await;
    assert_eq!(binary["metadata"]["content_type"], "binary");
    assert_eq!(binary["result"], "AP8H", "base64 of the same bytes");
    let failed = call(&server, ADMIN_KEY, command, "text/plain", b"fail").await;
    assert_eq!(failed["error"]["error_type"], "AlgorithmError", "{failed}");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("exited with code 1") && message.contains("refusing to continue"),
        "{message}"
    );
    let flooded = call(&server, ADMIN_KEY, command, "text/plain", b"flood").await;
    assert_eq!(flooded["error"]["error_type"], "TooLargeError", "{flooded}");

    let wc = "/v1/algo/admin/wc/0.1.0";
    let counted = call(&server, ADMIN_KEY, wc, "text/plain", b"a b\nc").await;
    assert_eq!(counted["result"], "{\"lines\":1,\"words\":3,\"bytes\":5}\n");
    let counted = call(&server, ADMIN_KEY, wc, "application/json", b"\"a b\"").await;
    assert_eq!(
        counted["result"],
        json!({"lines": 0, "words": 2, "bytes": 5})
    );
    let empty = call(&server, ADMIN_KEY, wc, "application/octet-stream", b"").await;
    assert_eq!(empty["error"]["error_type"], "AlgorithmError", "{empty}");

    let stats = "/v1/algo/admin/stats/0.1.0";
    let computed = call(&server, ADMIN_KEY, stats, "application/json", b"[1,1]").await;
    assert_eq!(computed["metadata"]["content_type"], "json");
    assert_eq!(computed["result"], expected_stats(b"[1,1]"));
    let computed = call(
        &server,
        ADMIN_KEY,
        stats,
        "application/octet-stream",
        b"aab",
    )
    .await;
    assert_eq!(computed["metadata"]["content_type"], "text");
}

#[tokio::test]
async fn a_looping_program_times_out_while_another_account_is_served() {
    let server = TestServer::start().await;
    server
        .deploy("command", test_artifacts::COMMAND, "public")
        .await;
    server
        .deploy("stats", test_artifacts::BYTE_STATS, "public")
        .await;
    let bob = server.user("bob").await;

    let looping = async {
        let started = Instant::now();
        let path = "/v1/algo/admin/command/0.1.0?timeout=0.5";
        let reply = call(&server, ADMIN_KEY, path, "text/plain", b"loop").await;
        (reply, started.elapsed())
    };
    let other = async {
        // While the loop spins.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let path = "/v1/algo/admin/stats/0.1.0";
        let reply = call(&server, &bob, path, "application/octet-stream", b"aab").await;
        (reply, started.elapsed())
    };
    let ((looped, loop_took), (served, serve_took)) = tokio::join!(looping, other);
    assert_eq!(looped["error"]["error_type"], "TimeoutError", "{looped}");
    // Ended at its timeout, without the 1 s grace a lifecycle guest gets.
    assert!(
        loop_took >= Duration::from_millis(500) && loop_took < Duration::from_millis(1400),
        "{loop_took:?}"
    );
    let value: Value = serde_json::from_str(served["result"].as_str().unwrap()).unwrap();
    assert_eq!(value, expected_stats(b"aab"));
    assert!(serve_took < Duration::from_millis(400), "{serve_took:?}");
}
