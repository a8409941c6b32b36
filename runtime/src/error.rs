//! The errors at the library's boundary.

use std::fmt;
use std::time::Duration;

use algobox_host_api::AlgoError;

/// Building a [`Runtime`](crate::Runtime) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The limits contradict each other.
    #[error("invalid limits: {0}")]
    InvalidLimits(String),
    /// Wasmtime rejected the engine configuration, usually because the host
    /// cannot reserve the instance pool's address space.
    #[error(
        "cannot create the WebAssembly engine: {0}; lower `Limits::concurrency` or `Limits::memory`"
    )]
    Engine(String),
    /// The compiled-code cache folder cannot be used.
    #[error("cannot use the code cache at {path}: {source}")]
    Cache {
        /// The folder.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Registering an algorithm's bytes failed; the message says what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The bytes are not WebAssembly at all.
    #[error(
        "not a WebAssembly binary (it does not start with `\\0asm`); upload the `.wasm` file that `cargo build --target wasm32-wasip2` writes"
    )]
    NotWasm,
    /// A core module that cannot be made into a WASI command: not built
    /// for `wasm32-wasip1` with a `main`, or refused by the adapter.
    #[error(
        "this is a core WebAssembly module that algobox cannot run as a WASI program ({0}); build a program with a `main` for `wasm32-wasip1` (`clang --target=wasm32-wasi`, `cargo build --target wasm32-wasip1`), or an algorithm with the algobox guest SDK for `wasm32-wasip2`"
    )]
    CoreModule(String),
    /// A component with neither the lifecycle export nor `wasi:cli/run`.
    #[error(
        "the component exports neither `{expected}` nor `wasi:cli/run` (it exports: {found}); build an algorithm with the algobox guest SDK, which provides the first, or a program with a `main`, which provides the second"
    )]
    MissingExport {
        /// The export algobox needs.
        expected: &'static str,
        /// What the component exports instead.
        found: String,
    },
    /// The component imports an interface algobox does not provide.
    #[error(
        "the component imports `{name}`, which algobox does not provide; algobox provides the `algobox:algorithm` interfaces and WASI 0.2 (cli, io, clocks, random, filesystem, sockets, http), and an algorithm may import nothing else"
    )]
    UnsupportedImport {
        /// The import's name.
        name: String,
    },
    /// Wasmtime could not compile or link the component.
    #[error("the component cannot be compiled: {0}")]
    Compile(String),
    /// The component's structure exceeds a [`ComponentLimits`] cap, found
    /// before compiling it.
    ///
    /// [`ComponentLimits`]: crate::component_limits::ComponentLimits
    #[error(
        "the component has {found} {what}, more than the {limit} algobox compiles; make the algorithm smaller (build it in release mode, split large functions, drop unused dependencies)"
    )]
    TooComplex {
        /// What was counted.
        what: &'static str,
        /// How many the component has (counting stopped at the first over).
        found: u32,
        /// The cap.
        limit: u32,
    },
    /// Compiling took more memory than the compiler's cap.
    #[error(
        "compiling the component took more than the compiler's memory cap of {} MiB; make the algorithm smaller, or ask the operator to raise the cap (`--compile-memory`)",
        limit >> 20
    )]
    CompileMemory {
        /// The cap, in bytes.
        limit: u64,
    },
    /// Compiling took longer than the compiler's time cap.
    #[error(
        "compiling the component took longer than the compiler's time cap of {}s; compile again when the server is less busy, make the algorithm smaller, or ask the operator to raise the cap (`--compile-timeout`)",
        limit.as_secs_f64()
    )]
    CompileTimeout {
        /// The cap.
        limit: Duration,
    },
    /// Too many compiles are waiting already.
    #[error("the compiler is busy ({queued} compiles are waiting); compile again in a minute")]
    CompilerBusy {
        /// Compiles waiting when this one was refused.
        queued: usize,
    },
    /// The compile worker could not be run, or failed for a reason that is
    /// not the component's.
    #[error("the compiler failed: {0}; compile again, and tell the operator if it persists")]
    Compiler(String),
    /// These bytes failed in the same way before, under the same limits, and
    /// were not compiled again.
    #[error(
        "{0} (this module failed before under the same limits and was not compiled again; upload a changed module)"
    )]
    FailedBefore(String),
    /// The component's imports do not match what algobox provides (for
    /// example an `algobox:algorithm` interface of another version).
    #[error("the component cannot be linked: {0}")]
    Link(String),
}

/// How a guest trapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrapKind {
    /// The guest panicked; the message is the panic's.
    Panic,
    /// The guest executed `unreachable` (an abort).
    Unreachable,
    /// The guest's call stack overflowed.
    StackOverflow,
    /// Integer division by zero or an overflowing conversion.
    Arithmetic,
    /// An out-of-bounds memory or table access, or a bad indirect call.
    BadAccess,
    /// Any other trap.
    Other,
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Panic => "panic",
            Self::Unreachable => "unreachable",
            Self::StackOverflow => "stack overflow",
            Self::Arithmetic => "arithmetic trap",
            // Rust keeps address-taken locals on a stack in linear memory
            // that wraps below address 0 when it overflows.
            Self::BadAccess => {
                "out-of-bounds access; in a Rust guest often a stack overflow of locals kept in memory"
            }
            Self::Other => "trap",
        })
    }
}

/// A captured output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl fmt::Display for StdStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        })
    }
}

/// An invocation failed. Each variant is one cause; none needs its message
/// parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvokeError {
    /// The algorithm returned an error.
    #[error("the algorithm failed: {0}")]
    Algorithm(AlgoError),
    /// The invocation ran past its timeout and was stopped.
    #[error("the algorithm ran past its {}s timeout; pass a longer timeout (at most the server's maximum) or make the algorithm faster", .limit.as_secs_f64())]
    Timeout {
        /// The timeout that passed.
        limit: Duration,
    },
    /// The guest tried to grow its memory past the limit.
    #[error("the algorithm tried to use more than {} MiB of memory, its limit", .limit >> 20)]
    MemoryLimit {
        /// The limit in bytes.
        limit: usize,
    },
    /// A stop was requested; the guest returned (`forced: false`) or ran
    /// past its grace period and was stopped by force (`forced: true`).
    #[error("{}", if *.forced { "the algorithm was stopped by force after its grace period" } else { "the algorithm was stopped on request" })]
    Stopped {
        /// Whether the grace period ran out.
        forced: bool,
    },
    /// The guest trapped.
    #[error("the algorithm crashed ({kind}): {message}")]
    Trap {
        /// What kind of trap.
        kind: TrapKind,
        /// The panic message, or a description of the trap.
        message: String,
    },
    /// The result is larger than allowed.
    #[error(
        "the algorithm returned {size} bytes, more than the {limit}-byte output limit; return less, or write large results to a file"
    )]
    OutputTooLarge {
        /// The result's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The guest wrote more to stdout or stderr than is captured.
    #[error(
        "the algorithm wrote more than {limit} bytes to {stream}, the capture limit; print less"
    )]
    StdioLimit {
        /// Which stream.
        stream: StdStream,
        /// The limit.
        limit: usize,
    },
    /// The guest called host imports too often or passed too many bytes.
    #[error(
        "the algorithm exceeded its host-call budget ({0}); report progress and log less often"
    )]
    HostCallLimit(String),
    /// The algorithm returned a result that is not what it claims to be
    /// (JSON that does not parse).
    #[error("invalid output: {0}")]
    InvalidOutput(String),
    /// The input or the options cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// No slot came free within the invocation's slot wait: every slot is
    /// busy, possibly with callers waiting for their own callees.
    #[error(
        "no slot came free within {}s: the server is at capacity; call again later",
        .waited.as_secs_f64()
    )]
    NoSlot {
        /// How long it waited.
        waited: Duration,
    },
    /// The instance pool had no room for the algorithm. Each slot holds
    /// what the largest admitted component needs, so this is a bug or a
    /// pool resized under load, never the algorithm's fault.
    #[error("the server is at capacity ({0}); call again later")]
    Capacity(String),
    /// The host failed; this is a bug in algobox or its environment.
    #[error("internal error: {0}")]
    Internal(String),
}

impl InvokeError {
    /// Algorithmia's `error_type` for this failure.
    pub fn error_type(&self) -> &str {
        match self {
            Self::Algorithm(err) => &err.code,
            Self::Timeout { .. } => "TimeoutError",
            Self::MemoryLimit { .. } => "OutOfMemoryError",
            Self::Stopped { .. } => "Stopped",
            Self::Trap { .. } | Self::InvalidOutput(_) => "AlgorithmError",
            Self::OutputTooLarge { .. } | Self::StdioLimit { .. } | Self::HostCallLimit(_) => {
                "TooLargeError"
            }
            Self::InvalidInput(_) => "InputError",
            Self::NoSlot { .. } | Self::Capacity(_) => "CapacityError",
            Self::Internal(_) => "SystemError",
        }
    }

    /// Whether the server, not the call, was the problem: no slot or no
    /// pool room. A server answers these with 503 and `Retry-After`.
    pub fn is_capacity(&self) -> bool {
        matches!(self, Self::NoSlot { .. } | Self::Capacity(_))
    }

    /// The error as the guest contract carries it: what a pipeline caller
    /// receives from a failed callee, and what a server renders for a
    /// caller. The code is [`error_type`](Self::error_type); the details
    /// are the guest's own (its stack trace), or the kind of trap.
    pub fn to_algo_error(&self) -> AlgoError {
        match self {
            Self::Algorithm(err) => err.clone(),
            Self::Trap { kind, .. } => AlgoError::new(self.to_string())
                .with_code(self.error_type())
                .with_details(format!("trap: {kind}")),
            _ => AlgoError::new(self.to_string()).with_code(self.error_type()),
        }
    }
}
