//! Calling other algorithms. The algorithm needs its `pipeline_enabled`
//! setting; without it every call fails with code `PermissionDenied`.
//!
//! A call acts for whoever called this algorithm (their private algorithms
//! are reachable, nobody else's), ends by this invocation's deadline at the
//! latest, and stops when this invocation is stopped.
//!
//! ```no_run
//! use algobox_guest_sdk::{AlgoError, export_function, pipeline};
//!
//! fn greet_twice(name: String) -> Result<String, AlgoError> {
//!     let once: String = pipeline::call("admin/hello/0.1.*", name)?;
//!     pipeline::call("admin/hello/0.1.*", once)
//! }
//!
//! export_function!(greet_twice);
//! # fn main() {}
//! ```

use std::time::Duration;

use crate::bindings::algobox::algorithm::pipeline;
use crate::{AlgoError, FromPayload, IntoOutput};

/// Calls `algorithm` (`owner/name`, optionally `/version`: `1.2.3`, `1.*`,
/// a build hash...) with `input`, and decodes its result as `O`. An error
/// from the callee keeps its code (Algorithmia's `error_type`).
pub fn call<O: FromPayload>(algorithm: &str, input: impl IntoOutput) -> Result<O, AlgoError> {
    call_with_timeout(algorithm, input, None)
}

/// [`call`], giving up after `timeout` (or this invocation's deadline, if
/// sooner).
pub fn call_with_timeout<O: FromPayload>(
    algorithm: &str,
    input: impl IntoOutput,
    timeout: Option<Duration>,
) -> Result<O, AlgoError> {
    let input = input.into_output()?.into();
    let timeout_ms = timeout.map(|timeout| u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
    match pipeline::call(algorithm, &input, timeout_ms) {
        Ok(payload) => O::from_payload(payload.into()),
        Err(err) => Err(crate::bindings::algo_error(err)),
    }
}
