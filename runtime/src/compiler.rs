//! Compiling uploaded components without letting one upload take the
//! server: structure checked first ([`ComponentLimits`]), Cranelift in a
//! killable worker process with a memory and a time cap, a bounded queue,
//! and deterministic failures remembered so the same bytes fail at once.

mod failures;
pub mod worker;
mod worker_process;

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsString;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use wasmtime::component::Component;

use self::failures::Failures;
use crate::cache::CodeCache;
use crate::component_limits::ComponentLimits;
use crate::content_hash::ContentHash;
use crate::error::RegisterError;

/// How the runtime compiles components.
///
/// Without a [`worker`](Self::worker), Cranelift runs on a blocking thread
/// of this process: fine for an embedder that compiles its own algorithms,
/// but a component that exhausts memory then takes the process with it and
/// the time cap cannot stop it. A server that compiles uploads names a
/// worker.
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use algobox_runtime::Runtime;
/// use algobox_runtime::compiler::{CompileWorker, CompilerConfig};
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // The `algobox` binary runs the worker with its hidden `compile-worker` command.
/// let compiler = CompilerConfig {
///     worker: Some(CompileWorker::new("/usr/local/bin/algobox").arg("compile-worker")),
///     timeout: Duration::from_secs(60),
///     ..CompilerConfig::default()
/// };
/// let runtime = Runtime::builder().compiler(compiler).build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CompilerConfig {
    /// The worker program compiles run in; `None` compiles in this process.
    pub worker: Option<CompileWorker>,
    /// Bytes of data one worker may map (its `RLIMIT_DATA`).
    pub memory: u64,
    /// Wall-clock time one compile may take in the worker.
    pub timeout: Duration,
    /// Compiles that run at once. Each takes one core, so the default of 1
    /// leaves the others to calls.
    pub concurrency: usize,
    /// Compiles that may wait for a turn; more are refused as busy.
    pub queue: usize,
    /// Caps on a component's structure, checked before compiling; they also
    /// size the instance pool's per-component limits.
    pub component: ComponentLimits,
}

impl Default for CompilerConfig {
    fn default() -> Self {
        Self {
            worker: None,
            memory: 2 << 30,
            timeout: Duration::from_secs(120),
            concurrency: 1,
            queue: 64,
            component: ComponentLimits::default(),
        }
    }
}

/// A program that compiles in a child process: a binary whose `main` calls
/// [`worker::run`].
#[derive(Debug, Clone)]
pub struct CompileWorker {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
}

impl CompileWorker {
    /// Runs `program` with no arguments.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }
}

/// The runtime's compiler: the queue, the worker and the failures seen.
pub(crate) struct Compiler {
    config: CompilerConfig,
    running: Semaphore,
    waiting: AtomicUsize,
    failures: Failures,
}

impl Compiler {
    pub(crate) fn new(config: CompilerConfig) -> Self {
        // Failures are remembered under the limits that caused them and the
        // contract they were checked against, so raising a limit, or a
        // runtime that links more, lets the same bytes be tried again.
        let mut hasher = DefaultHasher::new();
        (config.component, config.memory).hash(&mut hasher);
        (
            env!("CARGO_PKG_VERSION"),
            algobox_host_api::LIFECYCLE_EXPORT,
            crate::compiled_algorithm::COMMAND_EXPORT,
            crate::compiled_algorithm::SUPPORTED_IMPORTS,
        )
            .hash(&mut hasher);
        Self {
            running: Semaphore::new(config.concurrency.max(1)),
            waiting: AtomicUsize::new(0),
            failures: Failures::new(hasher.finish()),
            config,
        }
    }

    pub(crate) fn config(&self) -> &CompilerConfig {
        &self.config
    }

    /// A failure these bytes had before under these limits, if any.
    pub(crate) fn failed_before(
        &self,
        cache: Option<&CodeCache>,
        hash: &ContentHash,
    ) -> Option<RegisterError> {
        self.failures
            .recall(cache, hash)
            .map(RegisterError::FailedBefore)
    }

    /// Remembers `err` for `hash` if the same bytes would fail the same
    /// way again; returns it.
    pub(crate) fn remember(
        &self,
        cache: Option<&CodeCache>,
        hash: &ContentHash,
        err: RegisterError,
    ) -> RegisterError {
        if is_deterministic(&err) {
            self.failures.record(cache, hash, &err.to_string());
        }
        err
    }

    /// Checks the structure of `wasm`, waits for a turn, and compiles it.
    pub(crate) async fn compile(
        &self,
        engine: &wasmtime::Engine,
        wasm: Vec<u8>,
    ) -> Result<Component, RegisterError> {
        self.config.component.check(&wasm)?;
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let permit = if queued >= self.config.queue {
            Err(RegisterError::CompilerBusy { queued })
        } else {
            self.running
                .acquire()
                .await
                .map_err(|_| RegisterError::Compiler("the runtime is shutting down".to_owned()))
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let _permit = permit?;
        match &self.config.worker {
            Some(worker) => {
                let compiled =
                    worker_process::compile(worker, self.config.memory, self.config.timeout, wasm)
                        .await?;
                #[expect(unsafe_code, reason = "loading precompiled code is unsafe in wasmtime")]
                // SAFETY: the bytes are `Engine::precompile_component`'s
                // output, made by the compile worker that this runtime started
                // from its configuration, with the engine settings of
                // `engine::worker_config`, which compiles what this engine
                // runs. Wasmtime checks their header and rejects code from
                // another version or configuration; that error is returned.
                let component = unsafe { Component::deserialize(engine, &compiled) };
                component.map_err(|err| RegisterError::Compile(format!("{err:#}")))
            }
            None => {
                let engine = engine.clone();
                tokio::task::spawn_blocking(move || Component::new(&engine, &wasm))
                    .await
                    .map_err(|err| {
                        RegisterError::Compiler(format!("the compiler thread failed: {err}"))
                    })?
                    .map_err(|err| RegisterError::Compile(format!("{err:#}")))
            }
        }
    }
}

/// Whether the same bytes under the same limits would fail the same way:
/// only those failures are remembered. A time cap hit under load, a busy
/// queue or a worker that could not start say nothing about the bytes.
fn is_deterministic(err: &RegisterError) -> bool {
    matches!(
        err,
        RegisterError::Compile(_)
            | RegisterError::Link(_)
            | RegisterError::TooComplex { .. }
            | RegisterError::CompileMemory { .. }
            | RegisterError::MissingExport { .. }
            | RegisterError::UnsupportedImport { .. }
    )
}
