//! GPU compute (`environment: gpu`) on real wgpu, through the GPU worker
//! process: results checked against the CPU, permissions, quotas, compile
//! errors, a runaway kernel, and a host without an adapter.
//!
//! Without a GPU adapter (no Vulkan driver) these tests print a note and
//! pass, unless `ALGOBOX_REQUIRE_GPU=1`, which CI sets after installing
//! Mesa's software driver (lavapipe).

use std::time::{Duration, Instant};

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::error::InvokeError;
use algobox_runtime::gpu::error::GpuError;
use algobox_runtime::gpu::{GpuConfig, GpuUsage};
use algobox_runtime::invocation::Invocation;
use algobox_runtime::stop::StopHandle;
use serde_json::{Value, json};

use crate::pipeline::{call, deploy};
use crate::server::{ADMIN_KEY, TestServer};
use crate::support::{limits, load};

/// The worker the tests start: `tests/gpu_worker.rs`.
pub(crate) fn worker() -> GpuConfig {
    GpuConfig::new(env!("CARGO_BIN_EXE_gpu-worker"))
}

fn gpu_runtime() -> Runtime {
    Runtime::builder()
        .limits(limits())
        .gpu(worker())
        .build()
        .expect("the runtime builds")
}

/// Whether `runtime` has an adapter. Without one the test is skipped with
/// a note, or fails when `ALGOBOX_REQUIRE_GPU=1`.
pub(crate) async fn has_adapter(runtime: &Runtime) -> bool {
    match runtime.gpu_adapter().await {
        Ok(_) => true,
        Err(err) if std::env::var("ALGOBOX_REQUIRE_GPU").is_ok_and(|value| value == "1") => {
            panic!("ALGOBOX_REQUIRE_GPU=1 but {err}")
        }
        Err(err) => {
            eprintln!("skipping a GPU test: {err}");
            false
        }
    }
}

/// Runs `guest` with JSON `input`, granted the GPU or not.
async fn run(
    runtime: &Runtime,
    guest: &str,
    input: Value,
    gpu: bool,
) -> Result<Value, InvokeError> {
    let algorithm = load(runtime, guest).await;
    let invocation = Invocation::new(Payload::Json(input.to_string())).gpu(gpu);
    let output = runtime.invoke(&algorithm, invocation).await?;
    match output.payload {
        Payload::Json(json) => Ok(serde_json::from_str(&json).unwrap()),
        other => panic!("expected JSON, got {other:?}"),
    }
}

fn floats(value: &Value) -> Vec<f32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|number| number.as_f64().unwrap() as f32)
        .collect()
}

/// Vectors whose sums are not round numbers.
/// Adds two vectors of `length` with the vector-add example on the GPU:
/// the sum it returned and the sum expected.
pub(crate) async fn vector_sum(
    runtime: &Runtime,
    length: usize,
) -> Result<(Vec<f32>, Vec<f32>), InvokeError> {
    let (a, b) = vectors(length);
    let output = run(
        runtime,
        test_artifacts::VECTOR_ADD,
        json!({"a": a, "b": b}),
        true,
    )
    .await?;
    let expected = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    Ok((floats(&output["sum"]), expected))
}

fn vectors(length: usize) -> (Vec<f32>, Vec<f32>) {
    let a = (0..length).map(|i| i as f32 * 0.37 - 11.0).collect();
    let b = (0..length)
        .map(|i| ((i * 7919) % 1000) as f32 / 3.0)
        .collect();
    (a, b)
}

#[tokio::test]
pub(crate) async fn vector_add() {
    let runtime = gpu_runtime();
    if !has_adapter(&runtime).await {
        return;
    }
    for length in [1, 1000, 100_003] {
        let (sum, expected) = vector_sum(&runtime, length).await.unwrap();
        assert_eq!(sum, expected, "length {length}");
    }

    // The same module without the GPU granted, as a `cpu` algorithm.
    let denied = run(
        &runtime,
        test_artifacts::VECTOR_ADD,
        json!({"a": [1.0], "b": [2.0]}),
        false,
    )
    .await
    .unwrap_err();
    let InvokeError::Algorithm(err) = denied else {
        panic!("expected the algorithm's error, got {denied:?}")
    };
    assert_eq!(err.code, "PermissionDenied");
    assert!(
        err.message.contains("settings.environment"),
        "{}",
        err.message
    );
}

#[tokio::test]
pub(crate) async fn matrix_multiply() {
    let runtime = gpu_runtime();
    if !has_adapter(&runtime).await {
        return;
    }
    // Sizes that are not multiples of the kernel's 16×16 tile.
    let (m, k, n) = (37, 53, 29);
    let a: Vec<Vec<f32>> = (0..m)
        .map(|i| {
            (0..k)
                .map(|j| ((i * k + j) % 13) as f32 * 0.25 - 1.0)
                .collect()
        })
        .collect();
    let b: Vec<Vec<f32>> = (0..k)
        .map(|i| {
            (0..n)
                .map(|j| ((i * 3 + j * 5) % 11) as f32 / 7.0)
                .collect()
        })
        .collect();
    let output = run(
        &runtime,
        test_artifacts::MATRIX_MULTIPLY,
        json!({"a": a, "b": b}),
        true,
    )
    .await
    .unwrap();
    let product = output["product"].as_array().unwrap();
    assert_eq!(product.len(), m);
    for (i, row) in product.iter().enumerate() {
        let row = floats(row);
        assert_eq!(row.len(), n);
        for (j, value) in row.iter().enumerate() {
            let expected: f32 = (0..k).map(|x| a[i][x] * b[x][j]).sum();
            assert!(
                (value - expected).abs() <= 1e-4 * expected.abs().max(1.0),
                "product[{i}][{j}] is {value}, the CPU says {expected}"
            );
        }
    }

    let ragged = run(
        &runtime,
        test_artifacts::MATRIX_MULTIPLY,
        json!({"a": [[1.0, 2.0], [3.0]], "b": [[1.0]]}),
        true,
    )
    .await
    .unwrap_err();
    assert_eq!(ragged.error_type(), "InputError", "{ragged}");
}

#[tokio::test]
pub(crate) async fn gpu_probe() {
    let runtime = gpu_runtime();
    if !has_adapter(&runtime).await {
        return;
    }
    let probe = |case: &'static str| {
        let runtime = runtime.clone();
        async move {
            run(
                &runtime,
                test_artifacts::GPU_PROBE,
                json!({ "case": case }),
                true,
            )
            .await
            .unwrap()
        }
    };

    let adapter = probe("adapter").await;
    assert_eq!(adapter["name"], runtime.gpu_adapter().await.unwrap().name);

    let invalid = probe("invalid-wgsl").await;
    assert_eq!(invalid["error"], "compile", "{invalid}");
    assert_eq!(
        (invalid["line"].as_u64(), invalid["column"].as_u64()),
        (Some(4), Some(9)),
        "{invalid}"
    );

    let oversized = probe("oversized").await;
    assert_eq!(oversized["error"], "quota-exceeded", "{oversized}");

    let too_many = probe("too-many").await;
    assert_eq!(too_many["error"], "quota-exceeded", "{too_many}");
    let limits = probe("limits").await;
    assert_eq!(too_many["created"], limits["max_buffers"]);

    // The dispatch is queued; its error comes back with the next read.
    let mismatch = probe("mismatch").await;
    assert_eq!(mismatch["error"], "validation", "{mismatch}");

    // A `cpu` algorithm: the permission error names the setting.
    let algorithm = load(&runtime, test_artifacts::GPU_PROBE).await;
    let denied = runtime
        .invoke(
            &algorithm,
            Payload::Json(r#"{"case":"adapter"}"#.to_owned()),
        )
        .await
        .unwrap_err();
    assert_eq!(denied.error_type(), "PermissionDenied", "{denied}");
    assert!(
        denied.to_string().contains("settings.environment"),
        "{denied}"
    );
}

/// A kernel that never ends: its invocation times out, an algorithm
/// running at the same time is unaffected, GPU work queued behind the
/// kernel gets `device-lost`, and the next GPU call gets a fresh worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_kernel_times_out_and_the_worker_restarts() {
    let runtime = gpu_runtime();
    if !has_adapter(&runtime).await {
        return;
    }
    let probe = load(&runtime, test_artifacts::GPU_PROBE).await;
    let hello = load(&runtime, test_artifacts::HELLO).await;
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let runaway = tokio::spawn({
        let runtime = runtime.clone();
        async move {
            let invocation = Invocation::new(Payload::Json(r#"{"case":"runaway"}"#.to_owned()))
                .gpu(true)
                .timeout(timeout);
            runtime.invoke(&probe, invocation).await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // GPU work queued behind the runaway kernel is lost with the worker.
    let queued = tokio::spawn({
        let runtime = runtime.clone();
        async move {
            run(
                &runtime,
                test_artifacts::VECTOR_ADD,
                json!({"a": [1.0], "b": [2.0]}),
                true,
            )
            .await
        }
    });
    let greeting = runtime.invoke(&hello, Payload::text("Neo")).await.unwrap();
    assert_eq!(greeting.payload, Payload::text("Hello Neo"));
    assert!(
        started.elapsed() < timeout,
        "hello waited for the runaway kernel"
    );

    let outcome = runaway.await.unwrap();
    assert!(
        matches!(outcome, Err(InvokeError::Timeout { .. })),
        "{outcome:?}"
    );
    let lost = queued.await.unwrap().unwrap_err();
    assert_eq!(lost.error_type(), "GpuError", "{lost}");
    assert!(lost.to_string().contains("device was lost"), "{lost}");
    assert!(
        started.elapsed() < timeout + Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    let (sum, expected) = vector_sum(&runtime, 100).await.unwrap();
    assert_eq!(sum, expected);
}

/// A host without an adapter: `gpu` calls fail with "no GPU adapter", and
/// other algorithms are unaffected. Needs no GPU: the worker is pointed at
/// a Vulkan driver that does not exist.
#[tokio::test]
async fn without_an_adapter_gpu_calls_fail_clearly() {
    let runtime = Runtime::builder()
        .limits(limits())
        .gpu(
            worker()
                .env("WGPU_BACKEND", "vulkan")
                .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
                .env("VK_DRIVER_FILES", "/nonexistent/icd.json"),
        )
        .build()
        .unwrap();
    let err = runtime.gpu_adapter().await.unwrap_err();
    assert!(matches!(err, GpuError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().starts_with("no GPU adapter"), "{err}");

    let failed = run(
        &runtime,
        test_artifacts::VECTOR_ADD,
        json!({"a": [1.0], "b": [2.0]}),
        true,
    )
    .await
    .unwrap_err();
    assert_eq!(failed.error_type(), "GpuError", "{failed}");
    assert!(failed.to_string().contains("no GPU adapter"), "{failed}");

    crate::support::assert_still_healthy(&runtime).await;
}

/// Over HTTP: the vector-add example published as `gpu` adds, as `cpu` it
/// gets the permission error; the capabilities endpoint names the adapter.
#[tokio::test]
async fn vector_add_over_http() {
    let server = TestServer::start().await;
    if !has_adapter(server.platform.runtime()).await {
        return;
    }
    let capabilities = server.send("GET", "/v1/capabilities", None, None, "").await;
    assert_eq!(capabilities.status, 200);
    let capabilities = capabilities.json();
    assert_eq!(capabilities["gpu"]["available"], true, "{capabilities}");
    assert!(
        capabilities["gpu"]["adapter"]["name"].is_string(),
        "{capabilities}"
    );
    assert!(capabilities["gpu"].get("usage").is_none(), "{capabilities}");
    let with_key = server
        .send("GET", "/v1/capabilities", Some(ADMIN_KEY), None, "")
        .await
        .json();
    let idle = json!({"sessions": 0, "buffers": 0, "buffer_bytes": 0, "kernels": 0});
    assert_eq!(with_key["gpu"]["usage"], idle, "{with_key}");

    let wasm = test_artifacts::VECTOR_ADD;
    for (name, environment) in [("vadd_gpu", "gpu"), ("vadd_cpu", "cpu")] {
        let settings = json!({ "environment": environment });
        deploy(&server, ADMIN_KEY, "admin", name, wasm, settings, "private").await;
    }
    let (a, b) = vectors(500);
    let input = json!({"a": a, "b": b});
    let added = call(
        &server,
        ADMIN_KEY,
        "/v1/algo/admin/vadd_gpu/0.1.0",
        input.clone(),
    )
    .await;
    let expected: Vec<f32> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    assert_eq!(floats(&added["result"]["sum"]), expected, "{added}");

    let refused = call(&server, ADMIN_KEY, "/v1/algo/admin/vadd_cpu/0.1.0", input).await;
    assert_eq!(
        refused["error"]["error_type"], "PermissionDenied",
        "{refused}"
    );
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("settings.environment"), "{message}");
}

#[tokio::test]
pub(crate) async fn gpu_bench() {
    let runtime = gpu_runtime();
    if !has_adapter(&runtime).await {
        return;
    }
    let n = 48;
    let output = run(
        &runtime,
        test_artifacts::GPU_BENCH,
        json!({"op": "matmul", "n": n}),
        true,
    )
    .await
    .unwrap();
    let matrix = |seed: u32| -> Vec<f32> {
        (0..n * n)
            .map(|i| ((i * seed) % 17) as f32 / 17.0)
            .collect()
    };
    let (a, b) = (matrix(7), matrix(5));
    let n = n as usize;
    let checksum: f64 = (0..n * n)
        .map(|cell| {
            let (i, j) = (cell / n, cell % n);
            f64::from((0..n).map(|x| a[i * n + x] * b[x * n + j]).sum::<f32>())
        })
        .sum();
    let found = output["checksum"].as_f64().unwrap();
    assert!(
        (found - checksum).abs() < 1e-3 * checksum,
        "{found} vs {checksum}"
    );

    let output = run(
        &runtime,
        test_artifacts::GPU_BENCH,
        json!({"op": "tiny", "dispatches": 25}),
        true,
    )
    .await
    .unwrap();
    assert_eq!(output["count"], 25);
}

#[tokio::test]
async fn an_invocations_gpu_objects_go_with_it() {
    let runtime = gpu_runtime();
    if !has_adapter(&runtime).await {
        return;
    }
    assert_eq!(runtime.gpu_usage().await.unwrap(), GpuUsage::default());
    let probe = load(&runtime, test_artifacts::GPU_PROBE).await;
    let stop = StopHandle::new();
    let invocation = Invocation::new(Payload::Json(json!({"case": "hold"}).to_string()))
        .gpu(true)
        .stop_handle(stop.clone());
    let running = {
        let runtime = runtime.clone();
        tokio::spawn(async move { runtime.invoke(&probe, invocation).await })
    };
    let started = Instant::now();
    let held = loop {
        let usage = runtime.gpu_usage().await.unwrap();
        if usage.kernels == 1 || started.elapsed() > Duration::from_secs(10) {
            break usage;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let expected = GpuUsage {
        sessions: 1,
        buffers: 3,
        buffer_bytes: (2 << 20) + 12,
        kernels: 1,
    };
    assert_eq!(held, expected);
    stop.request();
    // A result after a stop is discarded, as in Hkube.
    let ended = running.await.unwrap();
    assert!(
        matches!(ended, Err(InvokeError::Stopped { forced: false })),
        "{ended:?}"
    );
    assert_eq!(runtime.gpu_usage().await.unwrap(), GpuUsage::default());
}
