//! Registering an algorithm: from uploaded bytes to a checked, linked
//! [`CompiledAlgorithm`], compiling only when no cache holds the code.

use wasmtime::component::Component;

use crate::Runtime;
use crate::compiled_algorithm::{self, CompiledAlgorithm, Layer};
use crate::content_hash::ContentHash;
use crate::error::RegisterError;
use crate::preview1_command;

impl Runtime {
    /// Compiles, checks and links an algorithm from its `.wasm` bytes: a
    /// component, or a `wasm32-wasip1` command module, which is made into a
    /// component first (as [`admit`](Self::admit) does).
    ///
    /// The same bytes registered twice give the same [`CompiledAlgorithm`]
    /// without a second compile; with a [cache folder](crate::RuntimeBuilder::cache_dir)
    /// that holds across restarts too, and with [shared
    /// code](crate::RuntimeBuilder::shared_code) across the nodes of a
    /// cluster. Compiles run one at a time by
    /// default, in the [compile worker](crate::RuntimeBuilder::compiler) when one
    /// is configured, else on a blocking thread. Bytes that failed to
    /// compile fail again at once, without compiling, while the limits stay
    /// the same.
    pub async fn register(
        &self,
        wasm: impl Into<Vec<u8>>,
    ) -> Result<CompiledAlgorithm, RegisterError> {
        let wasm = self.admit(wasm.into()).await?;
        let hash = ContentHash::of(&wasm);
        if let Some(found) = self.lookup(&hash) {
            return Ok(found);
        }
        let inner = &self.inner;
        let cache = inner.cache.as_ref();
        if let Some(err) = inner.compiler.failed_before(cache, &hash) {
            return Err(err);
        }
        let engine = &inner.engine.wasmtime;
        let (component, origin) = match cache.and_then(|cache| cache.load(engine, &hash)) {
            Some(component) => (component, Origin::Cache),
            None => match self.shared(engine, &hash).await {
                Some(component) => (component, Origin::Cluster),
                None => {
                    let started = std::time::Instant::now();
                    let compiled = inner.compiler.compile(engine, wasm).await;
                    tracing::debug!(%hash, elapsed = ?started.elapsed(), ok = compiled.is_ok(), "compiled");
                    let component =
                        compiled.map_err(|err| inner.compiler.remember(cache, &hash, err))?;
                    (component, Origin::Compiled)
                }
            },
        };
        let algorithm = CompiledAlgorithm::link(hash, &component, &inner.linker)
            .map_err(|err| inner.compiler.remember(cache, &hash, err))?;
        // Kept and shared only once checked, so a rejected component is not.
        if origin != Origin::Cache {
            self.keep(&hash, &component, origin).await;
        }
        let mut algorithms = inner.algorithms.lock().expect("algorithm table poisoned");
        Ok(algorithms.entry(hash).or_insert(algorithm).clone())
    }

    /// The code another node of the cluster compiled for `hash`, if any.
    async fn shared(&self, engine: &wasmtime::Engine, hash: &ContentHash) -> Option<Component> {
        let shared = self.inner.shared_code.as_ref()?;
        let found = shared.fetch(engine, self.inner.fingerprint, hash).await;
        if found.is_some() {
            tracing::debug!(%hash, "loaded compiled code another node shared");
        }
        found
    }

    /// Keeps the compiled code of a component this node has just compiled
    /// or fetched in the code cache, and shares what it compiled.
    async fn keep(&self, hash: &ContentHash, component: &Component, origin: Origin) {
        let share = match &self.inner.shared_code {
            Some(shared) if origin == Origin::Compiled => Some(shared),
            _ => None,
        };
        if self.inner.cache.is_none() && share.is_none() {
            return;
        }
        let code = match component.serialize() {
            Ok(code) => code,
            Err(err) => {
                tracing::warn!(%hash, "cannot serialize compiled code to keep it: {err:#}");
                return;
            }
        };
        if let Some(cache) = &self.inner.cache {
            cache.store_compiled(hash, &code);
        }
        if let Some(shared) = share {
            shared.publish(self.inner.fingerprint, hash, &code).await;
        }
    }

    /// Checks uploaded bytes without compiling them, and returns what to
    /// store: the component itself, or the component a `wasm32-wasip1`
    /// command module (a core module with `_start`) becomes with the
    /// preview1 command adapter. Either way the result's structure is within
    /// the [compiler's limits](crate::compiler::CompilerConfig::component).
    ///
    /// Servers call it before storing an upload, so that a wrong file or a
    /// compile bomb is refused with a message that says what to change, and
    /// so that the module store, its hashes and the compiler only ever see
    /// components: the conversion happens once, here.
    pub async fn admit(&self, wasm: Vec<u8>) -> Result<Vec<u8>, RegisterError> {
        let limits = self.inner.compiler.config().component;
        let component = match compiled_algorithm::check_header(&wasm)? {
            Layer::Component => wasm,
            // Parsing and re-encoding a large module takes a while: not on
            // the async workers.
            Layer::CoreModule => {
                tokio::task::spawn_blocking(move || preview1_command::componentize(&wasm, &limits))
                    .await
                    .map_err(|err| {
                        RegisterError::Compiler(format!("the conversion thread failed: {err}"))
                    })??
            }
        };
        limits.check(&component)?;
        Ok(component)
    }

    /// The registered algorithm with this hash, if any.
    pub fn lookup(&self, hash: &ContentHash) -> Option<CompiledAlgorithm> {
        let algorithms = self
            .inner
            .algorithms
            .lock()
            .expect("algorithm table poisoned");
        algorithms.get(hash).cloned()
    }
}

/// Where [`Runtime::register`] found a component's compiled code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The code cache folder: nothing to keep.
    Cache,
    /// Another node of the cluster: kept, already shared.
    Cluster,
    /// Compiled here: kept and shared.
    Compiled,
}
