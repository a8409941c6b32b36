//! The algobox runtime: runs WebAssembly algorithms safely and fast, in a
//! fresh sandbox for every invocation.
//!
//! The request path, in five steps:
//!
//! 1. [`Runtime::register`] checks the bytes against the guest contract
//!    (`host-api/wit`), compiles them (or loads them from the code cache) and
//!    links them once into an [`Algorithm`].
//! 2. [`Runtime::invoke`] takes a slot in the instance pool.
//! 3. The sandbox builds a fresh store with every limit set (memory, output,
//!    stdio, host calls, deadline), then instantiates from the pre-linked
//!    template.
//! 4. The guest runs the Hkube lifecycle: `initialize`, `start`, and `stop`
//!    after a stop request; the engine's one epoch ticker makes it yield and
//!    enforces its deadline.
//! 5. The result, or a typed [`InvokeError`], comes back with the captured
//!    stdout and progress reports.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use algobox_host_api::Payload;
//! use algobox_runtime::{Invocation, InvokeError, Runtime};
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

mod algorithm;
pub mod api;
pub mod async_calls;
mod cache;
mod content_hash;
mod data_access;
pub mod data_store;
mod deadline;
mod egress;
mod engine;
mod error;
pub mod gpu;
mod invocation;
mod limits;
pub mod module_store;
mod pipeline;
pub mod platform;
pub mod registry;
mod runtime;
mod sandbox;
mod stop;
mod timestamp;

pub use algorithm::Algorithm;
pub use content_hash::{ContentHash, ParseContentHashError};
pub use data_access::{DataAccess, DataFuture};
pub use data_store::{DataError, DataStore};
pub use egress::{
    Cidr, EgressPolicy, EgressRule, HostPattern, ParseCidrError, ParseEgressRuleError,
    ParseHostPatternError,
};
pub use error::{Error, InvokeError, RegisterError, StdStream, TrapKind};
pub use gpu::{AdapterInfo, GpuConfig, GpuError, GpuLimits, GpuUsage};
pub use invocation::{Invocation, Output, Progress, ProgressSink};
pub use limits::Limits;
pub use module_store::{DirectoryStore, ModuleStore, ModuleStoreError};
pub use pipeline::{Pipeline, PipelineCall};
pub use platform::{Platform, PlatformConfig, PlatformError};
pub use registry::{NetworkAccess, Registry, RegistryError, SqliteRegistry};
pub use runtime::{Runtime, RuntimeBuilder};
pub use stop::StopHandle;
pub use timestamp::Timestamp;
