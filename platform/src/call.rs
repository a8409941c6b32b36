//! Calling an algorithm: the one place a call is resolved, granted its
//! capabilities and run, whether it comes over HTTP, from another
//! algorithm, or runs in the background (`output=void`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use algobox_host_api::{AlgoError, Payload};
use algobox_runtime::error::InvokeError;
use algobox_runtime::invocation::{Invocation, Output};
use algobox_runtime::stop::StopHandle;

use crate::async_calls::{CallProgress, CallRecord, CallStatus};
use crate::error::PlatformError;
use crate::finish_on_drop::FinishOnDrop;
use crate::identity::{AccountName, AlgorithmName};
use crate::pipeline::PlatformPipeline;
use crate::registry::settings::Environment;
use crate::{Caller, Platform, Target};

/// How long a call made by a running algorithm waits for a free slot. Its
/// caller holds a slot meanwhile, so when callers hold them all, their
/// callees fail after this wait (`CapacityError`) instead of every one
/// waiting for the others until the timeouts.
pub const NESTED_SLOT_WAIT: Duration = Duration::from_secs(1);

/// One call of an algorithm.
///
/// # Example
///
/// ```no_run
/// use algobox_host_api::Payload;
/// use algobox_platform::call::CallRequest;
/// use algobox_platform::{Caller, Platform};
///
/// # async fn demo(platform: Platform, caller: Caller) -> Result<(), Box<dyn std::error::Error>> {
/// let (owner, name) = ("demo".parse()?, "hello".parse()?);
/// let request = CallRequest::new(&owner, &name, Some("0.1.0"), Payload::text("Neo"));
/// match platform.call(&caller, request).await {
///     Ok(outcome) => println!("{:?}", outcome.output.payload),
///     Err(err) => eprintln!("{err}"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CallRequest {
    /// The owner of the algorithm.
    pub owner: AccountName,
    /// The algorithm's name.
    pub name: AlgorithmName,
    /// A version, a version range or a build's hash; `None` (or empty) for
    /// the latest public version.
    pub version: Option<String>,
    /// The inputs, in order: one for an Algorithmia call, any number for
    /// Hkube's positional inputs (the guest's `initialize` gets them all).
    pub inputs: Vec<Payload>,
    /// A shorter timeout than the runtime's default, if any.
    pub timeout: Option<Duration>,
    /// Whether the caller asks for what the algorithm printed (shown only
    /// to its owners).
    pub stdout: bool,
    /// How many calls deep this call is: 0 from outside, 1 from an
    /// algorithm called from outside, and so on.
    pub depth: u32,
    /// Stops the call from outside, the Hkube way.
    pub stop: Option<StopHandle>,
}

impl CallRequest {
    /// A call of `owner/name[/version]` as written by a caller (a URL, an
    /// algorithm's `pipeline.call`). Text that is no account or algorithm
    /// name names no algorithm, and gets the same answer as a missing one.
    pub fn parse(
        owner: &str,
        name: &str,
        version: Option<&str>,
        input: Payload,
    ) -> Result<Self, PlatformError> {
        match (owner.parse::<AccountName>(), name.parse::<AlgorithmName>()) {
            (Ok(owner), Ok(name)) => Ok(Self::new(&owner, &name, version, input)),
            _ => Err(PlatformError::NotFound(format!(
                "algorithm algo://{owner}/{name}{} not found",
                version.map(|v| format!("/{v}")).unwrap_or_default()
            ))),
        }
    }

    /// A call from outside of `owner/name[/version]` with `input`.
    pub fn new(
        owner: &AccountName,
        name: &AlgorithmName,
        version: Option<&str>,
        input: Payload,
    ) -> Self {
        Self {
            owner: owner.clone(),
            name: name.clone(),
            version: version.map(str::to_owned),
            inputs: vec![input],
            timeout: None,
            stdout: false,
            depth: 0,
            stop: None,
        }
    }
}

/// A call that ran to a result.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutcome {
    /// The result, duration and captured output.
    pub output: Output,
    /// Whether the caller asked for stdout and may see it.
    pub stdout_visible: bool,
}

/// A call that ran and failed, in the guest contract's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct CallFailure {
    /// The algorithm's error, or the runtime's as
    /// [`InvokeError::to_algo_error`](algobox_runtime::error::InvokeError::to_algo_error)
    /// gives it.
    pub error: AlgoError,
    /// Whether the server was at capacity, rather than the call at fault:
    /// try again later.
    pub at_capacity: bool,
    /// Whether a stop ended the call (Hkube `stopped`).
    pub stopped: bool,
    /// How long the call ran.
    pub elapsed: Duration,
}

impl CallFailure {
    /// The failure the runtime's `err` makes, after `elapsed`: its error as
    /// the guest contract carries it, and whether it was the server's
    /// capacity or a stop.
    pub fn of(err: &InvokeError, elapsed: Duration) -> Self {
        Self {
            error: err.to_algo_error(),
            at_capacity: err.is_capacity(),
            stopped: matches!(err, InvokeError::Stopped { .. }),
            elapsed,
        }
    }
}

/// Why a call has no result.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call was refused before anything ran: no key, no such
    /// algorithm or version, no permission, a bad option.
    #[error(transparent)]
    Refused(#[from] PlatformError),
    /// The algorithm ran and failed.
    #[error("{}", .0.error)]
    Failed(CallFailure),
}

impl Platform {
    /// Resolves the algorithm for `caller`, grants what its version's
    /// settings allow and runs it to the end.
    ///
    /// Dropping the returned future once the call runs (a client that hung
    /// up) stops it the Hkube way rather than ending its instance at once:
    /// the guest sees `stop-requested`, its `stop` hook runs once `start`
    /// returns, and the grace bounds it all.
    pub async fn call(
        &self,
        caller: &Caller,
        mut request: CallRequest,
    ) -> Result<CallOutcome, CallError> {
        let outside = request.depth == 0;
        let stop = request.stop.get_or_insert_with(StopHandle::new).clone();
        let (target, invocation, stdout_visible) = self.prepare(caller, request).await?;
        // A call from outside waits for one of its account's slots; a
        // nested call runs in the slot of the call that made it, which
        // would otherwise wait for itself.
        let slot = if outside {
            let slot = self
                .inner
                .slots
                .run(&caller.name, true)
                .await
                .map_err(|full| {
                    PlatformError::TooManyCalls(format!(
                        "{} has {} calls waiting for a slot, the most one account may have; \
                     wait for some to finish and call again",
                        caller.name, full.0
                    ))
                })?;
            Some(slot)
        } else {
            None
        };
        // Dropping this future stops the run gracefully and lets it finish
        // on its own, instead of dropping its instance.
        let platform = self.clone();
        let run = async move {
            let _slot = slot;
            platform.run(&target, invocation, stdout_visible).await
        };
        let outcome = FinishOnDrop::new(run, stop).await.unwrap_or_else(|panic| {
            let err = InvokeError::Internal(format!("the call failed: {}", panic.0));
            Err(CallFailure::of(&err, Duration::ZERO))
        });
        outcome.map_err(CallError::Failed)
    }

    /// Resolves the call now, so that a refusal reaches the caller, then
    /// runs it in the background; its status, progress and result are kept
    /// in [`calls`](Self::calls) under `request_id`, for `caller` alone.
    pub async fn call_void(
        &self,
        caller: &Caller,
        request: CallRequest,
        request_id: &str,
    ) -> Result<(), PlatformError> {
        if let Some(cluster) = self.inner.cluster.get() {
            // Resolved now, so that a refusal reaches the caller; then
            // queued for whichever node has a runner free.
            self.resolve(
                caller,
                &request.owner,
                &request.name,
                request.version.as_deref(),
            )
            .await?;
            return cluster.calls.submit(caller, &request, request_id).await;
        }
        let queued = self
            .inner
            .slots
            .enqueue(&caller.name)
            .map_err(|most| too_many_void_calls(&caller.name, most))?;
        // A void call can be stopped from outside (`DELETE /v1/requests/:id`).
        let stop = StopHandle::new();
        let request = CallRequest {
            stop: Some(stop.clone()),
            ..request
        };
        let (target, invocation, stdout_visible) = self.prepare(caller, request).await?;
        self.calls()
            .insert(request_id, caller.name.as_str(), stop.clone());
        let platform = self.clone();
        let progress_id = request_id.to_owned();
        let invocation = invocation.on_progress(move |progress| {
            platform.calls().progress(
                &progress_id,
                CallProgress {
                    percent: progress.percent,
                    details: progress.details.clone(),
                    elapsed: progress.elapsed.as_secs_f64(),
                },
            );
        });
        let platform = self.clone();
        let started_id = request_id.to_owned();
        let invocation = invocation.on_started(move || platform.calls().started(&started_id));
        let platform = self.clone();
        let request_id = request_id.to_owned();
        let account = caller.name.clone();
        tokio::spawn(async move {
            let _queued = queued;
            // Bounded when accepted (`enqueue`), so never refused here.
            let _slot = platform.inner.slots.run(&account, false).await;
            // Stopped while it waited: it never runs.
            let outcome = if stop.is_requested() {
                let stopped = InvokeError::Stopped { forced: false };
                Err(CallFailure::of(&stopped, Duration::ZERO))
            } else {
                platform.calls().running(&request_id);
                platform.run(&target, invocation, stdout_visible).await
            };
            let succeeded = outcome.is_ok();
            // The result is written to the results folder.
            let finisher = platform.clone();
            let finished_id = request_id.clone();
            let _ = tokio::task::spawn_blocking(move || {
                finisher.calls().finish(&finished_id, outcome);
            })
            .await;
            tracing::info!(%request_id, succeeded, "void call finished");
        });
        Ok(())
    }

    /// The `output=void` call `request_id`, if `caller` made it and its
    /// record is still kept: from this node's table, or in a cluster from
    /// the cluster's bucket, whichever node ran it.
    pub async fn void_call(
        &self,
        request_id: &str,
        caller: &Caller,
    ) -> Result<Option<CallRecord>, PlatformError> {
        if let Some(cluster) = self.inner.cluster.get() {
            return cluster.calls.get(request_id, caller).await;
        }
        // A finished call's result is read from the results folder.
        let platform = self.clone();
        let (id, name) = (request_id.to_owned(), caller.name.as_str().to_owned());
        tokio::task::spawn_blocking(move || platform.calls().get(&id, &name))
            .await
            .map_err(|err| PlatformError::Internal(format!("reading a result failed: {err}")))
    }

    /// Asks `caller`'s void call `request_id` to stop, wherever it runs,
    /// and returns its status (`stopping`, or how it ended); `None` when
    /// `caller` has no such call.
    pub async fn stop_void_call(
        &self,
        request_id: &str,
        caller: &Caller,
    ) -> Result<Option<CallStatus>, PlatformError> {
        if let Some(cluster) = self.inner.cluster.get() {
            return cluster.calls.stop(request_id, caller).await;
        }
        Ok(self.calls().stop(request_id, caller.name.as_str()))
    }

    /// Runs a prepared call to its outcome. A failure's stack trace is
    /// shown only to callers who may see the source (see
    /// [`Target::source_visible`]): it can quote the code.
    pub(crate) async fn run(
        &self,
        target: &Target,
        invocation: Invocation,
        stdout_visible: bool,
    ) -> Result<CallOutcome, CallFailure> {
        let started = Instant::now();
        self.runtime()
            .invoke(&target.algorithm, invocation)
            .await
            .map(|output| CallOutcome {
                output,
                stdout_visible,
            })
            .map_err(|err| {
                let mut failure = CallFailure::of(&err, started.elapsed());
                if !target.source_visible() {
                    failure.error.details = None;
                }
                failure
            })
    }

    /// The resolved target, its invocation and whether stdout may be shown.
    pub(crate) async fn prepare(
        &self,
        caller: &Caller,
        request: CallRequest,
    ) -> Result<(Target, Invocation, bool), PlatformError> {
        let CallRequest {
            owner,
            name,
            version,
            inputs,
            timeout,
            stdout,
            depth,
            stop,
        } = request;
        let target = self
            .resolve(caller, &owner, &name, version.as_deref())
            .await?;
        // The version's own settings decide what it may reach.
        let mut invocation = self.invocation(caller, &target, inputs, depth);
        if let Some(timeout) = timeout {
            invocation = invocation.timeout(timeout);
        }
        if let Some(stop) = stop {
            invocation = invocation.stop_handle(stop);
        }
        if depth > 0 {
            invocation = invocation.slot_wait(NESTED_SLOT_WAIT);
        }
        // Only the owner may see what the algorithm printed.
        let stdout_visible = stdout && target.caller_is_owner;
        Ok((target, invocation, stdout_visible))
    }

    /// An invocation of `target` for `caller`, with the capabilities of the
    /// version called: its network access, `data://` files as `caller`,
    /// the GPU for `environment: gpu` and, if enabled, calls to other
    /// algorithms at `depth` (0 for a call from outside).
    pub fn invocation(
        &self,
        caller: &Caller,
        target: &Target,
        inputs: Vec<Payload>,
        depth: u32,
    ) -> Invocation {
        let mut invocation = Invocation::positional(inputs)
            .network(target.settings().network_access)
            .data(Arc::new(crate::data::PlatformData {
                platform: self.clone(),
                caller: caller.clone(),
            }))
            .gpu(target.settings().environment == Environment::Gpu)
            .cpu_share(self.inner.slots.cpu_share(&caller.name));
        if target.settings().pipeline_enabled {
            invocation = invocation.pipeline(Arc::new(PlatformPipeline {
                platform: self.clone(),
                caller: caller.clone(),
                depth,
            }));
        }
        invocation
    }
}

/// The refusal of a void call of `account`, which has `most` waiting or
/// running (on this node, or in the cluster's queue).
pub(crate) fn too_many_void_calls(account: &AccountName, most: u32) -> PlatformError {
    PlatformError::TooManyCalls(format!(
        "{account} has {most} output=void calls waiting or running, the most one account may have; \
         wait for some to finish (GET /v1/requests/REQUEST_ID) and call again"
    ))
}
