//! The node's side of the queue: taking calls when a runner is free,
//! running them, reporting to JetStream while they run, and recording how
//! they ended.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use algobox_runtime::error::InvokeError;
use algobox_runtime::stop::StopHandle;
use async_nats::jetstream::AckKind;
use async_nats::jetstream::Message;
use futures_util::StreamExt as _;
use tokio::io::AsyncReadExt as _;
use tokio::sync::{Semaphore, watch};

use crate::async_calls::{CallProgress, CallStatus, result_file};
use crate::call::{CallFailure, CallOutcome};
use crate::cluster_calls::message::QueuedCall;
use crate::cluster_calls::record::{ResultPlace, StoredRecord};
use crate::cluster_calls::{ClusterCalls, MAX_DELIVERIES, stop_subject};
use crate::{Caller, Inner, Platform};

/// A running call's record, written by one task at a time in order.
pub(crate) type SharedRecord = Arc<tokio::sync::Mutex<StoredRecord>>;

/// A call this node runs.
pub(crate) struct Running {
    pub(crate) stop: StopHandle,
    pub(crate) record: SharedRecord,
    /// The call's message, for handing it back.
    pub(crate) message: Message,
    /// Set by whichever settles the call first: the runner when the call
    /// ends (it records the outcome and acknowledges), or a drain handing
    /// it back (it requeues the record and rejects the message). The other
    /// leaves the call alone.
    pub(crate) settled: Arc<AtomicBool>,
}

/// How long one pull waits for a call before asking again. A draining node
/// may still be handed a call until its last pull expires; it hands such a
/// call straight back.
const PULL_WAIT: Duration = Duration::from_secs(2);

/// Resolves once the node's drain has begun (at once if it has).
async fn drain_begun(draining: &mut watch::Receiver<bool>) {
    // An error means the platform is gone: nothing is left to drain either.
    let _begun = draining.wait_for(|draining| *draining).await;
}

impl ClusterCalls {
    /// Starts this node's runners and its stop listener. Both hold the
    /// platform weakly and end once it is dropped.
    pub(crate) fn start(&self, platform: &Platform) {
        let weak = Arc::downgrade(&platform.inner);
        let draining = platform.inner.drain.subscribe();
        let taker = tokio::spawn(self.clone().take_calls(weak, draining));
        *self
            .shared
            .taker
            .lock()
            .expect("the taker's handle poisoned") = Some(taker);
        tokio::spawn(self.clone().listen_for_stops());
    }

    /// Takes calls while runners are free, until the node drains.
    async fn take_calls(self, platform: Weak<Inner>, mut draining: watch::Receiver<bool>) {
        let free = Arc::new(Semaphore::new(self.shared.settings.runners));
        loop {
            let runner = tokio::select! {
                runner = Arc::clone(&free).acquire_owned() => match runner {
                    Ok(runner) => runner,
                    Err(_) => return,
                },
                () = drain_begun(&mut draining) => return,
            };
            if platform.strong_count() == 0 {
                return;
            }
            let batch = self
                .shared
                .consumer
                .fetch()
                .max_messages(1)
                .expires(PULL_WAIT)
                .messages()
                .await;
            let mut batch = match batch {
                Ok(batch) => batch,
                Err(err) => {
                    tracing::warn!(%err, "cannot take void calls from the cluster's queue; trying again in a second");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let next = tokio::select! {
                next = batch.next() => next,
                () = drain_begun(&mut draining) => {
                    // The pull stays open on the server until it expires:
                    // whatever it still delivers goes straight back.
                    while let Some(Ok(message)) = batch.next().await {
                        self.hand_back_untaken(&message).await;
                    }
                    return;
                }
            };
            match next {
                Some(Ok(message)) => {
                    if *draining.borrow() {
                        self.hand_back_untaken(&message).await;
                        return;
                    }
                    let Some(inner) = platform.upgrade() else {
                        return;
                    };
                    let calls = self.clone();
                    tokio::spawn(async move {
                        calls.run_one(Platform { inner }, message).await;
                        drop(runner);
                    });
                }
                Some(Err(err)) => {
                    tracing::warn!(%err, "a pull from the cluster's queue failed; trying again in a second");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                // Nothing queued within the wait.
                None => {}
            }
        }
    }

    async fn listen_for_stops(self) {
        let subject = stop_subject(&self.shared.cluster);
        let mut stops = match self.shared.client.subscribe(subject).await {
            Ok(stops) => stops,
            Err(err) => {
                tracing::error!(%err, "cannot listen for stops of void calls; stops reach calls only when they are taken");
                return;
            }
        };
        while let Some(stop) = stops.next().await {
            let request_id = String::from_utf8_lossy(&stop.payload).into_owned();
            if let Some((handle, record)) = self.running_stop(&request_id) {
                handle.request();
                self.update(&request_id, &record, |record| {
                    record.advance(CallStatus::Stopping);
                })
                .await;
            }
        }
    }

    /// Runs one delivered call to its end and acknowledges it, unless a
    /// drain handed it back first.
    async fn run_one(&self, platform: Platform, message: Message) {
        let delivered = message.info().map_or(1, |info| info.delivered);
        let (queued, bytes) = match QueuedCall::decode(&message.payload) {
            Ok((queued, bytes)) => (queued, bytes.to_vec()),
            Err(err) => {
                tracing::error!(%err, "dropped a damaged void call from the queue");
                let _ignored = message.ack_with(AckKind::Term).await;
                return;
            }
        };
        let request_id = queued.request_id.clone();
        // Deliveries that drains handed back were not the call's fault: they
        // do not count towards the deliveries after which it fails.
        let handed_back = if delivered > 1 {
            match self.record(&request_id).await {
                Ok(Some(record)) => record.handed_back,
                _ => 0,
            }
        } else {
            0
        };
        let mut fresh = StoredRecord::queued(&queued.caller);
        fresh.handed_back = handed_back;
        let record: SharedRecord = Arc::new(tokio::sync::Mutex::new(fresh));
        let stop = StopHandle::new();
        let settled = Arc::new(AtomicBool::new(false));
        self.shared
            .running
            .lock()
            .expect("running calls poisoned")
            .insert(
                request_id.clone(),
                Running {
                    stop: stop.clone(),
                    record: Arc::clone(&record),
                    message: message.clone(),
                    settled: Arc::clone(&settled),
                },
            );
        // Keep JetStream from giving the call to another node while it runs.
        let heartbeat = {
            let message = message.clone();
            let settled = Arc::clone(&settled);
            let every = self.shared.settings.ack_wait / 3;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    if settled.load(Ordering::Acquire)
                        || message.ack_with(AckKind::Progress).await.is_err()
                    {
                        return;
                    }
                }
            })
        };
        let started = Instant::now();
        let attempts = delivered.saturating_sub(i64::from(handed_back));
        let outcome = if attempts > MAX_DELIVERIES {
            let err = InvokeError::Internal(format!(
                "the call was taken {MAX_DELIVERIES} times and each node running it stopped before it ended; it is not run again"
            ));
            Err(CallFailure::of(&err, Duration::ZERO))
        } else if self.stopped_before_taken(&request_id).await {
            Err(CallFailure::of(
                &InvokeError::Stopped { forced: false },
                Duration::ZERO,
            ))
        } else {
            self.run_queued(&platform, &queued, bytes, stop, &record)
                .await
        };
        if settled.swap(true, Ordering::AcqRel) {
            // A drain handed the call back while it ran; another node runs
            // it again, and this run's outcome is no one's.
            heartbeat.abort();
            self.forget_running(&request_id);
            tracing::info!(%request_id, "void call handed back to the queue");
            return;
        }
        let finished = self.finish(&request_id, &record, &outcome).await;
        heartbeat.abort();
        self.forget_running(&request_id);
        if finished {
            if let Err(err) = message.double_ack().await {
                tracing::warn!(%request_id, %err, "could not acknowledge a finished void call; another node may run it again");
            }
        } else {
            // Recorded nowhere: let another node run it.
            let _ignored = message.ack_with(AckKind::Nak(None)).await;
        }
        tracing::info!(%request_id, succeeded = outcome.is_ok(), elapsed_ms = started.elapsed().as_millis() as u64, "void call finished");
    }

    fn forget_running(&self, request_id: &str) {
        self.shared
            .running
            .lock()
            .expect("running calls poisoned")
            .remove(request_id);
    }

    async fn run_queued(
        &self,
        platform: &Platform,
        queued: &QueuedCall,
        bytes: Vec<u8>,
        stop: StopHandle,
        record: &SharedRecord,
    ) -> Result<CallOutcome, CallFailure> {
        let failed =
            |message: String| CallFailure::of(&InvokeError::Internal(message), Duration::ZERO);
        let bytes = if queued.stored {
            self.stored_input(&queued.request_id)
                .await
                .map_err(failed)?
        } else {
            bytes
        };
        let (account, mut request) = queued
            .request(&bytes)
            .map_err(|err| failed(err.to_string()))?;
        request.stop = Some(stop);
        let caller = Caller { name: account };
        let request_id = queued.request_id.clone();
        let (target, invocation, stdout_visible) = platform
            .prepare(&caller, request)
            .await
            .map_err(|err| failed(format!("the call cannot run any more: {err}")))?;
        let calls = self.clone();
        let (progress_id, progress_record) = (request_id.clone(), Arc::clone(record));
        let invocation = invocation.on_progress(move |progress| {
            let report = CallProgress {
                percent: progress.percent,
                details: progress.details.clone(),
                elapsed: progress.elapsed.as_secs_f64(),
            };
            let (calls, id, record) = (
                calls.clone(),
                progress_id.clone(),
                Arc::clone(&progress_record),
            );
            tokio::spawn(async move {
                calls
                    .update(&id, &record, |record| record.add_progress(report))
                    .await;
            });
        });
        let calls = self.clone();
        let (started_id, started_record) = (request_id.clone(), Arc::clone(record));
        let invocation = invocation.on_started(move || {
            let (calls, id, record) = (
                calls.clone(),
                started_id.clone(),
                Arc::clone(&started_record),
            );
            tokio::spawn(async move {
                calls
                    .update(&id, &record, |record| record.advance(CallStatus::Started))
                    .await;
            });
        });
        // The account's fair share of this node's slots, as on one node.
        let _slot = platform.inner.slots.run(&caller.name, false).await;
        let node = self.shared.node.clone();
        self.update(&request_id, record, |record| {
            record.node = Some(node);
            record.advance(CallStatus::Running);
        })
        .await;
        platform.run(&target, invocation, stdout_visible).await
    }

    async fn stored_input(&self, request_id: &str) -> Result<Vec<u8>, String> {
        let mut object = self
            .shared
            .large
            .get(format!("{request_id}.input").as_str())
            .await
            .map_err(|err| format!("the call's input is missing from the object store: {err}"))?;
        let mut bytes = Vec::new();
        object
            .read_to_end(&mut bytes)
            .await
            .map_err(|err| format!("the call's input cannot be read: {err}"))?;
        Ok(bytes)
    }

    async fn stopped_before_taken(&self, request_id: &str) -> bool {
        matches!(
            self.shared.records.get(format!("{request_id}.stop")).await,
            Ok(Some(_))
        )
    }

    /// Changes the record and writes it, in the order changes are made;
    /// nothing once a drain handed the call back.
    async fn update(
        &self,
        request_id: &str,
        record: &SharedRecord,
        change: impl FnOnce(&mut StoredRecord),
    ) {
        let mut record = record.lock().await;
        if record.released {
            return;
        }
        change(&mut record);
        if let Err(err) = self.put_record(request_id, &record).await {
            tracing::warn!(%request_id, %err, "could not record a void call's progress");
        }
    }

    /// Writes the outcome, then the final record; whether both were kept.
    async fn finish(
        &self,
        request_id: &str,
        record: &SharedRecord,
        outcome: &Result<CallOutcome, CallFailure>,
    ) -> bool {
        let bytes = result_file::encode(outcome);
        let key = format!("{request_id}.result");
        let place = if bytes.len() > self.message_limit() {
            match self
                .shared
                .large
                .put(key.as_str(), &mut bytes.as_slice())
                .await
            {
                Ok(_) => ResultPlace::Objects,
                Err(err) => {
                    tracing::warn!(%request_id, %err, "could not keep a void call's result");
                    return false;
                }
            }
        } else {
            match self.shared.records.put(key.as_str(), bytes.into()).await {
                Ok(_) => ResultPlace::Bucket,
                Err(err) => {
                    tracing::warn!(%request_id, %err, "could not keep a void call's result");
                    return false;
                }
            }
        };
        let status = match outcome {
            Ok(_) => CallStatus::Succeeded,
            Err(failure) if failure.stopped => CallStatus::Stopped,
            Err(_) => CallStatus::Failed,
        };
        let mut record = record.lock().await;
        record.status = status;
        record.result = Some(place);
        record.node = None;
        match self.put_record(request_id, &record).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(%request_id, %err, "could not record how a void call ended");
                false
            }
        }
    }
}
