//! Calls from one algorithm to another, as the platform carries them out.

use std::future::Future;
use std::pin::Pin;

use algobox_host_api::{AlgoError, Payload};

use algobox_runtime::pipeline::{Pipeline, PipelineCall};

use crate::call::{CallError, CallRequest};
use crate::error::PlatformError;
use crate::{Caller, Platform};

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
            let result = match CallRequest::parse(owner, algorithm, version, call.input) {
                Ok(request) => {
                    let request = CallRequest {
                        timeout: Some(call.timeout),
                        depth,
                        stop: Some(call.stop),
                        ..request
                    };
                    platform.call(&caller, request).await
                }
                Err(err) => Err(CallError::Refused(err)),
            };
            match result {
                Ok(outcome) => Ok(outcome.output.payload),
                Err(CallError::Failed(failure)) => Err(failure.error),
                Err(CallError::Refused(
                    PlatformError::NotFound(message) | PlatformError::BadRequest(message),
                )) => Err(AlgoError::new(message).with_code("EntityNotFoundError")),
                Err(CallError::Refused(other)) => {
                    Err(AlgoError::new(other.to_string()).with_code("SystemError"))
                }
            }
        })
    }
}
