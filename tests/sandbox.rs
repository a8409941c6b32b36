//! Misbehaving guests: each ends in its typed error within its limit, and
//! the runtime stays healthy for the next invocation.

use std::time::{Duration, Instant};

use algobox_host_api::{AlgoError, Payload};
use algobox_runtime::error::{InvokeError, StdStream, TrapKind};
use algobox_runtime::invocation::Invocation;
use algobox_runtime::stop::StopHandle;
use serde_json::json;

use crate::support::{assert_still_healthy, limits, load, runtime};

fn number(n: u64) -> Payload {
    Payload::json(&n).unwrap()
}

#[tokio::test]
pub(crate) async fn looper() {
    let runtime = runtime();
    let looper = load(&runtime, test_artifacts::LOOPER).await;
    let started = Instant::now();
    let timeout = Duration::from_millis(300);
    let result = runtime
        .invoke(&looper, Invocation::new(Payload::Void).timeout(timeout))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(result, Err(InvokeError::Timeout { limit: timeout }));
    assert!(elapsed >= timeout, "stopped early, after {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(2),
        "stopped late, after {elapsed:?}"
    );
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn memory_hog() {
    let runtime = runtime();
    let hog = load(&runtime, test_artifacts::MEMORY_HOG).await;
    let result = runtime.invoke(&hog, Payload::Void).await;
    assert_eq!(
        result,
        Err(InvokeError::MemoryLimit {
            limit: limits().memory
        })
    );
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn deep_recursion() {
    let runtime = runtime();
    let recursion = load(&runtime, test_artifacts::DEEP_RECURSION).await;
    match runtime.invoke(&recursion, Payload::Void).await {
        Err(InvokeError::Trap { kind, .. }) => assert_eq!(kind, TrapKind::StackOverflow),
        other => panic!("expected a stack overflow, got {other:?}"),
    }
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn panicker() {
    let runtime = runtime();
    let panicker = load(&runtime, test_artifacts::PANICKER).await;
    match runtime.invoke(&panicker, Payload::text("oops")).await {
        Err(InvokeError::Trap { kind, message }) => {
            assert_eq!(kind, TrapKind::Panic);
            assert!(
                message.contains("deliberate panic: oops"),
                "message: {message}"
            );
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn chatterbox() {
    let runtime = runtime();
    let chatterbox = load(&runtime, test_artifacts::CHATTERBOX).await;
    let result = runtime.invoke(&chatterbox, number(4)).await;
    assert_eq!(
        result,
        Err(InvokeError::StdioLimit {
            stream: StdStream::Stdout,
            limit: limits().stdio,
        })
    );
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
async fn stdout_within_the_limit_is_captured_whole() {
    let runtime = runtime();
    let chatterbox = load(&runtime, test_artifacts::CHATTERBOX).await;
    // Exactly the limit: 1,024 lines of 1,023 characters and a newline.
    let output = runtime.invoke(&chatterbox, number(1)).await.unwrap();
    assert_eq!(output.payload, Payload::text("printed 1 MiB"));
    assert_eq!(output.stdout.len(), limits().stdio);
    assert_eq!(output.stdout.lines().count(), 1024);
}

#[tokio::test]
pub(crate) async fn oversized() {
    let runtime = runtime();
    let oversized = load(&runtime, test_artifacts::OVERSIZED).await;
    let limit = limits().output;
    let fits = runtime
        .invoke(&oversized, number(limit as u64))
        .await
        .unwrap();
    assert_eq!(fits.payload, Payload::binary(vec![0xAB; limit]));
    let result = runtime.invoke(&oversized, number(limit as u64 + 1)).await;
    assert_eq!(
        result,
        Err(InvokeError::OutputTooLarge {
            size: limit + 1,
            limit
        })
    );
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn stubborn() {
    let runtime = runtime();
    let stubborn = load(&runtime, test_artifacts::STUBBORN).await;
    let stop = StopHandle::new();
    let invocation = Invocation::new(Payload::Void).stop_handle(stop.clone());
    let started = Instant::now();
    let call = runtime.invoke(&stubborn, invocation);
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.request();
    };
    let (result, ()) = tokio::join!(call, stopper);
    let elapsed = started.elapsed();
    assert_eq!(result, Err(InvokeError::Stopped { forced: true }));
    // Requested at 100 ms, forced after the 200 ms grace.
    assert!(
        elapsed >= Duration::from_millis(300),
        "forced early, after {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "forced late, after {elapsed:?}"
    );
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn sleeper() {
    let runtime = runtime();
    let sleeper = load(&runtime, test_artifacts::SLEEPER).await;
    let output = runtime.invoke(&sleeper, number(20)).await.unwrap();
    assert_eq!(output.payload, Payload::text("slept 20 ms"));
    assert!(output.duration >= Duration::from_millis(20));
}

#[tokio::test]
async fn a_guest_parked_in_a_host_wait_still_times_out() {
    let runtime = runtime();
    let sleeper = load(&runtime, test_artifacts::SLEEPER).await;
    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    let result = runtime
        .invoke(&sleeper, Invocation::new(number(10_000)).timeout(timeout))
        .await;
    assert_eq!(result, Err(InvokeError::Timeout { limit: timeout }));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_guest_parked_in_a_host_wait_is_stopped_by_force() {
    let runtime = runtime();
    let sleeper = load(&runtime, test_artifacts::SLEEPER).await;
    let stop = StopHandle::new();
    let call = runtime.invoke(
        &sleeper,
        Invocation::new(number(10_000)).stop_handle(stop.clone()),
    );
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.request();
    };
    let started = Instant::now();
    let (result, ()) = tokio::join!(call, stopper);
    assert_eq!(result, Err(InvokeError::Stopped { forced: true }));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
pub(crate) async fn spammer() {
    let runtime = runtime();
    let spammer = load(&runtime, test_artifacts::SPAMMER).await;
    let output = runtime.invoke(&spammer, number(10)).await.unwrap();
    assert_eq!(output.payload, Payload::text("logged 10"));
    match runtime.invoke(&spammer, number(5_000)).await {
        Err(InvokeError::HostCallLimit(why)) => assert!(why.contains("1000 calls"), "{why}"),
        other => panic!("expected the host-call limit, got {other:?}"),
    }
    assert_still_healthy(&runtime).await;
}

#[tokio::test]
pub(crate) async fn echo() {
    let runtime = runtime();
    let echo = load(&runtime, test_artifacts::ECHO).await;
    for payload in [
        Payload::text("text stays text"),
        Payload::json(&json!({"a": [1, null, "x"]})).unwrap(),
        Payload::binary(vec![0, 159, 146, 150, 255]),
    ] {
        let output = runtime.invoke(&echo, payload.clone()).await.unwrap();
        assert_eq!(output.payload, payload);
    }
    let positional = Invocation::positional(vec![
        Payload::text("a"),
        Payload::json(&1).unwrap(),
        Payload::binary(vec![1]),
    ]);
    let output = runtime.invoke(&echo, positional).await.unwrap();
    assert_eq!(
        output.payload,
        Payload::json(&json!(["text", "json", "binary"])).unwrap()
    );
}

#[tokio::test]
pub(crate) async fn failer() {
    let runtime = runtime();
    let failer = load(&runtime, test_artifacts::FAILER).await;
    let err = runtime
        .invoke(&failer, Payload::text("x"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        InvokeError::Algorithm(AlgoError {
            code: "InputError".into(),
            message: "bad input: x".into(),
            details: Some("line 1\nline 2".into()),
        })
    );
    let body = algobox_server::algorithmia::envelope::ErrorBody::of(&err.to_algo_error());
    assert_eq!(body.error_type, "InputError");
    assert_eq!(body.message, "bad input: x");
    assert_eq!(body.stacktrace, "line 1\nline 2");
}

#[tokio::test]
async fn options_and_inputs_past_the_limits_are_refused() {
    let runtime = runtime();
    let echo = load(&runtime, test_artifacts::ECHO).await;
    let too_long = limits().max_timeout + Duration::from_secs(1);
    let result = runtime
        .invoke(&echo, Invocation::new(Payload::Void).timeout(too_long))
        .await;
    assert!(
        matches!(&result, Err(InvokeError::InvalidInput(why)) if why.contains("exceeds the maximum")),
        "{result:?}"
    );
    let too_big = Payload::binary(vec![0; limits().input + 1]);
    let result = runtime.invoke(&echo, too_big).await;
    assert!(
        matches!(&result, Err(InvokeError::InvalidInput(why)) if why.contains("limit")),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_guest_does_not_hold_up_others() {
    let runtime = runtime();
    let looper = load(&runtime, test_artifacts::LOOPER).await;
    let hello = load(&runtime, test_artifacts::HELLO).await;
    let timeout = Duration::from_millis(500);
    let runaway = {
        let runtime = runtime.clone();
        tokio::spawn(async move {
            runtime
                .invoke(&looper, Invocation::new(Payload::Void).timeout(timeout))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    for i in 0..50 {
        let output = runtime.invoke(&hello, Payload::text(format!("{i}"))).await;
        assert_eq!(output.unwrap().payload, Payload::text(format!("Hello {i}")));
    }
    assert!(
        started.elapsed() < timeout,
        "hello calls waited for the runaway guest: {:?}",
        started.elapsed()
    );
    assert_eq!(
        runaway.await.unwrap(),
        Err(InvokeError::Timeout { limit: timeout })
    );
}
