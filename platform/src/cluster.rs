//! A node's membership in a cluster: several stateless servers over one
//! registry, sharing NATS for what must reach every node.
//!
//! Joining gives a node two things:
//! - **invalidations**: its writes (publish, update, upload, delete) are
//!   announced, and every node forgets its cached listing of that
//!   algorithm within milliseconds;
//! - **durable void calls**: `output=void` calls go on a JetStream work
//!   queue that any node runs, with status, progress and results in a
//!   key-value bucket, so `GET /v1/requests/:id` answers from any node and
//!   a call survives the node that accepted it.

use std::time::Duration;

use async_nats::Client;

use crate::cluster_calls::{ClusterCalls, QueueSettings};
use crate::error::PlatformError;
use crate::identity::ClusterName;
use crate::invalidations::{self, Invalidations};
use crate::{CACHE_TTL, Platform};

/// How a node joins a cluster.
///
/// # Example
///
/// ```no_run
/// # async fn example(platform: algobox_platform::Platform) -> Result<(), Box<dyn std::error::Error>> {
/// use algobox_platform::cluster::ClusterOptions;
///
/// let client = async_nats::connect("127.0.0.1:4222").await?;
/// platform
///     .join_cluster(ClusterOptions::new(client, "algobox".parse()?))
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The connection to the cluster's NATS server.
    pub client: Client,
    /// The prefix of every subject, stream and bucket.
    pub name: ClusterName,
    /// How long a cached listing is trusted if no announcement reaches
    /// this node (NATS core delivers at most once).
    pub backstop: Duration,
    /// How long a node may go silent while running a void call before
    /// another node runs the call again (it reports every third of this).
    pub ack_wait: Duration,
    /// How many void calls this node runs at once.
    pub void_runners: usize,
}

impl ClusterOptions {
    /// The defaults: a 30 s backstop, a 30 s silence allowance and 8 void
    /// calls at a time.
    pub fn new(client: Client, name: ClusterName) -> Self {
        Self {
            client,
            name,
            backstop: Duration::from_secs(30),
            ack_wait: Duration::from_secs(30),
            void_runners: 8,
        }
    }
}

/// The object-store bucket of the cluster `name`'s modules (see
/// [`JetStreamModuleStore`](crate::module_store::jetstream::JetStreamModuleStore)).
pub fn modules_bucket(name: &ClusterName) -> String {
    format!("{name}_modules")
}

/// The object-store bucket of the cluster `name`'s Data API files (see
/// [`ClusterDataStore`](crate::data_store::cluster::ClusterDataStore)).
pub fn files_bucket(name: &ClusterName) -> String {
    format!("{name}_files")
}

/// The object-store bucket of the compiled code the cluster `name`'s
/// nodes share (see [`JetStreamCodeShelf`](crate::code_shelf::JetStreamCodeShelf)).
pub fn code_bucket(name: &ClusterName) -> String {
    format!("{name}_code")
}

/// Deletes everything the cluster `name` keeps in NATS: its modules, its
/// Data API files' bytes, its shared compiled code, its void-call stream
/// and their records and data. For tearing a cluster down, and for tests;
/// the nodes must be stopped first. Parts already gone are skipped.
pub async fn remove_cluster(client: &Client, name: &ClusterName) {
    let jetstream = async_nats::jetstream::new(client.clone());
    let _gone = jetstream.delete_stream(format!("{name}_calls")).await;
    let _gone = jetstream.delete_key_value(format!("{name}_requests")).await;
    let _gone = jetstream
        .delete_object_store(format!("{name}_call_data"))
        .await;
    let _gone = jetstream.delete_object_store(modules_bucket(name)).await;
    let _gone = jetstream.delete_object_store(files_bucket(name)).await;
    let _gone = jetstream.delete_object_store(code_bucket(name)).await;
}

/// What a node holds once it joined.
pub(crate) struct ClusterLink {
    pub(crate) invalidations: Invalidations,
    pub(crate) calls: ClusterCalls,
    backstop: Duration,
}

impl Platform {
    /// Joins the cluster `options.name` on NATS (see the [module
    /// documentation](crate::cluster)); the node starts running the
    /// cluster's void calls at once. Several clusters may share one NATS
    /// server under different names. A platform joins at most once.
    pub async fn join_cluster(&self, options: ClusterOptions) -> Result<(), PlatformError> {
        let unreachable = |what: &str, err: &dyn std::fmt::Display| {
            PlatformError::Internal(format!(
                "cannot set up the cluster's {what} on NATS: {err}; check that NATS is reachable with JetStream enabled"
            ))
        };
        let invalidations =
            invalidations::connect(options.client.clone(), &options.name, &self.inner)
                .await
                .map_err(|err| unreachable("invalidations", &err))?;
        let settings = QueueSettings {
            ack_wait: options.ack_wait,
            runners: options.void_runners.max(1),
            keep_results: self.inner.calls.retention(),
            per_account: self.inner.slots.void_calls_per_account(),
        };
        let calls = ClusterCalls::open(options.client, &options.name, &self.inner.node, settings)
            .await
            .map_err(|err| unreachable("void-call queue", &err))?;
        let link = ClusterLink {
            invalidations,
            calls,
            backstop: options.backstop,
        };
        if self.inner.cluster.set(link).is_err() {
            return Err(PlatformError::Internal(
                "this platform has already joined a cluster".to_owned(),
            ));
        }
        let runner = self.inner.cluster.get().expect("just set").calls.clone();
        runner.start(self);
        Ok(())
    }

    /// Whether this node can serve: it is not draining, its registry
    /// answers and, in a cluster, its NATS connection is up. The error
    /// says what is not.
    pub async fn readiness(&self) -> Result<(), String> {
        if self.is_draining() {
            return Err(
                "the node is shutting down and drains its requests and void calls; send new requests to another node"
                    .to_owned(),
            );
        }
        let admin: crate::identity::AccountName = "admin".parse().expect("a valid name");
        self.inner
            .registry
            .account(&admin)
            .await
            .map_err(|err| format!("the registry does not answer: {err}"))?;
        if let Some(link) = self.inner.cluster.get() {
            link.calls.connected().map_err(|state| {
                format!("the connection to NATS is {state}; the node reconnects on its own")
            })?;
        }
        Ok(())
    }

    /// How long a cached listing is trusted: a cluster's backstop, or a
    /// single node's short lifetime (other processes may write to its
    /// registry).
    pub(crate) fn listing_ttl(&self) -> Duration {
        self.inner
            .cluster
            .get()
            .map_or(CACHE_TTL, |link| link.backstop)
    }
}
