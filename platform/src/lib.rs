//! The algobox platform: accounts and API keys, algorithms, builds and
//! published versions over the registry, the module store, the data store
//! and the runtime, and the `output=void` calls. The HTTP server is a thin
//! layer over it; permission checks and version resolution live here.
//!
//! # Example
//!
//! ```no_run
//! use algobox_platform::{Platform, PlatformConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let platform = Platform::open(PlatformConfig::new("./algobox-data")).await?;
//! if let Some(key) = platform.bootstrap_admin(None).await? {
//!     println!("the admin key: {key}");
//! }
//! # Ok(())
//! # }
//! ```

mod account_compiles;
mod account_slots;
mod accounts;
mod algorithms;
pub mod async_calls;
mod build_leases;
pub mod call;
mod call_slots;
pub mod cluster;
mod cluster_calls;
pub mod code_shelf;
mod data;
pub mod data_store;
pub mod drain;
pub mod error;
mod finish_on_drop;
pub mod identity;
mod invalidations;
pub mod module_store;
#[cfg(test)]
mod nats_fixture;
mod object_bucket;
pub mod pipeline;
mod random_name;
pub mod registry;
mod resolution;
pub mod shared_parts;
pub mod timestamp;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use algobox_runtime::Runtime;
use algobox_runtime::compiled_algorithm::CompiledAlgorithm;
use algobox_runtime::compiler::CompilerConfig;
use algobox_runtime::egress::EgressPolicy;
use algobox_runtime::gpu::GpuConfig;
use algobox_runtime::limits::Limits;

use crate::account_compiles::AccountCompiles;
use crate::account_slots::AccountSlots;
use crate::async_calls::AsyncCalls;
use crate::call_slots::CallSlots;
use crate::cluster::ClusterLink;
use crate::data_store::DataStore;
use crate::data_store::folder::FolderDataStore;
use crate::drain::Drain;
use crate::error::PlatformError;
use crate::identity::{AccountName, NodeId};
use crate::module_store::ModuleStore;
use crate::module_store::directory::DirectoryStore;
use crate::registry::Registry;
use crate::registry::algorithm::AlgorithmRecord;
use crate::registry::settings::Settings;
use crate::registry::sqlite::SqliteRegistry;
use crate::registry::version::Version;
use crate::shared_parts::SharedParts;

/// How long an authenticated key and a version list are trusted before the
/// registry is asked again. Writes through this platform invalidate at once;
/// the bound matters for writes by other processes (the CLI, other nodes).
const CACHE_TTL: Duration = Duration::from_secs(2);

/// How long a build's lease lasts by default: three renewals may fail (a
/// registry fail-over, say) before another node fails the build.
pub const DEFAULT_BUILD_LEASE: Duration = Duration::from_secs(30);

/// The label of the key installed from `ALGOBOX_ADMIN_KEY`: at most one key
/// carries it.
const ADMIN_KEY_LABEL: &str = "ALGOBOX_ADMIN_KEY";

/// How many `output=void` calls one account may have accepted and
/// unfinished by default.
pub const DEFAULT_VOID_CALLS_PER_ACCOUNT: u32 = 100;

/// Where a platform keeps its state, and its limits.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// The data folder: `registry.sqlite3`, `modules/`, `compiled/`,
    /// `files/` (the Data API's, unless a cluster shares them).
    pub data_dir: PathBuf,
    /// The limits of every invocation.
    pub limits: Limits,
    /// How long the results of `output=void` calls are kept.
    pub keep_results: Duration,
    /// The largest file the Data API stores in the data folder (a shared
    /// data store brings its own limit).
    pub max_file_bytes: u64,
    /// Where algorithms with `network_access: full` may connect.
    pub egress: EgressPolicy,
    /// How to start the GPU worker for `environment: gpu` algorithms; with
    /// `None` they get "no GPU adapter".
    pub gpu: Option<GpuConfig>,
    /// How many calls of one account run at once; the rest of its calls
    /// wait, and other accounts' do not. `None`: half of the call slots
    /// (`limits.concurrency`, less the eighth kept for calls algorithms
    /// make).
    pub calls_per_account: Option<u32>,
    /// How many synchronous calls of one account may wait for a slot; past
    /// it, calls are refused (HTTP 429). `None`: four times
    /// `calls_per_account`.
    pub waiting_calls_per_account: Option<u32>,
    /// How many `output=void` calls one account may have accepted and
    /// unfinished; past it, calls are refused (HTTP 429) until some finish.
    pub void_calls_per_account: u32,
    /// How many running calls execute guest code at any moment, of one
    /// account and of all accounts together; the others wait, parked,
    /// between 5 ms time slices, so CPU-bound floods leave a core to
    /// everyone else's requests. `None`: one fewer than the cores (at
    /// least one).
    pub runnable: Option<usize>,
    /// How uploads are compiled: the compile worker, its caps, the queue and
    /// the caps on a component's structure. Each account compiles one
    /// module at a time.
    pub compiler: CompilerConfig,
    /// How long a build this node compiles stays in progress without a
    /// renewal (it renews every third of it while compiling); a build whose
    /// lease lapsed is failed by any node sharing the registry.
    pub build_lease: Duration,
}

impl PlatformConfig {
    /// Defaults, with everything under `data_dir`.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        Self {
            data_dir: data_dir.as_ref().to_owned(),
            limits: Limits::default(),
            keep_results: Duration::from_secs(3600),
            max_file_bytes: data_store::DEFAULT_MAX_FILE_BYTES,
            egress: EgressPolicy::default(),
            gpu: None,
            calls_per_account: None,
            waiting_calls_per_account: None,
            void_calls_per_account: DEFAULT_VOID_CALLS_PER_ACCOUNT,
            compiler: CompilerConfig::default(),
            runnable: None,
            build_lease: DEFAULT_BUILD_LEASE,
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account's name.
    pub name: AccountName,
}

/// What a call resolved to.
#[derive(Clone)]
pub struct Target {
    /// The compiled algorithm.
    pub algorithm: CompiledAlgorithm,
    /// Whether the caller owns the algorithm (or is a member of the owning
    /// organization).
    pub caller_is_owner: bool,
    /// The cached listing the call resolved in, shared rather than copied:
    /// a call reads a few settings of one version, on every call.
    listing: Arc<Listing>,
    /// Which of the listing's versions, or `None` for an unpublished build
    /// called by its hash (owners only).
    version: Option<usize>,
}

impl Target {
    /// The published version, or `None` for an unpublished build called by
    /// its hash (owners only).
    pub fn version(&self) -> Option<&Version> {
        self.version.map(|index| &self.listing.versions[index])
    }

    /// The settings the call runs with: the version's own, fixed when it
    /// was published (for an unpublished build, the algorithm's current).
    pub fn settings(&self) -> &Settings {
        self.version()
            .map_or(&self.listing.algorithm.settings, |version| {
                &version.settings
            })
    }

    /// Whether the caller may see the algorithm's source, and so its stack
    /// traces: its owner (or the owning organization's members) always,
    /// anyone when the version's `source_visibility` is `open`.
    pub fn source_visible(&self) -> bool {
        self.caller_is_owner || self.settings().source_visibility == "open"
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("algorithm", &self.algorithm)
            .field("caller_is_owner", &self.caller_is_owner)
            .field("version", &self.version())
            .field("settings", self.settings())
            .finish()
    }
}

/// The algobox platform. Cloning is cheap; clones share everything.
///
/// # Example
///
/// ```no_run
/// use algobox_platform::{Platform, PlatformConfig};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let platform = Platform::open(PlatformConfig::new("./algobox-data")).await?;
/// let new_key = platform.bootstrap_admin(None).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Platform {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Runtime,
    registry: Arc<dyn Registry>,
    modules: Arc<dyn ModuleStore>,
    calls: AsyncCalls,
    data: Arc<dyn DataStore>,
    keys: Mutex<HashMap<String, (Caller, Instant)>>,
    listings: Mutex<HashMap<String, (Arc<Listing>, Instant)>>,
    slots: Arc<AccountSlots>,
    compiles: AccountCompiles,
    /// Set once this node joins a cluster.
    cluster: OnceLock<ClusterLink>,
    /// Whether the node is shutting down.
    drain: Drain,
    /// This process's id: the owner of its builds, the runner of its void
    /// calls.
    node: NodeId,
    /// The term of the leases on the builds this node compiles.
    build_lease: Duration,
}

/// An algorithm and its published versions, as resolution needs them.
struct Listing {
    algorithm: AlgorithmRecord,
    versions: Vec<Version>,
}

impl Platform {
    /// Opens (creating) the data folder, with everything in it.
    pub async fn open(config: PlatformConfig) -> Result<Self, PlatformError> {
        Self::open_with(config, SharedParts::default()).await
    }

    /// Opens (creating) the data folder for what stays local (compiled
    /// code, void results), with `shared`'s parts in place of the folder's
    /// registry, module store and Data API files.
    pub async fn open_with(
        config: PlatformConfig,
        shared: SharedParts,
    ) -> Result<Self, PlatformError> {
        let calls = call_slots(
            config.limits.concurrency,
            config.calls_per_account,
            config.waiting_calls_per_account,
        );
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|err| {
            PlatformError::Internal(format!("cannot create {}: {err}", dir.display()))
        })?;
        let registry: Arc<dyn Registry> = match shared.registry {
            Some(registry) => registry,
            None => Arc::new(
                blocking(move || SqliteRegistry::open(dir.join("registry.sqlite3"))).await??,
            ),
        };
        let modules: Arc<dyn ModuleStore> = match shared.modules {
            Some(modules) => modules,
            None => Arc::new(DirectoryStore::open(config.data_dir.join("modules"))?),
        };
        let data: Arc<dyn DataStore> = match shared.data {
            Some(data) => data,
            None => Arc::new(
                FolderDataStore::open(config.data_dir.join("files"))?
                    .with_max_file_bytes(config.max_file_bytes),
            ),
        };
        let mut runtime = Runtime::builder()
            .limits(config.limits)
            .cache_dir(config.data_dir.join("compiled"))
            .compiler(config.compiler)
            .egress(config.egress);
        if let Some(gpu) = config.gpu {
            runtime = runtime.gpu(gpu);
        }
        if let Some(code) = shared.code {
            runtime = runtime.shared_code(code);
        }
        let runtime = runtime
            .build()
            .map_err(|err| PlatformError::Internal(err.to_string()))?;
        let runnable = config.runnable.unwrap_or_else(default_runnable);
        let slots = AccountSlots::new(calls, config.void_calls_per_account, runnable);
        // Void results wait on disk, not in the server's memory.
        let results = config.data_dir.join("results");
        let calls = AsyncCalls::new(config.keep_results)
            .in_folder(&results)
            .map_err(|err| {
                PlatformError::Internal(format!(
                    "cannot prepare the results folder {}: {err}; check that the data folder is writable",
                    results.display()
                ))
            })?;
        let platform = Self::assemble(
            runtime,
            registry,
            modules,
            data,
            calls,
            slots,
            config.build_lease,
        );
        platform.sweep_builds(shared.sole_compiler).await?;
        Ok(platform)
    }

    /// A platform over parts chosen by the embedder (another registry,
    /// module store or data folder, say), with the default per-account
    /// shares: half the call slots, and [`DEFAULT_VOID_CALLS_PER_ACCOUNT`].
    pub fn with_parts(
        runtime: Runtime,
        registry: Arc<dyn Registry>,
        modules: Arc<dyn ModuleStore>,
        data: Arc<dyn DataStore>,
        keep_results: Duration,
    ) -> Self {
        let calls = call_slots(runtime.limits().concurrency, None, None);
        let slots = AccountSlots::new(calls, DEFAULT_VOID_CALLS_PER_ACCOUNT, default_runnable());
        let calls = AsyncCalls::new(keep_results);
        Self::assemble(
            runtime,
            registry,
            modules,
            data,
            calls,
            slots,
            DEFAULT_BUILD_LEASE,
        )
    }

    fn assemble(
        runtime: Runtime,
        registry: Arc<dyn Registry>,
        modules: Arc<dyn ModuleStore>,
        data: Arc<dyn DataStore>,
        calls: AsyncCalls,
        slots: AccountSlots,
        build_lease: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                runtime,
                registry,
                modules,
                calls,
                data,
                keys: Mutex::default(),
                listings: Mutex::default(),
                slots: Arc::new(slots),
                compiles: AccountCompiles::default(),
                cluster: OnceLock::new(),
                drain: Drain::default(),
                node: NodeId::random(),
                build_lease,
            }),
        }
    }

    /// The runtime that runs the algorithms.
    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    /// The registry.
    pub fn registry(&self) -> &Arc<dyn Registry> {
        &self.inner.registry
    }

    /// The `output=void` calls.
    pub fn calls(&self) -> &AsyncCalls {
        &self.inner.calls
    }

    /// This process's id, random at each start: the owner of the builds it
    /// compiles and, in a cluster, the node named in the records of the
    /// void calls it runs.
    pub fn node_id(&self) -> &NodeId {
        &self.inner.node
    }
}

/// The slots for calls from outside: the runtime's pool less an eighth (at
/// least one slot, when there are two) kept for the calls algorithms make,
/// which run in their caller's slot and so must find room in the pool
/// while callers hold every slot. Each account runs at most half of them
/// by default, and has four times that waiting.
fn call_slots(concurrency: u32, per_account: Option<u32>, waiting: Option<u32>) -> CallSlots {
    let concurrency = concurrency.max(1) as usize;
    let headroom = if concurrency >= 2 {
        (concurrency / 8).max(1)
    } else {
        0
    };
    let total = concurrency - headroom;
    let per_account = per_account.map_or((total / 2).max(1), |cap| cap.max(1) as usize);
    let waiting = waiting.map_or(per_account * 4, |cap| cap as usize);
    CallSlots::new(total, per_account, waiting)
}

/// How many guests execute at once by default: one fewer than the cores,
/// so that however many CPU-bound guests run, a core is left for requests.
/// (On two cores, 200 CPU-bound calls kept another account's `hello` at a
/// 675 ms median with two; with one, 0.28 ms: `server/benches/flood.sh`.)
fn default_runnable() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores.saturating_sub(1).max(1)
}

/// Runs blocking registry and store work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PlatformError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| PlatformError::Internal(format!("a blocking task failed: {err}")))
}
