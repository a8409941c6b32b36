//! Opening a NATS JetStream object-store bucket that several nodes may be
//! creating at the same moment.

use async_nats::jetstream::Context;
use async_nats::jetstream::object_store::{Config, ObjectStore};

/// Opens the bucket `config.bucket`, creating it if no node has yet.
///
/// Creating a bucket that exists with the same configuration succeeds, so
/// nodes racing to create it all get it; opening covers a bucket an
/// operator made with other settings (replicas, limits). When both fail,
/// the error says why each did.
pub(crate) async fn open_or_create(
    jetstream: &Context,
    config: Config,
) -> Result<ObjectStore, String> {
    let bucket = config.bucket.clone();
    match jetstream.create_object_store(config).await {
        Ok(store) => Ok(store),
        Err(create) => jetstream
            .get_object_store(&bucket)
            .await
            .map_err(|get| format!("creating it failed ({create}), and so did opening it ({get})")),
    }
}
