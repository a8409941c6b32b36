//! The `algobox:algorithm/gpu` imports: GPU compute through the runtime's
//! GPU worker, for invocations granted it.
//!
//! A guest's buffers and kernels are host resources whose representation
//! is the session's own number for the object, so the guest can name only
//! what its invocation created.

use wasmtime::component::Resource;

use super::bindings::algobox::algorithm::gpu;
use super::budget::HostCallBudget;
use super::host_error::HostError;
use crate::gpu::Session;
use crate::gpu::error::GpuError;
use crate::gpu::quota::GpuLimits;

type Outcome<T> = Result<T, HostError<gpu::GpuError>>;

/// What an invocation may do with the GPU.
pub(crate) enum GpuAccess {
    /// Not granted (`settings.environment: cpu`).
    Denied,
    /// Granted, but the runtime has no GPU worker (none configured, or
    /// built without the `gpu` feature).
    Unavailable,
    /// Granted: the invocation's session, which starts the worker on its
    /// first call.
    #[cfg_attr(
        not(feature = "gpu"),
        expect(
            dead_code,
            reason = "without the `gpu` feature `Session` has no values"
        )
    )]
    Granted(Session),
}

/// What the GPU imports may touch: the invocation's GPU access and the
/// budget.
pub(crate) struct GpuView<'a> {
    pub(crate) access: &'a mut GpuAccess,
    pub(crate) budget: &'a mut HostCallBudget,
}

impl GpuView<'_> {
    /// The session, or why there is none.
    fn session(&mut self) -> Result<&mut Session, GpuError> {
        match self.access {
            GpuAccess::Denied => Err(GpuError::not_granted()),
            GpuAccess::Unavailable => Err(crate::gpu::not_configured()),
            GpuAccess::Granted(session) => Ok(session),
        }
    }
}

impl From<GpuError> for HostError<gpu::GpuError> {
    fn from(err: GpuError) -> Self {
        Self::Guest(match err {
            GpuError::Unavailable(message) => {
                gpu::GpuError::Unavailable(format!("no GPU adapter: {message}"))
            }
            GpuError::PermissionDenied(message) => gpu::GpuError::PermissionDenied(message),
            GpuError::QuotaExceeded(message) => gpu::GpuError::QuotaExceeded(message),
            GpuError::Compile {
                message,
                line,
                column,
            } => gpu::GpuError::Compile(gpu::CompileError {
                message,
                line,
                column,
            }),
            GpuError::Validation(message) => gpu::GpuError::Validation(message),
            GpuError::OutOfMemory(message) => gpu::GpuError::OutOfMemory(message),
            GpuError::Timeout(message) => gpu::GpuError::Timeout(message),
            GpuError::DeviceLost(message) => gpu::GpuError::DeviceLost(message),
        })
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

impl gpu::Host for GpuView<'_> {
    fn convert_gpu_error(
        &mut self,
        err: HostError<gpu::GpuError>,
    ) -> wasmtime::Result<gpu::GpuError> {
        err.into_guest()
    }

    async fn limits(&mut self) -> wasmtime::Result<gpu::GpuLimits> {
        Ok(match &self.access {
            GpuAccess::Granted(session) => limits(session.limits()),
            // Nothing is allowed; zeros say so.
            GpuAccess::Denied | GpuAccess::Unavailable => limits(&GpuLimits::none()),
        })
    }

    async fn adapter(&mut self) -> Outcome<gpu::AdapterInfo> {
        let info = self.session()?.adapter().await?;
        Ok(gpu::AdapterInfo {
            name: info.name,
            backend: info.backend,
            device_type: info.device_type,
            driver: info.driver,
        })
    }

    async fn create_buffer(&mut self, size: u64) -> Outcome<Resource<gpu::Buffer>> {
        self.budget.charge(0)?;
        let buffer = self.session()?.create_buffer(size, Vec::new()).await?;
        Ok(Resource::new_own(buffer))
    }

    async fn create_buffer_with_data(&mut self, data: Vec<u8>) -> Outcome<Resource<gpu::Buffer>> {
        self.budget.charge(data.len())?;
        let size = data.len() as u64;
        let buffer = self.session()?.create_buffer(size, data).await?;
        Ok(Resource::new_own(buffer))
    }

    async fn compile(
        &mut self,
        wgsl: String,
        entry_point: String,
    ) -> Outcome<Resource<gpu::Kernel>> {
        self.budget.charge(wgsl.len() + entry_point.len())?;
        let kernel = self.session()?.compile(wgsl, entry_point).await?;
        Ok(Resource::new_own(kernel))
    }

    async fn dispatch(
        &mut self,
        kernel: Resource<gpu::Kernel>,
        bindings: Vec<gpu::Binding>,
        workgroups: (u32, u32, u32),
    ) -> Outcome<()> {
        self.budget.charge(0)?;
        let bindings = bindings
            .iter()
            .map(|binding| (binding.slot, binding.buffer.rep()))
            .collect();
        let (x, y, z) = workgroups;
        Ok(self
            .session()?
            .dispatch(kernel.rep(), bindings, [x, y, z])
            .await?)
    }
}

impl gpu::HostBuffer for GpuView<'_> {
    async fn size(&mut self, buffer: Resource<gpu::Buffer>) -> wasmtime::Result<u64> {
        Ok(match &self.access {
            GpuAccess::Granted(session) => session.buffer_size(buffer.rep()),
            GpuAccess::Denied | GpuAccess::Unavailable => 0,
        })
    }

    async fn write(
        &mut self,
        buffer: Resource<gpu::Buffer>,
        offset: u64,
        data: Vec<u8>,
    ) -> Outcome<()> {
        // Charged like any other copy into the host, so a guest cannot
        // queue unbounded bytes for the worker.
        self.budget.charge(data.len())?;
        Ok(self.session()?.write(buffer.rep(), offset, data).await?)
    }

    async fn read(
        &mut self,
        buffer: Resource<gpu::Buffer>,
        offset: u64,
        length: u64,
    ) -> Outcome<Vec<u8>> {
        self.budget
            .charge(usize::try_from(length).unwrap_or(usize::MAX))?;
        Ok(self.session()?.read(buffer.rep(), offset, length).await?)
    }

    async fn drop(&mut self, buffer: Resource<gpu::Buffer>) -> wasmtime::Result<()> {
        if let GpuAccess::Granted(session) = &mut self.access {
            session.drop_buffer(buffer.rep());
        }
        Ok(())
    }
}

impl gpu::HostKernel for GpuView<'_> {
    async fn drop(&mut self, kernel: Resource<gpu::Kernel>) -> wasmtime::Result<()> {
        if let GpuAccess::Granted(session) = &mut self.access {
            session.drop_kernel(kernel.rep());
        }
        Ok(())
    }
}
