//! What the host provides to a running algorithm: progress, logs, and stop
//! requests.
//!
//! [`Context`] is handed to [`Algorithm::start`](crate::Algorithm::start);
//! the same calls are free functions here for code that has no `Context` at
//! hand (a function exported with [`export_function!`](crate::export_function)).
//! Every call counts against the invocation's host-call limits, so report
//! progress per step of work, not per item.
//!
//! These calls only work inside a running guest: on a native target they
//! panic, because there is no host to answer them.

use algobox_host_api::AlgoError;

use crate::bindings::algobox::algorithm::{context as host, types};
use crate::error_code;

/// How loud a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogLevel {
    /// Very detailed tracing.
    Trace,
    /// Information for debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something looks wrong, but the algorithm goes on.
    Warn,
    /// Something failed.
    Error,
}

impl From<LogLevel> for types::LogLevel {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Trace => Self::Trace,
            LogLevel::Debug => Self::Debug,
            LogLevel::Info => Self::Info,
            LogLevel::Warn => Self::Warn,
            LogLevel::Error => Self::Error,
        }
    }
}

/// Reports progress: `percent` from 0 to 100, with optional details
/// (`None`, a `String`, or `Some(..)`).
pub fn progress(percent: f32, details: impl Into<Option<String>>) {
    host::progress(percent, details.into().as_deref());
}

/// Writes a line to the invocation's log.
pub fn log(level: LogLevel, message: &str) {
    host::log(level.into(), message);
}

/// Writes a [`LogLevel::Trace`] line.
pub fn trace(message: &str) {
    log(LogLevel::Trace, message);
}

/// Writes a [`LogLevel::Debug`] line.
pub fn debug(message: &str) {
    log(LogLevel::Debug, message);
}

/// Writes a [`LogLevel::Info`] line.
pub fn info(message: &str) {
    log(LogLevel::Info, message);
}

/// Writes a [`LogLevel::Warn`] line.
pub fn warn(message: &str) {
    log(LogLevel::Warn, message);
}

/// Writes a [`LogLevel::Error`] line.
pub fn error(message: &str) {
    log(LogLevel::Error, message);
}

/// Whether a stop was requested. Cheap: poll it in long loops, then finish
/// or abandon the work and return.
pub fn stop_requested() -> bool {
    host::stop_requested()
}

/// `Ok` while the algorithm may go on; once a stop was requested, an
/// [`AlgoError`] with code [`error_code::STOPPED`], so that `check_stop()?`
/// in a loop ends the run.
pub fn check_stop() -> Result<(), AlgoError> {
    if stop_requested() {
        Err(stopped())
    } else {
        Ok(())
    }
}

/// Asks for more time to finish after a stop was requested; each call
/// restarts the grace period, up to a cap the host sets.
pub fn extend_grace() {
    host::extend_grace();
}

/// The error [`check_stop`] returns.
fn stopped() -> AlgoError {
    AlgoError::new("the algorithm stopped early because a stop was requested")
        .with_code(error_code::STOPPED)
}

/// The host's services during [`Algorithm::start`](crate::Algorithm::start).
///
/// Each method does what the free function of the same name in
/// [`context`](self) does.
#[derive(Debug)]
pub struct Context {
    // Only the SDK makes one, so that holding a `Context` means running
    // inside `start`.
    _private: (),
}

impl Context {
    /// The context of the running invocation.
    pub(crate) fn new() -> Self {
        Self { _private: () }
    }

    /// See [`progress`].
    pub fn progress(&self, percent: f32, details: impl Into<Option<String>>) {
        progress(percent, details);
    }

    /// See [`log`].
    pub fn log(&self, level: LogLevel, message: &str) {
        log(level, message);
    }

    /// See [`trace`].
    pub fn trace(&self, message: &str) {
        trace(message);
    }

    /// See [`debug`].
    pub fn debug(&self, message: &str) {
        debug(message);
    }

    /// See [`info`].
    pub fn info(&self, message: &str) {
        info(message);
    }

    /// See [`warn`].
    pub fn warn(&self, message: &str) {
        warn(message);
    }

    /// See [`error`].
    pub fn error(&self, message: &str) {
        error(message);
    }

    /// See [`stop_requested`].
    pub fn stop_requested(&self) -> bool {
        stop_requested()
    }

    /// See [`check_stop`].
    pub fn check_stop(&self) -> Result<(), AlgoError> {
        check_stop()
    }

    /// See [`extend_grace`].
    pub fn extend_grace(&self) {
        extend_grace();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopped_errors_carry_the_stopped_code() {
        assert_eq!(stopped().code, "Stopped");
    }

    #[test]
    fn progress_details_accept_none_strings_and_options() {
        // Compiled, not called: there is no host on a native target.
        let _calls = || {
            progress(1.0, None);
            progress(2.0, String::from("step 1 of 2"));
            progress(3.0, Some(String::from("done")));
        };
    }
}
