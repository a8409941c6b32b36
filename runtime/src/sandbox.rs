//! One invocation: a fresh instance in a fresh store, with every limit set
//! before the guest runs, and each way it can end mapped to a typed result.

mod bindings;
mod budget;
mod command;
mod context;
mod data;
mod exit_status;
mod failure;
mod fresh_store;
mod gpu;
mod host_error;
mod http;
mod log_line;
mod memory_limiter;
mod name_lookup;
mod output;
mod pipeline;
pub(crate) mod prepared;
pub(crate) mod spare;
mod stdin;
mod stdout_result;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use algobox_host_api::Payload;
use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup;
use wasmtime_wasi::sockets::WasiSocketsCtxView;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use self::bindings::algobox::algorithm as wit;
use self::budget::HostCallBudget;
use self::context::{ContextState, ContextView};
use self::data::DataView;
use self::fresh_store::CallParts;
use self::gpu::{GpuAccess, GpuView};
use self::http::HttpEgress;
use self::log_line::LogQuota;
use self::memory_limiter::MemoryLimiter;
use self::name_lookup::{NameLookupView, NameLookups};
use self::output::CapturedOutput;
use self::pipeline::{PipelineState, PipelineView};
use self::prepared::Prepared;
use self::spare::Spare;
use self::stdin::Stdin;
use crate::cpu_share::{self, CpuTurn};
use crate::data_access::DataAccess;
use crate::egress::EgressPolicy;
use crate::engine::Engine;
use crate::error::InvokeError;
#[cfg(feature = "gpu")]
use crate::gpu::{Gpu, Session};
use crate::invocation::{Invocation, Output, StartSink};
use crate::limits::Limits;
use crate::stop::StopHandle;

/// Everything one invocation's store holds: one state per capability,
/// each reached by its imports through a view that borrows only that state
/// and the host-call budget they share.
pub(crate) struct SandboxState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryLimiter,
    budget: HostCallBudget,
    context: ContextState,
    pipeline: PipelineState,
    data: Option<Arc<dyn DataAccess>>,
    gpu: GpuAccess,
    stdout: CapturedOutput,
    stderr: CapturedOutput,
    http: WasiHttpCtx,
    http_egress: HttpEgress,
    name_lookups: NameLookups,
}

impl SandboxState {
    fn context(&mut self) -> ContextView<'_> {
        ContextView {
            context: &mut self.context,
            budget: &mut self.budget,
        }
    }

    fn pipeline(&mut self) -> PipelineView<'_> {
        PipelineView {
            state: &mut self.pipeline,
            budget: &mut self.budget,
        }
    }

    fn data(&mut self) -> DataView<'_> {
        DataView {
            access: &self.data,
            budget: &mut self.budget,
        }
    }

    fn gpu(&mut self) -> GpuView<'_> {
        GpuView {
            access: &mut self.gpu,
            budget: &mut self.budget,
        }
    }

    fn name_lookup(&mut self) -> NameLookupView<'_> {
        NameLookupView {
            sockets: WasiSocketsCtxView {
                ctx: self.wasi.sockets(),
                table: &mut self.table,
            },
            lookups: &mut self.name_lookups,
        }
    }
}

impl WasiHttpView for SandboxState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_egress,
        }
    }
}

impl WasiView for SandboxState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The view each capability's imports get of the store, for the generated
/// bindings.
struct ContextCapability;
struct PipelineCapability;
struct DataCapability;
struct GpuCapability;
struct NameLookupCapability;

impl HasData for ContextCapability {
    type Data<'a> = ContextView<'a>;
}

impl HasData for PipelineCapability {
    type Data<'a> = PipelineView<'a>;
}

impl HasData for DataCapability {
    type Data<'a> = DataView<'a>;
}

impl HasData for GpuCapability {
    type Data<'a> = GpuView<'a>;
}

impl HasData for NameLookupCapability {
    type Data<'a> = NameLookupView<'a>;
}

/// The linker every algorithm is linked against: WASI 0.2 (with no
/// preopened files, no network and no environment, since a fresh `WasiCtx`
/// grants nothing), name lookups under the egress policy, and the
/// `algobox:algorithm` imports, each capability through its own view.
/// Every import is linked whatever an invocation is granted, so one module
/// runs under any settings and reads a refusal.
pub(crate) fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<SandboxState>> {
    let mut linker = Linker::<SandboxState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    // wasmtime-wasi links every WASI interface at once; its name lookup,
    // an on/off switch, is replaced by the policy-checked one.
    linker.allow_shadowing(true);
    ip_name_lookup::add_to_linker::<_, NameLookupCapability>(
        &mut linker,
        SandboxState::name_lookup,
    )?;
    linker.allow_shadowing(false);
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    wit::types::add_to_linker::<_, ContextCapability>(&mut linker, SandboxState::context)?;
    wit::context::add_to_linker::<_, ContextCapability>(&mut linker, SandboxState::context)?;
    wit::pipeline::add_to_linker::<_, PipelineCapability>(&mut linker, SandboxState::pipeline)?;
    wit::data::add_to_linker::<_, DataCapability>(&mut linker, SandboxState::data)?;
    wit::gpu::add_to_linker::<_, GpuCapability>(&mut linker, SandboxState::gpu)?;
    Ok(linker)
}

/// Why a deadline ended an invocation.
#[derive(Debug, Clone, Copy)]
enum Expiry {
    Timeout,
    ForcedStop,
}

/// What can stop an invocation: a handle from outside (perhaps shared with
/// its caller), and its own timeout.
struct Stops<'a> {
    handle: Option<&'a StopHandle>,
    timed_out: &'a AtomicBool,
}

impl Stops<'_> {
    fn requested(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed) || self.handle.is_some_and(StopHandle::is_requested)
    }
}

/// How the guest ended, when it did not trap.
enum Finish {
    Returned(bindings::Payload),
    Failed(bindings::AlgoError),
    Stopped,
    /// Ended with an error the run already classified.
    Ended(InvokeError),
}

/// Runs one invocation on a fresh instance of `pre`.
///
/// The caller has checked the invocation against `limits`.
pub(crate) async fn invoke(
    engine: &Engine,
    pre: &Prepared,
    limits: &Limits,
    egress: &Arc<EgressPolicy>,
    #[cfg(feature = "gpu")] gpu: Option<&Arc<Gpu>>,
    spare: Option<Spare>,
    invocation: Invocation,
) -> Result<Output, InvokeError> {
    let Invocation {
        inputs,
        timeout,
        stop,
        on_progress,
        on_started,
        network,
        pipeline,
        data,
        gpu: gpu_granted,
        // Spent by `Runtime::invoke` before the sandbox starts.
        slot_wait: _,
        cpu_share,
    } = invocation;
    // An algorithm gets its inputs from `initialize`; a plain WASI program
    // reads one on stdin.
    let (inputs, stdin): (Vec<bindings::Payload>, _) = match pre {
        Prepared::Lifecycle(_) => (inputs.into_iter().map(Into::into).collect(), None),
        Prepared::Command(_) => (Vec::new(), Some(Stdin::from_inputs(inputs)?)),
    };
    let timeout = timeout.unwrap_or(limits.default_timeout);
    let started = Instant::now();
    let deadline = started + timeout;
    // A stop of an algorithm that calls others must reach them, so such an
    // invocation always has a handle to share.
    let stop = match stop {
        None if pipeline.is_some() => Some(StopHandle::new()),
        stop => stop,
    };
    if let Some(stop) = &stop {
        stop.arm(limits.stop_grace, limits.max_stop_grace);
    }
    // Its own timeout stops this invocation alone: the handle may be its
    // caller's.
    let timed_out = Arc::new(AtomicBool::new(false));

    let call = CallParts {
        context: ContextState {
            started,
            progress: Vec::new(),
            on_progress,
            stop: stop.clone(),
            timed_out: Arc::clone(&timed_out),
            panic: None,
            log_quota: LogQuota::default(),
        },
        pipeline: PipelineState {
            pipeline,
            deadline,
            timeout_grace: limits.timeout_grace,
            stop: stop.clone(),
        },
        data,
        gpu: match gpu_granted {
            false => GpuAccess::Denied,
            #[cfg(feature = "gpu")]
            true => match gpu {
                Some(gpu) => GpuAccess::Granted(Session::new(Arc::clone(gpu), deadline)),
                None => GpuAccess::Unavailable,
            },
            #[cfg(not(feature = "gpu"))]
            true => GpuAccess::Unavailable,
        },
    };
    let json_call = stdin.as_ref().is_some_and(|stdin| stdin.json);
    // A spare instance was made with no call's grants: this call's go in
    // now, before any of the guest's exports runs.
    let (mut store, spare) = match spare {
        Some(spare) => {
            let mut store = spare.store;
            call.install(&mut store, limits);
            (store, Some(spare.instance))
        }
        None => {
            // A program's stdout is its result, so it is capped like one.
            let stdout_limit = match pre {
                Prepared::Lifecycle(_) => limits.stdio,
                Prepared::Command(_) => limits.output,
            };
            let store =
                fresh_store::new_store(engine, limits, egress, network, stdin, stdout_limit, call);
            (store, None)
        }
    };
    // Each tick the guest yields, which is when the deadline below is
    // checked. In a CPU share, it yields at the end of its slice (the
    // first tick after 2.5 ms of it), and each slice also waits for one of
    // the group's turns.
    store.set_epoch_deadline(1);
    let turn = cpu_share.map(|share| CpuTurn::new(share, started));
    if let Some(turn) = turn.clone() {
        store.epoch_deadline_callback(move |_| {
            Ok(if turn.slice_is_over() {
                UpdateDeadline::YieldCustom(1, turn.next_slice())
            } else {
                UpdateDeadline::Continue(1)
            })
        });
    }

    let stops = Stops {
        handle: stop.as_ref(),
        timed_out: &timed_out,
    };
    let run: Pin<Box<dyn Future<Output = wasmtime::Result<Finish>> + Send + '_>> = match pre {
        Prepared::Lifecycle(pre) => Box::pin(run_lifecycle(
            &mut store, pre, spare, &inputs, stops, on_started,
        )),
        Prepared::Command(pre) => {
            Box::pin(command::run(&mut store, pre, json_call, stops, on_started))
        }
    };
    let run = cpu_share::gated(turn, run);
    // At its timeout the invocation is asked to stop, as from outside, and
    // ends by force once `timeout_grace` has passed too (or a stop's own
    // grace, if sooner): its `stop` hook gets to run. A WASI program has
    // no hook and cannot see the request, so it ends at its timeout.
    // An atomic only because the invocation's future must be `Send`; one
    // task reads and writes it.
    let stopped_first = AtomicBool::new(false);
    let hard_deadline = match pre {
        Prepared::Lifecycle(_) => deadline + limits.timeout_grace,
        Prepared::Command(_) => deadline,
    };
    let outcome = engine
        .deadlines
        .run(
            |waker| {
                if !timed_out.load(Ordering::Relaxed) && Instant::now() >= deadline {
                    timed_out.store(true, Ordering::Relaxed);
                    stopped_first.store(
                        stop.as_ref().is_some_and(StopHandle::is_requested),
                        Ordering::Relaxed,
                    );
                }
                let end = if timed_out.load(Ordering::Relaxed) {
                    hard_deadline
                } else {
                    deadline
                };
                match stop.as_ref().and_then(|stop| stop.force_at(Some(waker))) {
                    Some(forced) if forced < end => Some((forced, Expiry::ForcedStop)),
                    _ => Some((end, Expiry::Timeout)),
                }
            },
            run,
        )
        .await;
    let duration = started.elapsed();

    // Whatever ended a timed-out call (the grace, its stop hook, a trap or
    // a result that came too late), it timed out; a call stopped from
    // outside before its deadline stays stopped.
    if timed_out.load(Ordering::Relaxed) && !stopped_first.load(Ordering::Relaxed) {
        return Err(InvokeError::Timeout { limit: timeout });
    }
    let finish = match outcome {
        Err(Expiry::Timeout) => return Err(InvokeError::Timeout { limit: timeout }),
        Err(Expiry::ForcedStop) => return Err(InvokeError::Stopped { forced: true }),
        Ok(Err(err)) => return Err(failure::classify(&err, store.data(), limits)),
        Ok(Ok(finish)) => finish,
    };
    let payload = match finish {
        Finish::Stopped => return Err(InvokeError::Stopped { forced: false }),
        Finish::Ended(err) => return Err(err),
        Finish::Failed(err) => return Err(InvokeError::Algorithm(bindings::algo_error(err))),
        Finish::Returned(payload) => Payload::from(payload),
    };
    if payload.len() > limits.output {
        return Err(InvokeError::OutputTooLarge {
            size: payload.len(),
            limit: limits.output,
        });
    }
    if let Payload::Json(json) = &payload
        && let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(json)
    {
        return Err(InvokeError::InvalidOutput(format!(
            "the algorithm returned a JSON result that does not parse: {err}"
        )));
    }
    let state = store.into_data();
    Ok(Output {
        payload,
        duration,
        stdout: state.stdout.text(),
        stderr: state.stderr.text(),
        progress: state.context.progress,
    })
}

/// Instantiates the algorithm (unless a spare instance is ready) and
/// drives it through the Hkube lifecycle.
async fn run_lifecycle(
    store: &mut Store<SandboxState>,
    pre: &bindings::AlgorithmPre<SandboxState>,
    spare: Option<bindings::Algorithm>,
    inputs: &[bindings::Payload],
    stops: Stops<'_>,
    on_started: Option<StartSink>,
) -> wasmtime::Result<Finish> {
    let instance = match spare {
        Some(instance) => instance,
        None => pre.instantiate_async(&mut *store).await?,
    };
    let lifecycle = instance.algobox_algorithm_lifecycle();
    if let Err(err) = lifecycle.call_initialize(&mut *store, inputs).await? {
        return Ok(Finish::Failed(err));
    }
    if let Some(on_started) = on_started {
        on_started();
    }
    let result = lifecycle.call_start(&mut *store).await?;
    if stops.requested() {
        // Hkube discards a result that arrives after a stop, and lets the
        // algorithm clean up; the forced deadline still bounds the hook.
        lifecycle.call_stop(&mut *store).await?;
        return Ok(Finish::Stopped);
    }
    Ok(match result {
        Ok(payload) => Finish::Returned(payload),
        Err(err) => Finish::Failed(err),
    })
}
