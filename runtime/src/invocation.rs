//! One call's request ([`Invocation`]) and its result ([`Output`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use algobox_host_api::Payload;

use crate::cpu_share::CpuShare;
use crate::data_access::DataAccess;
use crate::network::NetworkAccess;
use crate::pipeline::Pipeline;
use crate::stop::StopHandle;

/// A progress report from a running algorithm (Hkube `progress`).
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// From 0 to 100.
    pub percent: f32,
    /// Free-form details, often JSON.
    pub details: Option<String>,
    /// When the report came, counted from the invocation's start.
    pub elapsed: Duration,
}

/// Receives progress reports as they happen.
pub type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Told when the lifecycle's `start` begins (Hkube's `started`).
pub type StartSink = Arc<dyn Fn() + Send + Sync>;

/// One call of an algorithm: its inputs and options.
///
/// Most calls pass one payload, and a [`Payload`] converts into an
/// `Invocation` with default options.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use algobox_host_api::Payload;
/// use algobox_runtime::invocation::Invocation;
///
/// let invocation = Invocation::new(Payload::text("Neo"))
///     .timeout(Duration::from_secs(2))
///     .on_progress(|p| eprintln!("{}%", p.percent));
/// assert_eq!(invocation.inputs().len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct Invocation {
    pub(crate) inputs: Vec<Payload>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) stop: Option<StopHandle>,
    pub(crate) on_progress: Option<ProgressSink>,
    pub(crate) on_started: Option<StartSink>,
    pub(crate) network: NetworkAccess,
    pub(crate) pipeline: Option<Arc<dyn Pipeline>>,
    pub(crate) data: Option<Arc<dyn DataAccess>>,
    pub(crate) gpu: bool,
    pub(crate) slot_wait: Option<Duration>,
    pub(crate) cpu_share: Option<CpuShare>,
}

impl Invocation {
    /// An invocation with one input, as Algorithmia calls algorithms.
    pub fn new(input: Payload) -> Self {
        Self::positional(vec![input])
    }

    /// An invocation with positional inputs, as Hkube calls algorithms.
    pub fn positional(inputs: Vec<Payload>) -> Self {
        Self {
            inputs,
            ..Self::default()
        }
    }

    /// Sets the wall-time limit (at most [`Limits::max_timeout`](crate::limits::Limits::max_timeout)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Runs the guest in `share`'s group: at most its number of the group's
    /// guests execute at once, the others wait parked between time slices.
    /// A server gives each account one share, sized to the cores, so one
    /// account's CPU-bound flood cannot keep others' calls from running.
    pub fn cpu_share(mut self, share: CpuShare) -> Self {
        self.cpu_share = Some(share);
        self
    }

    /// Waits at most `wait` for a free slot, then fails with
    /// [`InvokeError::NoSlot`](crate::error::InvokeError::NoSlot), rather
    /// than waiting as long as it takes. Calls made by a running algorithm
    /// set it: the caller holds a slot while it waits for its callee, so
    /// callers filling every slot would otherwise wait for each other.
    pub fn slot_wait(mut self, wait: Duration) -> Self {
        self.slot_wait = Some(wait);
        self
    }

    /// Lets `stop` stop this invocation.
    pub fn stop_handle(mut self, stop: StopHandle) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Calls `sink` with each progress report as it happens.
    pub fn on_progress(mut self, sink: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(sink));
        self
    }

    /// Calls `sink` once, when the lifecycle's `start` begins (after
    /// `initialize` succeeded): Hkube's `started` event.
    pub fn on_started(mut self, sink: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_started = Some(Arc::new(sink));
        self
    }

    /// Grants the network (`full`, under the runtime's
    /// [`EgressPolicy`](crate::egress::EgressPolicy)) or not (`isolated`, the
    /// default): then every socket, name lookup and HTTP request fails
    /// inside the guest.
    pub fn network(mut self, network: NetworkAccess) -> Self {
        self.network = network;
        self
    }

    /// Lets the algorithm call others through `pipeline`; without one its
    /// calls fail with `PermissionDenied` (`pipeline_enabled: false`).
    pub fn pipeline(mut self, pipeline: Arc<dyn Pipeline>) -> Self {
        self.pipeline = Some(pipeline);
        self
    }

    /// Lets the algorithm read and write `data://` files through `data`.
    pub fn data(mut self, data: Arc<dyn DataAccess>) -> Self {
        self.data = Some(data);
        self
    }

    /// Grants GPU compute (`settings.environment: gpu`) or not (the
    /// default): then every GPU call fails with `permission-denied`.
    pub fn gpu(mut self, granted: bool) -> Self {
        self.gpu = granted;
        self
    }

    /// The inputs.
    pub fn inputs(&self) -> &[Payload] {
        &self.inputs
    }
}

impl From<Payload> for Invocation {
    fn from(input: Payload) -> Self {
        Self::new(input)
    }
}

impl fmt::Debug for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invocation")
            .field("inputs", &self.inputs.len())
            .field("timeout", &self.timeout)
            .field("stop", &self.stop.is_some())
            .field("on_progress", &self.on_progress.is_some())
            .field("on_started", &self.on_started.is_some())
            .field("network", &self.network)
            .field("pipeline", &self.pipeline.is_some())
            .field("data", &self.data.is_some())
            .field("gpu", &self.gpu)
            .finish()
    }
}

/// What a successful invocation returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The result; its content type is [`Payload::content_type`].
    pub payload: Payload,
    /// Wall time from the start of instantiation to the result.
    pub duration: Duration,
    /// What the algorithm printed to stdout.
    pub stdout: String,
    /// What the algorithm printed to stderr.
    pub stderr: String,
    /// The progress reports, in order.
    pub progress: Vec<Progress>,
}
