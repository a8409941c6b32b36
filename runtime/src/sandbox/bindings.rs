//! Host bindings generated from the one WIT source, `host-api/wit`.

use super::host_error::HostError;

wasmtime::component::bindgen!({
    path: "../host-api/wit",
    world: "algorithm",
    // Calling another algorithm, file operations and the GPU wait, so those
    // imports are async; the rest answer at once.
    imports: {
        "algobox:algorithm/pipeline.call": async | trappable,
        "algobox:algorithm/data.read": async | trappable,
        "algobox:algorithm/data.write": async | trappable,
        "algobox:algorithm/data.exists": async | trappable,
        "algobox:algorithm/data.delete": async | trappable,
        "algobox:algorithm/data.list-files": async | trappable,
        // GPU calls wait for the GPU worker.
        "algobox:algorithm/gpu": async | trappable,
        default: trappable,
    },
    // A host function returns one `Result`: the guest's error or a trap
    // (a spent host-call budget), so `?` works for both.
    trappable_error_type: {
        "algobox:algorithm/types.algo-error" => HostError<AlgoError>,
        "algobox:algorithm/gpu.gpu-error" => HostError<algobox::algorithm::gpu::GpuError>,
    },
    exports: { default: async },
});

pub(crate) use algobox::algorithm::types::{AlgoError, LogLevel, Payload};

impl From<algobox_host_api::Payload> for Payload {
    fn from(payload: algobox_host_api::Payload) -> Self {
        match payload {
            algobox_host_api::Payload::Text(text) => Self::Text(text),
            algobox_host_api::Payload::Json(json) => Self::Json(json),
            algobox_host_api::Payload::Binary(bytes) => Self::Binary(bytes),
            algobox_host_api::Payload::Void => Self::Void,
        }
    }
}

impl From<Payload> for algobox_host_api::Payload {
    fn from(payload: Payload) -> Self {
        match payload {
            Payload::Text(text) => Self::Text(text),
            Payload::Json(json) => Self::Json(json),
            Payload::Binary(bytes) => Self::Binary(bytes),
            Payload::Void => Self::Void,
        }
    }
}

/// Converts the guest's error. (A `From` impl would clash with the host-api
/// blanket conversion, since the generated type implements `Error`.)
pub(crate) fn algo_error(err: AlgoError) -> algobox_host_api::AlgoError {
    algobox_host_api::AlgoError {
        code: err.code,
        message: err.message,
        details: err.details,
    }
}

impl From<algobox_host_api::AlgoError> for AlgoError {
    fn from(err: algobox_host_api::AlgoError) -> Self {
        Self {
            code: err.code,
            message: err.message,
            details: err.details,
        }
    }
}

impl From<algobox_host_api::AlgoError> for HostError<AlgoError> {
    fn from(err: algobox_host_api::AlgoError) -> Self {
        Self::Guest(err.into())
    }
}
