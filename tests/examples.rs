//! Every example algorithm, through the embedding API.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use algobox_host_api::{AlgoError, ContentType, Payload};
use algobox_runtime::error::InvokeError;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::stop::StopHandle;
use serde_json::{Value, json};

use crate::support::{load, runtime};

#[tokio::test]
pub(crate) async fn hello() {
    let runtime = runtime();
    let hello = load(&runtime, test_artifacts::HELLO).await;
    let output = runtime.invoke(&hello, Payload::text("Neo")).await.unwrap();
    assert_eq!(output.payload, Payload::text("Hello Neo"));
    assert_eq!(output.payload.content_type(), ContentType::Text);
    assert!(output.duration > Duration::ZERO);
    assert!(output.progress.is_empty());
}

#[tokio::test]
pub(crate) async fn summary() {
    let runtime = runtime();
    let summary = load(&runtime, test_artifacts::SUMMARY).await;
    let input = Payload::json(&json!({"numbers": [1, 2, 3.5]})).unwrap();
    let output = runtime.invoke(&summary, input).await.unwrap();
    let Payload::Json(text) = output.payload else {
        panic!("summary returns JSON, got {:?}", output.payload);
    };
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["count"], 3);
    assert!((value["mean"].as_f64().unwrap() - 6.5 / 3.0).abs() < 1e-12);
    assert_eq!(value["min"], 1.0);
    assert_eq!(value["max"], 3.5);

    let empty = Payload::json(&json!({"numbers": []})).unwrap();
    match runtime.invoke(&summary, empty).await {
        Err(InvokeError::Algorithm(AlgoError { code, message, .. })) => {
            assert_eq!(code, "InputError");
            assert!(message.contains("empty"), "unexpected message: {message}");
        }
        other => panic!("expected an InputError, got {other:?}"),
    }
}

#[tokio::test]
pub(crate) async fn reverse_bytes() {
    let runtime = runtime();
    let reverse = load(&runtime, test_artifacts::REVERSE_BYTES).await;
    let bytes: Vec<u8> = (0..=255).collect();
    let output = runtime
        .invoke(&reverse, Payload::binary(bytes.clone()))
        .await
        .unwrap();
    let reversed: Vec<u8> = bytes.into_iter().rev().collect();
    assert_eq!(output.payload, Payload::binary(reversed));
}

#[tokio::test]
pub(crate) async fn countdown() {
    let runtime = runtime();
    let countdown = load(&runtime, test_artifacts::COUNTDOWN).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let input = Payload::json(&json!({"steps": 4, "step_ms": 10})).unwrap();
    let invocation =
        Invocation::new(input).on_progress(move |p| sink.lock().unwrap().push(p.percent));
    let output = runtime.invoke(&countdown, invocation).await.unwrap();
    assert_eq!(
        output.payload,
        Payload::json(&json!({"completed": 4})).unwrap()
    );
    let percents: Vec<f32> = output.progress.iter().map(|p| p.percent).collect();
    assert_eq!(percents, [25.0, 50.0, 75.0, 100.0]);
    assert_eq!(
        *seen.lock().unwrap(),
        percents,
        "the sink saw each report live"
    );
    assert_eq!(output.progress[2].details.as_deref(), Some("step 3 of 4"));
    assert!(output.progress[3].elapsed >= Duration::from_millis(30));
}

#[tokio::test]
async fn countdown_honours_a_stop() {
    let runtime = runtime();
    let countdown = load(&runtime, test_artifacts::COUNTDOWN).await;
    let stop = StopHandle::new();
    let on_progress = stop.clone();
    let input = Payload::json(&json!({"steps": 1000, "step_ms": 10})).unwrap();
    let invocation = Invocation::new(input)
        .stop_handle(stop)
        .on_progress(move |_| on_progress.request());
    let started = Instant::now();
    let result = runtime.invoke(&countdown, invocation).await;
    assert_eq!(result, Err(InvokeError::Stopped { forced: false }));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}
