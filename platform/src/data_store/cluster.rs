//! Hosted `data://` files shared by the nodes of a cluster: collections,
//! access lists and the file index in PostgreSQL (the registry's database),
//! the bytes in a NATS JetStream object store (`<cluster>_files`).
//!
//! The object store cannot list by prefix or page, so it holds only bytes,
//! each file's under a key of its own that no other write uses. A write
//! uploads a new object, then, in one transaction, points the index at it
//! and records the object it replaced as superseded. Superseded objects
//! stay for a grace period, so that reads which began before the replace
//! (or delete) end whole; then a sweeper, on any node, deletes them. A
//! node killed between upload and commit leaves an object no row names
//! (wasted space, never a half file), which the sweeper deletes once it
//! is older than the grace period: readers find files through the index
//! only, and the object store makes an object visible only once its last
//! chunk is stored.

mod collection_rows;
mod file_rows;
mod superseded_rows;
pub mod sweeper;
#[cfg(test)]
mod tests;

use std::time::Duration;

use async_nats::jetstream::Context;
use async_nats::jetstream::object_store::{
    self, DeleteErrorKind, GetErrorKind, ObjectMetadata, ObjectStore,
};
use async_trait::async_trait;
use deadpool_postgres::{Object, Pool, PoolError};

use crate::data_store::acl::Acl;
use crate::data_store::cluster::sweeper::DEFAULT_GRACE;
use crate::data_store::error::DataError;
use crate::data_store::file_writer::FileWriter;
use crate::data_store::listing::{self, FileEntry, FilePage};
use crate::data_store::path::{CollectionPath, FilePath};
use crate::data_store::piece_reader::PieceReader;
use crate::data_store::{DEFAULT_MAX_FILE_BYTES, DataStore, FileReader};
use crate::identity::AccountName;
use crate::object_bucket;
use crate::random_name::random_hex;
use crate::registry::postgres::{PostgresRegistry, describe};

/// How often a read retries when the object it was pointed at vanished:
/// a write replaced the file between reading the index and opening the
/// object.
const READ_ATTEMPTS: usize = 3;

/// A [`DataStore`] shared by a cluster's nodes: what one node writes,
/// every node reads.
///
/// # Example
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use algobox_platform::data_store::cluster::ClusterDataStore;
/// use algobox_platform::registry::postgres::PostgresRegistry;
///
/// let registry = PostgresRegistry::connect("postgres://postgres@127.0.0.1/algobox").await?;
/// let client = async_nats::connect("127.0.0.1:4222").await?;
/// let jetstream = async_nats::jetstream::new(client);
/// let store = ClusterDataStore::open(&registry, &jetstream, "algobox_files").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ClusterDataStore {
    pool: Pool,
    /// `host:port/database`, for messages.
    target: String,
    bucket: ObjectStore,
    bucket_name: String,
    max_file_bytes: u64,
    /// How long a superseded object stays readable, and how old an object
    /// no row names must be before the sweeper takes it for an orphan.
    grace: Duration,
}

impl std::fmt::Debug for ClusterDataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterDataStore")
            .field("database", &self.target)
            .field("bucket", &self.bucket_name)
            .finish_non_exhaustive()
    }
}

impl ClusterDataStore {
    /// Keeps the index in `registry`'s database (whose migrations made its
    /// tables) and the bytes in the object-store bucket `bucket`, creating
    /// it if no node has yet. Several nodes may open one bucket at once.
    pub async fn open(
        registry: &PostgresRegistry,
        jetstream: &Context,
        bucket: &str,
    ) -> Result<Self, DataError> {
        let config = object_store::Config {
            bucket: bucket.to_owned(),
            description: Some(
                "algobox: Data API files, one object per write (the index is in PostgreSQL)"
                    .to_owned(),
            ),
            ..object_store::Config::default()
        };
        let store = object_bucket::open_or_create(jetstream, config)
            .await
            .map_err(|message| DataError::Shared {
                action: format!("open the JetStream object store {bucket}"),
                message,
            })?;
        Ok(Self {
            pool: registry.pool().clone(),
            target: registry.target().to_owned(),
            bucket: store,
            bucket_name: bucket.to_owned(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            grace: DEFAULT_GRACE,
        })
    }

    /// Sets how long a replaced or deleted file's object stays readable
    /// for reads that began before ([`DEFAULT_GRACE`] by default), which
    /// is also how old an object no row names must be before the sweeper
    /// deletes it as an orphan. Every node of a cluster should use the
    /// same.
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Sets the largest file [`writer`](DataStore::writer) accepts.
    pub fn with_max_file_bytes(mut self, limit: u64) -> Self {
        self.max_file_bytes = limit;
        self
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket_name
    }

    /// A connection from the registry's pool.
    async fn client(&self) -> Result<Object, DataError> {
        self.pool.get().await.map_err(|err| {
            let message = match err {
                PoolError::Backend(err) => describe(&err),
                other => other.to_string(),
            };
            DataError::Shared {
                action: format!("reach PostgreSQL at {}", self.target),
                message,
            }
        })
    }
}

/// Deletes one object no row names, logging a failure rather than
/// returning it: the file operation it follows is done, the cost is
/// space, and the sweeper deletes the object as an orphan later. Whether
/// the object is gone (also when it was already).
async fn delete_object(bucket: &ObjectStore, bucket_name: &str, key: &str) -> bool {
    match bucket.delete(key).await {
        Ok(()) => true,
        Err(err) if err.kind() == DeleteErrorKind::NotFound => true,
        Err(err) => {
            tracing::warn!(
                bucket = bucket_name,
                object = key,
                %err,
                "could not delete a Data API object no file uses any more; it only takes space, and the next sweep tries again"
            );
            false
        }
    }
}

/// A PostgreSQL failure while doing `action`.
fn sql(action: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> DataError {
    let shared = DataError::shared(action);
    move |err| shared(format!("PostgreSQL: {}", describe(&err)))
}

/// Column `index` of `row`. A value of another type is a storage error:
/// only a damaged or foreign database holds one.
fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    index: usize,
) -> Result<T, DataError> {
    row.try_get(index).map_err(|err| DataError::Shared {
        action: "read the Data API index in PostgreSQL".to_owned(),
        message: format!("column {index}: {}", describe(&err)),
    })
}

/// A fresh object key, 128 random bits in hex: no two writes share one.
fn fresh_key() -> String {
    random_hex::<16>()
}

#[async_trait]
impl DataStore for ClusterDataStore {
    fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    async fn create_collection(
        &self,
        collection: &CollectionPath,
        acl: Acl,
    ) -> Result<(), DataError> {
        acl.validate().map_err(DataError::Invalid)?;
        let client = self.client().await?;
        collection_rows::create(&client, collection, &acl).await
    }

    async fn collection(&self, collection: &CollectionPath) -> Result<Option<Acl>, DataError> {
        let client = self.client().await?;
        collection_rows::acl(&client, collection).await
    }

    async fn set_acl(&self, collection: &CollectionPath, acl: &Acl) -> Result<(), DataError> {
        acl.validate().map_err(DataError::Invalid)?;
        let client = self.client().await?;
        collection_rows::set_acl(&client, collection, acl).await
    }

    async fn collections(&self, owner: &AccountName) -> Result<Vec<(String, Acl)>, DataError> {
        let client = self.client().await?;
        collection_rows::of_owner(&client, owner).await
    }

    async fn delete_collection(
        &self,
        collection: &CollectionPath,
        force: bool,
    ) -> Result<u64, DataError> {
        let mut client = self.client().await?;
        collection_rows::delete(&mut client, collection, force).await
    }

    async fn list(
        &self,
        collection: &CollectionPath,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<FilePage, DataError> {
        let after = listing::continues_after(marker)?;
        let client = self.client().await?;
        let id = file_rows::collection_id(&client, collection)
            .await?
            .ok_or_else(|| DataError::NotFound(collection.to_string()))?;
        let limit = limit.clamp(1, listing::MAX_PAGE);
        // One more than a page tells whether another follows.
        let entries =
            file_rows::after(&client, id, after.as_deref(), limit + 1, collection).await?;
        Ok(listing::page(entries, None, limit))
    }

    async fn info(&self, file: &FilePath) -> Result<Option<FileEntry>, DataError> {
        let client = self.client().await?;
        file_rows::info(&client, file).await
    }

    async fn open_reader(&self, file: &FilePath) -> Result<(FileReader, u64), DataError> {
        let client = self.client().await?;
        for _ in 0..READ_ATTEMPTS {
            let (key, size) = file_rows::object(&client, file).await?;
            match self.bucket.get(&key).await {
                Ok(object) => return Ok((Box::pin(object), size)),
                // Replaced (or deleted) since the index was read: look again.
                Err(err) if err.kind() == GetErrorKind::NotFound => {}
                Err(err) => {
                    return Err(DataError::Shared {
                        action: format!("read {file} from the JetStream object store"),
                        message: err.to_string(),
                    });
                }
            }
        }
        Err(DataError::Shared {
            action: format!("read {file}"),
            message: format!(
                "it was replaced {READ_ATTEMPTS} times while being opened, or its bytes are missing from the object store {}",
                self.bucket_name
            ),
        })
    }

    async fn writer(&self, file: &FilePath) -> Result<FileWriter, DataError> {
        {
            let client = self.client().await?;
            if file_rows::collection_id(&client, &file.collection)
                .await?
                .is_none()
            {
                return Err(DataError::NotFound(file.collection.to_string()));
            }
        }
        let store = self.clone();
        let file = file.clone();
        Ok(FileWriter::new(self.max_file_bytes, move |pieces| {
            tokio::spawn(async move { store.upload(&file, PieceReader::new(pieces)).await })
        }))
    }

    async fn delete(&self, file: &FilePath) -> Result<bool, DataError> {
        let client = self.client().await?;
        file_rows::delete(&client, file).await
    }
}

impl ClusterDataStore {
    /// A writer's sink: uploads its pieces as a new object and, once they
    /// ended with a commit, points the index at it.
    async fn upload(&self, file: &FilePath, mut pieces: PieceReader) -> Result<(), DataError> {
        let key = fresh_key();
        let meta = ObjectMetadata {
            name: key.clone(),
            // For operators looking into the bucket.
            description: Some(file.to_string()),
            ..ObjectMetadata::default()
        };
        let stored = self.bucket.put(meta, &mut pieces).await.map_err(|err| {
            // The chunks stored so far have no metadata, so no reader
            // finds them.
            DataError::Shared {
                action: format!("store {file} in the JetStream object store"),
                message: err.to_string(),
            }
        })?;
        if !pieces.ended() {
            // Abandoned: the object holds part of a file, no reader ever
            // saw it, and it goes at once.
            delete_object(&self.bucket, &self.bucket_name, &key).await;
            return Ok(());
        }
        // A crash here leaves the new object unreferenced: the old file
        // stays whole.
        let committed = async {
            let mut client = self.client().await?;
            file_rows::commit(&mut client, file, &key, stored.size as u64).await
        }
        .await;
        match committed {
            // The replaced object, if any, is recorded as superseded: the
            // sweeper deletes it after the grace period.
            Ok(()) => Ok(()),
            Err(err) => {
                delete_object(&self.bucket, &self.bucket_name, &key).await;
                Err(err)
            }
        }
    }
}
