//! One invocation's GPU work: its quotas, buffers and kernels. Everything
//! it created is freed in the worker when it is dropped.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use super::AdapterInfo;
use super::connection::{Gpu, WorkerProcess};
use super::error::GpuError;
use super::protocol::{Reply, Request};
use super::quota::GpuLimits;
use super::quota::{self, Usage};

/// The GPU work of one invocation. Buffers and kernels are numbered by the
/// session, so creating one needs no round trip to the worker.
pub(crate) struct Session {
    gpu: Arc<Gpu>,
    deadline: Instant,
    attached: Option<Attached>,
    usage: Usage,
    /// Live buffers in the current worker, with their sizes.
    buffers: HashMap<u32, u64>,
    /// Live kernels in the current worker.
    kernels: HashSet<u32>,
    next_handle: u32,
}

/// The worker a session's objects live in, and its number there.
struct Attached {
    worker: Arc<WorkerProcess>,
    id: u64,
}

impl Session {
    /// A session whose GPU work must end by `deadline`; it starts the
    /// worker on its first call.
    pub(crate) fn new(gpu: Arc<Gpu>, deadline: Instant) -> Self {
        Self {
            gpu,
            deadline,
            attached: None,
            usage: Usage::default(),
            buffers: HashMap::new(),
            kernels: HashSet::new(),
            next_handle: 1,
        }
    }

    /// The quotas.
    pub(crate) fn limits(&self) -> &GpuLimits {
        &self.gpu.config().limits
    }

    /// The adapter.
    pub(crate) async fn adapter(&self) -> Result<AdapterInfo, GpuError> {
        Ok(self.gpu.worker().await?.adapter.clone())
    }

    /// Creates a buffer of `size` bytes holding `data` at its start.
    pub(crate) async fn create_buffer(
        &mut self,
        size: u64,
        data: Vec<u8>,
    ) -> Result<u32, GpuError> {
        let limits = self.gpu.config().limits.clone();
        self.usage.add_buffer(&limits, size)?;
        let handle = self.next_handle();
        let sent = match self.attach().await {
            Ok(session) => self.send(
                session,
                &Request::CreateBuffer {
                    session,
                    buffer: handle,
                    size,
                    data,
                },
            ),
            Err(err) => Err(err),
        };
        if let Err(err) = sent {
            self.usage.remove_buffer(size);
            return Err(err);
        }
        self.buffers.insert(handle, size);
        Ok(handle)
    }

    /// The size of a buffer (0 for one lost with its worker).
    pub(crate) fn buffer_size(&self, buffer: u32) -> u64 {
        self.buffers.get(&buffer).copied().unwrap_or(0)
    }

    /// Copies `data` into a buffer at `offset`.
    pub(crate) async fn write(
        &mut self,
        buffer: u32,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<(), GpuError> {
        let size = self.live_buffer(buffer)?;
        quota::aligned("offset", offset)?;
        quota::aligned("length of the data", data.len() as u64)?;
        within(size, offset, data.len() as u64)?;
        let session = self.attach().await?;
        self.send(
            session,
            &Request::Write {
                session,
                buffer,
                offset,
                data,
            },
        )
    }

    /// Waits for the work queued before, then reads bytes back.
    pub(crate) async fn read(
        &mut self,
        buffer: u32,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>, GpuError> {
        let size = self.live_buffer(buffer)?;
        quota::aligned("offset", offset)?;
        quota::aligned("length", length)?;
        within(size, offset, length)?;
        if length == 0 {
            // wgpu cannot map an empty range; there is nothing to wait for.
            return Ok(Vec::new());
        }
        let session = self.attach().await?;
        let worker = self.worker()?;
        let reply = worker
            .call(session, self.deadline, |id| Request::Read {
                id,
                session,
                buffer,
                offset,
                length,
            })
            .await;
        match self.settle(reply)? {
            Reply::Bytes { result, .. } => result,
            other => Err(unexpected(&other)),
        }
    }

    /// Compiles a kernel.
    pub(crate) async fn compile(
        &mut self,
        source: String,
        entry_point: String,
    ) -> Result<u32, GpuError> {
        let limits = self.gpu.config().limits.clone();
        self.usage.add_kernel(&limits, source.len())?;
        let handle = self.next_handle();
        let session = self.attach().await?;
        let worker = self.worker()?;
        let reply = worker
            .call(session, self.deadline, |id| Request::Compile {
                id,
                session,
                kernel: handle,
                source,
                entry_point,
            })
            .await;
        match self.settle(reply)? {
            Reply::Done { result, .. } => result?,
            other => return Err(unexpected(&other)),
        }
        self.kernels.insert(handle);
        Ok(handle)
    }

    /// Queues a dispatch of `kernel` with `(slot, buffer)` bindings.
    pub(crate) async fn dispatch(
        &mut self,
        kernel: u32,
        bindings: Vec<(u32, u32)>,
        workgroups: [u32; 3],
    ) -> Result<(), GpuError> {
        if !self.kernels.contains(&kernel) {
            return Err(lost("kernel"));
        }
        for (_, buffer) in &bindings {
            self.live_buffer(*buffer)?;
        }
        let slots: Vec<u32> = bindings.iter().map(|(slot, _)| *slot).collect();
        let limits = self.gpu.config().limits.clone();
        self.usage.add_dispatch(&limits, workgroups, &slots)?;
        let session = self.attach().await?;
        self.send(
            session,
            &Request::Dispatch {
                session,
                kernel,
                workgroups,
                bindings,
            },
        )
    }

    /// Frees a buffer.
    pub(crate) fn drop_buffer(&mut self, buffer: u32) {
        if let Some(size) = self.buffers.remove(&buffer) {
            self.usage.remove_buffer(size);
            if let Some(attached) = &self.attached {
                let session = attached.id;
                // A dead worker freed it already.
                let _ = attached
                    .worker
                    .send(session, &Request::DropBuffer { session, buffer });
            }
        }
    }

    /// Frees a kernel.
    pub(crate) fn drop_kernel(&mut self, kernel: u32) {
        if self.kernels.remove(&kernel)
            && let Some(attached) = &self.attached
        {
            let session = attached.id;
            let _ = attached
                .worker
                .send(session, &Request::DropKernel { session, kernel });
        }
    }

    fn next_handle(&mut self) -> u32 {
        let handle = self.next_handle;
        self.next_handle = self.next_handle.wrapping_add(1).max(1);
        handle
    }

    fn live_buffer(&self, buffer: u32) -> Result<u64, GpuError> {
        self.buffers
            .get(&buffer)
            .copied()
            .ok_or_else(|| lost("buffer"))
    }

    fn worker(&self) -> Result<Arc<WorkerProcess>, GpuError> {
        self.attached
            .as_ref()
            .map(|attached| Arc::clone(&attached.worker))
            .ok_or_else(|| GpuError::DeviceLost("the GPU worker is not attached".to_owned()))
    }

    /// The session's number in a live worker: the current one, or a new
    /// one in a (re)started worker. When the worker died since the last
    /// call, returns its fate once and forgets the objects it held.
    async fn attach(&mut self) -> Result<u64, GpuError> {
        if let Some(attached) = &self.attached {
            match attached.worker.fate(attached.id) {
                None => return Ok(attached.id),
                Some(err) => {
                    self.detach();
                    return Err(err);
                }
            }
        }
        let worker = self.gpu.worker().await?;
        let id = self.gpu.next_session();
        let budget = self.deadline.saturating_duration_since(Instant::now());
        worker.send(
            id,
            &Request::Open {
                session: id,
                budget_us: u64::try_from(budget.as_micros()).unwrap_or(u64::MAX),
            },
        )?;
        self.attached = Some(Attached { worker, id });
        Ok(id)
    }

    fn detach(&mut self) {
        self.attached = None;
        self.buffers.clear();
        self.kernels.clear();
        self.usage.clear_buffers();
    }

    fn send(&mut self, session: u64, request: &Request) -> Result<(), GpuError> {
        let worker = self.worker()?;
        let sent = worker.send(session, request);
        if sent.is_err() {
            self.detach();
        }
        sent
    }

    /// Forgets the objects of a worker that died during a call.
    fn settle(&mut self, reply: Result<Reply, GpuError>) -> Result<Reply, GpuError> {
        if let Err(GpuError::Timeout(_) | GpuError::DeviceLost(_)) = &reply {
            self.detach();
        }
        reply
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(attached) = &self.attached {
            let session = attached.id;
            let _ = attached.worker.send(session, &Request::Close { session });
        }
    }
}

/// Checks that `length` bytes from `offset` lie within a buffer of `size`.
fn within(size: u64, offset: u64, length: u64) -> Result<(), GpuError> {
    match offset.checked_add(length) {
        Some(end) if end <= size => Ok(()),
        _ => Err(GpuError::Validation(format!(
            "{length} bytes at offset {offset} reach past the end of a {size}-byte buffer"
        ))),
    }
}

fn lost(what: &str) -> GpuError {
    GpuError::DeviceLost(format!(
        "this {what} was lost when the GPU worker restarted; create it again"
    ))
}

fn unexpected(reply: &Reply) -> GpuError {
    GpuError::DeviceLost(format!("the GPU worker answered out of turn: {reply:?}"))
}
