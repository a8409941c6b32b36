//! One group's guests execute on at most its share of turns: a flood of
//! CPU-bound guests in one share leaves the executor to others, and guests
//! that sleep hold no turn.

use std::time::{Duration, Instant};

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::cpu_share::CpuShare;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::limits::Limits;

use crate::support::{limits, load};

/// Loopers in the flood: on two executor threads without a share, each
/// waits behind about 200 slices of 5 ms, a second.
const FLOOD: usize = 200;

fn roomy_runtime() -> Runtime {
    Runtime::builder()
        .limits(Limits {
            concurrency: 256,
            ..limits()
        })
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_flood_in_one_share_leaves_others_prompt() {
    let runtime = roomy_runtime();
    let looper = load(&runtime, test_artifacts::LOOPER).await;
    let hello = load(&runtime, test_artifacts::HELLO).await;
    let mallory = CpuShare::new(1);
    let flood: Vec<_> = (0..FLOOD)
        .map(|_| {
            let (runtime, looper) = (runtime.clone(), looper.clone());
            let invocation = Invocation::new(Payload::Void)
                .timeout(Duration::from_secs(4))
                .cpu_share(mallory.clone());
            tokio::spawn(async move { runtime.invoke(&looper, invocation).await })
        })
        .collect();
    // Let the flood start, then call hello ten times, as another account.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Each call a task of its own on the executor's threads, as a server
    // runs each request, timed from outside: the wait for a thread counts.
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let (runtime, hello) = (runtime.clone(), hello.clone());
        let started = Instant::now();
        let invocation = Invocation::new(Payload::text("Bob")).cpu_share(CpuShare::new(1));
        let output = tokio::spawn(async move { runtime.invoke(&hello, invocation).await })
            .await
            .unwrap()
            .unwrap();
        slowest = slowest.max(started.elapsed());
        assert_eq!(output.payload, Payload::text("Hello Bob"));
    }
    // The attacker's half: every looper ran to its own timeout, not
    // starved to death or failed some other way.
    for call in flood {
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(err, algobox_runtime::error::InvokeError::Timeout { .. }),
            "{err}"
        );
    }
    assert!(
        slowest < Duration::from_millis(300),
        "bob's slowest hello took {slowest:?} beside {FLOOD} loopers in one share"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeping_guests_hold_no_turn() {
    let runtime = roomy_runtime();
    let sleeper = load(&runtime, test_artifacts::SLEEPER).await;
    let share = CpuShare::new(1);
    let started = Instant::now();
    let sleeps: Vec<_> = (0..4)
        .map(|_| {
            let (runtime, sleeper) = (runtime.clone(), sleeper.clone());
            let invocation = Invocation::new(Payload::json(&800).unwrap()).cpu_share(share.clone());
            tokio::spawn(async move { runtime.invoke(&sleeper, invocation).await })
        })
        .collect();
    for sleep in sleeps {
        let output = sleep.await.unwrap().unwrap();
        assert_eq!(output.payload, Payload::text("slept 800 ms"));
    }
    // Four 800 ms sleeps in a share of one turn overlap: one after the
    // other they would take 3.2 s.
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
}
