//! A bound on how many guests execute at once, per group (an account, to
//! the platform) and in all, so that floods of CPU-bound guests leave the
//! executor's threads to everyone else.
//!
//! A guest runs its first time slice at once, unless its group's guests
//! already queue for turns; each next slice needs a turn of its group and
//! of the group's parent, if it has one (all accounts together, to the
//! platform). A slice ends at the first epoch tick (every 5 ms) after it
//! has run 2.5 ms, so it lasts 2.5 to 7.5 ms.
//! It gives its turns back when its slice ends or when it waits in a host
//! call (a sleep, an HTTP request). Guests without a turn wait parked, not
//! runnable, so the executor's threads stay free for requests. A short
//! call, which ends within its first slice, never waits; a guest that
//! sleeps holds no turn, so its group's waiting calls do not keep its
//! computing ones from running.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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
pub struct CpuShare(Arc<Group>);

/// What a [`CpuShare`]'s clones share. One `Arc` around it all, since every
/// call of an account clones its share: one shared count to touch rather
/// than three.
#[derive(Debug)]
struct Group {
    turns: Arc<Semaphore>,
    /// How many of the group's guests wait for a turn.
    waiting: AtomicUsize,
    /// A group this one is part of, whose turn a guest needs as well.
    parent: Option<Arc<Semaphore>>,
}

impl CpuShare {
    /// At most `runnable` invocations of the group execute at once (at
    /// least one).
    pub fn new(runnable: usize) -> Self {
        Self(Arc::new(Group {
            turns: Arc::new(Semaphore::new(runnable.max(1))),
            waiting: AtomicUsize::new(0),
            parent: None,
        }))
    }

    /// A group of at most `runnable` inside `parent`: its guests need a
    /// turn of both, so groups together execute at most `parent`'s number.
    pub fn within(runnable: usize, parent: &CpuShare) -> Self {
        Self(Arc::new(Group {
            turns: Arc::new(Semaphore::new(runnable.max(1))),
            waiting: AtomicUsize::new(0),
            parent: Some(Arc::clone(&parent.0.turns)),
        }))
    }

    /// Whether the group's guests queue for turns: it runs more
    /// CPU-bound guests than its share, so a new one waits its turn too.
    fn is_contended(&self) -> bool {
        self.0.waiting.load(Ordering::Acquire) > 0
    }
}

/// How long a slice runs before an epoch tick may end it: half a tick, so
/// slices last 2.5 to 7.5 ms, 5 on average.
///
/// Ticks come every 5 ms for all guests at once, not 5 ms into each
/// slice. Ending a slice at the first tick gave a guest whatever was left
/// of the tick it started in, often microseconds: a `hello` that a tick
/// caught in its first slice yielded, and on a server flooded with another
/// account's CPU-bound guests its task then waited 0.1 to 1 s for the
/// executor, behind chains of their slices (measured: flood.sh, two or
/// three calls in 10 s).
const MIN_SLICE: Duration = Duration::from_micros(2_500);

/// The turns a guest holds: its group's and, inside a parent, the
/// parent's.
type Turns = (OwnedSemaphorePermit, Option<OwnedSemaphorePermit>);

/// One invocation's place in its group: the turn it holds, if any, and
/// when its current slice began.
#[derive(Clone)]
pub(crate) struct CpuTurn {
    share: CpuShare,
    slice: Arc<Mutex<Slice>>,
}

/// The guest's current slice.
struct Slice {
    turns: Option<Turns>,
    began: Instant,
}

impl CpuTurn {
    /// The turn of a guest whose first slice began at `began` (its
    /// invocation's start, which the caller has already read).
    pub(crate) fn new(share: CpuShare, began: Instant) -> Self {
        Self {
            share,
            slice: Arc::new(Mutex::new(Slice { turns: None, began })),
        }
    }

    /// The current slice, locked.
    fn slice(&self) -> MutexGuard<'_, Slice> {
        self.slice.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives the turn back, if held.
    fn release(&self) {
        self.slice().turns.take();
    }

    /// Whether an epoch tick ends the current slice: it has run at least
    /// [`MIN_SLICE`]. Otherwise the guest goes on to the next tick.
    pub(crate) fn slice_is_over(&self) -> bool {
        self.slice().began.elapsed() >= MIN_SLICE
    }

    /// Waits for a turn of the group, and of its parent if it has one
    /// (always in that order, so no two guests wait for each other), and
    /// holds them.
    async fn take(&self) {
        // Counted as waiting until the group's turn comes, or the wait is
        // dropped with the invocation.
        let waiting = Waiting::enter(&self.share.0.waiting);
        // The semaphores are never closed, so turns always come.
        let Ok(own) = Arc::clone(&self.share.0.turns).acquire_owned().await else {
            return;
        };
        drop(waiting);
        let parent = match &self.share.0.parent {
            Some(parent) => Arc::clone(parent).acquire_owned().await.ok(),
            None => None,
        };
        *self.slice() = Slice {
            turns: Some((own, parent)),
            began: Instant::now(),
        };
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

/// Counts one guest waiting for its group's turn while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `work` (a guest) in `turn`'s group, giving the turn back whenever
/// it waits. Its first slice needs no turn while the group's guests do not
/// queue for turns: a short call, which ends within it, then runs at once
/// however busy the server is (gating it always halved the throughput of
/// one account's `hello` calls on two cores). A group whose guests queue
/// runs more CPU-bound work than its share, and its new guests wait their
/// turn too; otherwise a flood's steady stream of new calls would take a
/// free slice each, a core's worth, from everyone else. Without a turn,
/// runs `work` as it is.
pub(crate) fn gated<F: Future>(turn: Option<CpuTurn>, work: F) -> Gated<F> {
    let first_turn = turn
        .as_ref()
        .filter(|turn| turn.share.is_contended())
        .map(|turn| {
            let turn = turn.clone();
            Box::pin(async move { turn.take().await }) as Pin<Box<dyn Future<Output = ()> + Send>>
        });
    Gated {
        turn,
        first_turn,
        work,
    }
}

pin_project_lite::pin_project! {
    /// A guest's run that holds its turn only while it executes.
    pub(crate) struct Gated<F> {
        turn: Option<CpuTurn>,
        // The wait for the first slice's turn, when the group is contended.
        first_turn: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
        #[pin]
        work: F,
    }
}

impl<F: Future> Future for Gated<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Some(wait) = this.first_turn {
            // Holding nothing until the turn comes; then the turn is held
            // through the first slice, like any other.
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            *this.first_turn = None;
        }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_new_guest_of_a_group_that_queues_waits_for_a_turn_and_others_do_not() {
        let flooder = CpuShare::new(1);
        // One of the flooder's guests executes, another waits for a turn.
        let executing = CpuTurn::new(flooder.clone(), Instant::now());
        executing.take().await;
        let queued = CpuTurn::new(flooder.clone(), Instant::now());
        let queued_wait = tokio::spawn({
            let queued = queued.clone();
            async move { queued.take().await }
        });
        while !flooder.is_contended() {
            tokio::task::yield_now().await;
        }

        // The flooder's next guest does not get a free first slice.
        let ran = Arc::new(AtomicBool::new(false));
        let newcomer = tokio::spawn(gated(
            Some(CpuTurn::new(flooder.clone(), Instant::now())),
            {
                let ran = Arc::clone(&ran);
                async move { ran.store(true, Ordering::SeqCst) }
            },
        ));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!ran.load(Ordering::SeqCst), "ran without a turn");

        // Another group's new guest runs at once, its group uncontended.
        let other = CpuShare::new(1);
        let answer = tokio::time::timeout(
            Duration::from_secs(1),
            gated(Some(CpuTurn::new(other, Instant::now())), async { 42 }),
        )
        .await;
        assert_eq!(answer, Ok(42));

        // As the flooder's turns come free, the queued guest runs, then
        // the newcomer: first in, first out.
        executing.release();
        queued_wait.await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !ran.load(Ordering::SeqCst),
            "the newcomer went before the guest queued first"
        );
        queued.release();
        tokio::time::timeout(Duration::from_secs(1), newcomer)
            .await
            .expect("the newcomer ran once a turn came")
            .unwrap();
        assert!(ran.load(Ordering::SeqCst));
        assert!(!flooder.is_contended());
    }

    #[tokio::test]
    async fn a_tick_ends_a_slice_only_once_it_has_run_half_a_tick() {
        let share = CpuShare::new(1);
        let turn = CpuTurn::new(share, Instant::now());
        // A tick that comes right after a guest starts leaves it running.
        assert!(!turn.slice_is_over());
        tokio::time::sleep(MIN_SLICE).await;
        assert!(turn.slice_is_over());
        // Its next slice begins when it gets its turn back.
        turn.next_slice().await;
        assert!(turn.slice().turns.is_some(), "the next slice holds a turn");
        assert!(!turn.slice_is_over());
        tokio::time::sleep(MIN_SLICE).await;
        assert!(turn.slice_is_over());
    }

    #[tokio::test]
    async fn an_uncontended_group_runs_its_first_slice_without_a_turn() {
        let share = CpuShare::new(1);
        // Its one turn is held, but nobody waits: a short call still runs.
        let executing = CpuTurn::new(share.clone(), Instant::now());
        executing.take().await;
        let answer = tokio::time::timeout(
            Duration::from_secs(1),
            gated(Some(CpuTurn::new(share, Instant::now())), async { 7 }),
        )
        .await;
        assert_eq!(answer, Ok(7));
    }
}
