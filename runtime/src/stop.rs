//! Stopping a running invocation from outside, the Hkube way: `stop`,
//! a grace period, then the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::{Duration, Instant};

/// Asks a running invocation to stop: Hkube's `stop`.
///
/// The stop is cooperative first: the guest sees `stop-requested()` return
/// true and has the grace period of its [`Limits`](crate::limits::Limits) to return
/// (it may extend that, up to a cap). Past the grace period it is stopped by
/// force. Either way the invocation ends in
/// [`InvokeError::Stopped`](crate::error::InvokeError::Stopped).
///
/// # Example
///
/// ```no_run
/// # async fn demo(runtime: algobox_runtime::Runtime, algorithm: algobox_runtime::compiled_algorithm::CompiledAlgorithm) {
/// use algobox_host_api::Payload;
/// use algobox_runtime::invocation::Invocation;
/// use algobox_runtime::stop::StopHandle;
///
/// let stop = StopHandle::new();
/// let invocation = Invocation::new(Payload::text("work")).stop_handle(stop.clone());
/// let call = runtime.invoke(&algorithm, invocation);
/// stop.request(); // from anywhere, for instance another task
/// assert!(call.await.is_err());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct StopHandle {
    state: Arc<StopState>,
}

#[derive(Debug, Default)]
struct StopState {
    requested: AtomicBool,
    timing: Mutex<Timing>,
}

/// When a requested stop turns forced.
#[derive(Debug, Default)]
struct Timing {
    requested_at: Option<Instant>,
    force_at: Option<Instant>,
    grace: Duration,
    max_grace: Duration,
    /// The invocation to wake so it files the new forced deadline.
    waker: Option<Waker>,
}

impl StopHandle {
    /// A handle for one invocation; pass a clone in the
    /// [`Invocation`](crate::invocation::Invocation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests the stop. Idempotent.
    pub fn request(&self) {
        if self.state.requested.swap(true, Ordering::SeqCst) {
            return;
        }
        let waker = {
            let mut timing = self.lock();
            let now = Instant::now();
            timing.requested_at = Some(now);
            timing.force_at = Some(now + timing.grace);
            timing.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.state.requested.load(Ordering::SeqCst)
    }

    /// Arms the handle for an invocation with these grace periods.
    pub(crate) fn arm(&self, grace: Duration, max_grace: Duration) {
        let mut timing = self.lock();
        timing.grace = grace;
        timing.max_grace = max_grace;
        if let Some(requested_at) = timing.requested_at {
            timing.force_at = Some(requested_at + grace);
        }
    }

    /// Restarts the grace period, capped at the maximum after the request.
    pub(crate) fn extend_grace(&self) {
        let mut timing = self.lock();
        if let Some(requested_at) = timing.requested_at {
            let cap = requested_at + timing.max_grace;
            timing.force_at = Some((Instant::now() + timing.grace).min(cap));
        }
    }

    /// When the stop turns forced, if one was requested. Keeps `waker` so a
    /// later request can wake the invocation.
    pub(crate) fn force_at(&self, waker: Option<&Waker>) -> Option<Instant> {
        let mut timing = self.lock();
        if timing.force_at.is_none()
            && let Some(waker) = waker
            && !timing.waker.as_ref().is_some_and(|w| w.will_wake(waker))
        {
            timing.waker = Some(waker.clone());
        }
        timing.force_at
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Timing> {
        self.state.timing.lock().expect("stop state poisoned")
    }
}
