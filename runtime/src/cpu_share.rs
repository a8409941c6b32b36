//! A bound on how many guests of one group (an account, to the platform)
//! execute at once, so that a flood of CPU-bound guests from one account
//! leaves the executor's threads to everyone else.
//!
//! A guest runs a time slice of one epoch tick; at the end of each slice it
//! must take one of its group's turns to run the next, and it gives its
//! turn back when the slice ends or when it waits in a host call (a sleep,
//! an HTTP request). Guests beyond the bound wait parked, not runnable, so
//! the executor's threads serve other accounts' guests between ticks. A
//! guest that sleeps holds no turn, so an account's waiting calls do not
//! keep its computing ones from running.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The turns of one group of invocations: at most this many of them
/// execute guest code at once. Clones share the turns.
///
/// # Example
///
/// ```
/// use algobox_host_api::Payload;
/// use algobox_runtime::cpu_share::CpuShare;
/// use algobox_runtime::invocation::Invocation;
///
/// // Each account's invocations share one `CpuShare`, sized to the cores.
/// let account = CpuShare::new(2);
/// let invocation = Invocation::new(Payload::text("Neo")).cpu_share(account.clone());
/// ```
#[derive(Debug, Clone)]
pub struct CpuShare {
    turns: Arc<Semaphore>,
}

impl CpuShare {
    /// At most `runnable` invocations of the group execute at once (at
    /// least one).
    pub fn new(runnable: usize) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(runnable.max(1))),
        }
    }
}

/// One invocation's place in its group: the turn it holds, if any.
#[derive(Clone)]
pub(crate) struct CpuTurn {
    share: CpuShare,
    held: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

impl CpuTurn {
    pub(crate) fn new(share: CpuShare) -> Self {
        Self {
            share,
            held: Arc::default(),
        }
    }

    /// Gives the turn back, if held.
    fn release(&self) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Ends a time slice: gives the turn back, and returns the wait for the
    /// next one (first in, first out among the group's guests).
    pub(crate) fn next_slice(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.release();
        let turns = Arc::clone(&self.share.turns);
        let held = Arc::clone(&self.held);
        Box::pin(async move {
            // Yield first, holding nothing: every slice ends with one trip
            // through the executor, as `UpdateDeadline::Yield` does, so the
            // guests of other groups run in between.
            tokio::task::yield_now().await;
            // The semaphore is never closed, so a turn always comes.
            if let Ok(permit) = turns.acquire_owned().await {
                *held.lock().unwrap_or_else(PoisonError::into_inner) = Some(permit);
            }
        })
    }
}

/// Runs `work` (a guest), giving `turn` back whenever it waits; without a
/// turn, runs it as it is.
pub(crate) fn gated<F: Future>(turn: Option<CpuTurn>, work: F) -> Gated<F> {
    Gated { turn, work }
}

pin_project_lite::pin_project! {
    /// A guest's run that holds its turn only while it executes.
    pub(crate) struct Gated<F> {
        turn: Option<CpuTurn>,
        #[pin]
        work: F,
    }
}

impl<F: Future> Future for Gated<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let polled = this.work.poll(cx);
        // Pending means the guest waits: in a host call, or for its next
        // turn. Either way it executes nothing until woken, and a sleeping
        // guest must not hold a turn its group's computing guests need.
        if let Some(turn) = this.turn {
            turn.release();
        }
        polled
    }
}
