//! The `algobox:algorithm/context` imports: progress, logging, stops and
//! panics, which every invocation has.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::bindings::{
    AlgoError, LogLevel, algobox::algorithm::context, algobox::algorithm::types,
};
use super::budget::HostCallBudget;
use super::host_error::HostError;
use super::log_line::{self, Admission, LogLine, LogQuota};
use crate::invocation::{Progress, ProgressSink};
use crate::stop::StopHandle;

/// The state the context imports read and write.
pub(crate) struct ContextState {
    pub(crate) started: Instant,
    pub(crate) progress: Vec<Progress>,
    pub(crate) on_progress: Option<ProgressSink>,
    pub(crate) stop: Option<StopHandle>,
    /// Set when the invocation's own timeout passed: a stop of this
    /// invocation alone, where `stop` may be shared with the algorithm that
    /// called it.
    pub(crate) timed_out: Arc<AtomicBool>,
    /// The message the guest's panic hook reported, if it panicked.
    pub(crate) panic: Option<String>,
    /// How much the guest has written to the host's log.
    pub(crate) log_quota: LogQuota,
}

/// What the context imports may touch: their own state and the budget.
pub(crate) struct ContextView<'a> {
    pub(crate) context: &'a mut ContextState,
    pub(crate) budget: &'a mut HostCallBudget,
}

/// The longest panic message kept; a guest cannot make the host hold more.
const MAX_PANIC_MESSAGE: usize = 4096;

impl types::Host for ContextView<'_> {
    fn convert_algo_error(&mut self, err: HostError<AlgoError>) -> wasmtime::Result<AlgoError> {
        err.into_guest()
    }
}

impl context::Host for ContextView<'_> {
    fn progress(&mut self, percent: f32, details: Option<String>) -> wasmtime::Result<()> {
        self.budget
            .charge(details.as_ref().map_or(0, String::len))?;
        let percent = if percent.is_nan() {
            0.0
        } else {
            percent.clamp(0.0, 100.0)
        };
        let progress = Progress {
            percent,
            details,
            elapsed: self.context.started.elapsed(),
        };
        if let Some(sink) = &self.context.on_progress {
            sink(&progress);
        }
        self.context.progress.push(progress);
        Ok(())
    }

    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        self.budget.charge(message.len())?;
        match self.context.log_quota.admit(message.len()) {
            Admission::Log => {}
            Admission::QuotaReached => {
                tracing::warn!(
                    target: "algobox::guest",
                    "the algorithm logged more than {} bytes; its further lines are dropped",
                    log_line::MAX_PER_INVOCATION
                );
                return Ok(());
            }
            Admission::Drop => return Ok(()),
        }
        let line = LogLine(&message);
        // Guest lines get their own target so operators can filter them.
        match level {
            LogLevel::Trace => tracing::trace!(target: "algobox::guest", "{line}"),
            LogLevel::Debug => tracing::debug!(target: "algobox::guest", "{line}"),
            LogLevel::Info => tracing::info!(target: "algobox::guest", "{line}"),
            LogLevel::Warn => tracing::warn!(target: "algobox::guest", "{line}"),
            LogLevel::Error => tracing::error!(target: "algobox::guest", "{line}"),
        }
        Ok(())
    }

    fn stop_requested(&mut self) -> wasmtime::Result<bool> {
        // Free: it copies nothing, and guests are told to poll it in loops.
        Ok(self.context.timed_out.load(Ordering::Relaxed)
            || self
                .context
                .stop
                .as_ref()
                .is_some_and(StopHandle::is_requested))
    }

    fn extend_grace(&mut self) -> wasmtime::Result<()> {
        if let Some(stop) = &self.context.stop {
            stop.extend_grace();
        }
        Ok(())
    }

    fn report_panic(&mut self, mut message: String) -> wasmtime::Result<()> {
        if message.len() > MAX_PANIC_MESSAGE {
            let mut end = MAX_PANIC_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        self.context.panic = Some(message);
        Ok(())
    }
}
