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

mod account_slots;
mod algorithms;
pub mod async_calls;
pub mod call;
mod data;
pub mod data_store;
pub mod error;
pub mod identity;
pub mod module_store;
pub mod pipeline;
pub mod registry;
pub mod timestamp;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use algobox_runtime::Runtime;
use algobox_runtime::compiled_algorithm::CompiledAlgorithm;
use algobox_runtime::content_hash::ContentHash;
use algobox_runtime::egress::EgressPolicy;
use algobox_runtime::gpu::GpuConfig;
use algobox_runtime::limits::Limits;

use crate::account_slots::AccountSlots;
use crate::async_calls::AsyncCalls;
use crate::data_store::DataStore;
use crate::error::PlatformError;
use crate::identity::{AccountName, AlgorithmId, AlgorithmName};
use crate::module_store::ModuleStore;
use crate::module_store::directory::DirectoryStore;
use crate::registry::Registry;
use crate::registry::account::AccountKind;
use crate::registry::algorithm::AlgorithmRecord;
use crate::registry::build::{Build, BuildStatus};
use crate::registry::page::PageRequest;
use crate::registry::settings::Settings;
use crate::registry::sqlite::SqliteRegistry;
use crate::registry::version::Version;
use crate::registry::version_spec::{VersionSpec, resolve};

/// How long an authenticated key and a version list are trusted before the
/// registry is asked again. Writes through this platform invalidate at once;
/// the bound matters for writes by other processes (the CLI, other nodes).
const CACHE_TTL: Duration = Duration::from_secs(2);

/// The label of the key installed from `ALGOBOX_ADMIN_KEY`: at most one key
/// carries it.
const ADMIN_KEY_LABEL: &str = "ALGOBOX_ADMIN_KEY";

/// Where a platform keeps its state, and its limits.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// The data folder: `registry.sqlite3`, `modules/`, `compiled/`,
    /// `files/` (the Data API's).
    pub data_dir: PathBuf,
    /// The limits of every invocation.
    pub limits: Limits,
    /// How long the results of `output=void` calls are kept.
    pub keep_results: Duration,
    /// The largest file the Data API stores.
    pub max_file_bytes: u64,
    /// Where algorithms with `network_access: full` may connect.
    pub egress: EgressPolicy,
    /// How to start the GPU worker for `environment: gpu` algorithms; with
    /// `None` they get "no GPU adapter".
    pub gpu: Option<GpuConfig>,
    /// How many calls of one account run at once; the rest of its calls
    /// wait, and other accounts' do not. `None`: half of
    /// `limits.concurrency`.
    pub calls_per_account: Option<u32>,
    /// How many `output=void` calls one account may have accepted and
    /// unfinished; past it, calls are refused (HTTP 429) until some finish.
    pub void_calls_per_account: u32,
}

impl PlatformConfig {
    /// Defaults, with everything under `data_dir`.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        Self {
            data_dir: data_dir.as_ref().to_owned(),
            limits: Limits::default(),
            keep_results: Duration::from_secs(3600),
            max_file_bytes: DataStore::DEFAULT_MAX_FILE_BYTES,
            egress: EgressPolicy::default(),
            gpu: None,
            calls_per_account: None,
            void_calls_per_account: 100,
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
#[derive(Debug, Clone)]
pub struct Target {
    /// The compiled algorithm.
    pub algorithm: CompiledAlgorithm,
    /// The published version, or `None` for an unpublished build called by
    /// its hash (owners only).
    pub version: Option<Version>,
    /// Whether the caller owns the algorithm (or is a member of the owning
    /// organization).
    pub caller_is_owner: bool,
    /// The settings the call runs with: the version's own, fixed when it
    /// was published (for an unpublished build, the algorithm's current).
    pub settings: Settings,
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
    data: Arc<DataStore>,
    keys: Mutex<HashMap<String, (Caller, Instant)>>,
    listings: Mutex<HashMap<String, (Arc<Listing>, Instant)>>,
    slots: Arc<AccountSlots>,
}

/// An algorithm and its published versions, as resolution needs them.
struct Listing {
    algorithm: AlgorithmRecord,
    versions: Vec<Version>,
}

impl Platform {
    /// Opens (creating) the data folder.
    pub async fn open(config: PlatformConfig) -> Result<Self, PlatformError> {
        let running = config
            .calls_per_account
            .unwrap_or(config.limits.concurrency / 2);
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|err| {
            PlatformError::Internal(format!("cannot create {}: {err}", dir.display()))
        })?;
        let registry =
            blocking(move || SqliteRegistry::open(dir.join("registry.sqlite3"))).await??;
        let abandoned = Registry::fail_unfinished_builds(
            &registry,
            "The server stopped while this build was compiling; compile the algorithm again.",
        )
        .await?;
        if abandoned > 0 {
            tracing::warn!(
                abandoned,
                "failed the builds an earlier server left in progress"
            );
        }
        let modules = DirectoryStore::open(config.data_dir.join("modules"))?;
        let data = DataStore::open(config.data_dir.join("files"))?
            .with_max_file_bytes(config.max_file_bytes);
        let mut runtime = Runtime::builder()
            .limits(config.limits)
            .cache_dir(config.data_dir.join("compiled"))
            .egress(config.egress);
        if let Some(gpu) = config.gpu {
            runtime = runtime.gpu(gpu);
        }
        let runtime = runtime
            .build()
            .map_err(|err| PlatformError::Internal(err.to_string()))?;
        let slots = AccountSlots::new(running, config.void_calls_per_account);
        Ok(Self::assemble(
            runtime,
            Arc::new(registry),
            Arc::new(modules),
            Arc::new(data),
            config.keep_results,
            slots,
        ))
    }

    /// A platform over parts chosen by the embedder (another registry,
    /// module store or data folder, say).
    pub fn with_parts(
        runtime: Runtime,
        registry: Arc<dyn Registry>,
        modules: Arc<dyn ModuleStore>,
        data: Arc<DataStore>,
        keep_results: Duration,
    ) -> Self {
        let defaults = PlatformConfig::new("");
        let running = runtime.limits().concurrency / 2;
        let slots = AccountSlots::new(running, defaults.void_calls_per_account);
        Self::assemble(runtime, registry, modules, data, keep_results, slots)
    }

    fn assemble(
        runtime: Runtime,
        registry: Arc<dyn Registry>,
        modules: Arc<dyn ModuleStore>,
        data: Arc<DataStore>,
        keep_results: Duration,
        slots: AccountSlots,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                runtime,
                registry,
                modules,
                calls: AsyncCalls::new(keep_results),
                data,
                keys: Mutex::default(),
                listings: Mutex::default(),
                slots: Arc::new(slots),
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

    /// Creates the user `admin` if it does not exist. With `key`, installs
    /// that key for it (on every start, idempotently), revokes any other key
    /// installed that way (so changing `ALGOBOX_ADMIN_KEY` retires the old
    /// one) and returns `None`; otherwise returns a new key when `admin` was
    /// just created.
    pub async fn bootstrap_admin(
        &self,
        key: Option<&str>,
    ) -> Result<Option<String>, PlatformError> {
        let registry = &self.inner.registry;
        let admin = AccountName::parse("admin").expect("`admin` is an account name");
        let admin = &admin;
        let created = match registry.account(admin).await? {
            Some(_) => false,
            None => {
                registry.create_account(admin, AccountKind::User).await?;
                true
            }
        };
        if let Some(key) = key {
            let installed = registry.set_key(admin, ADMIN_KEY_LABEL, key).await?;
            for old in registry.list_keys(admin).await? {
                if old.label == ADMIN_KEY_LABEL && old.id != installed.id {
                    registry.revoke_key(admin, &old.id).await?;
                    tracing::info!(
                        key = %old.shown_prefix,
                        "revoked the previous ALGOBOX_ADMIN_KEY"
                    );
                }
            }
            // Keys already authenticated stay trusted for the cache's life;
            // a retired admin key must not.
            self.inner.keys.lock().expect("key cache poisoned").clear();
            return Ok(None);
        }
        if created {
            let (_, key) = registry.create_key(admin, "created on first start").await?;
            return Ok(Some(key));
        }
        Ok(None)
    }

    /// The caller a key authenticates.
    pub async fn authenticate(&self, key: Option<&str>) -> Result<Caller, PlatformError> {
        let key = key.ok_or(PlatformError::Unauthorized)?;
        if let Some((caller, at)) = self.inner.keys.lock().expect("key cache poisoned").get(key)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(caller.clone());
        }
        let account = self.inner.registry.authenticate(key).await?;
        let caller = Caller {
            name: account.ok_or(PlatformError::Unauthorized)?.name,
        };
        self.inner
            .keys
            .lock()
            .expect("key cache poisoned")
            .insert(key.to_owned(), (caller.clone(), Instant::now()));
        Ok(caller)
    }

    /// Whether `caller` manages `owner`'s algorithms: it is `owner`, or a
    /// member of the organization `owner`.
    pub async fn manages(
        &self,
        caller: &Caller,
        owner: &AccountName,
    ) -> Result<bool, PlatformError> {
        if caller.name.matches(owner) {
            return Ok(true);
        }
        Ok(self.inner.registry.is_member(owner, &caller.name).await?)
    }

    /// Fails with [`PlatformError::Forbidden`] unless `caller` manages
    /// `owner`'s algorithms; the server asks before it reads an upload.
    pub async fn require_manager(
        &self,
        caller: &Caller,
        owner: &AccountName,
    ) -> Result<(), PlatformError> {
        if self.manages(caller, owner).await? {
            Ok(())
        } else {
            Err(PlatformError::Forbidden(format!(
                "{} may not manage the algorithms of {owner}; use a key of {owner} or of a member of that organization",
                caller.name
            )))
        }
    }

    /// The algorithm, if `caller` manages it; builds are its managers' alone.
    async fn managed(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<AlgorithmRecord, PlatformError> {
        let (algorithm, _, manages) = self.algorithm(caller, owner, name).await?;
        if !manages {
            return Err(PlatformError::Forbidden(format!(
                "only the owner of {owner}/{name} may see its builds"
            )));
        }
        Ok(algorithm)
    }

    /// Resolves `owner/name[/version]` for `caller` to a compiled algorithm.
    /// A private algorithm of someone else does not exist to the caller.
    pub async fn resolve(
        &self,
        caller: &Caller,
        owner: &AccountName,
        name: &AlgorithmName,
        version: Option<&str>,
    ) -> Result<Target, PlatformError> {
        let spec = version
            .filter(|text| !text.is_empty())
            .map(VersionSpec::parse)
            .transpose()
            .map_err(|err| PlatformError::BadRequest(err.to_string()))?;
        let not_found = || {
            PlatformError::NotFound(format!(
                "algorithm algo://{owner}/{name}{} not found",
                version.map(|v| format!("/{v}")).unwrap_or_default()
            ))
        };
        let listing = self.listing(owner, name).await?.ok_or_else(not_found)?;
        let caller_is_owner = self.manages(caller, owner).await?;
        let (hash, version) = match resolve(spec.as_ref(), &listing.versions, caller_is_owner) {
            Some(version) => (version.commit_sha, Some(version.clone())),
            // An owner may call a build that is not published yet by its hash.
            None => match (&spec, caller_is_owner) {
                (Some(VersionSpec::Hash(hash)), true) => {
                    self.built(&listing.algorithm.id, hash)
                        .await?
                        .ok_or_else(not_found)?;
                    (*hash, None)
                }
                _ => return Err(not_found()),
            },
        };
        let algorithm = self.compiled(&hash).await?;
        let settings = version.as_ref().map_or_else(
            || listing.algorithm.settings.clone(),
            |version| version.settings.clone(),
        );
        Ok(Target {
            algorithm,
            version,
            caller_is_owner,
            settings,
        })
    }

    /// The algorithm and its versions, from the cache or the registry.
    async fn listing(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<Option<Arc<Listing>>, PlatformError> {
        let key = listing_key(owner, name);
        if let Some((listing, at)) = self
            .inner
            .listings
            .lock()
            .expect("listing cache poisoned")
            .get(&key)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(Arc::clone(listing)));
        }
        let registry = &self.inner.registry;
        let listing = match registry.algorithm(owner, name).await? {
            Some(algorithm) => {
                let versions = registry.all_versions(&algorithm.id).await?;
                Some(Listing {
                    algorithm,
                    versions,
                })
            }
            None => None,
        };
        Ok(listing.map(|listing| {
            let listing = Arc::new(listing);
            self.inner
                .listings
                .lock()
                .expect("listing cache poisoned")
                .insert(key, (Arc::clone(&listing), Instant::now()));
            listing
        }))
    }

    fn forget(&self, owner: &AccountName, name: &AlgorithmName) {
        self.inner
            .listings
            .lock()
            .expect("listing cache poisoned")
            .remove(&listing_key(owner, name));
    }

    /// A succeeded build of `hash`, if the algorithm has one.
    async fn built(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<Option<Build>, PlatformError> {
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let builds = self.inner.registry.builds(algorithm_id, &page).await?;
            if let Some(build) = builds
                .items
                .iter()
                .find(|build| build.commit_sha == *hash && build.status == BuildStatus::Succeeded)
            {
                return Ok(Some(build.clone()));
            }
            match builds.marker {
                Some(marker) => page = PageRequest::after(PageRequest::MAX_LIMIT, marker),
                None => return Ok(None),
            }
        }
    }

    /// The compiled module with this hash: already registered, or loaded
    /// from the store (and the code cache) now.
    async fn compiled(&self, hash: &ContentHash) -> Result<CompiledAlgorithm, PlatformError> {
        if let Some(algorithm) = self.inner.runtime.lookup(hash) {
            return Ok(algorithm);
        }
        let modules = Arc::clone(&self.inner.modules);
        let wanted = *hash;
        let bytes = blocking(move || modules.get(&wanted))
            .await??
            .ok_or_else(|| {
                PlatformError::Internal(format!(
                    "module {hash} is referenced by the registry but missing from the module store"
                ))
            })?;
        Ok(self.inner.runtime.register(bytes).await?)
    }
}

fn listing_key(owner: &AccountName, name: &AlgorithmName) -> String {
    format!(
        "{}/{}",
        owner.as_str().to_ascii_lowercase(),
        name.as_str().to_ascii_lowercase()
    )
}

/// Runs blocking registry and store work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PlatformError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| PlatformError::Internal(format!("a blocking task failed: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn builds_left_in_progress_by_a_dead_server_fail_saying_what_to_do() {
        let folder = tempfile::tempdir().unwrap();
        let platform = Platform::open(PlatformConfig::new(folder.path()))
            .await
            .unwrap();
        let admin: AccountName = "admin".parse().unwrap();
        platform.bootstrap_admin(None).await.unwrap();
        let request = crate::registry::algorithm::NewAlgorithm {
            name: "Hello".into(),
            details: crate::registry::algorithm::Details {
                label: "Hello".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let registry = Arc::clone(platform.registry());
        let algorithm = registry.create_algorithm(&admin, &request).await.unwrap();
        let hash = ContentHash::of(b"module");
        let abandoned = registry.start_build(&algorithm.id, &hash).await.unwrap();
        let finished = registry.start_build(&algorithm.id, &hash).await.unwrap();
        registry
            .finish_build(&finished.id, true, "ok")
            .await
            .unwrap();
        drop((platform, registry));

        // The server was killed mid-compile; a new one starts.
        let platform = Platform::open(PlatformConfig::new(folder.path()))
            .await
            .unwrap();
        let registry = platform.registry();
        let build = registry
            .build(&algorithm.id, &abandoned.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(build.status, BuildStatus::Failed);
        assert!(
            build.logs.contains("compile the algorithm again"),
            "{}",
            build.logs
        );
        assert!(build.finished_at.is_some());
        // A finished build is left as it was.
        let build = registry
            .build(&algorithm.id, &finished.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (build.status, build.logs.as_str()),
            (BuildStatus::Succeeded, "ok")
        );
    }

    #[tokio::test]
    async fn a_new_admin_key_retires_the_previous_one_and_leaves_other_keys() {
        let folder = tempfile::tempdir().unwrap();
        let platform = Platform::open(PlatformConfig::new(folder.path()))
            .await
            .unwrap();
        let generated = platform.bootstrap_admin(None).await.unwrap().unwrap();
        let first = "operator-key-number-one-0123456789";
        let second = "operator-key-number-two-0123456789";
        assert_eq!(platform.bootstrap_admin(Some(first)).await.unwrap(), None);
        assert_eq!(
            platform.authenticate(Some(first)).await.unwrap().name,
            "admin"
        );

        // The operator changes ALGOBOX_ADMIN_KEY and restarts.
        assert_eq!(platform.bootstrap_admin(Some(second)).await.unwrap(), None);
        assert!(matches!(
            platform.authenticate(Some(first)).await,
            Err(PlatformError::Unauthorized)
        ));
        assert_eq!(
            platform.authenticate(Some(second)).await.unwrap().name,
            "admin"
        );
        // The key made on first start is the admin's own, not the
        // operator's: it stays.
        assert_eq!(
            platform.authenticate(Some(&generated)).await.unwrap().name,
            "admin"
        );
        // The same key again changes nothing.
        assert_eq!(platform.bootstrap_admin(Some(second)).await.unwrap(), None);
        assert_eq!(
            platform.authenticate(Some(second)).await.unwrap().name,
            "admin"
        );
    }
}
