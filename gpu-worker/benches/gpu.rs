//! GPU compute through the guest interface against the same work as a
//! native wgpu program, on the same adapter, in one run.
//!
//! Run with `cargo bench -p algobox-gpu-worker --bench gpu` (it needs a GPU
//! adapter; in CI, lavapipe with `WGPU_BACKEND=vulkan`). Groups:
//! - `matmul 1024`: two 1024×1024 matrices made, uploaded, multiplied with
//!   the matrix-multiply example's tiled kernel, and read back. `guest` is
//!   one invocation of `tests/guests/gpu-bench` (instantiation and the wasm
//!   side included); `native` does the same steps in this process.
//! - `tiny dispatch`: 1,000 dispatches of a one-invocation kernel, each run
//!   to completion, then one read; the time reported is per dispatch.
//!
//! After the groups it runs guest and native alternately (5 multiplies and
//! 11 dispatch runs each) and prints the medians and their ratio, so both
//! sides see the same load on a shared machine.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use std::time::{Duration, Instant};

use algobox_host_api::Payload;
use algobox_runtime::Runtime;
use algobox_runtime::compiled_algorithm::CompiledAlgorithm;
use algobox_runtime::gpu::GpuConfig;
use algobox_runtime::invocation::Invocation;
use algobox_runtime::limits::Limits;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

const MATMUL: &str = include_str!("../../examples/algorithms/matrix-multiply/src/matmul.wgsl");
const TINY: &str = include_str!("../../tests/guests/gpu-bench/src/tiny.wgsl");
const N: u32 = 1024;
const DISPATCHES: u32 = 1000;

/// The matrices `tests/guests/gpu-bench` makes.
fn matrix(n: u32, seed: u32) -> Vec<f32> {
    (0..n * n)
        .map(|i| ((i * seed) % 17) as f32 / 17.0)
        .collect()
}

fn bytes<T: Copy>(values: &[T], to_le: impl Fn(T) -> [u8; 4]) -> Vec<u8> {
    values.iter().flat_map(|value| to_le(*value)).collect()
}

/// The native side: a device opened as the worker opens its own.
struct Native {
    device: wgpu::Device,
    queue: wgpu::Queue,
}

impl Native {
    fn open() -> Self {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .expect("a GPU adapter (in CI: lavapipe, WGPU_BACKEND=vulkan)");
        eprintln!("native adapter: {}", adapter.get_info().name);
        let (device, queue) =
            pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor::default())).unwrap();
        Self { device, queue }
    }

    fn buffer(&self, contents: &[u8]) -> wgpu::Buffer {
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: contents.len() as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::UNIFORM
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&buffer, 0, contents);
        buffer
    }

    fn pipeline(&self, source: &str) -> wgpu::ComputePipeline {
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
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            })
    }

    fn bind(&self, pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<_> = buffers
            .iter()
            .enumerate()
            .map(|(slot, buffer)| wgpu::BindGroupEntry {
                binding: slot as u32,
                resource: buffer.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    fn dispatch(
        &self,
        pipeline: &wgpu::ComputePipeline,
        group: &wgpu::BindGroup,
        workgroups: (u32, u32),
    ) {
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(workgroups.0, workgroups.1, 1);
        }
        let submission = self.queue.submit([encoder.finish()]);
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: None,
            })
            .unwrap();
    }

    fn read(&self, buffer: &wgpu::Buffer) -> Vec<u8> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: buffer.size(),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, buffer.size());
        let submission = self.queue.submit([encoder.finish()]);
        staging.map_async(wgpu::MapMode::Read, .., |result| result.unwrap());
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: None,
            })
            .unwrap();
        let bytes = staging.get_mapped_range(..).unwrap().to_vec();
        staging.unmap();
        bytes
    }

    /// What the guest does for `{"op": "matmul"}`, natively.
    fn matmul(&self, n: u32) -> f64 {
        let dims = self.buffer(&bytes(&[n, n, n, 0], u32::to_le_bytes));
        let a = self.buffer(&bytes(&matrix(n, 7), f32::to_le_bytes));
        let b = self.buffer(&bytes(&matrix(n, 5), f32::to_le_bytes));
        let c = self.buffer(&vec![0; (n * n * 4) as usize]);
        let pipeline = self.pipeline(MATMUL);
        let group = self.bind(&pipeline, &[&dims, &a, &b, &c]);
        self.dispatch(&pipeline, &group, (n.div_ceil(16), n.div_ceil(16)));
        self.read(&c)
            .chunks_exact(4)
            .map(|word| f64::from(f32::from_le_bytes(word.try_into().unwrap())))
            .sum()
    }

    /// What the guest does for `{"op": "tiny"}`, natively.
    fn tiny(&self, dispatches: u32) -> u32 {
        let counter = self.buffer(&[0; 4]);
        let pipeline = self.pipeline(TINY);
        let group = self.bind(&pipeline, &[&counter]);
        for _ in 0..dispatches {
            self.dispatch(&pipeline, &group, (1, 1));
        }
        u32::from_le_bytes(self.read(&counter).try_into().unwrap())
    }
}

/// The median of `pairs` runs of `guest` and `native`, alternating so that
/// both see the same machine load: the closing ratios come from these.
fn interleaved(
    pairs: usize,
    mut guest: impl FnMut(),
    mut native: impl FnMut(),
) -> (Duration, Duration) {
    let (mut guests, mut natives) = (Vec::new(), Vec::new());
    for _ in 0..pairs {
        let started = Instant::now();
        guest();
        guests.push(started.elapsed());
        let started = Instant::now();
        native();
        natives.push(started.elapsed());
    }
    guests.sort();
    natives.sort();
    (guests[pairs / 2], natives[pairs / 2])
}

fn gpu(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = Runtime::builder()
        .limits(Limits {
            concurrency: 4,
            ..Limits::default()
        })
        .gpu(GpuConfig::new(env!("CARGO_BIN_EXE_algobox-gpu-worker")))
        .build()
        .unwrap();
    let adapter = rt.block_on(runtime.gpu_adapter()).expect("a GPU adapter");
    eprintln!(
        "guest adapter: {} ({}, {})",
        adapter.name, adapter.backend, adapter.device_type
    );
    let wasm = std::fs::read(test_artifacts::GPU_BENCH).unwrap();
    let bench: CompiledAlgorithm = rt.block_on(runtime.register(wasm)).unwrap();
    let native = Native::open();
    let guest = |input: String| -> serde_json::Value {
        let invocation = Invocation::new(Payload::Json(input)).gpu(true);
        let output = rt.block_on(runtime.invoke(&bench, invocation)).unwrap();
        match output.payload {
            Payload::Json(json) => serde_json::from_str(&json).unwrap(),
            other => panic!("expected JSON, got {other:?}"),
        }
    };

    let mut group = c.benchmark_group("matmul 1024");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        // On a software driver one multiply takes seconds: ten samples of one.
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(45));
    let matmul = format!(r#"{{"op":"matmul","n":{N}}}"#);
    let expected = native.matmul(N);
    group.bench_function("guest", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                let found = guest(matmul.clone())["checksum"].as_f64().unwrap();
                assert!(
                    (found - expected).abs() <= 1e-6 * expected,
                    "{found} vs {expected}"
                );
            }
            started.elapsed()
        })
    });
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                assert_eq!(native.matmul(N), expected);
            }
            started.elapsed()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("tiny dispatch");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(2));
    let tiny = format!(r#"{{"op":"tiny","dispatches":{DISPATCHES}}}"#);
    group.bench_function("guest, per dispatch", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                assert_eq!(guest(tiny.clone())["count"], DISPATCHES);
            }
            started.elapsed() / DISPATCHES
        })
    });
    group.bench_function("native, per dispatch", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                assert_eq!(native.tiny(DISPATCHES), DISPATCHES);
            }
            started.elapsed() / DISPATCHES
        })
    });
    group.finish();

    let (guest_mm, native_mm) = interleaved(
        5,
        || {
            guest(matmul.clone());
        },
        || {
            native.matmul(N);
        },
    );
    let (guest_tiny, native_tiny) = interleaved(
        11,
        || {
            guest(tiny.clone());
        },
        || {
            native.tiny(DISPATCHES);
        },
    );
    let (guest_tiny, native_tiny) = (guest_tiny / DISPATCHES, native_tiny / DISPATCHES);
    eprintln!(
        "\nadapter {}, medians of runs alternating guest and native:\n\
         matmul {N}x{N}: guest {guest_mm:?}, native {native_mm:?}, ratio {:.3}\n\
         per dispatch: guest {guest_tiny:?}, native {native_tiny:?}, extra {:.1} µs",
        adapter.name,
        guest_mm.as_secs_f64() / native_mm.as_secs_f64(),
        (guest_tiny.as_secs_f64() - native_tiny.as_secs_f64()) * 1e6
    );
}

criterion_group!(benches, gpu);
criterion_main!(benches);
