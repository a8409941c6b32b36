//! `output=void` calls on a durable NATS JetStream work queue, for a
//! cluster: any node accepts a call and answers at once, some node runs
//! it, and its status, progress and result live in a key-value bucket that
//! every node reads.
//!
//! - **The queue** is the stream `<cluster>_calls`, one subject per account
//!   (`<cluster>.calls.<account>`), with work-queue retention and at most
//!   the per-account number of void calls per subject: one account's flood
//!   fills its own subject, never the queue.
//! - **Runners**: every node pulls from one durable consumer, one message
//!   per free runner. A running node reports progress to JetStream every
//!   third of the acknowledgement wait; a node killed mid-call stops
//!   reporting, and after the wait another node runs the call again
//!   (at-least-once). A call redelivered [`MAX_DELIVERIES`] times fails.
//! - **Records**: the bucket `<cluster>_requests` keeps each call's record
//!   under its request id and its outcome under `<id>.result`, for the
//!   time results are kept (the bucket's `max_age`). Inputs and results
//!   larger than a message go to the object store `<cluster>_call_data`.
//! - **Stops** travel on `<cluster>.stop`; the node running the call asks
//!   it to stop. A call stopped before any node took it is marked under
//!   `<id>.stop` and ends, stopped, when taken.
//! - **Drains**: a node shutting down takes no more calls, lets the ones it
//!   runs finish until its deadline, then stops the rest and hands them
//!   back (a negative acknowledgement), so another node runs them at once.

mod handover;
mod message;
mod record;
mod runner;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use algobox_runtime::stop::StopHandle;
use async_nats::Client;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::object_store::{self, ObjectStore};
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy};
use async_nats::jetstream::{self, Context, kv};
use tokio::io::AsyncReadExt as _;

use crate::Caller;
use crate::async_calls::{CallRecord, CallStatus, is_plain_request_id, result_file};
use crate::call::{CallRequest, too_many_void_calls};
use crate::cluster_calls::message::QueuedCall;
use crate::cluster_calls::record::{ResultPlace, StoredRecord};
use crate::error::PlatformError;
use crate::identity::{ClusterName, NodeId};
use crate::object_bucket;

/// How many times a call is delivered before it fails instead of running
/// again: a call that ends every node that runs it must not end them all.
pub(crate) const MAX_DELIVERIES: i64 = 3;

/// Room left in a message for its headers and framing.
const MESSAGE_HEADROOM: usize = 16 << 10;

/// How a cluster's void calls are queued and run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueSettings {
    /// How long a running node may go without reporting before its call is
    /// delivered again.
    pub(crate) ack_wait: Duration,
    /// How many calls this node runs at once.
    pub(crate) runners: usize,
    /// How long records and results are kept.
    pub(crate) keep_results: Duration,
    /// How many calls one account may have queued or running.
    pub(crate) per_account: u32,
}

/// This node's handle on the cluster's void calls.
#[derive(Clone)]
pub(crate) struct ClusterCalls {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    jetstream: Context,
    cluster: ClusterName,
    records: kv::Store,
    large: ObjectStore,
    consumer: PullConsumer,
    settings: QueueSettings,
    /// This node's name in records, for operators.
    node: String,
    /// The calls this node runs now, by request id.
    running: Mutex<HashMap<String, runner::Running>>,
    /// The task taking calls from the queue, until the node drains.
    taker: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Why the cluster's queue could not be reached or used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct QueueError(String);

fn queue_error(what: &str, err: impl std::fmt::Display) -> QueueError {
    QueueError(format!("{what}: {err}"))
}

impl ClusterCalls {
    /// Creates (or finds) the cluster's stream, consumer, bucket and object
    /// store, for the node `node`. Nodes may open them concurrently.
    pub(crate) async fn open(
        client: Client,
        cluster: &ClusterName,
        node: &NodeId,
        settings: QueueSettings,
    ) -> Result<Self, QueueError> {
        let jetstream = jetstream::new(client.clone());
        let stream = jetstream
            .get_or_create_stream(stream::Config {
                name: format!("{cluster}_calls"),
                subjects: vec![format!("{cluster}.calls.*")],
                retention: RetentionPolicy::WorkQueue,
                max_messages_per_subject: i64::from(settings.per_account.max(1)),
                discard: DiscardPolicy::New,
                discard_new_per_subject: true,
                ..stream::Config::default()
            })
            .await
            .map_err(|err| queue_error("the call stream", err))?;
        let consumer = stream
            .get_or_create_consumer(
                "runners",
                pull::Config {
                    durable_name: Some("runners".to_owned()),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: settings.ack_wait,
                    max_ack_pending: -1,
                    ..pull::Config::default()
                },
            )
            .await
            .map_err(|err| queue_error("the runners' consumer", err))?;
        let bucket = format!("{cluster}_requests");
        // The bucket's stream is made here, as a key-value bucket's is:
        // the client's own `create_key_value` first asks for account
        // details that nats-server 2.9 answers in a form it cannot read.
        jetstream
            .get_or_create_stream(stream::Config {
                name: format!("KV_{bucket}"),
                description: Some("algobox: void calls' records and results".to_owned()),
                subjects: vec![format!("$KV.{bucket}.>")],
                max_messages_per_subject: 1,
                max_age: settings.keep_results,
                discard: DiscardPolicy::New,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                ..stream::Config::default()
            })
            .await
            .map_err(|err| queue_error("the requests bucket", err))?;
        let records = jetstream
            .get_key_value(&bucket)
            .await
            .map_err(|err| queue_error("the requests bucket", err))?;
        let objects = format!("{cluster}_call_data");
        let large = object_bucket::open_or_create(
            &jetstream,
            object_store::Config {
                bucket: objects,
                description: Some("algobox: void calls' large inputs and results".to_owned()),
                max_age: settings.keep_results,
                ..object_store::Config::default()
            },
        )
        .await
        .map_err(|err| queue_error("the call data object store", err))?;
        let calls = Self {
            shared: Arc::new(Shared {
                client,
                jetstream,
                cluster: cluster.clone(),
                records,
                large,
                consumer,
                settings,
                node: node.to_string(),
                running: Mutex::default(),
                taker: Mutex::default(),
            }),
        };
        Ok(calls)
    }

    /// Queues `request` by `caller` under `request_id`, after its record.
    /// Refused with [`PlatformError::TooManyCalls`] when the caller's
    /// account has as many void calls queued or running as it may.
    pub(crate) async fn submit(
        &self,
        caller: &Caller,
        request: &CallRequest,
        request_id: &str,
    ) -> Result<(), PlatformError> {
        let shared = &self.shared;
        let (mut queued, inputs) = QueuedCall::of(request_id, &caller.name, request);
        if inputs.len() > self.message_limit() {
            queued.stored = true;
            shared
                .large
                .put(
                    format!("{request_id}.input").as_str(),
                    &mut inputs.as_slice(),
                )
                .await
                .map_err(|err| unavailable("store the call's input", err))?;
        }
        self.put_record(request_id, &StoredRecord::queued(caller.name.as_str()))
            .await?;
        let subject = format!("{}.calls.{}", shared.cluster, caller.name.folded());
        let published = match shared
            .jetstream
            .publish(subject, queued.encode(&inputs).into())
            .await
        {
            Ok(ack) => ack.await.map(|_| ()).map_err(|err| err.to_string()),
            Err(err) => Err(err.to_string()),
        };
        if let Err(err) = published {
            let _ignored = shared.records.delete(request_id).await;
            if err.contains("maximum messages per subject") {
                return Err(too_many_void_calls(
                    &caller.name,
                    shared.settings.per_account,
                ));
            }
            return Err(unavailable("queue the call", err));
        }
        Ok(())
    }

    /// The call, if `caller` made it and its record is still kept.
    pub(crate) async fn get(
        &self,
        request_id: &str,
        caller: &Caller,
    ) -> Result<Option<CallRecord>, PlatformError> {
        let Some(record) = self.record(request_id).await? else {
            return Ok(None);
        };
        if record.caller != caller.name.as_str() {
            return Ok(None);
        }
        let outcome = match record.result {
            None => None,
            Some(place) => Some(self.outcome(request_id, place).await?),
        };
        Ok(Some(CallRecord::kept_elsewhere(
            request_id,
            &record.caller,
            record.status,
            record.progress,
            outcome,
        )))
    }

    /// Asks `caller`'s call to stop wherever it runs (or when it is taken,
    /// if no node has it yet) and returns its status; `None` when `caller`
    /// has no such call.
    pub(crate) async fn stop(
        &self,
        request_id: &str,
        caller: &Caller,
    ) -> Result<Option<CallStatus>, PlatformError> {
        let Some(record) = self.record(request_id).await? else {
            return Ok(None);
        };
        if record.caller != caller.name.as_str() {
            return Ok(None);
        }
        if record.status.is_final() {
            return Ok(Some(record.status));
        }
        let shared = &self.shared;
        shared
            .records
            .put(format!("{request_id}.stop"), "stop".into())
            .await
            .map_err(|err| unavailable("mark the call stopped", err))?;
        shared
            .client
            .publish(stop_subject(&shared.cluster), request_id.to_owned().into())
            .await
            .map_err(|err| unavailable("send the stop", err))?;
        Ok(Some(CallStatus::Stopping))
    }

    async fn record(&self, request_id: &str) -> Result<Option<StoredRecord>, PlatformError> {
        if !is_plain_request_id(request_id) {
            return Ok(None);
        }
        let Some(bytes) = self
            .shared
            .records
            .get(request_id)
            .await
            .map_err(|err| unavailable("read the call's record", err))?
        else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|err| {
            PlatformError::Internal(format!("the record of {request_id} is damaged: {err}"))
        })
    }

    async fn put_record(
        &self,
        request_id: &str,
        record: &StoredRecord,
    ) -> Result<(), PlatformError> {
        let bytes = serde_json::to_vec(record).expect("a record serializes");
        self.shared
            .records
            .put(request_id, bytes.into())
            .await
            .map(|_| ())
            .map_err(|err| unavailable("write the call's record", err))
    }

    async fn outcome(
        &self,
        request_id: &str,
        place: ResultPlace,
    ) -> Result<Result<crate::call::CallOutcome, crate::call::CallFailure>, PlatformError> {
        let key = format!("{request_id}.result");
        let bytes = match place {
            ResultPlace::Bucket => self
                .shared
                .records
                .get(key.as_str())
                .await
                .map_err(|err| unavailable("read the call's result", err))?
                .map(|bytes| bytes.to_vec()),
            ResultPlace::Objects => {
                let mut bytes = Vec::new();
                match self.shared.large.get(key.as_str()).await {
                    Ok(mut object) => {
                        object
                            .read_to_end(&mut bytes)
                            .await
                            .map_err(|err| unavailable("read the call's result", err))?;
                        Some(bytes)
                    }
                    Err(_) => None,
                }
            }
        };
        let bytes = bytes.ok_or_else(|| {
            PlatformError::Internal(format!(
                "the result of {request_id} has expired or was removed; results are kept for {} s",
                self.shared.settings.keep_results.as_secs()
            ))
        })?;
        result_file::decode(&bytes).map_err(|err| {
            PlatformError::Internal(format!("the result of {request_id} is damaged: {err}"))
        })
    }

    /// The most bytes a message (a queued call, a kept result) may carry
    /// before they go to the object store instead.
    fn message_limit(&self) -> usize {
        self.shared
            .client
            .server_info()
            .max_payload
            .saturating_sub(MESSAGE_HEADROOM)
    }

    /// Whether the NATS connection is up, or its state.
    pub(crate) fn connected(&self) -> Result<(), String> {
        match self.shared.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            state => Err(state.to_string()),
        }
    }

    /// The stop handle of a call this node runs.
    fn running_stop(&self, request_id: &str) -> Option<(StopHandle, runner::SharedRecord)> {
        self.shared
            .running
            .lock()
            .expect("running calls poisoned")
            .get(request_id)
            .map(|running| (running.stop.clone(), Arc::clone(&running.record)))
    }
}

/// The subject stops travel on.
fn stop_subject(cluster: &ClusterName) -> String {
    format!("{cluster}.stop")
}

fn unavailable(what: &str, err: impl std::fmt::Display) -> PlatformError {
    PlatformError::Internal(format!(
        "cannot {what} in the cluster's NATS JetStream: {err}; check that NATS is reachable"
    ))
}
