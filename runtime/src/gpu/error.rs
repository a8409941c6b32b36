//! Why a GPU call failed, as the guest and the embedder see it.

/// A GPU call failed. The variants are those of the WIT `gpu-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// The host has no usable adapter, or no GPU worker is configured.
    #[error("no GPU adapter: {0}")]
    Unavailable(String),
    /// The algorithm was not granted the GPU.
    #[error("{0}")]
    PermissionDenied(String),
    /// A per-invocation quota would be exceeded.
    #[error("GPU quota exceeded: {0}")]
    QuotaExceeded(String),
    /// WGSL that does not compile, with where (line and column from 1; 0
    /// when unknown).
    #[error("WGSL does not compile (line {line}, column {column}): {message}")]
    Compile {
        /// The compiler's message.
        message: String,
        /// The line.
        line: u32,
        /// The column.
        column: u32,
    },
    /// wgpu rejected a call.
    #[error("GPU validation error: {0}")]
    Validation(String),
    /// The GPU ran out of memory.
    #[error("the GPU ran out of memory: {0}")]
    OutOfMemory(String),
    /// GPU work ran past the invocation's deadline; the worker was restarted.
    #[error("{0}")]
    Timeout(String),
    /// The worker died or was restarted; this invocation's GPU objects are gone.
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
}

impl GpuError {
    /// The error of a `cpu` algorithm calling the GPU.
    pub(crate) fn not_granted() -> Self {
        Self::PermissionDenied(
            "this algorithm may not use the GPU: its `settings.environment` is `cpu`; set it to `gpu` and publish a new version (locally: `algobox run --gpu`)"
                .to_owned(),
        )
    }
}
