//! A single node's drain of its void calls: it waits for them until the
//! drain's deadline, then stops those still queued or running and records
//! them as failed, saying the server shut down and to call again. (A
//! cluster node hands its calls back to the queue instead: see
//! `cluster_calls/handover.rs`.)
//!
//! A single node's void calls live in its memory and its results folder,
//! which the next start empties, so no call is left showing `running`
//! after a restart, whether the node drained or was killed.

use std::time::{Duration, Instant};

use algobox_host_api::AlgoError;

use crate::Platform;
use crate::async_calls::AsyncCalls;
use crate::async_calls::unfinished_call::Ending;
use crate::call::CallFailure;
use crate::drain::DrainedCalls;

/// What a call the shutdown stopped failed with.
pub(crate) const SHUTDOWN_MESSAGE: &str =
    "The server shut down while this call ran; call the algorithm again.";

/// The `error_type` of [`SHUTDOWN_MESSAGE`]: the server, not the
/// algorithm, ended the call.
const SHUTDOWN_CODE: &str = "SystemError";

/// How often a draining node looks whether its calls have ended.
const POLL: Duration = Duration::from_millis(20);

/// How long the calls stopped at the deadline may take to end before the
/// drain records their failure itself and the process exits without them:
/// a guest that honours the stop ends at once, while one that does not
/// would be forced only after the stop's grace (5 s by default), too long
/// past a deadline chosen to fit the supervisor's wait. As long as a
/// cluster node's handover waits.
const SETTLING: Duration = Duration::from_secs(2);

/// The failure of a call the shutdown stopped after `elapsed`.
pub(crate) fn shutdown_failure(elapsed: Duration) -> CallFailure {
    CallFailure {
        error: AlgoError::new(SHUTDOWN_MESSAGE).with_code(SHUTDOWN_CODE),
        at_capacity: false,
        stopped: false,
        elapsed,
    }
}

impl AsyncCalls {
    /// How many calls are not recorded as finished yet.
    pub(super) fn unfinished_count(&self) -> usize {
        self.lock().unfinished.len()
    }

    /// How many calls have finished with their own outcome so far.
    pub(super) fn finished_count(&self) -> usize {
        self.finished.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops every call that is queued or running, marking it to be
    /// recorded as failed by the shutdown; returns how many.
    pub(super) fn stop_for_shutdown(&self) -> usize {
        let mut calls = self.lock();
        let mut stopped = 0;
        for (request_id, unfinished) in &mut calls.unfinished {
            if unfinished.ending == Ending::NotYet {
                unfinished.ending = Ending::ShutDown;
                unfinished.stop.request();
                stopped += 1;
                tracing::info!(%request_id, "stopped a void call still running at the drain's end");
            }
        }
        stopped
    }

    /// The calls the shutdown stopped that have not ended yet.
    fn stopped_and_unfinished(&self) -> Vec<String> {
        self.lock()
            .unfinished
            .iter()
            .filter(|(_, unfinished)| unfinished.ending == Ending::ShutDown)
            .map(|(request_id, _)| request_id.clone())
            .collect()
    }
}

impl Platform {
    /// A single node's drain (see the module's documentation): returns how
    /// many calls finished during it and how many it stopped.
    pub(crate) async fn drain_own_void_calls(&self, deadline: Instant) -> DrainedCalls {
        let calls = self.calls();
        let finished_before = calls.finished_count();
        while calls.unfinished_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
        let stopped = calls.stop_for_shutdown();
        if stopped > 0 {
            let settling = Instant::now() + SETTLING;
            while calls.unfinished_count() > 0 && Instant::now() < settling {
                tokio::time::sleep(POLL).await;
            }
            // A guest its stop has not ended yet ends with the process:
            // its failure is recorded now, and its own outcome, if it
            // comes, is ignored.
            let stuck = calls.stopped_and_unfinished();
            if !stuck.is_empty() {
                let platform = self.clone();
                let _recorded = tokio::task::spawn_blocking(move || {
                    for request_id in stuck {
                        platform
                            .calls()
                            .finish(&request_id, Err(shutdown_failure(Duration::ZERO)));
                    }
                })
                .await;
            }
        }
        DrainedCalls {
            finished: calls.finished_count().saturating_sub(finished_before),
            handed_back: 0,
            stopped,
        }
    }
}
