//! Compiled code on disk, so a restart does not recompile.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::component::Component;

use crate::content_hash::ContentHash;

/// A folder of compiled components, one file per content hash, in a
/// subfolder per engine configuration (compiled code is only valid for the
/// wasmtime version and settings that produced it).
pub(crate) struct CodeCache {
    dir: PathBuf,
}

/// Distinguishes temporary files of concurrent writers in one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

impl CodeCache {
    /// Opens (creating) the cache under `root` for `engine`.
    pub(crate) fn open(root: &Path, engine: &wasmtime::Engine) -> std::io::Result<Self> {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let dir = root.join(format!("engine-{:016x}", hasher.finish()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn path(&self, hash: &ContentHash) -> PathBuf {
        self.dir.join(format!("{hash}.cwasm"))
    }

    /// The cached component for `hash`, if there is a usable one.
    pub(crate) fn load(&self, engine: &wasmtime::Engine, hash: &ContentHash) -> Option<Component> {
        let path = self.path(hash);
        // Read into memory rather than map the file: a mapped file that is
        // truncated while in use (by an operator, a full disk, another
        // version of algobox) kills the process with SIGBUS. The copy costs
        // well under a millisecond, once per registration.
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => {
                tracing::warn!(path = %path.display(), "cannot read compiled code: {err}");
                return None;
            }
        };
        #[expect(unsafe_code, reason = "loading precompiled code is unsafe in wasmtime")]
        // SAFETY: the bytes were written by `store` below from
        // `Component::serialize` of an engine with the same compatibility
        // hash (the folder's name), into a folder only this runtime writes,
        // and renamed into place whole, so they are never partial. Wasmtime
        // still checks their header and rejects code from another version or
        // configuration; that error is handled by recompiling.
        let loaded = unsafe { Component::deserialize(engine, &bytes) };
        match loaded {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(path = %path.display(), "discarding unusable compiled code: {err:#}");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Writes the compiled form of `component`. A failure only costs a
    /// recompile later, so it is logged rather than returned.
    pub(crate) fn store(&self, hash: &ContentHash, component: &Component) {
        let result = component
            .serialize()
            .map_err(|err| std::io::Error::other(format!("{err:#}")))
            .and_then(|bytes| {
                let temp = self.dir.join(format!(
                    ".{hash}.{}.{}.tmp",
                    std::process::id(),
                    NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::write(&temp, bytes)?;
                std::fs::rename(&temp, self.path(hash))
            });
        if let Err(err) = result {
            tracing::warn!(dir = %self.dir.display(), "cannot cache compiled code: {err}");
        }
    }
}
