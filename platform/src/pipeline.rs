//! Calls from one algorithm to another, as the platform carries them out.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use algobox_host_api::{AlgoError, Payload};

use crate::{Caller, Platform};

use crate::error::PlatformError;
use crate::registry::settings::Environment;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::pipeline::{Pipeline, PipelineCall};

/// Nested calls allowed below a top-level call: enough for real pipelines,
/// few enough that accidental recursion ends in milliseconds.
pub const MAX_DEPTH: u32 = 8;

/// Resolves and runs calls for one running algorithm, with the permissions
/// of the caller that started the chain.
pub(crate) struct PlatformPipeline {
    pub(crate) platform: Platform,
    pub(crate) caller: Caller,
    /// How many calls deep the calling algorithm runs (0 = called over HTTP).
    pub(crate) depth: u32,
}

impl Pipeline for PlatformPipeline {
    fn call(
        &self,
        call: PipelineCall,
    ) -> Pin<Box<dyn Future<Output = Result<Payload, AlgoError>> + Send>> {
        let platform = self.platform.clone();
        let caller = self.caller.clone();
        let depth = self.depth + 1;
        Box::pin(async move {
            if depth > MAX_DEPTH {
                return Err(AlgoError::new(format!(
                    "calling {} would nest algorithm calls {depth} deep, past the limit of {MAX_DEPTH}; an algorithm probably calls itself",
                    call.algorithm
                ))
                .with_code("RecursionLimit"));
            }
            let name = call.algorithm.trim_start_matches("algo://");
            let parts: Vec<&str> = name.trim_matches('/').split('/').collect();
            let (owner, algorithm, version) = match parts.as_slice() {
                [owner, algorithm] => (*owner, *algorithm, None),
                [owner, algorithm, version] => (*owner, *algorithm, Some(*version)),
                _ => {
                    return Err(AlgoError::input(format!(
                        "`{}` is not an algorithm name; write owner/name or owner/name/version",
                        call.algorithm
                    )));
                }
            };
            let target = platform
                .resolve(&caller, owner, algorithm, version)
                .await
                .map_err(|err| match err {
                    PlatformError::NotFound(message) | PlatformError::BadRequest(message) => {
                        AlgoError::new(message).with_code("EntityNotFoundError")
                    }
                    other => AlgoError::new(other.to_string()).with_code("SystemError"),
                })?;
            let invocation = platform
                .invocation(&caller, &target, call.input, depth)
                .timeout(call.timeout)
                .stop_handle(call.stop);
            platform
                .runtime()
                .invoke(&target.algorithm, invocation)
                .await
                .map(|output| output.payload)
                .map_err(|err| err.to_algo_error())
        })
    }
}

impl Platform {
    /// An invocation of `target` for `caller`, with the capabilities of the
    /// version called: its network access, `data://` files as `caller`,
    /// the GPU for `environment: gpu` and, if enabled, calls to other
    /// algorithms at `depth` (0 for a call from outside).
    pub fn invocation(
        &self,
        caller: &Caller,
        target: &super::Target,
        input: Payload,
        depth: u32,
    ) -> Invocation {
        let mut invocation = Invocation::new(input)
            .network(target.settings.network_access)
            .data(Arc::new(super::data::PlatformData {
                platform: self.clone(),
                caller: caller.clone(),
            }))
            .gpu(target.settings.environment == Environment::Gpu);
        if target.settings.pipeline_enabled {
            invocation = invocation.pipeline(Arc::new(PlatformPipeline {
                platform: self.clone(),
                caller: caller.clone(),
                depth,
            }));
        }
        invocation
    }
}
