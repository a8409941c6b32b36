//! Algorithms calling algorithms: what the runtime asks of whoever decides
//! what a name means (the platform resolves it against the registry).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use algobox_host_api::{AlgoError, Payload};

use crate::stop::StopHandle;

/// One call an algorithm makes to another.
#[derive(Debug, Clone)]
pub struct PipelineCall {
    /// `owner/name[/version]`, as the guest wrote it.
    pub algorithm: String,
    /// The input.
    pub input: Payload,
    /// The longest the callee may run: the caller's remaining time, or less
    /// if the guest asked for less.
    pub timeout: Duration,
    /// The caller's stop handle: stopping the caller stops the callee.
    pub stop: StopHandle,
}

/// Carries out calls from a running algorithm to others. The runtime calls
/// it only for invocations given one (see
/// [`Invocation::pipeline`](crate::invocation::Invocation::pipeline)); without one every
/// call gets a `PermissionDenied` error.
pub trait Pipeline: Send + Sync {
    /// Runs `call` and returns the callee's result, or an error with the
    /// callee's code (or `EntityNotFoundError`, `RecursionLimit`...).
    fn call(
        &self,
        call: PipelineCall,
    ) -> Pin<Box<dyn Future<Output = Result<Payload, AlgoError>> + Send>>;
}

/// The error a call gets without `pipeline_enabled`.
pub(crate) fn not_enabled() -> AlgoError {
    AlgoError::new(
        "this algorithm may not call other algorithms: its `pipeline_enabled` setting is false; set it to true and publish a new version",
    )
    .with_code("PermissionDenied")
}
