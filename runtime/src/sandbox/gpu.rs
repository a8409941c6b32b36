//! The `algobox:algorithm/gpu` imports: GPU compute through the runtime's
//! GPU worker, for invocations granted it.
//!
//! A guest's buffers and kernels are host resources whose representation
//! is the session's own number for the object, so the guest can name only
//! what its invocation created.

use wasmtime::component::Resource;

use super::bindings::algobox::algorithm::gpu;
use super::host::ContextState;
use crate::gpu::{GpuError, GpuLimits, Session};

type Outcome<T> = wasmtime::Result<Result<T, gpu::GpuError>>;

/// What an invocation may do with the GPU.
pub(crate) enum GpuAccess {
    /// Not granted (`settings.environment: cpu`).
    Denied,
    /// Granted, but the runtime has no GPU worker configured.
    Unconfigured,
    /// Granted: the invocation's session, which starts the worker on its
    /// first call.
    Granted(Session),
}

impl GpuAccess {
    fn session(&mut self) -> Result<&mut Session, GpuError> {
        match self {
            Self::Denied => Err(GpuError::not_granted()),
            Self::Unconfigured => Err(GpuError::Unavailable(
                "this runtime has no GPU worker configured; give it one with `RuntimeBuilder::gpu` (`algobox serve` does)"
                    .to_owned(),
            )),
            Self::Granted(session) => Ok(session),
        }
    }
}

impl From<GpuError> for gpu::GpuError {
    fn from(err: GpuError) -> Self {
        match err {
            GpuError::Unavailable(message) => {
                Self::Unavailable(format!("no GPU adapter: {message}"))
            }
            GpuError::PermissionDenied(message) => Self::PermissionDenied(message),
            GpuError::QuotaExceeded(message) => Self::QuotaExceeded(message),
            GpuError::Compile {
                message,
                line,
                column,
            } => Self::Compile(gpu::CompileError {
                message,
                line,
                column,
            }),
            GpuError::Validation(message) => Self::Validation(message),
            GpuError::OutOfMemory(message) => Self::OutOfMemory(message),
            GpuError::Timeout(message) => Self::Timeout(message),
            GpuError::DeviceLost(message) => Self::DeviceLost(message),
        }
    }
}

fn limits(limits: &GpuLimits) -> gpu::GpuLimits {
    gpu::GpuLimits {
        max_buffer_bytes: limits.max_buffer_bytes,
        max_total_buffer_bytes: limits.max_total_buffer_bytes,
        max_buffers: limits.max_buffers,
        max_kernels: limits.max_kernels,
        max_source_bytes: limits.max_source_bytes,
        max_dispatches: limits.max_dispatches,
        max_workgroups_per_dispatch: limits.max_workgroups_per_dispatch,
        max_workgroups_per_dimension: limits.max_workgroups_per_dimension,
        max_bindings: limits.max_bindings,
        max_invocations_per_workgroup: limits.max_invocations_per_workgroup,
    }
}

impl gpu::Host for ContextState {
    async fn limits(&mut self) -> wasmtime::Result<gpu::GpuLimits> {
        Ok(match &self.gpu {
            GpuAccess::Granted(session) => limits(session.limits()),
            // Nothing is allowed; zeros say so.
            GpuAccess::Denied | GpuAccess::Unconfigured => limits(&GpuLimits {
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
            }),
        })
    }

    async fn adapter(&mut self) -> Outcome<gpu::AdapterInfo> {
        let session = match self.gpu.session() {
            Ok(session) => session,
            Err(err) => return Ok(Err(err.into())),
        };
        Ok(session
            .adapter()
            .await
            .map(|info| gpu::AdapterInfo {
                name: info.name,
                backend: info.backend,
                device_type: info.device_type,
                driver: info.driver,
            })
            .map_err(Into::into))
    }

    async fn create_buffer(&mut self, size: u64) -> Outcome<Resource<gpu::Buffer>> {
        let session = match self.gpu.session() {
            Ok(session) => session,
            Err(err) => return Ok(Err(err.into())),
        };
        Ok(session
            .create_buffer(size, Vec::new())
            .await
            .map(Resource::new_own)
            .map_err(Into::into))
    }

    async fn create_buffer_with_data(&mut self, data: Vec<u8>) -> Outcome<Resource<gpu::Buffer>> {
        let session = match self.gpu.session() {
            Ok(session) => session,
            Err(err) => return Ok(Err(err.into())),
        };
        let size = data.len() as u64;
        Ok(session
            .create_buffer(size, data)
            .await
            .map(Resource::new_own)
            .map_err(Into::into))
    }

    async fn compile(
        &mut self,
        wgsl: String,
        entry_point: String,
    ) -> Outcome<Resource<gpu::Kernel>> {
        let session = match self.gpu.session() {
            Ok(session) => session,
            Err(err) => return Ok(Err(err.into())),
        };
        Ok(session
            .compile(wgsl, entry_point)
            .await
            .map(Resource::new_own)
            .map_err(Into::into))
    }

    async fn dispatch(
        &mut self,
        kernel: Resource<gpu::Kernel>,
        bindings: Vec<gpu::Binding>,
        workgroups: (u32, u32, u32),
    ) -> Outcome<()> {
        let session = match self.gpu.session() {
            Ok(session) => session,
            Err(err) => return Ok(Err(err.into())),
        };
        let bindings = bindings
            .iter()
            .map(|binding| (binding.slot, binding.buffer.rep()))
            .collect();
        let (x, y, z) = workgroups;
        Ok(session
            .dispatch(kernel.rep(), bindings, [x, y, z])
            .await
            .map_err(Into::into))
    }
}

impl gpu::HostBuffer for ContextState {
    async fn size(&mut self, buffer: Resource<gpu::Buffer>) -> wasmtime::Result<u64> {
        Ok(match &self.gpu {
            GpuAccess::Granted(session) => session.buffer_size(buffer.rep()),
            GpuAccess::Denied | GpuAccess::Unconfigured => 0,
        })
    }

    async fn write(
        &mut self,
        buffer: Resource<gpu::Buffer>,
        offset: u64,
        data: Vec<u8>,
    ) -> Outcome<()> {
        let session = match self.gpu.session() {
            Ok(session) => session,
            Err(err) => return Ok(Err(err.into())),
        };
        Ok(session
            .write(buffer.rep(), offset, data)
            .await
            .map_err(Into::into))
    }

    async fn read(
        &mut self,
        buffer: Resource<gpu::Buffer>,
        offset: u64,
        length: u64,
    ) -> Outcome<Vec<u8>> {
        let session = match self.gpu.session() {
            Ok(session) => session,
            Err(err) => return Ok(Err(err.into())),
        };
        Ok(session
            .read(buffer.rep(), offset, length)
            .await
            .map_err(Into::into))
    }

    async fn drop(&mut self, buffer: Resource<gpu::Buffer>) -> wasmtime::Result<()> {
        if let GpuAccess::Granted(session) = &mut self.gpu {
            session.drop_buffer(buffer.rep());
        }
        Ok(())
    }
}

impl gpu::HostKernel for ContextState {
    async fn drop(&mut self, kernel: Resource<gpu::Kernel>) -> wasmtime::Result<()> {
        if let GpuAccess::Granted(session) = &mut self.gpu {
            session.drop_kernel(kernel.rep());
        }
        Ok(())
    }
}
