//! Calls made with `output=void`, kept so their caller can fetch the
//! outcome with `GET /v1/requests/:id` (beyond Algorithmia, which offers no
//! way to learn what a void call did).

pub(crate) mod result_file;
pub(crate) mod shutdown;
pub(crate) mod unfinished_call;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use algobox_runtime::stop::StopHandle;
use serde::{Deserialize, Serialize};

use crate::async_calls::shutdown::shutdown_failure;
use crate::async_calls::unfinished_call::{Ending, UnfinishedCall};
use crate::call::{CallFailure, CallOutcome};

/// The most progress reports kept per call: the latest ones, which are
/// what a caller polling the status wants, so that a chatty algorithm
/// cannot make the server hold its every report for the retention time.
pub const MAX_PROGRESS: usize = 100;

/// The most bytes of progress details kept per call: past it, the oldest
/// reports go, as past [`MAX_PROGRESS`].
pub const MAX_PROGRESS_BYTES: usize = 64 << 10;

/// The most finished results one account's void calls keep by default;
/// past it, its oldest go.
pub const DEFAULT_RESULTS_PER_ACCOUNT: usize = 1_000;

/// Where a void call is, in Hkube's terms where it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Whether the outcome waits in the results folder rather than in
    /// `outcome`.
    on_disk: bool,
    /// The bytes of the progress details kept.
    progress_bytes: usize,
}

impl CallRecord {
    /// A record kept elsewhere (a cluster's key-value bucket), for
    /// `caller`.
    pub(crate) fn kept_elsewhere(
        request_id: &str,
        caller: &str,
        status: CallStatus,
        progress: Vec<CallProgress>,
        outcome: Option<Result<CallOutcome, CallFailure>>,
    ) -> Self {
        Self {
            request_id: request_id.to_owned(),
            status,
            progress,
            outcome,
            caller: caller.to_owned(),
            finished: None,
            on_disk: false,
            progress_bytes: 0,
        }
    }
}

/// The bytes of finished results one account's void calls may hold by
/// default; past it, its oldest results are dropped.
pub const DEFAULT_RESULT_BYTES_PER_ACCOUNT: usize = 64 << 20;

/// The void calls of the last `retention`, by request id. Their outcomes
/// wait in a results folder when given one ([`in_folder`](Self::in_folder)),
/// else in memory; either way each account's are bounded in count and bytes.
pub struct AsyncCalls {
    calls: Mutex<Table>,
    retention: Duration,
    result_bytes_per_account: usize,
    results_per_account: usize,
    folder: Option<PathBuf>,
    /// How many calls have finished with their own outcome since the
    /// table was made (not those a shutdown ended), for a drain's count.
    finished: AtomicUsize,
}

/// The calls, and each account's finished results in the order they
/// finished, with their sizes.
#[derive(Default)]
struct Table {
    records: HashMap<String, CallRecord>,
    kept: HashMap<String, Kept>,
    /// Each call not recorded as finished yet: its stop, and how it ends.
    unfinished: HashMap<String, UnfinishedCall>,
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
            results_per_account: DEFAULT_RESULTS_PER_ACCOUNT,
            folder: None,
            finished: AtomicUsize::new(0),
        }
    }

    /// Keeps finished outcomes as files in `folder` (created if missing)
    /// rather than in memory. Results do not outlive the process that ran
    /// their calls, so files left by an earlier one are removed now.
    pub fn in_folder(mut self, folder: &Path) -> std::io::Result<Self> {
        match std::fs::remove_dir_all(folder) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
        std::fs::create_dir_all(folder)?;
        self.folder = Some(folder.to_owned());
        Ok(self)
    }

    /// Keeps at most `count` finished results per account.
    pub fn with_results_per_account(mut self, count: usize) -> Self {
        self.results_per_account = count.max(1);
        self
    }

    /// Keeps at most `bytes` of finished results per account: an account's
    /// flood of large results pushes out its own oldest, not anyone else's.
    pub fn with_result_bytes_per_account(mut self, bytes: usize) -> Self {
        self.result_bytes_per_account = bytes;
        self
    }

    /// How long finished results are kept.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// Records a new call by `caller`, which `stop` stops. Expired results
    /// go first.
    pub fn insert(&self, request_id: &str, caller: &str, stop: StopHandle) {
        let mut calls = self.lock();
        let now = Instant::now();
        let retention = self.retention;
        let mut expired = Vec::new();
        calls.records.retain(|id, call| {
            let live = call.finished.is_none_or(|at| now - at < retention);
            if !live && call.on_disk {
                expired.push(id.clone());
            }
            live
        });
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
        calls.unfinished.insert(
            request_id.to_owned(),
            UnfinishedCall {
                stop,
                ending: Ending::NotYet,
            },
        );
        calls.records.insert(
            request_id.to_owned(),
            CallRecord {
                request_id: request_id.to_owned(),
                status: CallStatus::Queued,
                progress: Vec::new(),
                outcome: None,
                caller: caller.to_owned(),
                finished: None,
                on_disk: false,
                progress_bytes: 0,
            },
        );
        drop(calls);
        self.remove_files(&expired);
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
        let Table {
            records,
            unfinished,
            ..
        } = &mut *calls;
        let call = records.get_mut(request_id)?;
        if call.caller != caller {
            return None;
        }
        if let Some(unfinished) = unfinished.get(request_id) {
            unfinished.stop.request();
            call.status = CallStatus::Stopping;
        }
        Some(call.status)
    }

    /// Adds a progress report, keeping the latest [`MAX_PROGRESS`] of them
    /// and at most [`MAX_PROGRESS_BYTES`] of their details.
    pub fn progress(&self, request_id: &str, progress: CallProgress) {
        if let Some(call) = self.lock().records.get_mut(request_id) {
            call.progress_bytes += progress_bytes(&progress);
            call.progress.push(progress);
            keep_latest_progress(&mut call.progress, &mut call.progress_bytes);
        }
    }

    /// Records the outcome: in the results folder when there is one (the
    /// file is written before the lock is taken), else in memory. A call a
    /// single node's shutdown stopped is recorded as failed, saying so,
    /// whatever `outcome` is; a call already recorded keeps its record.
    /// Blocks on the file system: call it off the async executor.
    pub fn finish(&self, request_id: &str, outcome: Result<CallOutcome, CallFailure>) {
        let ending = {
            let mut calls = self.lock();
            match calls.unfinished.get_mut(request_id) {
                Some(unfinished) => {
                    if unfinished.ending == Ending::NotYet {
                        unfinished.ending = Ending::Recording;
                    }
                    unfinished.ending
                }
                // Recorded already (by a shutdown that could not wait for
                // it), or unknown.
                None => return,
            }
        };
        let outcome = match ending {
            Ending::ShutDown => Err(shutdown_failure(match &outcome {
                Ok(done) => done.output.duration,
                Err(failure) => failure.elapsed,
            })),
            Ending::NotYet | Ending::Recording => {
                self.finished.fetch_add(1, Ordering::Relaxed);
                outcome
            }
        };
        let status = match &outcome {
            Ok(_) => CallStatus::Succeeded,
            Err(failure) if failure.stopped => CallStatus::Stopped,
            Err(_) => CallStatus::Failed,
        };
        let size = outcome_bytes(&outcome);
        let on_disk = match self.file(request_id) {
            Some(path) => match result_file::write(&path, &outcome) {
                Ok(()) => true,
                Err(err) => {
                    // Kept in memory instead: the caller still gets it.
                    tracing::warn!(%request_id, "cannot keep a void call's result in {}: {err}", path.display());
                    false
                }
            },
            None => false,
        };
        let mut calls = self.lock();
        calls.unfinished.remove(request_id);
        let Table { records, kept, .. } = &mut *calls;
        let Some(call) = records.get_mut(request_id) else {
            drop(calls);
            if on_disk {
                self.remove_files(&[request_id.to_owned()]);
            }
            return;
        };
        call.status = status;
        call.on_disk = on_disk;
        if !on_disk {
            call.outcome = Some(outcome);
        }
        call.finished = Some(Instant::now());
        let account = kept.entry(call.caller.clone()).or_default();
        account.order.push_back((request_id.to_owned(), size));
        account.bytes += size;
        // The newest result stays even alone past the budgets: the caller
        // asked for it last.
        let mut evicted = Vec::new();
        while (account.bytes > self.result_bytes_per_account
            || account.order.len() > self.results_per_account)
            && account.order.len() > 1
        {
            let (oldest, size) = account.order.pop_front().expect("not empty");
            account.bytes -= size;
            if records.remove(&oldest).is_some_and(|call| call.on_disk) {
                evicted.push(oldest);
            }
        }
        drop(calls);
        self.remove_files(&evicted);
    }

    /// The call, if `caller` made it and it has not expired; its outcome is
    /// read from the results folder if it waits there. To anyone else it
    /// does not exist. Blocks on the file system for a finished call.
    pub fn get(&self, request_id: &str, caller: &str) -> Option<CallRecord> {
        let mut call = {
            let calls = self.lock();
            let call = calls.records.get(request_id)?;
            let expired = call
                .finished
                .is_some_and(|at| at.elapsed() >= self.retention);
            if call.caller != caller || expired {
                return None;
            }
            call.clone()
        };
        if call.on_disk {
            let path = self.file(request_id)?;
            match result_file::read(&path) {
                Ok(outcome) => call.outcome = Some(outcome),
                // Pushed out since the lock was released, or damaged.
                Err(err) => {
                    tracing::warn!(%request_id, "cannot read a void call's result from {}: {err}", path.display());
                    return None;
                }
            }
        }
        Some(call)
    }

    /// Where `request_id`'s outcome is kept, if in a folder. Request ids
    /// are the server's own, but only a plain name becomes a file name.
    fn file(&self, request_id: &str) -> Option<PathBuf> {
        let folder = self.folder.as_ref()?;
        is_plain_request_id(request_id).then(|| folder.join(request_id))
    }

    fn remove_files(&self, request_ids: &[String]) {
        for request_id in request_ids {
            if let Some(path) = self.file(request_id)
                && let Err(err) = std::fs::remove_file(&path)
                && err.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("cannot remove the expired result {}: {err}", path.display());
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.calls.lock().expect("async call table poisoned")
    }
}

/// Whether `request_id` may name a file or a key: the server's own ids
/// always do, and anything else names no call.
pub(crate) fn is_plain_request_id(request_id: &str) -> bool {
    !request_id.is_empty()
        && request_id.len() <= 128
        && request_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The bytes of a progress report's details.
pub(crate) fn progress_bytes(progress: &CallProgress) -> usize {
    progress.details.as_ref().map_or(0, String::len)
}

/// Drops the oldest reports of `progress`, whose details hold `bytes`,
/// until at most [`MAX_PROGRESS`] of them and [`MAX_PROGRESS_BYTES`] of
/// details are left; the newest report always stays.
pub(crate) fn keep_latest_progress(progress: &mut Vec<CallProgress>, bytes: &mut usize) {
    let kept = progress.len();
    let mut dropped = 0;
    while kept - dropped > 1 && (kept - dropped > MAX_PROGRESS || *bytes > MAX_PROGRESS_BYTES) {
        *bytes -= progress_bytes(&progress[dropped]);
        dropped += 1;
    }
    progress.drain(..dropped);
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
mod tests;
