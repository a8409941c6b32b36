//! A void call not recorded as finished yet: how to stop it, and whether
//! its outcome is its own or the shutdown's.

use algobox_runtime::stop::StopHandle;

/// A void call between its acceptance and the record of its outcome.
pub(crate) struct UnfinishedCall {
    /// Stops it (`DELETE /v1/requests/:id`, or a single node's shutdown).
    pub(crate) stop: StopHandle,
    /// Where its ending is.
    pub(crate) ending: Ending,
}

/// How far an unfinished call is towards its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Queued or running.
    NotYet,
    /// Its outcome is being recorded (a result file written): it ends as
    /// it did, whatever a shutdown does meanwhile.
    Recording,
    /// A single node's shutdown stopped it: it is recorded as failed,
    /// saying the server shut down, whatever outcome the stop gave it.
    ShutDown,
}
