//! A bound on the bytes queued for the GPU worker and not yet written to
//! it: the queue is shared by every invocation, and buffer writes from many
//! of them must not pile up in memory faster than the worker takes them.

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::GpuError;

/// Bytes queued, and the most allowed.
#[derive(Debug)]
pub(crate) struct QueueBudget {
    queued: AtomicU64,
    max: u64,
}

impl QueueBudget {
    pub(crate) fn new(max: u64) -> Self {
        Self {
            queued: AtomicU64::new(0),
            max,
        }
    }

    /// Counts `size` more bytes, or refuses them when the queue would pass
    /// its bound. An empty queue takes any one frame, so a request larger
    /// than the bound still goes through, alone.
    pub(crate) fn reserve(&self, size: u64) -> Result<(), GpuError> {
        let queued = self.queued.fetch_add(size, Ordering::AcqRel);
        if queued > 0 && queued + size > self.max {
            self.queued.fetch_sub(size, Ordering::AcqRel);
            return Err(GpuError::QuotaExceeded(format!(
                "the GPU worker has {} MiB of requests queued, its most ({} MiB); read a buffer to wait for earlier work, then try again",
                queued >> 20,
                self.max >> 20
            )));
        }
        Ok(())
    }

    /// Uncounts `size` bytes the writer has written.
    pub(crate) fn release(&self, size: u64) {
        self.queued.fetch_sub(size, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_refuses_past_its_bound_and_takes_again_once_written() {
        let budget = QueueBudget::new(3 << 20);
        budget.reserve(2 << 20).unwrap();
        let refused = budget.reserve(2 << 20).unwrap_err();
        assert!(
            matches!(&refused, GpuError::QuotaExceeded(message)
                if message.contains("2 MiB of requests queued, its most (3 MiB)")),
            "{refused:?}"
        );
        // A refusal leaves nothing counted: 1 MiB more still fits.
        budget.reserve(1 << 20).unwrap();
        budget.release(2 << 20);
        budget.release(1 << 20);
        // Empty, it takes one frame of any size.
        budget.reserve(8 << 20).unwrap();
        assert!(budget.reserve(1).is_err());
    }
}
