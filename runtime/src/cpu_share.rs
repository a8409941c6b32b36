//! A bound on how many guests execute at once, per group (an account, to
//! the platform) and in all, so that floods of CPU-bound guests leave the
//! executor's threads to everyone else.
//!
//! A guest runs its first time slice (up to the next epoch tick, at most
//! 5 ms) at once; each next slice needs a turn of its group and of the
//! group's parent, if it has one (all accounts together, to the platform).
//! It gives its turns back when its slice ends or when it waits in a host
//! call (a sleep, an HTTP request). Guests without a turn wait parked, not
//! runnable, so the executor's threads stay free for requests. A short
//! call, which ends within its first slice, never waits; a guest that
//! sleeps holds no turn, so its group's waiting calls do not keep its
//! computing ones from running.

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
/// // On four cores: three guests execute at once in all, two of each account.
/// let everyone = CpuShare::new(3);
/// let account = CpuShare::within(2, &everyone);
/// let invocation = Invocation::new(Payload::text("Neo")).cpu_share(account.clone());
/// ```
#[derive(Debug, Clone)]
pub struct CpuShare {
    turns: Arc<Semaphore>,
    /// A group this one is part of, whose turn a guest needs as well.
    parent: Option<Arc<Semaphore>>,
}

impl CpuShare {
    /// At most `runnable` invocations of the group execute at once (at
    /// least one).
    pub fn new(runnable: usize) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(runnable.max(1))),
            parent: None,
        }
    }

    /// A group of at most `runnable` inside `parent`: its guests need a
    /// turn of both, so groups together execute at most `parent`'s number.
    pub fn within(runnable: usize, parent: &CpuShare) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(runnable.max(1))),
            parent: Some(Arc::clone(&parent.turns)),
        }
    }
}

/// The turns a guest holds: its group's and, inside a parent, the
/// parent's.
type Turns = (OwnedSemaphorePermit, Option<OwnedSemaphorePermit>);

/// One invocation's place in its group: the turn it holds, if any.
#[derive(Clone)]
pub(crate) struct CpuTurn {
    share: CpuShare,
    held: Arc<Mutex<Option<Turns>>>,
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

    /// Waits for a turn of the group, and of its parent if it has one
    /// (always in that order, so no two guests wait for each other), and
    /// holds them.
    async fn take(&self) {
        // The semaphores are never closed, so turns always come.
        let Ok(own) = Arc::clone(&self.share.turns).acquire_owned().await else {
            return;
        };
        let parent = match &self.share.parent {
            Some(parent) => Arc::clone(parent).acquire_owned().await.ok(),
            None => None,
        };
        *self.held.lock().unwrap_or_else(PoisonError::into_inner) = Some((own, parent));
    }

    /// Ends a time slice: gives the turn back, and returns the wait for the
    /// next one (first in, first out among the group's guests).
    pub(crate) fn next_slice(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.release();
        let turn = self.clone();
        Box::pin(async move {
            // Yield first, holding nothing: every slice ends with one trip
            // through the executor, as `UpdateDeadline::Yield` does, so the
            // guests of other groups run in between.
            tokio::task::yield_now().await;
            turn.take().await;
        })
    }
}

/// Runs `work` (a guest) in `turn`'s group, giving the turn back whenever
/// it waits. Its first slice needs no turn: a short call, which ends within
/// it, runs at once however busy its group is (gating it halved the
/// throughput of one account's `hello` calls on two cores). Without a turn,
/// runs it as it is.
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
