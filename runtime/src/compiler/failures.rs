//! Compiles that failed in a way the same bytes would fail again.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::cache::CodeCache;
use crate::content_hash::ContentHash;

/// Failures kept in memory at most.
const MAX_REMEMBERED: usize = 10_000;

/// Failures by content hash, in memory and, with a code cache, on disk
/// beside the compiled code (so they hold across restarts, for the same
/// engine only, since the cache's folder is per engine configuration).
pub(super) struct Failures {
    /// Which limits the failures were seen under.
    limits: u64,
    seen: Mutex<HashMap<ContentHash, String>>,
}

impl Failures {
    pub(super) fn new(limits: u64) -> Self {
        Self {
            limits,
            seen: Mutex::default(),
        }
    }

    pub(super) fn recall(&self, cache: Option<&CodeCache>, hash: &ContentHash) -> Option<String> {
        if let Some(message) = self.seen().get(hash) {
            return Some(message.clone());
        }
        let message = cache?.load_failure(hash, self.limits)?;
        self.seen().insert(*hash, message.clone());
        Some(message)
    }

    pub(super) fn record(&self, cache: Option<&CodeCache>, hash: &ContentHash, message: &str) {
        let mut seen = self.seen();
        // Distinct failing uploads must not grow this without bound; the
        // disk copy still answers for what is forgotten here.
        if seen.len() >= MAX_REMEMBERED {
            seen.clear();
        }
        seen.insert(*hash, message.to_owned());
        drop(seen);
        if let Some(cache) = cache {
            cache.store_failure(hash, self.limits, message);
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<ContentHash, String>> {
        self.seen.lock().expect("compile failures poisoned")
    }
}
