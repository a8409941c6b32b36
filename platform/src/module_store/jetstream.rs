//! Modules in a NATS JetStream object store, shared by every node of a
//! cluster: a module uploaded through one node is callable through all.
//!
//! Each module is one object named by its hash. The object store writes an
//! object's chunks first and its metadata last, and readers find objects by
//! their metadata, so a reader sees a whole module or none: a node killed
//! mid-upload leaves only unreferenced chunks, never a partial module.

use async_nats::jetstream::Context;
use async_nats::jetstream::object_store::{self, GetErrorKind, InfoErrorKind, ObjectStore};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use tokio::io::AsyncReadExt as _;

use algobox_runtime::content_hash::ContentHash;

use crate::module_store::{ModuleStore, ModuleStoreError};
use crate::object_bucket;

/// A [`ModuleStore`] in one JetStream object-store bucket.
///
/// # Example
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use algobox_platform::module_store::ModuleStore;
/// use algobox_platform::module_store::jetstream::JetStreamModuleStore;
///
/// let client = async_nats::connect("127.0.0.1:4222").await?;
/// let jetstream = async_nats::jetstream::new(client);
/// let store = JetStreamModuleStore::open(&jetstream, "algobox_modules").await?;
/// let hash = store.put(b"\0asm\x01\0\0\0".to_vec()).await?;
/// assert!(store.contains(&hash).await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JetStreamModuleStore {
    bucket: ObjectStore,
    name: String,
}

impl std::fmt::Debug for JetStreamModuleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamModuleStore")
            .field("bucket", &self.name)
            .finish()
    }
}

impl JetStreamModuleStore {
    /// Uses the object-store bucket `bucket`, creating it if no node has
    /// yet. Several nodes may open the same bucket at once.
    pub async fn open(jetstream: &Context, bucket: &str) -> Result<Self, ModuleStoreError> {
        let config = object_store::Config {
            bucket: bucket.to_owned(),
            description: Some("algobox: uploaded modules, named by SHA-256".to_owned()),
            ..object_store::Config::default()
        };
        let store = object_bucket::open_or_create(jetstream, config)
            .await
            .map_err(|message| ModuleStoreError::JetStream {
                action: "open",
                bucket: bucket.to_owned(),
                object: "the bucket".to_owned(),
                message,
            })?;
        Ok(Self {
            bucket: store,
            name: bucket.to_owned(),
        })
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.name
    }

    /// Deletes the bucket and every module in it (for tests and for
    /// tearing a cluster down).
    pub async fn delete_bucket(jetstream: &Context, bucket: &str) -> Result<(), ModuleStoreError> {
        jetstream
            .delete_object_store(bucket)
            .await
            .map_err(|err| ModuleStoreError::JetStream {
                action: "delete",
                bucket: bucket.to_owned(),
                object: "the bucket".to_owned(),
                message: err.to_string(),
            })
    }

    /// Whether the stored object's own SHA-256 is `hash`: then it holds
    /// exactly these bytes, and a `put` has nothing to do.
    async fn holds_intact(&self, hash: &ContentHash) -> Result<bool, ModuleStoreError> {
        match self.bucket.info(hash.to_string()).await {
            Ok(info) => Ok(!info.deleted && info.digest == Some(digest_of(hash))),
            Err(err) if err.kind() == InfoErrorKind::NotFound => Ok(false),
            Err(err) => Err(self.error("check", hash, err)),
        }
    }

    fn error(
        &self,
        action: &'static str,
        hash: &ContentHash,
        err: impl std::fmt::Display,
    ) -> ModuleStoreError {
        ModuleStoreError::JetStream {
            action,
            bucket: self.name.clone(),
            object: hash.to_string(),
            message: err.to_string(),
        }
    }
}

#[async_trait]
impl ModuleStore for JetStreamModuleStore {
    async fn put(&self, bytes: Vec<u8>) -> Result<ContentHash, ModuleStoreError> {
        let hash = ContentHash::of(&bytes);
        if self.holds_intact(&hash).await? {
            return Ok(hash);
        }
        // Two nodes storing the same new module both write it; the later
        // metadata wins and purges the earlier chunks, and both name the
        // same bytes, so either outcome is the module.
        self.bucket
            .put(hash.to_string().as_str(), &mut bytes.as_slice())
            .await
            .map_err(|err| self.error("store", &hash, err))?;
        Ok(hash)
    }

    async fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, ModuleStoreError> {
        let mut object = match self.bucket.get(hash.to_string()).await {
            Ok(object) => object,
            Err(err) if err.kind() == GetErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(self.error("read", hash, err)),
        };
        let mut bytes = Vec::with_capacity(object.info().size);
        object
            .read_to_end(&mut bytes)
            .await
            .map_err(|err| self.error("read", hash, err))?;
        let actual = ContentHash::of(&bytes);
        if actual != *hash {
            return Err(ModuleStoreError::Corrupt {
                expected: *hash,
                actual,
                location: format!("object {hash} in the JetStream object store {}", self.name),
            });
        }
        Ok(Some(bytes))
    }

    async fn contains(&self, hash: &ContentHash) -> Result<bool, ModuleStoreError> {
        match self.bucket.info(hash.to_string()).await {
            Ok(info) => Ok(!info.deleted),
            Err(err) if err.kind() == InfoErrorKind::NotFound => Ok(false),
            Err(err) => Err(self.error("check", hash, err)),
        }
    }
}

/// The object store's own record of an object's SHA-256, as it writes it.
fn digest_of(hash: &ContentHash) -> String {
    format!("SHA-256={}", URL_SAFE.encode(hash.as_bytes()))
}

#[cfg(test)]
mod tests;
