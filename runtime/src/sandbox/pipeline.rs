//! The `algobox:algorithm/pipeline` imports: calling other algorithms
//! through the invocation's [`Pipeline`], when granted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bindings::{
    AlgoError, Payload, algobox::algorithm::pipeline, algobox::algorithm::types,
};
use super::budget::HostCallBudget;
use super::host_error::HostError;
use crate::pipeline::{Pipeline, PipelineCall, not_enabled};
use crate::stop::StopHandle;

/// The state the pipeline import needs.
pub(crate) struct PipelineState {
    /// Carries out the calls, when granted.
    pub(crate) pipeline: Option<Arc<dyn Pipeline>>,
    /// When the invocation times out: calls end by then.
    pub(crate) deadline: Instant,
    /// The grace after a timeout, which a callee's timeout leaves room for.
    pub(crate) timeout_grace: Duration,
    /// The invocation's stop, which stops its callees too.
    pub(crate) stop: Option<StopHandle>,
}

/// What the pipeline import may touch: its own state and the budget.
pub(crate) struct PipelineView<'a> {
    pub(crate) state: &'a mut PipelineState,
    pub(crate) budget: &'a mut HostCallBudget,
}

impl types::Host for PipelineView<'_> {
    fn convert_algo_error(&mut self, err: HostError<AlgoError>) -> wasmtime::Result<AlgoError> {
        err.into_guest()
    }
}

impl pipeline::Host for PipelineView<'_> {
    async fn call(
        &mut self,
        algorithm: String,
        input: Payload,
        timeout_ms: Option<u64>,
    ) -> Result<Payload, HostError<AlgoError>> {
        let input = algobox_host_api::Payload::from(input);
        self.budget.charge(algorithm.len() + input.len())?;
        let pipeline = self.state.pipeline.clone().ok_or_else(not_enabled)?;
        // The callee never outlives the caller: its timeout and the grace
        // after it end by the caller's timeout, so the caller still has its
        // own grace to answer in.
        let remaining = self
            .state
            .deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(self.state.timeout_grace)
            .max(Duration::from_millis(1));
        let timeout = timeout_ms.map_or(remaining, |ms| Duration::from_millis(ms).min(remaining));
        let call = PipelineCall {
            algorithm,
            input,
            timeout,
            stop: self.state.stop.clone().unwrap_or_default(),
        };
        Ok(pipeline.call(call).await?.into())
    }
}
