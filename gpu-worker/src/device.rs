//! The worker's wgpu device: every call runs inside error scopes on the
//! worker's one thread (scopes are thread-local), so each wgpu error comes
//! back as a [`GpuError`] instead of wgpu's default panic.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use algobox_runtime::gpu::AdapterInfo;
use algobox_runtime::gpu::error::GpuError;

/// Every buffer can be bound as storage or uniform and copied both ways,
/// so the guest never has to say how it will use one.
const USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::UNIFORM)
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// A call that failed: with an error the session gets, or because its GPU
/// work passed the deadline (then the worker must exit: the device cannot
/// be used while the runaway work runs).
#[derive(Debug)]
pub(crate) enum Failure {
    Error(GpuError),
    Overran,
}

impl From<GpuError> for Failure {
    fn from(err: GpuError) -> Self {
        Self::Error(err)
    }
}

/// The device and queue, with what they report outside the error scopes.
pub(crate) struct Device {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: AdapterInfo,
    lost: Arc<Mutex<Option<String>>>,
}

impl Device {
    /// Opens the first high-performance adapter, with WebGPU's default
    /// limits and no optional features: what CI's software driver and every
    /// real GPU offer, so kernels behave the same everywhere.
    pub(crate) fn open() -> Result<Self, String> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|err| {
            format!("{err}; install a GPU driver (in CI, Mesa's lavapipe: `apt-get install mesa-vulkan-drivers libvulkan1`)")
        })?;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("algobox"),
            required_features: wgpu::Features::empty(),
            required_limits: wgpu::Limits::default(),
            ..Default::default()
        }))
        .map_err(|err| format!("the adapter offers no usable device: {err}"))?;
        // The default handler panics; every call is scoped, so anything
        // that reaches here is a wgpu bug worth a line on stderr, not a crash.
        device.on_uncaptured_error(Arc::new(|err| {
            eprintln!("algobox gpu-worker: uncaptured wgpu error: {err}");
        }));
        let lost = Arc::new(Mutex::new(None));
        let lost_note = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            *lost_note.lock().expect("device-lost note poisoned") =
                Some(format!("{reason:?}: {message}"));
        });
        let raw = adapter.get_info();
        let info = AdapterInfo {
            name: raw.name,
            backend: raw.backend.to_str().to_owned(),
            device_type: match raw.device_type {
                wgpu::DeviceType::DiscreteGpu => "discrete-gpu",
                wgpu::DeviceType::IntegratedGpu => "integrated-gpu",
                wgpu::DeviceType::VirtualGpu => "virtual-gpu",
                wgpu::DeviceType::Cpu => "cpu",
                wgpu::DeviceType::Other => "other",
            }
            .to_owned(),
            driver: format!("{} {}", raw.driver, raw.driver_info)
                .trim()
                .to_owned(),
        };
        Ok(Self {
            device,
            queue,
            info,
            lost,
        })
    }

    /// The adapter.
    pub(crate) fn info(&self) -> &AdapterInfo {
        &self.info
    }

    /// Why the device was lost, once it was.
    pub(crate) fn lost(&self) -> Option<String> {
        self.lost.lock().expect("device-lost note poisoned").clone()
    }

    /// A zeroed buffer (wgpu zeroes every new buffer).
    pub(crate) fn create_buffer(&self, size: u64) -> Result<wgpu::Buffer, GpuError> {
        self.scoped(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size,
                usage: USAGE,
                mapped_at_creation: false,
            })
        })
    }

    /// Copies `data` into `buffer` at `offset`; it lands before the next
    /// submission runs.
    pub(crate) fn write(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        data: &[u8],
    ) -> Result<(), GpuError> {
        self.scoped(|| self.queue.write_buffer(buffer, offset, data))
    }

    /// Copies `length` bytes out of `buffer`, waiting until `deadline` at most.
    pub(crate) fn read(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        length: u64,
        deadline: Instant,
    ) -> Result<Vec<u8>, Failure> {
        let (staging, submission) = self.scoped(|| {
            let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: length,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut encoder = self.device.create_command_encoder(&Default::default());
            encoder.copy_buffer_to_buffer(buffer, offset, &staging, 0, length);
            let submission = self.queue.submit([encoder.finish()]);
            (staging, submission)
        })?;
        let (mapped_tx, mapped_rx) = mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = mapped_tx.send(result);
        });
        self.wait(submission, deadline)?;
        let mapped = mapped_rx
            .try_recv()
            .map_err(|_| GpuError::DeviceLost("the read-back was never mapped".to_owned()))?;
        mapped.map_err(|err| GpuError::Validation(format!("cannot map the read-back: {err}")))?;
        let bytes = staging
            .get_mapped_range(..)
            .map_err(|err| GpuError::Validation(format!("cannot read the read-back: {err:?}")))?
            .to_vec();
        staging.unmap();
        staging.destroy();
        Ok(bytes)
    }

    /// Compiles `entry_point` of a WGSL module into a pipeline whose bind
    /// group layout comes from the kernel itself.
    pub(crate) fn compile(
        &self,
        source: &str,
        entry_point: &str,
    ) -> Result<wgpu::ComputePipeline, GpuError> {
        check_wgsl(source, entry_point)?;
        self.scoped(|| {
            let module = self
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: None,
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                });
            self.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: None,
                    layout: None,
                    module: &module,
                    entry_point: Some(entry_point),
                    compilation_options: Default::default(),
                    cache: None,
                })
        })
        .map_err(|err| match err {
            GpuError::Validation(message) => GpuError::Compile {
                message,
                line: 0,
                column: 0,
            },
            other => other,
        })
    }

    /// Runs one dispatch and waits for it, until `deadline` at most.
    ///
    /// Waiting for each dispatch keeps the worker's queue empty between
    /// requests, so the session whose work overruns is always the one
    /// waited on, and no other session's submit blocks behind it.
    pub(crate) fn dispatch(
        &self,
        pipeline: &wgpu::ComputePipeline,
        bindings: &[(u32, &wgpu::Buffer)],
        workgroups: [u32; 3],
        deadline: Instant,
    ) -> Result<(), Failure> {
        let submission = self.scoped(|| {
            let mut encoder = self.device.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(pipeline);
                if !bindings.is_empty() {
                    let entries: Vec<wgpu::BindGroupEntry<'_>> = bindings
                        .iter()
                        .map(|(slot, buffer)| wgpu::BindGroupEntry {
                            binding: *slot,
                            resource: buffer.as_entire_binding(),
                        })
                        .collect();
                    let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                        label: None,
                        layout: &pipeline.get_bind_group_layout(0),
                        entries: &entries,
                    });
                    pass.set_bind_group(0, &group, &[]);
                }
                pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
            }
            self.queue.submit([encoder.finish()])
        })?;
        self.wait(submission, deadline)
    }

    /// Waits for a submission until `deadline`.
    fn wait(&self, submission: wgpu::SubmissionIndex, deadline: Instant) -> Result<(), Failure> {
        let timeout = deadline.saturating_duration_since(Instant::now());
        match self.device.poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: Some(timeout),
        }) {
            Ok(_) => Ok(()),
            Err(wgpu::PollError::Timeout) => Err(Failure::Overran),
            Err(err) => Err(Failure::Error(GpuError::DeviceLost(err.to_string()))),
        }
    }

    /// Runs `call` inside out-of-memory, validation and internal error
    /// scopes and returns the first error they caught.
    fn scoped<T>(&self, call: impl FnOnce() -> T) -> Result<T, GpuError> {
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = call();
        // Scopes pop in the reverse order of their pushing.
        let errors = [
            pollster::block_on(validation.pop()),
            pollster::block_on(memory.pop()),
            pollster::block_on(internal.pop()),
        ];
        match errors.into_iter().flatten().next() {
            None => Ok(value),
            Some(wgpu::Error::OutOfMemory { source }) => {
                Err(GpuError::OutOfMemory(chain(&*source)))
            }
            Some(wgpu::Error::Validation { description, .. }) => {
                Err(GpuError::Validation(description))
            }
            Some(wgpu::Error::Internal { description, .. }) => {
                Err(GpuError::DeviceLost(description))
            }
        }
    }
}

/// Parses and validates WGSL with naga (wgpu's own front end) to report an
/// error's line and column; wgpu checks the module again against the device.
fn check_wgsl(source: &str, entry_point: &str) -> Result<(), GpuError> {
    let module = naga::front::wgsl::parse_str(source).map_err(|err| {
        let location = err.location(source);
        compile_error(err.message().to_owned(), location)
    })?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|err| compile_error(chain(err.as_inner()), err.location(source)))?;
    let found = module
        .entry_points
        .iter()
        .any(|entry| entry.name == entry_point && entry.stage == naga::ShaderStage::Compute);
    if found {
        Ok(())
    } else {
        Err(compile_error(
            format!(
                "the module has no `@compute fn {entry_point}`; pass the name of a compute entry point"
            ),
            None,
        ))
    }
}

fn compile_error(message: String, location: Option<naga::SourceLocation>) -> GpuError {
    GpuError::Compile {
        message,
        line: location.map_or(0, |location| location.line_number),
        column: location.map_or(0, |location| location.line_position),
    }
}

/// An error with its causes, `outer: inner: innermost`.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
