//! What a cluster knows of a void call, as JSON in its key-value bucket
//! under the request id. The outcome is kept apart, under
//! `<request id>.result` (or in the object store when too large for a
//! message), in the results folder's format.

use serde::{Deserialize, Serialize};

use crate::async_calls::{CallProgress, CallStatus, keep_latest_progress, progress_bytes};

/// A void call's status, for its caller, written by the node running it
/// (or the node that accepted it, until then).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredRecord {
    pub(crate) caller: String,
    pub(crate) status: CallStatus,
    pub(crate) progress: Vec<CallProgress>,
    /// Where the outcome waits, once the call finished.
    pub(crate) result: Option<ResultPlace>,
    /// The node running it, if one is.
    pub(crate) node: Option<String>,
    /// How many times draining nodes handed it back to the queue; those
    /// deliveries do not count towards the ones after which it fails.
    #[serde(default)]
    pub(crate) handed_back: u32,
    /// Set, on this node only, once a drain handed the call back: the run
    /// still ending here must not overwrite the record another node writes.
    #[serde(skip)]
    pub(crate) released: bool,
}

/// Where a finished call's outcome is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ResultPlace {
    /// In the key-value bucket, under `<request id>.result`.
    Bucket,
    /// In the object store, under `<request id>.result`.
    Objects,
}

impl StoredRecord {
    /// A call just accepted by `caller`.
    pub(crate) fn queued(caller: &str) -> Self {
        Self {
            caller: caller.to_owned(),
            status: CallStatus::Queued,
            progress: Vec::new(),
            result: None,
            node: None,
            handed_back: 0,
            released: false,
        }
    }

    /// Moves to `status` unless the call is stopping or has ended, as a
    /// single node's record does.
    pub(crate) fn advance(&mut self, status: CallStatus) {
        if self.status != CallStatus::Stopping && !self.status.is_final() {
            self.status = status;
        }
    }

    /// Adds a progress report, keeping the latest ones within the same
    /// bounds as a single node.
    pub(crate) fn add_progress(&mut self, progress: CallProgress) {
        self.progress.push(progress);
        let mut bytes = self.progress.iter().map(progress_bytes).sum();
        keep_latest_progress(&mut self.progress, &mut bytes);
    }
}
