//! The GPU worker process: reads requests from stdin, runs them on the
//! device one at a time, and writes replies to stdout.

use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use algobox_runtime::gpu::GpuUsage;
use algobox_runtime::gpu::error::GpuError;
use algobox_runtime::gpu::protocol::{self, Reply, Request};

use crate::device::{Device, Failure};

/// One session's objects in the worker.
struct Objects {
    deadline: Instant,
    buffers: HashMap<u32, wgpu::Buffer>,
    kernels: HashMap<u32, wgpu::ComputePipeline>,
    /// The first error of a queued request, returned by the next reply.
    pending: Option<GpuError>,
}

impl Objects {
    fn fail(&mut self, err: GpuError) {
        self.pending.get_or_insert(err);
    }

    fn buffer(&self, buffer: u32) -> Result<&wgpu::Buffer, GpuError> {
        self.buffers.get(&buffer).ok_or_else(|| {
            GpuError::Validation(format!(
                "buffer {buffer} was not created (see the earlier error)"
            ))
        })
    }
}

impl Drop for Objects {
    fn drop(&mut self) {
        // Frees the memory now rather than when wgpu gets round to it.
        for buffer in self.buffers.values() {
            buffer.destroy();
        }
    }
}

/// Runs the worker until stdin closes.
pub(crate) fn run() -> ExitCode {
    let device = match Device::open() {
        Ok(device) => device,
        Err(reason) => return protocol::announce_unavailable(&reason),
    };
    let mut output = BufWriter::new(io::stdout().lock());
    let mut input = BufReader::with_capacity(1 << 16, io::stdin().lock());
    if reply(&mut output, &Reply::Ready(Ok(device.info().clone()))).is_err() {
        return ExitCode::FAILURE;
    }
    let mut sessions: HashMap<u64, Objects> = HashMap::new();
    loop {
        let payload = match protocol::read_frame(&mut input) {
            Ok(Some(payload)) => payload,
            // The runtime closed the pipe: it is done with this worker.
            Ok(None) => return ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("algobox gpu-worker: cannot read a request: {err}");
                return ExitCode::FAILURE;
            }
        };
        let request = match Request::decode(&payload) {
            Ok(request) => request,
            Err(err) => {
                eprintln!("algobox gpu-worker: {err}");
                return ExitCode::FAILURE;
            }
        };
        match handle(&device, &mut sessions, request) {
            Ok(Some(answer)) => {
                if reply(&mut output, &answer).is_err() {
                    return ExitCode::FAILURE;
                }
            }
            Ok(None) => {}
            Err(session) => {
                // The runaway work still occupies the device: the next
                // submit would block behind it, and so would dropping the
                // device. Only exiting at once, dropping nothing, gets out.
                let _ = reply(&mut output, &Reply::Overran { session });
                std::process::exit(3);
            }
        }
        if let Some(reason) = device.lost() {
            eprintln!("algobox gpu-worker: the device was lost: {reason}");
            return ExitCode::FAILURE;
        }
    }
}

fn reply(output: &mut impl io::Write, reply: &Reply) -> io::Result<()> {
    let mut frame = Vec::new();
    reply.encode(&mut frame);
    output.write_all(&frame)?;
    output.flush()
}

/// Carries out one request; returns its reply, if it gets one, or the
/// session whose work overran.
fn handle(
    device: &Device,
    sessions: &mut HashMap<u64, Objects>,
    request: Request,
) -> Result<Option<Reply>, u64> {
    match request {
        Request::Open { session, budget_us } => {
            sessions.insert(
                session,
                Objects {
                    deadline: Instant::now() + Duration::from_micros(budget_us),
                    buffers: HashMap::new(),
                    kernels: HashMap::new(),
                    pending: None,
                },
            );
        }
        Request::CreateBuffer {
            session,
            buffer,
            size,
            data,
        } => {
            if let Some(objects) = sessions.get_mut(&session) {
                let created = device.create_buffer(size).and_then(|created| {
                    if !data.is_empty() {
                        device.write(&created, 0, &data)?;
                    }
                    Ok(created)
                });
                match created {
                    Ok(created) => {
                        objects.buffers.insert(buffer, created);
                    }
                    Err(err) => objects.fail(err),
                }
            }
        }
        Request::Write {
            session,
            buffer,
            offset,
            data,
        } => {
            if let Some(objects) = sessions.get_mut(&session) {
                let written = objects
                    .buffer(buffer)
                    .and_then(|target| device.write(target, offset, &data));
                if let Err(err) = written {
                    objects.fail(err);
                }
            }
        }
        Request::Read {
            id,
            session,
            buffer,
            offset,
            length,
        } => {
            let result = match sessions.get_mut(&session) {
                None => Err(unknown(session)),
                Some(objects) => match objects.pending.take() {
                    Some(err) => Err(err),
                    None => match objects.buffer(buffer) {
                        Err(err) => Err(err),
                        Ok(source) => match device.read(source, offset, length, objects.deadline) {
                            Ok(bytes) => Ok(bytes),
                            Err(Failure::Error(err)) => Err(err),
                            Err(Failure::Overran) => return Err(session),
                        },
                    },
                },
            };
            return Ok(Some(Reply::Bytes { id, result }));
        }
        Request::Compile {
            id,
            session,
            kernel,
            source,
            entry_point,
        } => {
            let result = match sessions.get_mut(&session) {
                None => Err(unknown(session)),
                Some(objects) => match objects.pending.take() {
                    Some(err) => Err(err),
                    None => device.compile(&source, &entry_point).map(|pipeline| {
                        objects.kernels.insert(kernel, pipeline);
                    }),
                },
            };
            return Ok(Some(Reply::Done { id, result }));
        }
        Request::Dispatch {
            session,
            kernel,
            workgroups,
            bindings,
        } => {
            if let Some(objects) = sessions.get_mut(&session) {
                let deadline = objects.deadline;
                let dispatched = dispatch(device, objects, kernel, &bindings, workgroups, deadline);
                match dispatched {
                    Ok(()) => {}
                    Err(Failure::Error(err)) => objects.fail(err),
                    Err(Failure::Overran) => return Err(session),
                }
            }
        }
        Request::DropBuffer { session, buffer } => {
            if let Some(dropped) = sessions
                .get_mut(&session)
                .and_then(|objects| objects.buffers.remove(&buffer))
            {
                dropped.destroy();
            }
        }
        Request::DropKernel { session, kernel } => {
            if let Some(objects) = sessions.get_mut(&session) {
                objects.kernels.remove(&kernel);
            }
        }
        Request::Close { session } => {
            sessions.remove(&session);
        }
        Request::Usage { id } => {
            let count = |n: usize| n as u64;
            let usage = GpuUsage {
                sessions: count(sessions.len()),
                buffers: count(sessions.values().map(|o| o.buffers.len()).sum()),
                buffer_bytes: sessions
                    .values()
                    .flat_map(|o| o.buffers.values())
                    .map(wgpu::Buffer::size)
                    .sum(),
                kernels: count(sessions.values().map(|o| o.kernels.len()).sum()),
            };
            return Ok(Some(Reply::Usage { id, usage }));
        }
    }
    Ok(None)
}

fn dispatch(
    device: &Device,
    objects: &Objects,
    kernel: u32,
    bindings: &[(u32, u32)],
    workgroups: [u32; 3],
    deadline: Instant,
) -> Result<(), Failure> {
    let pipeline = objects.kernels.get(&kernel).ok_or_else(|| {
        GpuError::Validation(format!(
            "kernel {kernel} was not compiled (see the earlier error)"
        ))
    })?;
    let bound = bindings
        .iter()
        .map(|(slot, buffer)| Ok((*slot, objects.buffer(*buffer)?)))
        .collect::<Result<Vec<_>, GpuError>>()?;
    device.dispatch(pipeline, &bound, workgroups, deadline)
}

fn unknown(session: u64) -> GpuError {
    GpuError::DeviceLost(format!(
        "the GPU worker has no session {session}; it was restarted"
    ))
}
