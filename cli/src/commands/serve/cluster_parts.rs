//! What a cluster node keeps in NATS (and, with a registry, PostgreSQL)
//! rather than its data folder.

use std::sync::Arc;
use std::time::Duration;

use algobox_platform::cluster::{code_bucket, files_bucket, modules_bucket};
use algobox_platform::code_shelf::JetStreamCodeShelf;
use algobox_platform::data_store::cluster::ClusterDataStore;
use algobox_platform::data_store::cluster::sweeper::{DEFAULT_SWEEP_EVERY, Sweeper};
use algobox_platform::identity::ClusterName;
use algobox_platform::module_store::jetstream::JetStreamModuleStore;
use algobox_platform::registry::postgres::PostgresRegistry;
use algobox_platform::shared_parts::SharedParts;
use algobox_runtime::shared_code::SharedCode;
use anyhow::Context as _;

/// A node's connection to its cluster's NATS server.
pub(super) struct ClusterConnection {
    /// For joining the cluster once the platform is open.
    pub(super) client: async_nats::Client,
    /// Deletes superseded and orphaned Data API objects while it lives,
    /// when the cluster keeps the Data API's files.
    pub(super) sweeper: Option<Sweeper>,
}

/// Connects to the cluster's NATS server at `url` and fills `shared` with
/// the parts kept there: modules, shared compiled code when the nodes hold
/// a `secret`, and Data API files when there is a `registry` to index them.
pub(super) async fn connect(
    url: &str,
    cluster: &ClusterName,
    secret: Option<&str>,
    registry: Option<&PostgresRegistry>,
    max_file_bytes: u64,
    shared: &mut SharedParts,
) -> anyhow::Result<ClusterConnection> {
    let client = async_nats::ConnectOptions::new()
        .name("algobox")
        .connection_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .with_context(|| {
            format!(
                "cannot connect to NATS at {url} (--nats, ALGOBOX_NATS); is it running, with JetStream (-js)?"
            )
        })?;
    let jetstream = async_nats::jetstream::new(client.clone());
    let modules = JetStreamModuleStore::open(&jetstream, &modules_bucket(cluster))
        .await
        .context("cannot open the cluster's module store")?;
    shared.modules = Some(Arc::new(modules));
    shared.code = match secret {
        Some(secret) => {
            let shelf = JetStreamCodeShelf::open(&jetstream, &code_bucket(cluster))
                .await
                .context("cannot open the cluster's store of shared compiled code")?;
            let code = SharedCode::new(Arc::new(shelf), secret.as_bytes())
                .context("--cluster-secret (ALGOBOX_CLUSTER_SECRET) is too weak")?;
            Some(code)
        }
        None => {
            tracing::info!(
                "each node compiles uploads for itself; give every node the same --cluster-secret (ALGOBOX_CLUSTER_SECRET) to share compiled code"
            );
            None
        }
    };
    // Data API files are shared when there is a database to index them
    // in; without one they stay in each node's data folder.
    let mut sweeper = None;
    if let Some(registry) = registry {
        let files = ClusterDataStore::open(registry, &jetstream, &files_bucket(cluster))
            .await
            .context("cannot open the cluster's Data API store")?
            .with_max_file_bytes(max_file_bytes);
        sweeper = Some(files.start_sweeper(DEFAULT_SWEEP_EVERY));
        shared.data = Some(Arc::new(files));
    }
    // Other nodes may be compiling for the shared registry.
    shared.sole_compiler = false;
    Ok(ClusterConnection { client, sweeper })
}
