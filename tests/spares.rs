//! Spare instances: an algorithm's next instance is made ahead of its
//! call, and still serves that call alone, with that call's grants.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::compiled_algorithm::CompiledAlgorithm;
use algobox_runtime::error::InvokeError;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::limits::Limits;
use serde_json::json;

use crate::support::{limits, load, runtime};

fn request(value: serde_json::Value) -> Payload {
    Payload::json(&value).unwrap()
}

/// Waits until `algorithm`'s next instance is ready, as it is soon after
/// a call.
async fn spare_ready(algorithm: &CompiledAlgorithm) {
    let started = Instant::now();
    while !algorithm.has_spare() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no spare instance was made within 30 s of a call"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_call_on_a_spare_instance_starts_from_a_fresh_state() {
    let runtime = runtime();
    let probe = load(&runtime, test_artifacts::PY_PROBE).await;
    assert!(!probe.has_spare(), "no call yet, so no spare");
    let mut counts = Vec::new();
    for _ in 0..3 {
        let output = runtime
            .invoke(&probe, request(json!({"action": "count"})))
            .await
            .unwrap();
        counts.push(output.payload);
        spare_ready(&probe).await;
    }
    // The module's counter starts from its snapshot on every call: the
    // second and third calls ran on spares, each used once.
    assert_eq!(counts, vec![request(json!(1)); 3]);
}

#[tokio::test]
async fn a_spare_instance_reports_to_its_own_call_and_meets_its_own_timeout() {
    let runtime = runtime();
    let probe = load(&runtime, test_artifacts::PY_PROBE).await;
    let first_sink = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&first_sink);
    let first = Invocation::new(request(json!({"action": "progress"})))
        .on_progress(move |_| _ = seen.fetch_add(1, Ordering::Relaxed));
    let output = runtime.invoke(&probe, first).await.unwrap();
    assert_eq!(output.payload, Payload::text("done"));
    spare_ready(&probe).await;

    let second_sink = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&second_sink);
    let second = Invocation::new(request(json!({"action": "progress"})))
        .on_progress(move |_| _ = seen.fetch_add(1, Ordering::Relaxed));
    let output = runtime.invoke(&probe, second).await.unwrap();
    assert_eq!(output.payload, Payload::text("done"));
    assert_eq!(output.progress.len(), 3, "the second call's own progress");
    assert_eq!(
        (
            first_sink.load(Ordering::Relaxed),
            second_sink.load(Ordering::Relaxed)
        ),
        (3, 3),
        "each call's progress reached its own sink only"
    );

    // The spare was made long before this call: its timeout still counts
    // from the call's start, and its stop hook sees the call's timeout.
    spare_ready(&probe).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let result = runtime
        .invoke(
            &probe,
            Invocation::new(request(json!({"action": "wait-stop", "limit_s": 20})))
                .timeout(timeout),
        )
        .await;
    let took = started.elapsed();
    assert!(
        matches!(result, Err(InvokeError::Timeout { limit }) if limit == timeout),
        "{result:?}"
    );
    assert!(
        took >= timeout && took < Duration::from_secs(5),
        "the call timed out after {took:?}"
    );
}

#[tokio::test]
async fn with_no_spare_instances_every_call_instantiates_as_it_runs() {
    let runtime = Runtime::builder()
        .limits(Limits {
            spare_instances: 0,
            ..limits()
        })
        .build()
        .unwrap();
    let probe = load(&runtime, test_artifacts::PY_PROBE).await;
    for _ in 0..2 {
        let output = runtime
            .invoke(&probe, request(json!({"action": "count"})))
            .await
            .unwrap();
        assert_eq!(output.payload, request(json!(1)));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!probe.has_spare(), "spares are off");
    }
}

#[tokio::test]
async fn an_algorithm_that_instantiates_quickly_gets_no_more_spares() {
    let runtime = runtime();
    let hello = load(&runtime, test_artifacts::HELLO).await;
    let call = |name: String| {
        let (runtime, hello) = (runtime.clone(), hello.clone());
        async move {
            let output = runtime.invoke(&hello, Payload::text(&name)).await.unwrap();
            assert_eq!(output.payload, Payload::text(format!("Hello {name}")));
        }
    };
    // The first call starts a spare, whose making measures what
    // instantiating costs.
    call("first".to_owned()).await;
    spare_ready(&hello).await;
    // `hello` instantiates in microseconds: once a spare measured that
    // (a busy machine may slow one down, never speed it up), no other is
    // made, and calls instantiate as they run.
    let mut calls = 0;
    loop {
        calls += 1;
        call(format!("{calls}")).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if !hello.has_spare() {
            break;
        }
        assert!(calls < 10, "spares were still made after {calls} calls");
    }
    for name in ["after-a", "after-b"] {
        call(name.to_owned()).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!hello.has_spare(), "a spare was made after call {name}");
    }
}
