//! GPU compute, for algorithms whose `settings.environment` is `gpu`; on
//! `cpu` every call fails with [`GpuError::PermissionDenied`].
//!
//! Kernels are WGSL compute shaders. Buffers are bytes on the GPU, bound to
//! a kernel's `@group(0) @binding(n)`; data is copied in and out, and sizes
//! and offsets are multiples of 4. Creating buffers, writing them and
//! dispatching are queued without waiting: an error there is returned by
//! the next [`Buffer::read`] or [`Kernel::compile`], and a read sees every
//! write and dispatch before it. Everything is freed when the invocation
//! ends.
//!
//! ```no_run
//! use algobox_guest_sdk::gpu::{Buffer, Kernel};
//! use algobox_guest_sdk::{AlgoError, export_function};
//!
//! const DOUBLE: &str = "
//!     @group(0) @binding(0) var<storage, read_write> values: array<f32>;
//!
//!     @compute @workgroup_size(64)
//!     fn main(@builtin(global_invocation_id) id: vec3<u32>) {
//!         if id.x < arrayLength(&values) {
//!             values[id.x] = values[id.x] * 2.0;
//!         }
//!     }
//! ";
//!
//! fn double(values: Vec<f32>) -> Result<Vec<f32>, AlgoError> {
//!     let buffer = Buffer::from_f32s(&values)?;
//!     let kernel = Kernel::compile(DOUBLE, "main")?;
//!     let groups = (values.len() as u32).div_ceil(64);
//!     kernel.dispatch(&[(0, &buffer)], (groups, 1, 1))?;
//!     Ok(buffer.read_f32s()?)
//! }
//! # fn main() {}
//! ```

use std::fmt;

use crate::AlgoError;
use crate::bindings::algobox::algorithm::gpu;

pub use crate::bindings::algobox::algorithm::gpu::{AdapterInfo, GpuLimits as Limits};

/// Why a GPU call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuError {
    /// The host has no usable GPU adapter.
    Unavailable(String),
    /// This algorithm may not use the GPU (`settings.environment` is `cpu`).
    PermissionDenied(String),
    /// A per-invocation quota ([`limits`]) would be exceeded.
    QuotaExceeded(String),
    /// The WGSL does not compile; line and column count from 1 (0 if unknown).
    Compile {
        /// The compiler's message.
        message: String,
        /// The line.
        line: u32,
        /// The column.
        column: u32,
    },
    /// The GPU rejected a call (bindings that do not match the kernel, ...).
    Validation(String),
    /// The GPU ran out of memory.
    OutOfMemory(String),
    /// The GPU work ran past the invocation's deadline.
    Timeout(String),
    /// The GPU was reset; buffers and kernels made before are gone.
    DeviceLost(String),
}

impl GpuError {
    /// The [`AlgoError`] code this error is reported with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PermissionDenied(_) => "PermissionDenied",
            Self::Timeout(_) => "TimeoutError",
            Self::QuotaExceeded(_) => "TooLargeError",
            _ => "GpuError",
        }
    }
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compile {
                message,
                line,
                column,
            } => write!(
                f,
                "WGSL does not compile at line {line}, column {column}: {message}"
            ),
            Self::Unavailable(message)
            | Self::PermissionDenied(message)
            | Self::Timeout(message) => f.write_str(message),
            Self::DeviceLost(message) => write!(f, "the GPU device was lost: {message}"),
            Self::QuotaExceeded(message) => write!(f, "GPU quota exceeded: {message}"),
            Self::Validation(message) => write!(f, "GPU validation error: {message}"),
            Self::OutOfMemory(message) => write!(f, "the GPU ran out of memory: {message}"),
        }
    }
}

// Not `std::error::Error`: `AlgoError` converts from every such error with
// a generic code, and this conversion keeps the specific one.
impl From<GpuError> for AlgoError {
    fn from(err: GpuError) -> Self {
        AlgoError::new(err.to_string()).with_code(err.code())
    }
}

impl From<gpu::GpuError> for GpuError {
    fn from(err: gpu::GpuError) -> Self {
        match err {
            gpu::GpuError::Unavailable(message) => Self::Unavailable(message),
            gpu::GpuError::PermissionDenied(message) => Self::PermissionDenied(message),
            gpu::GpuError::QuotaExceeded(message) => Self::QuotaExceeded(message),
            gpu::GpuError::Compile(err) => Self::Compile {
                message: err.message,
                line: err.line,
                column: err.column,
            },
            gpu::GpuError::Validation(message) => Self::Validation(message),
            gpu::GpuError::OutOfMemory(message) => Self::OutOfMemory(message),
            gpu::GpuError::Timeout(message) => Self::Timeout(message),
            gpu::GpuError::DeviceLost(message) => Self::DeviceLost(message),
        }
    }
}

/// The quotas of this invocation (all zero when the GPU is not granted).
pub fn limits() -> Limits {
    gpu::limits()
}

/// The adapter the host computes on.
pub fn adapter() -> Result<AdapterInfo, GpuError> {
    Ok(gpu::adapter()?)
}

/// Bytes on the GPU, zeroed when created; freed when dropped.
#[derive(Debug)]
pub struct Buffer(gpu::Buffer);

impl Buffer {
    /// A zeroed buffer of `size` bytes (a multiple of 4).
    pub fn new(size: u64) -> Result<Self, GpuError> {
        Ok(Self(gpu::create_buffer(size)?))
    }

    /// A buffer holding a copy of `bytes` (a multiple of 4 of them).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GpuError> {
        Ok(Self(gpu::create_buffer_with_data(bytes)?))
    }

    /// A buffer of `array<f32>`.
    pub fn from_f32s(values: &[f32]) -> Result<Self, GpuError> {
        Self::from_bytes(
            &values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>(),
        )
    }

    /// A buffer of `array<u32>`.
    pub fn from_u32s(values: &[u32]) -> Result<Self, GpuError> {
        Self::from_bytes(
            &values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>(),
        )
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        self.0.size()
    }

    /// Copies `bytes` into the buffer at `offset` (queued).
    pub fn write(&self, offset: u64, bytes: &[u8]) -> Result<(), GpuError> {
        Ok(self.0.write(offset, bytes)?)
    }

    /// Waits for the work queued before, then copies `length` bytes from
    /// `offset` out.
    pub fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>, GpuError> {
        Ok(self.0.read(offset, length)?)
    }

    /// The whole buffer as `f32`s.
    pub fn read_f32s(&self) -> Result<Vec<f32>, GpuError> {
        let bytes = self.read(0, self.size())?;
        Ok(bytes
            .chunks_exact(4)
            .map(|word| f32::from_le_bytes([word[0], word[1], word[2], word[3]]))
            .collect())
    }

    /// The whole buffer as `u32`s.
    pub fn read_u32s(&self) -> Result<Vec<u32>, GpuError> {
        let bytes = self.read(0, self.size())?;
        Ok(bytes
            .chunks_exact(4)
            .map(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
            .collect())
    }
}

/// A compiled WGSL compute entry point; freed when dropped.
#[derive(Debug)]
pub struct Kernel(gpu::Kernel);

impl Kernel {
    /// Compiles the `@compute` function `entry_point` of a WGSL module.
    pub fn compile(wgsl: &str, entry_point: &str) -> Result<Self, GpuError> {
        Ok(Self(gpu::compile(wgsl, entry_point)?))
    }

    /// Runs the kernel over `workgroups` (x, y, z), with each `(slot,
    /// buffer)` bound to `@group(0) @binding(slot)` (queued).
    pub fn dispatch(
        &self,
        bindings: &[(u32, &Buffer)],
        workgroups: (u32, u32, u32),
    ) -> Result<(), GpuError> {
        let bindings: Vec<gpu::Binding<'_>> = bindings
            .iter()
            .map(|(slot, buffer)| gpu::Binding {
                slot: *slot,
                buffer: &buffer.0,
            })
            .collect();
        Ok(gpu::dispatch(&self.0, &bindings, workgroups)?)
    }
}
