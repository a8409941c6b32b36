//! Spare instances: an algorithm's next instance, made ahead of its call.
//!
//! Instantiating a large component is most of what a call of it costs: a
//! componentize-py algorithm has 74 core instances and fills a 5,800-entry
//! function table from other modules' element segments, which wasmtime
//! initializes eagerly (a tiny Python `hello` spends about two thirds of
//! its call there). When a call begins, the runtime starts making the
//! algorithm's next instance in the background, on another core while
//! this call runs, so the next call starts from a ready instance (or waits
//! for the one being made, which is never longer than making its own).
//! While more calls run than there are cores, no spares are made: the
//! cores are busy, and each call instantiates as it runs. Nor are they
//! made for an algorithm that instantiates in less than [`SPARE_WORTH`]:
//! handing an instance made on another thread to the call costs more than
//! that saves.
//!
//! Each spare serves exactly one call and is never reused: every call
//! still gets a fresh instance, only made earlier. A spare is made with no
//! call's grants (no stop, progress, pipeline, data or GPU; see
//! [`CallParts::none`]); the call's own parts go in when it takes the
//! spare. Its network grant is the algorithm's and is fixed at
//! instantiation, so a call with another grant discards it. Spares hold
//! pool slots of their own ([`Limits::spare_instances`](crate::limits::Limits::spare_instances), beyond the
//! calls' [`Limits::concurrency`](crate::limits::Limits::concurrency)) and a permit each; one left unused for
//! [`SPARE_IDLE`] is dropped, so algorithms no longer called give their
//! permits back.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use wasmtime::Store;

use super::SandboxState;
use super::bindings::Algorithm;
use super::fresh_store::{self, CallParts};
use super::prepared::Prepared;
use crate::Runtime;
use crate::compiled_algorithm::CompiledAlgorithm;
use crate::network::NetworkAccess;

/// How long a spare waits for its call before it is dropped.
pub(crate) const SPARE_IDLE: Duration = Duration::from_secs(30);

/// How long making a spare may run the guest's start-up code. A call
/// would give it the call's whole timeout; a spare that needs longer is
/// not made, and the algorithm's calls instantiate as they run (where a
/// start-up that never ends meets the call's timeout and is reported).
const SPARE_INSTANTIATION_LIMIT: Duration = Duration::from_secs(2);

/// The instantiation time below which spares cost more than they save.
/// A spare moves its store and memory between threads and takes the other
/// core's time; for Rust's `hello`, which instantiates in about 10 µs,
/// spares cost 8 µs of CPU per call at concurrency 64 over HTTP (release,
/// 40,254 req/s against 48,831 without). A JavaScript `hello` takes about
/// 0.3 ms to instantiate and a Python one 1.4 ms: theirs pay.
pub(crate) const SPARE_WORTH: Duration = Duration::from_micros(100);

/// An instance made ahead of its call, with the store it lives in.
pub(crate) struct Spare {
    pub(super) store: Store<SandboxState>,
    pub(super) instance: Algorithm,
    network: NetworkAccess,
    id: u64,
    // Declared after the store, so the pool slot is free before the
    // permit that counts it is returned.
    _permit: OwnedSemaphorePermit,
}

/// Where an algorithm keeps its spare, shared by the clones of its
/// [`CompiledAlgorithm`].
#[derive(Default)]
pub(crate) struct SpareShelf {
    state: Mutex<ShelfState>,
    /// Wakes the calls waiting for the spare being made.
    made: Notify,
    /// The shortest time making a spare took to instantiate, in
    /// nanoseconds; 0 until one was made.
    instantiation_nanos: AtomicU64,
}

#[derive(Default)]
enum ShelfState {
    /// No spare, and none being made.
    #[default]
    Empty,
    /// One is being made.
    Making,
    /// One is ready.
    Ready(Box<Spare>),
    /// Making one failed or ran past its limit: calls instantiate as they
    /// run, and report what goes wrong.
    Unfit,
}

/// Numbers spares, so that an expiry drops only the spare it was set for.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

impl SpareShelf {
    /// Takes the spare for a call granted `network`: the one ready, or the
    /// one being made once it is (making it is already under way, so the
    /// wait is shorter than making another). A spare made for another
    /// grant is dropped.
    pub(crate) async fn take(&self, network: NetworkAccess) -> Option<Spare> {
        let made = self.made.notified();
        tokio::pin!(made);
        {
            let mut state = self.state.lock().expect("a shelf is never poisoned");
            match &*state {
                ShelfState::Ready(_) => return Self::take_ready(&mut state, network),
                ShelfState::Making => {
                    // Registered before the lock is released, so the
                    // maker's wake-up cannot be missed.
                    made.as_mut().enable();
                }
                ShelfState::Empty | ShelfState::Unfit => return None,
            }
        }
        _ = tokio::time::timeout(SPARE_INSTANTIATION_LIMIT, made).await;
        let mut state = self.state.lock().expect("a shelf is never poisoned");
        Self::take_ready(&mut state, network)
    }

    fn take_ready(state: &mut ShelfState, network: NetworkAccess) -> Option<Spare> {
        match std::mem::take(state) {
            ShelfState::Ready(spare) if spare.network == network => Some(*spare),
            // Made for another grant: dropped, and the shelf is empty.
            ShelfState::Ready(_) => None,
            other => {
                *state = other;
                None
            }
        }
    }

    /// Whether a spare is ready.
    pub(crate) fn is_ready(&self) -> bool {
        matches!(
            *self.state.lock().expect("a shelf is never poisoned"),
            ShelfState::Ready(_)
        )
    }

    /// Marks the shelf as being filled, if it is empty.
    fn begin_making(&self) -> bool {
        let mut state = self.state.lock().expect("a shelf is never poisoned");
        if matches!(*state, ShelfState::Empty) {
            *state = ShelfState::Making;
            return true;
        }
        false
    }

    /// Records how long making a spare took to instantiate, keeping the
    /// shortest seen: a machine busy for a moment makes one take longer,
    /// never shorter.
    fn note_instantiation(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
        let _ =
            self.instantiation_nanos
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |seen| {
                    (seen == 0 || took < seen).then_some(took)
                });
    }

    /// Whether a spare is worth making: the fastest of the algorithm's
    /// spares took at least [`SPARE_WORTH`] to instantiate, or none was
    /// made yet (making one measures it).
    fn is_worth_a_spare(&self) -> bool {
        let nanos = self.instantiation_nanos.load(Ordering::Relaxed);
        nanos == 0 || u128::from(nanos) >= SPARE_WORTH.as_nanos()
    }

    fn finish_making(&self, made: Option<Spare>) {
        let mut state = self.state.lock().expect("a shelf is never poisoned");
        *state = match made {
            Some(spare) => ShelfState::Ready(Box::new(spare)),
            None => ShelfState::Unfit,
        };
        self.made.notify_waiters();
    }

    /// Drops the spare numbered `id` if it is still waiting.
    fn expire(&self, id: u64) {
        let mut state = self.state.lock().expect("a shelf is never poisoned");
        if matches!(&*state, ShelfState::Ready(spare) if spare.id == id) {
            *state = ShelfState::Empty;
        }
    }
}

/// How many spares may wait at once, and when the cores are too busy to
/// make them: the runtime's own; making one takes the engine, limits and
/// egress policy from the [`Runtime`] itself.
pub(crate) struct SpareBudget {
    /// One per spare, made or being made ([`Limits::spare_instances`](crate::limits::Limits::spare_instances)).
    pub(crate) permits: Arc<Semaphore>,
    /// Above this many calls running at once the cores are busy, and no
    /// spares are made.
    pub(crate) busy_above: usize,
}

impl Runtime {
    /// Starts making a spare instance of `algorithm` for calls granted
    /// `network`, unless its shelf has one (or one is being made), it is a
    /// plain WASI program (whose store holds its call's stdin), it
    /// instantiates too quickly for a spare to pay ([`SPARE_WORTH`]),
    /// `running` calls keep the cores busy, or every spare permit is taken.
    /// Must run inside a Tokio runtime.
    pub(crate) fn refill_spare(
        &self,
        algorithm: &CompiledAlgorithm,
        network: NetworkAccess,
        running: usize,
    ) {
        let (pre, shelf) = (&algorithm.pre, &algorithm.spare);
        let inner = &self.inner;
        if !matches!(**pre, Prepared::Lifecycle(_))
            || running > inner.spares.busy_above
            || !shelf.is_worth_a_spare()
        {
            return;
        }
        let Ok(permit) = Arc::clone(&inner.spares.permits).try_acquire_owned() else {
            return;
        };
        if !shelf.begin_making() {
            return;
        }
        let engine = inner.engine.clone();
        let limits = inner.limits.clone();
        let egress = Arc::clone(&inner.egress);
        let pre = Arc::clone(pre);
        let shelf = Arc::clone(shelf);
        tokio::spawn(async move {
            let Prepared::Lifecycle(algorithm) = &*pre else {
                unreachable!("checked above")
            };
            let mut store = fresh_store::new_store(
                &engine,
                &limits,
                &egress,
                network,
                None,
                limits.stdio,
                CallParts::none(&limits),
            );
            let started = Instant::now();
            let limit = started + SPARE_INSTANTIATION_LIMIT;
            let made = engine
                .deadlines
                .run(
                    |_| Some((limit, ())),
                    algorithm.instantiate_async(&mut store),
                )
                .await;
            shelf.note_instantiation(started.elapsed());
            let Ok(Ok(instance)) = made else {
                tracing::debug!("no spare instance: instantiating failed or ran past its limit");
                shelf.finish_making(None);
                return;
            };
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            shelf.finish_making(Some(Spare {
                store,
                instance,
                network,
                id,
                _permit: permit,
            }));
            tokio::time::sleep(SPARE_IDLE).await;
            shelf.expire(id);
        });
    }
}
