//! The memory limit of one invocation, over all of its linear memories
//! together: wasmtime asks about each memory alone, so a component with
//! four memories would otherwise get four times the limit.

use wasmtime::ResourceLimiter;

/// The most table elements an instance may grow to.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Enforces the memory limit and remembers that it was hit, so the trap
/// that follows is reported as what it is.
pub(crate) struct MemoryLimiter {
    limit: usize,
    /// Bytes of all the invocation's memories, as granted so far.
    used: usize,
    /// The last growth granted, taken back if wasmtime then fails it.
    pending: usize,
    exceeded: bool,
}

impl MemoryLimiter {
    /// A limiter allowing `limit` bytes in all.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            used: 0,
            pending: 0,
            exceeded: false,
        }
    }

    /// Whether the invocation asked for more than the limit.
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded
    }
}

impl ResourceLimiter for MemoryLimiter {
    /// Also called when a memory is created, with `current` 0, so initial
    /// sizes count too.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let total = self.used.saturating_add(growth);
        if total > self.limit {
            self.exceeded = true;
            // A trap rather than `Ok(false)`: a failed grow makes a Rust guest
            // abort anyway, and trapping here stops it at the cause.
            return Err(wasmtime::Error::msg(format!(
                "memory limit of {} bytes reached",
                self.limit
            )));
        }
        self.used = total;
        self.pending = growth;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.used -= self.pending;
        self.pending = 0;
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn memories_count_together() {
        let mut limiter = MemoryLimiter::new(256 * MIB);
        // Four memories of 64 MiB each fit exactly...
        for _ in 0..4 {
            assert!(limiter.memory_growing(0, 64 * MIB, None).unwrap());
        }
        assert!(!limiter.exceeded());
        // ...and a fifth page anywhere does not.
        let err = limiter.memory_growing(64 * MIB, 64 * MIB + 65536, None);
        assert_eq!(
            err.unwrap_err().to_string(),
            format!("memory limit of {} bytes reached", 256 * MIB)
        );
        assert!(limiter.exceeded());
    }

    #[test]
    fn a_failed_growth_is_given_back() {
        let mut limiter = MemoryLimiter::new(100 * MIB);
        assert!(limiter.memory_growing(0, 60 * MIB, None).unwrap());
        assert!(limiter.memory_growing(60 * MIB, 90 * MIB, None).unwrap());
        limiter
            .memory_grow_failed(wasmtime::Error::msg("pool slot too small"))
            .unwrap();
        // Only the 60 MiB that exist count: another 40 MiB memory fits.
        assert!(limiter.memory_growing(0, 40 * MIB, None).unwrap());
        assert!(!limiter.exceeded());
    }
}
