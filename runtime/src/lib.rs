//! The algobox runtime: runs WebAssembly algorithms safely and fast, in a
//! fresh sandbox for every invocation.
//!
//! The request path, in five steps:
//!
//! 1. [`Runtime::register`] checks the bytes against the guest contract
//!    (`host-api/wit`), or finds a plain WASI program (`wasi:cli/run`, or a
//!    `wasm32-wasip1` module made into a component), compiles them (or loads
//!    them from the code cache) and links them once into a
//!    [`CompiledAlgorithm`].
//! 2. [`Runtime::invoke`] takes a slot in the instance pool.
//! 3. The sandbox builds a fresh store with every limit set (memory, output,
//!    stdio, host calls, deadline), then instantiates from the pre-linked
//!    template.
//! 4. The guest runs the Hkube lifecycle: `initialize`, `start`, and `stop`
//!    after a stop request (a plain WASI program runs `main`, its input on
//!    stdin and its result on stdout); the engine's one epoch ticker makes
//!    it yield and enforces its deadline.
//! 5. The result, or a typed [`InvokeError`], comes back with the captured
//!    stdout and progress reports.
//!
//! The engine knows nothing of accounts, registries or HTTP: whoever embeds
//! it decides what a name means. Calls between algorithms and `data://`
//! files reach the embedder through two ports, [`Pipeline`](pipeline::Pipeline)
//! and [`DataAccess`](data_access::DataAccess), which the platform
//! implements.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use algobox_host_api::Payload;
//! use algobox_runtime::Runtime;
//! use algobox_runtime::error::InvokeError;
//! use algobox_runtime::invocation::Invocation;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = Runtime::new()?;
//! let hello = runtime.register(std::fs::read("hello.wasm")?).await?;
//!
//! let invocation = Invocation::new(Payload::text("Neo")).timeout(Duration::from_secs(1));
//! match runtime.invoke(&hello, invocation).await {
//!     Ok(output) => println!("{:?} in {:?}", output.payload, output.duration),
//!     Err(InvokeError::Timeout { limit }) => eprintln!("slower than {limit:?}"),
//!     Err(err) => eprintln!("{err}"),
//! }
//! # Ok(())
//! # }
//! ```

mod cache;
pub mod compiled_algorithm;
pub mod compiler;
pub mod component_limits;
pub mod content_hash;
pub mod cpu_share;
pub mod data_access;
mod deadline;
pub mod egress;
mod engine;
pub mod error;
pub mod gpu;
pub mod invocation;
pub mod limits;
pub mod network;
pub mod pipeline;
mod preview1_command;
mod registration;
mod sandbox;
pub mod shared_code;
pub mod stop;
mod swap;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use wasmtime::component::Linker;

use crate::cache::CodeCache;
use crate::compiled_algorithm::CompiledAlgorithm;
use crate::compiler::{Compiler, CompilerConfig};
use crate::content_hash::ContentHash;
use crate::egress::EgressPolicy;
use crate::engine::{Engine, fingerprint};
use crate::error::{Error, InvokeError};
use crate::gpu::error::GpuError;
use crate::gpu::{AdapterInfo, GpuConfig, GpuUsage};
use crate::invocation::{Invocation, Output};
use crate::limits::Limits;
use crate::sandbox::SandboxState;
use crate::sandbox::spare::SpareBudget;
use crate::shared_code::SharedCode;

/// The algobox runtime: the one way to run algorithms, used by the CLI, the
/// HTTP server, the examples and the tests.
///
/// [`register`](Self::register) compiles and checks an algorithm once;
/// [`invoke`](Self::invoke) runs it on a fresh, limited instance each time.
/// Cloning is cheap and clones share everything.
///
/// # Example
///
/// ```no_run
/// use algobox_host_api::Payload;
/// use algobox_runtime::Runtime;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let runtime = Runtime::builder().cache_dir("/tmp/algobox-cache").build()?;
/// let hello = runtime.register(std::fs::read("hello.wasm")?).await?;
/// let output = runtime.invoke(&hello, Payload::text("Neo")).await?;
/// assert_eq!(output.payload, Payload::text("Hello Neo"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<SandboxState>,
    cache: Option<CodeCache>,
    /// Compiled code shared with the other nodes of a cluster.
    shared_code: Option<SharedCode>,
    /// The engine's [`fingerprint`], which names compiled code.
    fingerprint: u64,
    compiler: Compiler,
    limits: Limits,
    egress: Arc<EgressPolicy>,
    /// One permit per pool slot: invocations past the pool's size wait here
    /// rather than fail to instantiate.
    slots: Semaphore,
    /// Bounds the spare instances that calls start from.
    spares: SpareBudget,
    algorithms: Mutex<HashMap<ContentHash, CompiledAlgorithm>>,
    /// The GPU worker, when configured.
    #[cfg(feature = "gpu")]
    gpu: Option<Arc<gpu::Gpu>>,
}

/// Configures a [`Runtime`].
#[derive(Debug, Default, Clone)]
pub struct RuntimeBuilder {
    limits: Limits,
    cache_dir: Option<PathBuf>,
    shared_code: Option<SharedCode>,
    compiler: CompilerConfig,
    egress: EgressPolicy,
    gpu: Option<GpuConfig>,
}

impl RuntimeBuilder {
    /// Sets the limits every invocation runs under.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Keeps compiled code in `dir`, so registering the same bytes again,
    /// after a restart too, loads it instead of compiling.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Shares compiled code with the other nodes of a cluster: before
    /// compiling, the runtime looks for code another node compiled for the
    /// same bytes on the same engine configuration, and loads it if it
    /// passes authentication; what it compiles itself, it shares.
    pub fn shared_code(mut self, shared: SharedCode) -> Self {
        self.shared_code = Some(shared);
        self
    }

    /// Sets how components are compiled: in a worker process with memory
    /// and time caps, and the caps on their structure.
    pub fn compiler(mut self, config: CompilerConfig) -> Self {
        self.compiler = config;
        self
    }

    /// Sets where algorithms granted the network may connect.
    pub fn egress(mut self, policy: EgressPolicy) -> Self {
        self.egress = policy;
        self
    }

    /// Lets invocations granted the GPU ([`Invocation::gpu`]) compute on
    /// it, through a worker process started from `config` on first use.
    /// Without this, or without the crate's `gpu` feature, their GPU calls
    /// fail with "no GPU adapter" and a reason.
    pub fn gpu(mut self, config: GpuConfig) -> Self {
        self.gpu = Some(config);
        self
    }

    /// Builds the runtime and starts its epoch ticker.
    pub fn build(self) -> Result<Runtime, Error> {
        self.limits.validate().map_err(Error::InvalidLimits)?;
        let engine = Engine::new(&self.limits, &self.compiler.component)?;
        let linker = sandbox::linker(&engine.wasmtime)
            .map_err(|err| Error::Engine(format!("cannot link the host interfaces: {err:#}")))?;
        let fingerprint = fingerprint(&engine.wasmtime);
        let cache = self
            .cache_dir
            .map(|path| {
                CodeCache::open(&path, fingerprint).map_err(|source| Error::Cache { path, source })
            })
            .transpose()?;
        let slots = Semaphore::new(self.limits.concurrency as usize);
        let spares = SpareBudget {
            permits: Arc::new(Semaphore::new(self.limits.spare_instances as usize)),
            busy_above: std::thread::available_parallelism().map_or(1, usize::from),
        };
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache,
                shared_code: self.shared_code,
                fingerprint,
                compiler: Compiler::new(self.compiler),
                limits: self.limits,
                egress: Arc::new(self.egress),
                slots,
                spares,
                algorithms: Mutex::default(),
                #[cfg(feature = "gpu")]
                gpu: self.gpu.map(|config| Arc::new(gpu::Gpu::new(config))),
            }),
        })
    }
}

impl Runtime {
    /// A runtime with default limits and no code cache.
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// Starts configuring a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The limits every invocation runs under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The GPU adapter invocations granted the GPU compute on, starting the
    /// GPU worker if it is not running; or why there is none.
    pub async fn gpu_adapter(&self) -> Result<AdapterInfo, GpuError> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = &self.inner.gpu {
            return Ok(gpu.worker().await?.adapter.clone());
        }
        Err(gpu::not_configured())
    }

    /// What the GPU worker holds for invocations in flight (all zero when
    /// none run, or no worker does); it does not start the worker.
    pub async fn gpu_usage(&self) -> Result<GpuUsage, GpuError> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = &self.inner.gpu {
            return gpu.usage().await;
        }
        Ok(GpuUsage::default())
    }

    /// Runs `algorithm` once, on a fresh instance, under the runtime's limits.
    ///
    /// Waits for a free slot when [`Limits::concurrency`] invocations are
    /// already running. Dropping the future stops the invocation.
    #[tracing::instrument(level = "debug", skip_all, fields(algorithm = %algorithm.hash()))]
    pub async fn invoke(
        &self,
        algorithm: &CompiledAlgorithm,
        invocation: impl Into<Invocation>,
    ) -> Result<Output, InvokeError> {
        let invocation = invocation.into();
        self.check(&invocation)?;
        if !wasmtime::Engine::same(algorithm.pre.engine(), &self.inner.engine.wasmtime) {
            return Err(InvokeError::InvalidInput(
                "the algorithm was registered with another Runtime; register it with this one"
                    .to_owned(),
            ));
        }
        let shutting_down = |_| InvokeError::Internal("the runtime is shutting down".to_owned());
        let _slot = match invocation.slot_wait {
            None => self.inner.slots.acquire().await.map_err(shutting_down)?,
            Some(waited) => tokio::time::timeout(waited, self.inner.slots.acquire())
                .await
                .map_err(|_| InvokeError::NoSlot { waited })?
                .map_err(shutting_down)?,
        };
        let network = invocation.network;
        let spare = algorithm.spare.take(network).await;
        // Made on another core while this call runs, the next instance is
        // ready when the next call comes.
        let running = self.inner.limits.concurrency as usize - self.inner.slots.available_permits();
        self.refill_spare(algorithm, network, running);
        sandbox::invoke(
            &self.inner.engine,
            &algorithm.pre,
            &self.inner.limits,
            &self.inner.egress,
            #[cfg(feature = "gpu")]
            self.inner.gpu.as_ref(),
            spare,
            invocation,
        )
        .await
    }

    fn check(&self, invocation: &Invocation) -> Result<(), InvokeError> {
        let limits = &self.inner.limits;
        if let Some(timeout) = invocation.timeout {
            if timeout.is_zero() {
                return Err(InvokeError::InvalidInput(
                    "the timeout is zero; pass a positive number of seconds".to_owned(),
                ));
            }
            if timeout > limits.max_timeout {
                return Err(InvokeError::InvalidInput(format!(
                    "a timeout of {}s exceeds the maximum of {}s; pass at most {}",
                    timeout.as_secs_f64(),
                    limits.max_timeout.as_secs_f64(),
                    limits.max_timeout.as_secs_f64()
                )));
            }
        }
        let size: usize = invocation.inputs.iter().map(|input| input.len()).sum();
        if size > limits.input {
            return Err(InvokeError::InvalidInput(format!(
                "the input is {size} bytes, more than the {}-byte limit; pass a smaller input or a `data://` file",
                limits.input
            )));
        }
        Ok(())
    }
}
