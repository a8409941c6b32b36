//! The runtime's side of the GPU worker: starts it on first use, sends it
//! requests, routes its replies, and kills it when GPU work overruns. A
//! dead worker is replaced by a fresh one at the next use.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::error::GpuError;
use super::protocol::{self, Reply, Request};
use super::queue_budget::QueueBudget;
use super::{AdapterInfo, GpuConfig, GpuUsage};

/// How long a worker may take to find its adapter and open a device
/// (measured: 50–150 ms on lavapipe; a hung driver must not hang the server).
const STARTUP: Duration = Duration::from_secs(30);

/// How long past a session's deadline the runtime waits for a reply before
/// killing the worker itself. The worker enforces the deadline first (it
/// stops waiting on the GPU and exits); this catches a worker stuck where
/// it cannot (inside a driver call).
const GRACE: Duration = Duration::from_secs(2);
/// How long a usage query waits behind GPU work in flight.
const USAGE_PATIENCE: Duration = Duration::from_secs(5);

/// The runtime's GPU: its worker configuration and the current worker.
pub(crate) struct Gpu {
    config: GpuConfig,
    state: tokio::sync::Mutex<State>,
    next_session: AtomicU64,
}

enum State {
    /// Not started yet, or the last worker died.
    Stopped,
    Running(Arc<WorkerProcess>),
    /// The worker found no adapter or could not start; kept, so that
    /// every `gpu` call does not start a process again.
    Unavailable(String),
}

impl Gpu {
    pub(crate) fn new(config: GpuConfig) -> Self {
        Self {
            config,
            state: tokio::sync::Mutex::new(State::Stopped),
            next_session: AtomicU64::new(1),
        }
    }

    /// The quotas of each invocation.
    pub(crate) fn config(&self) -> &GpuConfig {
        &self.config
    }

    /// A new session number.
    pub(crate) fn next_session(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }

    /// What the running worker holds; all zero when none runs (it is not
    /// started for this).
    pub(crate) async fn usage(&self) -> Result<GpuUsage, GpuError> {
        let worker = match &*self.state.lock().await {
            State::Running(worker) if !worker.has_ended() => Arc::clone(worker),
            State::Unavailable(reason) => return Err(GpuError::Unavailable(reason.clone())),
            _ => return Ok(GpuUsage::default()),
        };
        worker.usage(USAGE_PATIENCE).await
    }

    /// The running worker, started now if there is none.
    pub(crate) async fn worker(&self) -> Result<Arc<WorkerProcess>, GpuError> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Running(worker) if !worker.has_ended() => return Ok(Arc::clone(worker)),
            State::Unavailable(reason) => return Err(GpuError::Unavailable(reason.clone())),
            State::Running(_) | State::Stopped => {}
        }
        let config = self.config.clone();
        let started = tokio::task::spawn_blocking(move || WorkerProcess::start(&config))
            .await
            .map_err(|err| GpuError::Unavailable(format!("the GPU worker start failed: {err}")))?;
        match started {
            Ok(worker) => {
                let worker = Arc::new(worker);
                tracing::debug!(adapter = %worker.adapter.name, "GPU worker started");
                *state = State::Running(Arc::clone(&worker));
                Ok(worker)
            }
            Err(reason) => {
                *state = State::Unavailable(reason.clone());
                Err(GpuError::Unavailable(reason))
            }
        }
    }
}

/// One worker process, as the runtime drives it.
pub(crate) struct WorkerProcess {
    pub(crate) adapter: AdapterInfo,
    frames: mpsc::Sender<Vec<u8>>,
    shared: Arc<Shared>,
}

/// What the reader thread and the callers share.
struct Shared {
    child: Mutex<Child>,
    waiting: Mutex<Waiting>,
    /// Bytes queued for the writer thread and not yet written.
    queued: QueueBudget,
}

#[derive(Default)]
struct Waiting {
    next_id: u64,
    /// Replies awaited: request id → (session, where the reply goes).
    replies: HashMap<u64, (u64, oneshot::Sender<Result<Reply, GpuError>>)>,
    /// Set once the worker is gone.
    ended: Option<Ending>,
}

/// How a worker ended.
#[derive(Debug, Clone)]
struct Ending {
    /// The session whose GPU work overran, if one did.
    culprit: Option<u64>,
    reason: String,
}

impl Ending {
    /// The error `session` gets for anything it asks from now on.
    fn error_for(&self, session: u64) -> GpuError {
        if self.culprit == Some(session) {
            GpuError::Timeout(
                "the GPU work of this invocation ran past its deadline, so the GPU worker was restarted; do less work per dispatch or pass a longer timeout"
                    .to_owned(),
            )
        } else {
            GpuError::DeviceLost(format!(
                "{}; the GPU worker was restarted and this invocation's buffers and kernels are gone: create them again, or retry the call",
                self.reason
            ))
        }
    }
}

impl WorkerProcess {
    /// Starts the worker and waits for its `ready` frame (blocking).
    fn start(config: &GpuConfig) -> Result<Self, String> {
        let mut command = Command::new(&config.program);
        command
            .args(&config.args)
            // The worker gets what GPU drivers read, not the server's
            // secrets (`ALGOBOX_ADMIN_KEY`, database URLs and the like).
            .env_clear()
            .envs(super::worker_environment::filter(std::env::vars_os()))
            .envs(config.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Driver warnings go where the server's own go.
            .stderr(Stdio::inherit());
        let mut child = command.spawn().map_err(|err| {
            format!(
                "cannot start the GPU worker `{}`: {err}; check the GPU worker program in the runtime's configuration",
                config.program.display()
            )
        })?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let shared = Arc::new(Shared {
            child: Mutex::new(child),
            waiting: Mutex::default(),
            queued: QueueBudget::new(config.limits.max_queued_bytes),
        });
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("algobox-gpu-reader".to_owned())
            .spawn(move || reader.read_replies(stdout, ready_tx))
            .map_err(|err| format!("cannot start the GPU reader thread: {err}"))?;
        let adapter = match ready_rx.recv_timeout(STARTUP) {
            Ok(Ok(adapter)) => adapter,
            Ok(Err(reason)) => {
                shared.kill();
                return Err(reason);
            }
            Err(_) => {
                shared.kill();
                return Err(format!(
                    "the GPU worker did not report an adapter within {}s; the GPU driver may be hung",
                    STARTUP.as_secs()
                ));
            }
        };
        let (frames, outgoing) = mpsc::channel();
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("algobox-gpu-writer".to_owned())
            .spawn(move || writer.write_requests(stdin, &outgoing))
            .map_err(|err| format!("cannot start the GPU writer thread: {err}"))?;
        Ok(Self {
            adapter,
            frames,
            shared,
        })
    }

    /// Whether the worker is gone.
    pub(crate) fn has_ended(&self) -> bool {
        self.shared.waiting().ended.is_some()
    }

    /// The error `session` gets once the worker is gone, or `None` while
    /// it runs.
    pub(crate) fn fate(&self, session: u64) -> Option<GpuError> {
        self.shared
            .waiting()
            .ended
            .as_ref()
            .map(|ending| ending.error_for(session))
    }

    /// Sends the request `build` makes from a fresh id; the reply arrives
    /// on the receiver.
    fn ask(
        &self,
        session: u64,
        build: impl FnOnce(u64) -> Request,
    ) -> Result<oneshot::Receiver<Result<Reply, GpuError>>, GpuError> {
        let (reply_tx, reply_rx) = oneshot::channel();
        let id = {
            let mut waiting = self.shared.waiting();
            if let Some(ending) = &waiting.ended {
                return Err(ending.error_for(session));
            }
            waiting.next_id += 1;
            let id = waiting.next_id;
            waiting.replies.insert(id, (session, reply_tx));
            id
        };
        let mut frame = Vec::new();
        build(id).encode(&mut frame);
        if let Err(err) = self.enqueue(frame) {
            self.shared.waiting().replies.remove(&id);
            return Err(err);
        }
        Ok(reply_rx)
    }

    /// What the worker holds. The worker answers in order, so this waits
    /// behind GPU work in flight, for up to `patience`; unlike an
    /// invocation's call, a late answer is no reason to kill the worker.
    pub(crate) async fn usage(&self, patience: Duration) -> Result<GpuUsage, GpuError> {
        // Session 0 is never an invocation's: numbers start at 1.
        let reply_rx = self.ask(0, |id| Request::Usage { id })?;
        let busy = || {
            GpuError::Timeout(format!(
                "the GPU worker did not answer within {patience:?}; it is busy with GPU work"
            ))
        };
        match tokio::time::timeout(patience, reply_rx).await {
            Ok(Ok(Ok(Reply::Usage { usage, .. }))) => Ok(usage),
            Ok(Ok(Ok(other))) => Err(GpuError::DeviceLost(format!(
                "the GPU worker answered a usage query with {other:?}"
            ))),
            Ok(Ok(Err(err))) => Err(err),
            Ok(Err(_)) => Err(self.fate(0).unwrap_or_else(|| {
                GpuError::DeviceLost("the GPU worker dropped a reply".to_owned())
            })),
            Err(_) => Err(busy()),
        }
    }

    /// Queues a request that gets no reply.
    pub(crate) fn send(&self, session: u64, request: &Request) -> Result<(), GpuError> {
        if let Some(err) = self.fate(session) {
            return Err(err);
        }
        let mut frame = Vec::new();
        request.encode(&mut frame);
        self.enqueue(frame)
    }

    /// Queues `frame` for the writer thread, unless the queue is full: a
    /// burst of writes from many invocations must not pile up in memory
    /// faster than the worker takes them.
    fn enqueue(&self, frame: Vec<u8>) -> Result<(), GpuError> {
        self.shared.queued.reserve(frame.len() as u64)?;
        // A closed channel means the writer ended with the worker: the
        // next call reports the worker's fate.
        let _ = self.frames.send(frame);
        Ok(())
    }

    /// Sends the request `build` makes from a fresh id and waits for its
    /// reply, killing the worker if none comes by `deadline` plus a grace.
    pub(crate) async fn call(
        &self,
        session: u64,
        deadline: Instant,
        build: impl FnOnce(u64) -> Request,
    ) -> Result<Reply, GpuError> {
        let reply_rx = self.ask(session, build)?;
        match tokio::time::timeout_at((deadline + GRACE).into(), reply_rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(self.fate(session).unwrap_or_else(|| {
                GpuError::DeviceLost("the GPU worker dropped a reply".to_owned())
            })),
            Err(_) => {
                self.shared
                    .end(Some(session), "GPU work ran past its deadline");
                self.shared.kill();
                Err(self.fate(session).expect("ended just now"))
            }
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        // The runtime, or the last session using this worker, is gone.
        self.shared.kill();
    }
}

impl Shared {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().expect("GPU reply table poisoned")
    }

    fn kill(&self) {
        let mut child = self.child.lock().expect("GPU worker handle poisoned");
        // Fails only when the worker already exited, which is the goal.
        let _ = child.kill();
    }

    /// Kills the worker if it still runs and collects its exit, so no
    /// zombie is left.
    fn reap(&self) {
        self.kill();
        let _ = self
            .child
            .lock()
            .expect("GPU worker handle poisoned")
            .wait();
    }

    /// Marks the worker gone (the first cause wins) and fails every reply
    /// still awaited.
    fn end(&self, culprit: Option<u64>, reason: &str) {
        let mut waiting = self.waiting();
        if waiting.ended.is_none() {
            waiting.ended = Some(Ending {
                culprit,
                reason: reason.to_owned(),
            });
        }
        let ending = waiting.ended.clone().expect("set above");
        for (_, (session, reply)) in waiting.replies.drain() {
            let _ = reply.send(Err(ending.error_for(session)));
        }
    }

    /// The reader thread: routes replies until the worker's stdout closes.
    fn read_replies(
        self: Arc<Self>,
        stdout: ChildStdout,
        ready: mpsc::Sender<Result<AdapterInfo, String>>,
    ) {
        let mut stdout = BufReader::new(stdout);
        let mut ready = Some(ready);
        let mut culprit = None;
        let reason = loop {
            let payload = match protocol::read_frame(&mut stdout) {
                Ok(Some(payload)) => payload,
                Ok(None) => break "the GPU worker exited".to_owned(),
                Err(err) => break format!("cannot read from the GPU worker: {err}"),
            };
            let reply = match Reply::decode(&payload) {
                Ok(reply) => reply,
                Err(err) => break err.to_string(),
            };
            match reply {
                Reply::Ready(result) => {
                    let found = result.is_ok();
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(result.map_err(|err| match err {
                            GpuError::Unavailable(reason) => reason,
                            other => other.to_string(),
                        }));
                    }
                    if !found {
                        // A worker without an adapter exits; the caller
                        // reports why, so there is nothing to log here.
                        self.reap();
                        return;
                    }
                }
                Reply::Overran { session } => {
                    // No new session may join a worker that is exiting.
                    culprit = Some(session);
                    self.end(
                        culprit,
                        "another invocation's GPU work ran past its deadline",
                    );
                }
                Reply::Bytes { id, .. } | Reply::Done { id, .. } | Reply::Usage { id, .. } => {
                    let waiter = self.waiting().replies.remove(&id);
                    if let Some((_, waiter)) = waiter {
                        // The caller may have given up (its invocation ended).
                        let _ = waiter.send(Ok(reply));
                    }
                }
            }
        };
        if let Some(ready) = ready {
            let status = self
                .child
                .lock()
                .expect("GPU worker handle poisoned")
                .wait();
            let _ = ready.send(Err(format!(
                "the GPU worker ended before reporting an adapter ({}): {reason}",
                status.map_or_else(|err| err.to_string(), |status| status.to_string())
            )));
            return;
        }
        let reason = if culprit.is_some() {
            "another invocation's GPU work ran past its deadline".to_owned()
        } else {
            reason
        };
        tracing::warn!("GPU worker ended: {reason}");
        self.end(culprit, &reason);
        self.reap();
    }

    /// The writer thread: writes queued frames, flushing once the queue is
    /// empty so a burst of dispatches costs one system call, not one each.
    fn write_requests(self: Arc<Self>, stdin: ChildStdin, frames: &mpsc::Receiver<Vec<u8>>) {
        let mut stdin = BufWriter::with_capacity(64 << 10, stdin);
        while let Ok(mut frame) = frames.recv() {
            loop {
                let written = stdin.write_all(&frame);
                self.queued.release(frame.len() as u64);
                if written.is_err() {
                    // The worker is gone; the reader reports how.
                    self.kill();
                    return;
                }
                match frames.try_recv() {
                    Ok(next) => frame = next,
                    Err(_) => break,
                }
            }
            if stdin.flush().is_err() {
                self.kill();
                return;
            }
        }
    }
}
