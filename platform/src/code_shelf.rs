//! Compiled code that a cluster's nodes share, in a NATS JetStream object
//! store: the platform's side of the runtime's
//! [`CodeShelf`](algobox_runtime::shared_code::CodeShelf) port.
//!
//! The bucket holds opaque bytes; the runtime signs what it shares and
//! checks what it fetches (see [`algobox_runtime::shared_code`]), so
//! nothing here needs the cluster's secret.

use std::time::Duration;

use async_nats::jetstream::Context;
use async_nats::jetstream::object_store::{self, GetErrorKind, ObjectStore};
use tokio::io::AsyncReadExt as _;

use algobox_runtime::shared_code::{CodeShelf, ShelfError, ShelfFuture};

use crate::object_bucket;

/// How long shared code is kept after it was last written. Code for
/// modules no longer called, or for engines no node runs any more, would
/// otherwise pile up forever; code still in use is only ever fetched by a
/// node whose local cache lacks it, which then compiles and shares it
/// again.
pub const KEEP_SHARED_CODE: Duration = Duration::from_secs(30 * 24 * 3600);

/// A [`CodeShelf`] in one JetStream object-store bucket.
///
/// # Example
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use algobox_platform::code_shelf::JetStreamCodeShelf;
/// use algobox_runtime::shared_code::SharedCode;
///
/// let client = async_nats::connect("127.0.0.1:4222").await?;
/// let jetstream = async_nats::jetstream::new(client);
/// let shelf = JetStreamCodeShelf::open(&jetstream, "algobox_code").await?;
/// let shared = SharedCode::new(Arc::new(shelf), b"a long random cluster secret")?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JetStreamCodeShelf {
    bucket: ObjectStore,
    name: String,
}

impl std::fmt::Debug for JetStreamCodeShelf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamCodeShelf")
            .field("bucket", &self.name)
            .finish()
    }
}

impl JetStreamCodeShelf {
    /// Uses the object-store bucket `bucket`, creating it if no node has
    /// yet. Several nodes may open the same bucket at once.
    pub async fn open(jetstream: &Context, bucket: &str) -> Result<Self, ShelfError> {
        let config = object_store::Config {
            bucket: bucket.to_owned(),
            description: Some(
                "algobox: compiled code shared by the nodes, signed with the cluster's secret"
                    .to_owned(),
            ),
            max_age: KEEP_SHARED_CODE,
            ..object_store::Config::default()
        };
        let store = object_bucket::open_or_create(jetstream, config)
            .await
            .map_err(|err| {
                ShelfError::new(format!(
                    "cannot open the object store {bucket} for shared compiled code: {err}; check that NATS has JetStream enabled"
                ))
            })?;
        Ok(Self {
            bucket: store,
            name: bucket.to_owned(),
        })
    }

    fn error(&self, action: &str, object: &str, err: impl std::fmt::Display) -> ShelfError {
        ShelfError::new(format!(
            "cannot {action} {object} in the object store {}: {err}",
            self.name
        ))
    }
}

impl CodeShelf for JetStreamCodeShelf {
    fn get(&self, name: String) -> ShelfFuture<Option<Vec<u8>>> {
        let shelf = self.clone();
        Box::pin(async move {
            let mut object = match shelf.bucket.get(name.as_str()).await {
                Ok(object) => object,
                Err(err) if err.kind() == GetErrorKind::NotFound => return Ok(None),
                Err(err) => return Err(shelf.error("read", &name, err)),
            };
            let mut bytes = Vec::with_capacity(object.info().size);
            object
                .read_to_end(&mut bytes)
                .await
                .map_err(|err| shelf.error("read", &name, err))?;
            Ok(Some(bytes))
        })
    }

    fn put(&self, name: String, bytes: Vec<u8>) -> ShelfFuture<()> {
        let shelf = self.clone();
        Box::pin(async move {
            // Two nodes sharing the same code at once both write; the later
            // metadata wins, and either object is whole and signed.
            shelf
                .bucket
                .put(name.as_str(), &mut bytes.as_slice())
                .await
                .map_err(|err| shelf.error("write", &name, err))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nats_fixture::with_object_bucket;

    #[tokio::test]
    async fn what_one_shelf_puts_another_on_the_same_bucket_gets_whole() {
        with_object_bucket("code", |jetstream, bucket| async move {
            let writer = JetStreamCodeShelf::open(&jetstream, &bucket).await.unwrap();
            let reader = JetStreamCodeShelf::open(&jetstream, &bucket).await.unwrap();
            let name = |hash: &str| format!("engine-0000000000000001/{hash}");
            assert_eq!(reader.get(name("aa")).await.unwrap(), None);

            // Larger than one chunk, so reassembly is exercised.
            let code: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            writer.put(name("aa"), code.clone()).await.unwrap();
            assert_eq!(reader.get(name("aa")).await.unwrap(), Some(code));
            // A replacement is read whole too, and other names stay empty.
            writer.put(name("aa"), b"newer".to_vec()).await.unwrap();
            assert_eq!(
                reader.get(name("aa")).await.unwrap(),
                Some(b"newer".to_vec())
            );
            assert_eq!(reader.get(name("ab")).await.unwrap(), None);
        })
        .await;
    }
}
