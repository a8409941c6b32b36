//! A fresh store for one invocation, and the parts of its state that
//! belong to the call rather than to the instance.
//!
//! The two are apart so that an instance can be made before its call
//! arrives (see [`spare`](super::spare)): its store starts with a call of
//! its own that grants nothing, and the real call's parts are put in when
//! it begins.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi_http::WasiHttpCtx;

use super::SandboxState;
use super::budget::HostCallBudget;
use super::context::ContextState;
use super::gpu::GpuAccess;
use super::http::HttpEgress;
use super::log_line::LogQuota;
use super::memory_limiter::MemoryLimiter;
use super::name_lookup::NameLookups;
use super::output::CapturedOutput;
use super::pipeline::PipelineState;
use super::stdin::Stdin;
use crate::data_access::DataAccess;
use crate::egress::EgressPolicy;
use crate::engine::Engine;
use crate::limits::Limits;
use crate::network::NetworkAccess;

/// What an instance's store holds for the call it serves: its clock,
/// progress, stops, pipeline, data and GPU grants, and a fresh host-call
/// budget.
pub(super) struct CallParts {
    pub(super) context: ContextState,
    pub(super) pipeline: PipelineState,
    pub(super) data: Option<Arc<dyn DataAccess>>,
    pub(super) gpu: GpuAccess,
}

impl CallParts {
    /// The parts of a call that has not begun: no stop, no progress sink,
    /// and no pipeline, data or GPU grant.
    pub(super) fn none(limits: &Limits) -> Self {
        let now = Instant::now();
        Self {
            context: ContextState {
                started: now,
                progress: Vec::new(),
                on_progress: None,
                stop: None,
                timed_out: Arc::new(AtomicBool::new(false)),
                panic: None,
                log_quota: LogQuota::default(),
            },
            pipeline: PipelineState {
                pipeline: None,
                deadline: now,
                timeout_grace: limits.timeout_grace,
                stop: None,
            },
            data: None,
            gpu: GpuAccess::Denied,
        }
    }

    /// Puts these parts, and a fresh budget, in `store` in place of the
    /// ones it has.
    pub(super) fn install(self, store: &mut Store<SandboxState>, limits: &Limits) {
        let state = store.data_mut();
        state.context = self.context;
        state.pipeline = self.pipeline;
        state.data = self.data;
        state.gpu = self.gpu;
        state.budget = HostCallBudget::new(limits.host_calls, limits.host_call_bytes);
    }
}

/// Makes a store for one instance: WASI with stdout and stderr captured up
/// to `stdout_limit` and the stdio limit, `stdin` when the guest is a
/// program, the network as `network` grants, and the memory limit. The
/// epoch deadline is one tick away, each tick yielding: the deadline must
/// be set before instantiation, since the default of zero would interrupt
/// the guest's first instruction.
pub(super) fn new_store(
    engine: &Engine,
    limits: &Limits,
    egress: &Arc<EgressPolicy>,
    network: NetworkAccess,
    stdin: Option<Stdin>,
    stdout_limit: usize,
    call: CallParts,
) -> Store<SandboxState> {
    let stdout = CapturedOutput::new(stdout_limit);
    let stderr = CapturedOutput::new(limits.stdio);
    let mut wasi = WasiCtxBuilder::new();
    wasi.stdout(stdout.clone()).stderr(stderr.clone());
    if let Some(stdin) = stdin {
        wasi.stdin(MemoryInputPipe::new(stdin.bytes));
    }
    if network == NetworkAccess::Full {
        grant_network(&mut wasi, Arc::clone(egress));
    }
    let mut store = Store::new(
        &engine.wasmtime,
        SandboxState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            memory: MemoryLimiter::new(limits.memory),
            budget: HostCallBudget::new(limits.host_calls, limits.host_call_bytes),
            context: call.context,
            pipeline: call.pipeline,
            data: call.data,
            gpu: call.gpu,
            stdout,
            stderr,
            http: WasiHttpCtx::new(),
            http_egress: HttpEgress {
                network,
                egress: Arc::clone(egress),
            },
            name_lookups: NameLookups::new(network, Arc::clone(egress)),
        },
    );
    store.limiter(|state| &mut state.memory);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(1)));
    store
}

/// Grants TCP, UDP and name lookup, with every outbound connection and
/// datagram checked against the egress policy (and every lookup's answer,
/// by [`NameLookups`]). Without this call the guest has none of them: a
/// fresh `WasiCtx` denies every socket and lookup, and the guest sees
/// `PermissionDenied`.
fn grant_network(wasi: &mut WasiCtxBuilder, egress: Arc<EgressPolicy>) {
    wasi.allow_tcp(true)
        .allow_udp(true)
        .allow_ip_name_lookup(true)
        .socket_addr_check(move |address, usage| {
            Box::pin(std::future::ready(egress.permits_socket(address, usage)))
        });
}
