//! Per-invocation cost of the runtime, measured through `Runtime::invoke`.
//!
//! Run with `cargo bench -p algobox-runtime --bench invoke`. Groups:
//! - `hello`: one call of the `hello` example on a fresh instance, on one
//!   thread; with and without an explicit timeout; and on two threads at once
//!   (reported per call, so the throughput of both threads together is
//!   `1 / time`).
//! - `languages`: `Hello Neo` in Rust, Python (componentize-py) and
//!   JavaScript (componentize-js), each on a fresh instance, so the costs
//!   compare within one run: `instantiated in the call` is the whole cost
//!   of a call that makes its instance (spare instances off), and `spare
//!   ready` the latency of a call whose instance was made ahead of it
//!   ([`Limits::spare_instances`]; the wait for the spare is not timed).
//!   Python and JavaScript only: Rust's `hello` instantiates in about
//!   10 µs, too little for the runtime to make spares of it. A guest that
//!   instantiates in under 100 µs on the machine at hand (JavaScript's, on
//!   a fast one) gets no spares either: its row is skipped with a line
//!   saying so.
//! - `waiting`: 1,000 concurrent calls of a guest that sleeps 100 ms; the
//!   process's peak resident memory is printed after the group.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use std::time::{Duration, Instant};

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::compiled_algorithm::CompiledAlgorithm;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::limits::Limits;
use criterion::{Criterion, criterion_group, criterion_main};

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn register(rt: &tokio::runtime::Runtime, runtime: &Runtime, path: &str) -> CompiledAlgorithm {
    let wasm = std::fs::read(path).unwrap();
    rt.block_on(runtime.register(wasm)).unwrap()
}

fn hello(c: &mut Criterion) {
    let rt = current_thread();
    let runtime = Runtime::new().unwrap();
    let hello = register(&rt, &runtime, test_artifacts::HELLO);
    let input = Payload::text("Neo");
    let expected = Payload::text("Hello Neo");

    let mut group = c.benchmark_group("hello");
    group.bench_function("one thread", |b| {
        b.to_async(&rt).iter(|| async {
            let output = runtime.invoke(&hello, input.clone()).await.unwrap();
            assert_eq!(output.payload, expected);
        })
    });
    group.bench_function("one thread, timeout set", |b| {
        b.to_async(&rt).iter(|| async {
            let invocation = Invocation::new(input.clone()).timeout(Duration::from_secs(5));
            let output = runtime.invoke(&hello, invocation).await.unwrap();
            assert_eq!(output.payload, expected);
        })
    });
    group.bench_function("two threads, per call", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        let rt = current_thread();
                        for _ in 0..iters.div_ceil(2) {
                            let output =
                                rt.block_on(runtime.invoke(&hello, input.clone())).unwrap();
                            assert_eq!(output.payload, expected);
                        }
                    });
                }
            });
            started.elapsed()
        })
    });
    group.finish();
}

fn languages(c: &mut Criterion) {
    let rt = current_thread();
    let input = Payload::text("Neo");
    let expected = Payload::text("Hello Neo");
    let mut group = c.benchmark_group("languages");
    // One spare per language.
    for spare_instances in [0, 3] {
        let runtime = Runtime::builder()
            .limits(Limits {
                spare_instances,
                concurrency: 16,
                ..Limits::default()
            })
            .build()
            .unwrap();
        for (language, path) in [
            ("rust", test_artifacts::HELLO),
            ("python", test_artifacts::PY_HELLO),
            ("javascript", test_artifacts::JS_HELLO),
        ] {
            if spare_instances > 0 && language == "rust" {
                // It instantiates too quickly for spares to be made of it.
                continue;
            }
            let guest = register(&rt, &runtime, path);
            if spare_instances == 0 {
                group.bench_function(format!("{language}, instantiated in the call"), |b| {
                    b.to_async(&rt).iter(|| async {
                        let output = runtime.invoke(&guest, input.clone()).await.unwrap();
                        assert_eq!(output.payload, expected);
                    })
                });
                continue;
            }
            // A call leaves the next one a spare, unless the runtime found
            // this guest instantiates too quickly for one to pay (it keeps
            // the fastest instantiation seen, so a few calls settle it).
            if !spares_made(&rt, &runtime, &guest, &input) {
                println!(
                    "languages: no spares of {language}: it instantiates in under 100 µs \
                     on this machine, so its calls instantiate as they run (see the row above)"
                );
                continue;
            }
            group.bench_function(format!("{language}, spare ready"), |b| {
                let (runtime, guest, input, expected) = (&runtime, &guest, &input, &expected);
                b.to_async(&rt).iter_custom(|iterations| async move {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iterations {
                        wait_for_spare(guest).await;
                        let started = Instant::now();
                        let output = runtime.invoke(guest, input.clone()).await.unwrap();
                        spent += started.elapsed();
                        assert_eq!(&output.payload, expected);
                    }
                    spent
                })
            });
        }
    }
    group.finish();
}

/// How long a spare may take to appear before the runtime is taken to have
/// stopped making them: far longer than any guest here instantiates.
const SPARE_WAIT: Duration = Duration::from_secs(2);

/// Makes a few calls of `guest` and says whether a spare follows them.
fn spares_made(
    rt: &tokio::runtime::Runtime,
    runtime: &Runtime,
    guest: &CompiledAlgorithm,
    input: &Payload,
) -> bool {
    rt.block_on(async {
        for _ in 0..5 {
            runtime.invoke(guest, input.clone()).await.unwrap();
        }
        spare_within(guest, SPARE_WAIT).await
    })
}

/// Waits, untimed, for the spare the last call left: it is made on this
/// thread once that call's task yields.
async fn wait_for_spare(guest: &CompiledAlgorithm) {
    assert!(
        spare_within(guest, SPARE_WAIT).await,
        "no spare appeared within {SPARE_WAIT:?}: the runtime stopped making them \
         (a faster instantiation took this guest under 100 µs)"
    );
}

/// Whether `guest` has a spare ready within `wait`, yielding to the thread
/// that makes it meanwhile.
async fn spare_within(guest: &CompiledAlgorithm, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    while !guest.has_spare() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::task::yield_now().await;
    }
    true
}

fn waiting(c: &mut Criterion) {
    const CALLS: usize = 1000;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let runtime = Runtime::new().unwrap();
    let sleeper = register(&rt, &runtime, test_artifacts::SLEEPER);
    let before = peak_rss_mib();

    let mut group = c.benchmark_group("waiting");
    group.sample_size(10);
    group.bench_function("1000 concurrent 100 ms sleeps", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..CALLS).map(|_| {
                let (runtime, sleeper) = (runtime.clone(), sleeper.clone());
                tokio::spawn(
                    async move { runtime.invoke(&sleeper, Payload::json(&100).unwrap()).await },
                )
            });
            let calls: Vec<_> = calls.collect();
            for call in calls {
                let output = call.await.unwrap().unwrap();
                assert_eq!(output.payload, Payload::text("slept 100 ms"));
            }
        })
    });
    group.finish();
    println!(
        "waiting: peak resident memory {} MiB (it was {} MiB before the group)",
        peak_rss_mib(),
        before
    );
}

/// The process's peak resident set size, from Linux's `/proc`.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

criterion_group!(benches, hello, languages, waiting);
criterion_main!(benches);
