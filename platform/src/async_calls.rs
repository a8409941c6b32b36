//! Calls made with `output=void`, kept so their caller can fetch the
//! outcome with `GET /v1/requests/:id` (beyond Algorithmia, which offers no
//! way to learn what a void call did).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use algobox_runtime::stop::StopHandle;
use serde::Serialize;

use crate::call::{CallFailure, CallOutcome};

/// The most progress reports kept per call: the latest ones, which are
/// what a caller polling the status wants, so that a chatty algorithm
/// cannot make the server hold its every report for the retention time.
pub const MAX_PROGRESS: usize = 100;

/// Where a void call is, in Hkube's terms where it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// Accepted, waiting for a slot.
    Queued,
    /// In a slot: instantiating and initializing.
    Running,
    /// The lifecycle's `start` began (Hkube `started`).
    Started,
    /// Asked to stop, and not ended yet (Hkube `stopping`).
    Stopping,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Ended by a stop (Hkube `stopped`).
    Stopped,
}

impl CallStatus {
    /// Whether the call has ended.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Stopped)
    }
}

/// A progress report, as the status endpoint shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallProgress {
    /// From 0 to 100.
    pub percent: f32,
    /// Free-form details.
    pub details: Option<String>,
    /// Seconds since the call started.
    pub elapsed: f64,
}

/// What is known of a void call; a server renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The request id the void call answered with.
    pub request_id: String,
    /// Where the call is.
    pub status: CallStatus,
    /// Progress reports so far.
    pub progress: Vec<CallProgress>,
    /// The outcome, once finished.
    pub outcome: Option<Result<CallOutcome, CallFailure>>,
    caller: String,
    finished: Option<Instant>,
}

/// The bytes of finished results one account's void calls may hold by
/// default; past it, its oldest results are dropped.
pub const DEFAULT_RESULT_BYTES_PER_ACCOUNT: usize = 64 << 20;

/// The void calls of the last `retention`, by request id.
pub struct AsyncCalls {
    calls: Mutex<Table>,
    retention: Duration,
    result_bytes_per_account: usize,
}

/// The calls, and each account's finished results in the order they
/// finished, with their sizes.
#[derive(Default)]
struct Table {
    records: HashMap<String, CallRecord>,
    kept: HashMap<String, Kept>,
    /// The stop of each call not finished yet.
    stops: HashMap<String, StopHandle>,
}

/// One account's finished results.
#[derive(Default)]
struct Kept {
    order: VecDeque<(String, usize)>,
    bytes: usize,
}

impl AsyncCalls {
    /// Keeps finished calls for `retention`.
    pub fn new(retention: Duration) -> Self {
        Self {
            calls: Mutex::default(),
            retention,
            result_bytes_per_account: DEFAULT_RESULT_BYTES_PER_ACCOUNT,
        }
    }

    /// Keeps at most `bytes` of finished results per account: an account's
    /// flood of large results pushes out its own oldest, not anyone else's.
    pub fn with_result_bytes_per_account(mut self, bytes: usize) -> Self {
        self.result_bytes_per_account = bytes;
        self
    }

    /// Records a new call by `caller`, which `stop` stops.
    pub fn insert(&self, request_id: &str, caller: &str, stop: StopHandle) {
        let mut calls = self.lock();
        let now = Instant::now();
        let retention = self.retention;
        calls
            .records
            .retain(|_, call| call.finished.is_none_or(|at| now - at < retention));
        let Table { records, kept, .. } = &mut *calls;
        kept.retain(|_, account| {
            account.order.retain(|(id, size)| {
                let live = records.contains_key(id);
                if !live {
                    account.bytes -= size;
                }
                live
            });
            !account.order.is_empty()
        });
        calls.stops.insert(request_id.to_owned(), stop);
        calls.records.insert(
            request_id.to_owned(),
            CallRecord {
                request_id: request_id.to_owned(),
                status: CallStatus::Queued,
                progress: Vec::new(),
                outcome: None,
                caller: caller.to_owned(),
                finished: None,
            },
        );
    }

    /// Marks the call running (in a slot), unless it is stopping.
    pub fn running(&self, request_id: &str) {
        self.advance(request_id, CallStatus::Running);
    }

    /// Marks that the call's `start` began, unless it is stopping.
    pub fn started(&self, request_id: &str) {
        self.advance(request_id, CallStatus::Started);
    }

    fn advance(&self, request_id: &str, status: CallStatus) {
        if let Some(call) = self.lock().records.get_mut(request_id)
            && call.status != CallStatus::Stopping
            && !call.status.is_final()
        {
            call.status = status;
        }
    }

    /// Asks `caller`'s call to stop (Hkube `stop`) and returns its status:
    /// `stopping` until it ends, or how it ended if it had. `None` when
    /// `caller` has no such call, as for [`get`](Self::get).
    pub fn stop(&self, request_id: &str, caller: &str) -> Option<CallStatus> {
        let mut calls = self.lock();
        let Table { records, stops, .. } = &mut *calls;
        let call = records.get_mut(request_id)?;
        if call.caller != caller {
            return None;
        }
        if let Some(stop) = stops.get(request_id) {
            stop.request();
            call.status = CallStatus::Stopping;
        }
        Some(call.status)
    }

    /// Adds a progress report, keeping the latest [`MAX_PROGRESS`] of them.
    pub fn progress(&self, request_id: &str, progress: CallProgress) {
        if let Some(call) = self.lock().records.get_mut(request_id) {
            if call.progress.len() >= MAX_PROGRESS {
                call.progress.remove(0);
            }
            call.progress.push(progress);
        }
    }

    /// Records the outcome.
    pub fn finish(&self, request_id: &str, outcome: Result<CallOutcome, CallFailure>) {
        let mut calls = self.lock();
        calls.stops.remove(request_id);
        let Table { records, kept, .. } = &mut *calls;
        let Some(call) = records.get_mut(request_id) else {
            return;
        };
        call.status = match &outcome {
            Ok(_) => CallStatus::Succeeded,
            Err(failure) if failure.stopped => CallStatus::Stopped,
            Err(_) => CallStatus::Failed,
        };
        let size = outcome_bytes(&outcome);
        call.outcome = Some(outcome);
        call.finished = Some(Instant::now());
        let account = kept.entry(call.caller.clone()).or_default();
        account.order.push_back((request_id.to_owned(), size));
        account.bytes += size;
        // The newest result stays even alone past the budget: the caller
        // asked for it last.
        while account.bytes > self.result_bytes_per_account && account.order.len() > 1 {
            let (oldest, size) = account.order.pop_front().expect("not empty");
            account.bytes -= size;
            records.remove(&oldest);
        }
    }

    /// The call, if `caller` made it and it has not expired. To anyone else
    /// it does not exist.
    pub fn get(&self, request_id: &str, caller: &str) -> Option<CallRecord> {
        let calls = self.lock();
        let call = calls.records.get(request_id)?;
        let expired = call
            .finished
            .is_some_and(|at| at.elapsed() >= self.retention);
        (call.caller == caller && !expired).then(|| call.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.calls.lock().expect("async call table poisoned")
    }
}

/// The bytes a finished call holds: its result and what it printed, or
/// its error.
fn outcome_bytes(outcome: &Result<CallOutcome, CallFailure>) -> usize {
    match outcome {
        Ok(outcome) => {
            let payload = match &outcome.output.payload {
                algobox_host_api::Payload::Text(text) | algobox_host_api::Payload::Json(text) => {
                    text.len()
                }
                algobox_host_api::Payload::Binary(bytes) => bytes.len(),
                algobox_host_api::Payload::Void => 0,
            };
            payload + outcome.output.stdout.len() + outcome.output.stderr.len()
        }
        Err(failure) => {
            failure.error.message.len() + failure.error.details.as_ref().map_or(0, String::len)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::async_calls::*;

    #[test]
    fn a_call_is_visible_to_its_caller_until_it_expires() {
        let calls = AsyncCalls::new(Duration::from_millis(50));
        calls.insert("req-1", "alice", StopHandle::new());
        assert_eq!(
            calls.get("req-1", "alice").unwrap().status,
            CallStatus::Queued
        );
        assert!(calls.get("req-1", "bob").is_none());
        calls.running("req-1");
        calls.progress(
            "req-1",
            CallProgress {
                percent: 50.0,
                details: None,
                elapsed: 0.1,
            },
        );
        let failure = CallFailure {
            error: algobox_host_api::AlgoError::new("no"),
            at_capacity: false,
            stopped: false,
            elapsed: Duration::from_millis(3),
        };
        calls.finish("req-1", Err(failure.clone()));
        let call = calls.get("req-1", "alice").unwrap();
        assert_eq!(call.status, CallStatus::Failed);
        assert_eq!(call.progress.len(), 1);
        assert_eq!(call.outcome, Some(Err(failure)));
        std::thread::sleep(Duration::from_millis(60));
        assert!(calls.get("req-1", "alice").is_none());
    }

    #[test]
    fn a_stop_reaches_its_callers_call_only_and_ends_as_stopped() {
        let calls = AsyncCalls::new(Duration::from_secs(60));
        let stop = StopHandle::new();
        calls.insert("req-s", "alice", stop.clone());
        calls.running("req-s");
        calls.started("req-s");
        assert_eq!(
            calls.get("req-s", "alice").unwrap().status,
            CallStatus::Started
        );

        // Someone else's stop finds nothing, and stops nothing.
        assert_eq!(calls.stop("req-s", "bob"), None);
        assert!(!stop.is_requested());
        assert_eq!(calls.stop("req-s", "alice"), Some(CallStatus::Stopping));
        assert!(stop.is_requested());
        // A late lifecycle event does not hide the stopping.
        calls.started("req-s");
        assert_eq!(
            calls.get("req-s", "alice").unwrap().status,
            CallStatus::Stopping
        );

        let stopped = CallFailure {
            error: algobox_host_api::AlgoError::new("stopped"),
            at_capacity: false,
            stopped: true,
            elapsed: Duration::ZERO,
        };
        calls.finish("req-s", Err(stopped));
        assert_eq!(
            calls.get("req-s", "alice").unwrap().status,
            CallStatus::Stopped
        );
        assert_eq!(calls.stop("req-s", "alice"), Some(CallStatus::Stopped));
    }

    #[test]
    fn only_the_latest_progress_reports_are_kept() {
        let calls = AsyncCalls::new(Duration::from_secs(60));
        calls.insert("req-2", "alice", StopHandle::new());
        for step in 0..1_000 {
            calls.progress(
                "req-2",
                CallProgress {
                    percent: step as f32 / 10.0,
                    details: Some(format!("step {step}")),
                    elapsed: 0.0,
                },
            );
        }
        let call = calls.get("req-2", "alice").unwrap();
        assert_eq!(call.progress.len(), MAX_PROGRESS);
        assert_eq!(call.progress[0].details.as_deref(), Some("step 900"));
        assert_eq!(call.progress[99].details.as_deref(), Some("step 999"));
    }

    #[test]
    fn an_accounts_results_push_out_its_own_oldest_only() {
        let calls = AsyncCalls::new(Duration::from_secs(60)).with_result_bytes_per_account(1000);
        let failure = |bytes: usize| CallFailure {
            error: algobox_host_api::AlgoError::new("x".repeat(bytes)),
            at_capacity: false,
            stopped: false,
            elapsed: Duration::ZERO,
        };
        calls.insert("req-bob", "bob", StopHandle::new());
        calls.finish("req-bob", Err(failure(400)));
        for id in ["req-a1", "req-a2", "req-a3"] {
            calls.insert(id, "alice", StopHandle::new());
            calls.finish(id, Err(failure(400)));
        }
        // 1,200 bytes of alice's past 1,000: her oldest went.
        assert!(calls.get("req-a1", "alice").is_none());
        assert!(calls.get("req-a2", "alice").is_some());
        assert!(calls.get("req-a3", "alice").is_some());
        // Bob's result is his own budget's.
        assert!(calls.get("req-bob", "bob").is_some());
        // A result larger than the budget alone is still kept.
        calls.insert("req-a4", "alice", StopHandle::new());
        calls.finish("req-a4", Err(failure(5000)));
        assert!(calls.get("req-a4", "alice").is_some());
        assert!(calls.get("req-a3", "alice").is_none());
    }
}
