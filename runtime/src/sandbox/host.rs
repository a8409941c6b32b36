//! The `algobox:algorithm/context` imports, as the host implements them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bindings::{
    self, LogLevel, Payload, algobox::algorithm::context, algobox::algorithm::pipeline,
    algobox::algorithm::types,
};
use super::budget::HostCallBudget;
use super::gpu::GpuAccess;
use crate::pipeline::not_enabled;
use crate::{DataAccess, Pipeline, PipelineCall, Progress, ProgressSink, StopHandle};

/// The invocation-side state the context imports read and write.
pub(crate) struct ContextState {
    pub(crate) started: Instant,
    pub(crate) budget: HostCallBudget,
    pub(crate) progress: Vec<Progress>,
    pub(crate) on_progress: Option<ProgressSink>,
    pub(crate) stop: Option<StopHandle>,
    /// The message the guest's panic hook reported, if it panicked.
    pub(crate) panic: Option<String>,
    /// When the invocation times out: calls to other algorithms end by then.
    pub(crate) deadline: Instant,
    /// Carries out calls to other algorithms, when granted.
    pub(crate) pipeline: Option<Arc<dyn Pipeline>>,
    /// Reads and writes `data://` files for the caller, when granted.
    pub(crate) data: Option<Arc<dyn DataAccess>>,
    /// GPU compute, when granted.
    pub(crate) gpu: GpuAccess,
}

/// The longest panic message kept; a guest cannot make the host hold more.
const MAX_PANIC_MESSAGE: usize = 4096;

impl types::Host for ContextState {}

impl context::Host for ContextState {
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
            elapsed: self.started.elapsed(),
        };
        if let Some(sink) = &self.on_progress {
            sink(&progress);
        }
        self.progress.push(progress);
        Ok(())
    }

    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        self.budget.charge(message.len())?;
        // Guest lines get their own target so operators can filter them.
        match level {
            LogLevel::Trace => tracing::trace!(target: "algobox::guest", "{message}"),
            LogLevel::Debug => tracing::debug!(target: "algobox::guest", "{message}"),
            LogLevel::Info => tracing::info!(target: "algobox::guest", "{message}"),
            LogLevel::Warn => tracing::warn!(target: "algobox::guest", "{message}"),
            LogLevel::Error => tracing::error!(target: "algobox::guest", "{message}"),
        }
        Ok(())
    }

    fn stop_requested(&mut self) -> wasmtime::Result<bool> {
        // Free: it copies nothing, and guests are told to poll it in loops.
        Ok(self.stop.as_ref().is_some_and(StopHandle::is_requested))
    }

    fn extend_grace(&mut self) -> wasmtime::Result<()> {
        if let Some(stop) = &self.stop {
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
        self.panic = Some(message);
        Ok(())
    }
}

impl pipeline::Host for ContextState {
    async fn call(
        &mut self,
        algorithm: String,
        input: Payload,
        timeout_ms: Option<u64>,
    ) -> wasmtime::Result<Result<Payload, bindings::AlgoError>> {
        let input = algobox_host_api::Payload::from(input);
        self.budget.charge(algorithm.len() + input.len())?;
        let Some(pipeline) = self.pipeline.clone() else {
            return Ok(Err(not_enabled().into()));
        };
        // The callee never outlives the caller.
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let timeout = timeout_ms.map_or(remaining, |ms| Duration::from_millis(ms).min(remaining));
        let call = PipelineCall {
            algorithm,
            input,
            timeout,
            stop: self.stop.clone().unwrap_or_default(),
        };
        let result = pipeline.call(call).await;
        Ok(result.map(Payload::from).map_err(Into::into))
    }
}
