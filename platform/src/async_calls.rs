//! Calls made with `output=void`, kept so their caller can fetch the
//! outcome with `GET /v1/requests/:id` (beyond Algorithmia, which offers no
//! way to learn what a void call did).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::call::{CallFailure, CallOutcome};

/// The most progress reports kept per call: the latest ones, which are
/// what a caller polling the status wants, so that a chatty algorithm
/// cannot make the server hold its every report for the retention time.
pub const MAX_PROGRESS: usize = 100;

/// Where a void call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// Accepted, waiting for a slot.
    Queued,
    /// Running.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error.
    Failed,
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

/// The void calls of the last `retention`, by request id.
pub struct AsyncCalls {
    calls: Mutex<HashMap<String, CallRecord>>,
    retention: Duration,
}

impl AsyncCalls {
    /// Keeps finished calls for `retention`.
    pub fn new(retention: Duration) -> Self {
        Self {
            calls: Mutex::default(),
            retention,
        }
    }

    /// Records a new call by `caller`.
    pub fn insert(&self, request_id: &str, caller: &str) {
        let mut calls = self.lock();
        let now = Instant::now();
        calls.retain(|_, call| call.finished.is_none_or(|at| now - at < self.retention));
        calls.insert(
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

    /// Marks the call running.
    pub fn running(&self, request_id: &str) {
        if let Some(call) = self.lock().get_mut(request_id) {
            call.status = CallStatus::Running;
        }
    }

    /// Adds a progress report, keeping the latest [`MAX_PROGRESS`] of them.
    pub fn progress(&self, request_id: &str, progress: CallProgress) {
        if let Some(call) = self.lock().get_mut(request_id) {
            if call.progress.len() >= MAX_PROGRESS {
                call.progress.remove(0);
            }
            call.progress.push(progress);
        }
    }

    /// Records the outcome.
    pub fn finish(&self, request_id: &str, outcome: Result<CallOutcome, CallFailure>) {
        if let Some(call) = self.lock().get_mut(request_id) {
            call.status = if outcome.is_ok() {
                CallStatus::Succeeded
            } else {
                CallStatus::Failed
            };
            call.outcome = Some(outcome);
            call.finished = Some(Instant::now());
        }
    }

    /// The call, if `caller` made it and it has not expired. To anyone else
    /// it does not exist.
    pub fn get(&self, request_id: &str, caller: &str) -> Option<CallRecord> {
        let calls = self.lock();
        let call = calls.get(request_id)?;
        let expired = call
            .finished
            .is_some_and(|at| at.elapsed() >= self.retention);
        (call.caller == caller && !expired).then(|| call.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CallRecord>> {
        self.calls.lock().expect("async call table poisoned")
    }
}

#[cfg(test)]
mod tests {
    use crate::async_calls::*;

    #[test]
    fn a_call_is_visible_to_its_caller_until_it_expires() {
        let calls = AsyncCalls::new(Duration::from_millis(50));
        calls.insert("req-1", "alice");
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
    fn only_the_latest_progress_reports_are_kept() {
        let calls = AsyncCalls::new(Duration::from_secs(60));
        calls.insert("req-2", "alice");
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
}
