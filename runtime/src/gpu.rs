//! GPU compute for algorithms granted it (`settings.environment: gpu`).
//!
//! A runaway kernel cannot be stopped inside a process: wgpu cannot cancel
//! submitted work, and the next submit blocks behind it
//! (shared/research/wgpu-spike.md, section 6). So every wgpu call runs in a
//! separate **GPU worker process**, and the runtime drives it over its
//! stdin and stdout:
//!
//! - [`quota`]: the per-invocation quotas, checked in the runtime before
//!   anything reaches the worker;
//! - `frame` and `protocol`: the binary messages between runtime and worker;
//! - `connection`: the runtime's side, which starts the worker on first
//!   use, restarts it after it dies, and kills it when GPU work overruns;
//! - `session`: one invocation's buffers and kernels, freed when it ends.
//!
//! The worker itself, on wgpu, is the `algobox-gpu-worker` crate, so this
//! crate never links a GPU driver. Everything but the types here needs the
//! crate's `gpu` feature; without it, GPU calls fail with "no GPU adapter"
//! and say why.

#[cfg(feature = "gpu")]
mod connection;
pub mod error;
#[cfg(feature = "gpu")]
mod frame;
/// The frames between the runtime and its worker: shared with
/// `algobox-gpu-worker`, and no API of its own.
#[cfg(feature = "gpu")]
#[doc(hidden)]
pub mod protocol;
#[cfg(feature = "gpu")]
mod queue_budget;
pub mod quota;
#[cfg(feature = "gpu")]
mod session;
#[cfg(not(feature = "gpu"))]
mod uninhabited_session;
#[cfg(feature = "gpu")]
mod worker_environment;

use std::ffi::OsString;
use std::path::PathBuf;

#[cfg(feature = "gpu")]
pub(crate) use self::connection::Gpu;
use self::error::GpuError;
use self::quota::GpuLimits;
#[cfg(feature = "gpu")]
pub(crate) use self::session::Session;
#[cfg(not(feature = "gpu"))]
pub(crate) use self::uninhabited_session::Session;

/// How the runtime starts its GPU worker, and the quotas of each invocation.
///
/// # Example
///
/// ```no_run
/// use algobox_runtime::Runtime;
/// use algobox_runtime::gpu::GpuConfig;
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // The `algobox` binary runs the worker with its hidden `gpu-worker` command.
/// let gpu = GpuConfig::new("/usr/local/bin/algobox").arg("gpu-worker");
/// let runtime = Runtime::builder().gpu(gpu).build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GpuConfig {
    /// The worker program: a binary whose `main` calls
    /// `algobox_gpu_worker::run`.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Environment variables set for it (`WGPU_BACKEND=vulkan`, say),
    /// on top of the runtime's own.
    pub env: Vec<(OsString, OsString)>,
    /// The quotas of each invocation.
    pub limits: GpuLimits,
}

impl GpuConfig {
    /// Runs `program` with no arguments and the default quotas.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            limits: GpuLimits::default(),
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets an environment variable for the worker.
    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Sets the quotas.
    pub fn limits(mut self, limits: GpuLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// What the GPU worker holds for invocations in flight: once they end, all
/// zero, since an invocation's buffers and kernels go with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct GpuUsage {
    /// Invocations with GPU objects.
    pub sessions: u64,
    /// Live buffers.
    pub buffers: u64,
    /// Their bytes.
    pub buffer_bytes: u64,
    /// Live compiled kernels.
    pub kernels: u64,
}

/// The GPU adapter a worker computes on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdapterInfo {
    /// The adapter's name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// The graphics API: `vulkan`, `metal`, `dx12` or `gl`.
    pub backend: String,
    /// `discrete-gpu`, `integrated-gpu`, `virtual-gpu`, `cpu` (software)
    /// or `other`.
    pub device_type: String,
    /// The driver and its version, when known.
    pub driver: String,
}

/// Why GPU calls fail when the runtime cannot reach a worker.
pub(crate) fn not_configured() -> GpuError {
    GpuError::Unavailable(if cfg!(feature = "gpu") {
        "this runtime has no GPU worker configured; give it one with `RuntimeBuilder::gpu` (`algobox serve` does)".to_owned()
    } else {
        "algobox-runtime was built without its `gpu` feature; enable it to compute on a GPU"
            .to_owned()
    })
}
