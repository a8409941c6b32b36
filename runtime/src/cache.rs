//! Compiled code on disk, so a restart does not recompile.

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

/// The longest failure message kept.
const MAX_FAILURE_BYTES: usize = 4096;

/// Distinguishes temporary files of concurrent writers in one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

impl CodeCache {
    /// Opens (creating) the cache under `root` for engines with this
    /// [`fingerprint`](crate::engine::fingerprint).
    pub(crate) fn open(root: &Path, fingerprint: u64) -> std::io::Result<Self> {
        let dir = root.join(format!("engine-{fingerprint:016x}"));
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
        // SAFETY: the bytes were written by `store_compiled` below, from
        // `Component::serialize` of a component that this runtime compiled
        // (in process or in its compile worker) or loaded from shared code
        // that passed authentication, on an engine with the same
        // fingerprint (the folder's name), into a folder only this runtime
        // writes, and renamed into place whole, so they are never partial.
        // Wasmtime still checks their header and rejects code from another
        // version or configuration; that error is handled by recompiling.
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

    /// Writes compiled code as `Component::serialize` or
    /// `Engine::precompile_component` made it. A failure only costs a
    /// recompile later, so it is logged rather than returned.
    pub(crate) fn store_compiled(&self, hash: &ContentHash, bytes: &[u8]) {
        if let Err(err) = self.write(&self.path(hash), bytes) {
            tracing::warn!(dir = %self.dir.display(), "cannot cache compiled code: {err}");
        }
    }

    fn failure_path(&self, hash: &ContentHash, limits: u64) -> PathBuf {
        self.dir.join(format!("{hash}.{limits:016x}.failed"))
    }

    /// Why `hash` failed to compile under the limits fingerprinted `limits`,
    /// if it did.
    pub(crate) fn load_failure(&self, hash: &ContentHash, limits: u64) -> Option<String> {
        let mut message = std::fs::read(self.failure_path(hash, limits)).ok()?;
        message.truncate(MAX_FAILURE_BYTES);
        Some(String::from_utf8_lossy(&message).into_owned())
    }

    /// Records why `hash` failed to compile; a failure to write is logged.
    pub(crate) fn store_failure(&self, hash: &ContentHash, limits: u64, message: &str) {
        let message = &message.as_bytes()[..message.len().min(MAX_FAILURE_BYTES)];
        if let Err(err) = self.write(&self.failure_path(hash, limits), message) {
            tracing::warn!(dir = %self.dir.display(), "cannot record a failed compile: {err}");
        }
    }

    /// Writes `bytes` to `path` whole or not at all.
    fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let temp = self.dir.join(format!(
            ".{}.{}.tmp",
            std::process::id(),
            NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, path)
    }
}
