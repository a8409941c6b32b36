//! The GPU quotas of one invocation, checked before anything reaches the
//! worker, so a guest cannot make wgpu allocate or run more than allowed.

#[cfg(feature = "gpu")]
use super::error::GpuError;

/// The copy-alignment wgpu requires of buffer sizes, offsets and lengths.
#[cfg(feature = "gpu")]
pub(crate) const ALIGNMENT: u64 = 4;

/// What one invocation may do on the GPU.
///
/// The defaults stay within WebGPU's default device limits, which every
/// real GPU and the software drivers meet, so an algorithm that runs in CI
/// runs in production.
///
/// # Example
///
/// ```
/// use algobox_runtime::gpu::quota::GpuLimits;
///
/// let limits = GpuLimits { max_dispatches: 100, ..GpuLimits::default() };
/// assert!(limits.max_buffer_bytes <= limits.max_total_buffer_bytes);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuLimits {
    /// The largest buffer, in bytes (WebGPU's default storage binding size).
    pub max_buffer_bytes: u64,
    /// The bytes of all buffers alive at once.
    pub max_total_buffer_bytes: u64,
    /// The buffers alive at once.
    pub max_buffers: u32,
    /// The kernels compiled per invocation.
    pub max_kernels: u32,
    /// The longest WGSL source, in bytes.
    pub max_source_bytes: u32,
    /// The dispatches per invocation.
    pub max_dispatches: u32,
    /// The workgroups of one dispatch, all dimensions multiplied.
    pub max_workgroups_per_dispatch: u64,
    /// The workgroups of one dispatch in one dimension (WebGPU's 65,535).
    pub max_workgroups_per_dimension: u32,
    /// The bindings of one dispatch (WebGPU's default of 8 storage buffers).
    pub max_bindings: u32,
    /// The invocations of one workgroup (WebGPU's default of 256); the
    /// device enforces it when a kernel is compiled.
    pub max_invocations_per_workgroup: u32,
    /// Bytes of requests (buffer writes, mostly) queued for the worker and
    /// not yet written to it, all invocations together; past it, a request
    /// fails with `quota-exceeded` instead of growing the queue.
    pub max_queued_bytes: u64,
}

impl Default for GpuLimits {
    fn default() -> Self {
        Self {
            max_buffer_bytes: 128 << 20,
            max_total_buffer_bytes: 512 << 20,
            max_buffers: 64,
            max_kernels: 16,
            max_source_bytes: 64 << 10,
            max_dispatches: 100_000,
            max_workgroups_per_dispatch: 65_535 * 1024,
            max_workgroups_per_dimension: 65_535,
            max_bindings: 8,
            max_invocations_per_workgroup: 256,
            max_queued_bytes: 256 << 20,
        }
    }
}

impl GpuLimits {
    /// Quotas that allow nothing: what an invocation without the GPU sees.
    pub fn none() -> Self {
        Self {
            max_buffer_bytes: 0,
            max_total_buffer_bytes: 0,
            max_buffers: 0,
            max_kernels: 0,
            max_source_bytes: 0,
            max_dispatches: 0,
            max_workgroups_per_dispatch: 0,
            max_workgroups_per_dimension: 0,
            max_bindings: 0,
            max_invocations_per_workgroup: 0,
            max_queued_bytes: 0,
        }
    }
}

/// What one invocation has used so far.
#[cfg(feature = "gpu")]
#[derive(Debug, Default)]
pub(crate) struct Usage {
    buffer_bytes: u64,
    buffers: u32,
    kernels: u32,
    dispatches: u32,
}

#[cfg(feature = "gpu")]
impl Usage {
    /// Admits a buffer of `size` bytes.
    pub(crate) fn add_buffer(&mut self, limits: &GpuLimits, size: u64) -> Result<(), GpuError> {
        aligned("buffer size", size)?;
        if size == 0 {
            return Err(GpuError::Validation(
                "a buffer of 0 bytes; create one of at least 4 bytes".to_owned(),
            ));
        }
        if size > limits.max_buffer_bytes {
            return Err(quota(format!(
                "a buffer of {size} bytes is larger than the {}-byte limit; split the data",
                limits.max_buffer_bytes
            )));
        }
        if self.buffers >= limits.max_buffers {
            return Err(quota(format!(
                "more than {} buffers at once; drop buffers you no longer need",
                limits.max_buffers
            )));
        }
        let total = self.buffer_bytes.saturating_add(size);
        if total > limits.max_total_buffer_bytes {
            return Err(quota(format!(
                "{total} bytes of buffers at once, more than the {}-byte limit; drop buffers you no longer need",
                limits.max_total_buffer_bytes
            )));
        }
        self.buffers += 1;
        self.buffer_bytes = total;
        Ok(())
    }

    /// Releases a buffer admitted before.
    pub(crate) fn remove_buffer(&mut self, size: u64) {
        self.buffers = self.buffers.saturating_sub(1);
        self.buffer_bytes = self.buffer_bytes.saturating_sub(size);
    }

    /// Forgets every buffer: the worker that held them is gone.
    pub(crate) fn clear_buffers(&mut self) {
        self.buffers = 0;
        self.buffer_bytes = 0;
    }

    /// Admits a kernel of `source_bytes` of WGSL.
    pub(crate) fn add_kernel(
        &mut self,
        limits: &GpuLimits,
        source_bytes: usize,
    ) -> Result<(), GpuError> {
        if source_bytes > limits.max_source_bytes as usize {
            return Err(quota(format!(
                "the WGSL source is {source_bytes} bytes, more than the {}-byte limit",
                limits.max_source_bytes
            )));
        }
        if self.kernels >= limits.max_kernels {
            return Err(quota(format!(
                "more than {} kernels compiled in one invocation; compile each kernel once and reuse it",
                limits.max_kernels
            )));
        }
        self.kernels += 1;
        Ok(())
    }

    /// Admits a dispatch of `workgroups` with `bindings` slots.
    pub(crate) fn add_dispatch(
        &mut self,
        limits: &GpuLimits,
        workgroups: [u32; 3],
        slots: &[u32],
    ) -> Result<(), GpuError> {
        if self.dispatches >= limits.max_dispatches {
            return Err(quota(format!(
                "more than {} dispatches in one invocation; do more work per dispatch",
                limits.max_dispatches
            )));
        }
        if let Some(over) = workgroups
            .iter()
            .find(|count| **count > limits.max_workgroups_per_dimension)
        {
            return Err(quota(format!(
                "{over} workgroups in one dimension, more than {}; spread them over x, y and z",
                limits.max_workgroups_per_dimension
            )));
        }
        let total: u64 = workgroups.iter().map(|count| u64::from(*count)).product();
        if total > limits.max_workgroups_per_dispatch {
            return Err(quota(format!(
                "{total} workgroups in one dispatch, more than {}; dispatch less at a time",
                limits.max_workgroups_per_dispatch
            )));
        }
        for (index, slot) in slots.iter().enumerate() {
            if *slot >= limits.max_bindings {
                return Err(quota(format!(
                    "binding {slot}: at most {} bindings, numbered from 0",
                    limits.max_bindings
                )));
            }
            if slots[..index].contains(slot) {
                return Err(GpuError::Validation(format!(
                    "binding {slot} is given twice; bind each slot once"
                )));
            }
        }
        self.dispatches += 1;
        Ok(())
    }
}

/// Checks that a size or offset is a multiple of [`ALIGNMENT`].
#[cfg(feature = "gpu")]
pub(crate) fn aligned(what: &str, value: u64) -> Result<(), GpuError> {
    if value.is_multiple_of(ALIGNMENT) {
        Ok(())
    } else {
        Err(GpuError::Validation(format!(
            "the {what} {value} is not a multiple of {ALIGNMENT}; GPU copies move whole 4-byte words"
        )))
    }
}

#[cfg(feature = "gpu")]
fn quota(message: String) -> GpuError {
    GpuError::QuotaExceeded(message)
}

#[cfg(all(test, feature = "gpu"))]
mod tests {
    use super::*;

    #[test]
    fn admits_within_the_quotas_and_refuses_past_them() {
        let limits = GpuLimits {
            max_buffers: 2,
            max_total_buffer_bytes: 100,
            max_dispatches: 1,
            ..GpuLimits::default()
        };
        let mut usage = Usage::default();
        usage.add_buffer(&limits, 40).unwrap();
        assert!(matches!(
            usage.add_buffer(&limits, 64),
            Err(GpuError::QuotaExceeded(_))
        ));
        assert!(matches!(
            usage.add_buffer(&limits, 6),
            Err(GpuError::Validation(_))
        ));
        usage.add_buffer(&limits, 60).unwrap();
        assert!(matches!(
            usage.add_buffer(&limits, 4),
            Err(GpuError::QuotaExceeded(_))
        ));
        usage.remove_buffer(60);
        usage.add_buffer(&limits, 8).unwrap();

        assert!(matches!(
            usage.add_dispatch(&limits, [65_536, 1, 1], &[0]),
            Err(GpuError::QuotaExceeded(_))
        ));
        assert!(matches!(
            usage.add_dispatch(&limits, [1, 1, 1], &[0, 0]),
            Err(GpuError::Validation(_))
        ));
        usage.add_dispatch(&limits, [4, 4, 1], &[0, 1]).unwrap();
        assert!(matches!(
            usage.add_dispatch(&limits, [1, 1, 1], &[]),
            Err(GpuError::QuotaExceeded(_))
        ));
    }
}
