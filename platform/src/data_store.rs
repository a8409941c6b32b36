//! Hosted `data://` files: collections with access lists, and the files in
//! them.
//!
//! [`DataStore`] is what the platform uses. [`FolderDataStore`](folder::FolderDataStore)
//! keeps everything in a local folder (a single node);
//! [`ClusterDataStore`](cluster::ClusterDataStore) keeps collections, access
//! lists and the file index in PostgreSQL and the bytes in a NATS JetStream
//! object store, so that every node of a cluster serves the same files. The
//! interface is async and object-safe, so either stands behind an
//! `Arc<dyn DataStore>`.
//!
//! Both stream: a [`FileReader`] hands out a file piece by piece, and a
//! [`FileWriter`](file_writer::FileWriter) takes one in pieces and makes it
//! visible whole, or not at all.

// First, so that its macro is in scope in the implementations' tests.
#[cfg(test)]
#[macro_use]
mod conformance;

pub mod acl;
pub mod cluster;
pub mod error;
pub mod file_writer;
pub mod folder;
pub mod listing;
pub mod path;
mod piece_reader;

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt as _};

use crate::data_store::acl::Acl;
use crate::data_store::error::DataError;
use crate::data_store::file_writer::FileWriter;
use crate::data_store::listing::{FileEntry, FilePage};
use crate::data_store::path::{CollectionPath, FilePath};
use crate::identity::AccountName;

/// The most bytes in one file by default: 1 GiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

/// A file being read, piece by piece: readers of a large file need not
/// hold it whole.
pub type FileReader = Pin<Box<dyn AsyncRead + Send>>;

/// The hosted data of every account.
///
/// Permissions are the caller's concern (see
/// [`Platform::read_file`](crate::Platform::read_file) and its siblings); a
/// store only keeps each owner's collections apart. Owners match without
/// regard to case, collection and file names exactly; listings are in the
/// byte order of the names.
///
/// # Example
///
/// ```
/// use algobox_platform::data_store::DataStore;
/// use algobox_platform::data_store::acl::Acl;
/// use algobox_platform::data_store::folder::FolderDataStore;
/// use algobox_platform::data_store::path::DataPath;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let folder = tempfile::tempdir()?;
/// let store = FolderDataStore::open(folder.path())?;
/// let file = DataPath::from_uri("data://.my/results/out.txt", "alice")?.into_file("out")?;
/// store.create_collection(&file.collection, Acl::default()).await?;
/// store.write(&file, b"42".to_vec()).await?;
/// assert_eq!(store.read(&file).await?, b"42");
/// # Ok(())
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
/// ```
#[async_trait]
pub trait DataStore: Send + Sync {
    /// The largest file [`writer`](Self::writer) accepts.
    fn max_file_bytes(&self) -> u64;

    /// Creates a collection with `acl`; fails with
    /// [`DataError::AlreadyExists`] if it exists.
    async fn create_collection(
        &self,
        collection: &CollectionPath,
        acl: Acl,
    ) -> Result<(), DataError>;

    /// The collection's access list, or `None` if it does not exist.
    async fn collection(&self, collection: &CollectionPath) -> Result<Option<Acl>, DataError>;

    /// Replaces an existing collection's access list.
    async fn set_acl(&self, collection: &CollectionPath, acl: &Acl) -> Result<(), DataError>;

    /// The collections of `owner`, by name, with their access lists.
    async fn collections(&self, owner: &AccountName) -> Result<Vec<(String, Acl)>, DataError>;

    /// Deletes a collection. Without `force` it must be empty; with it, its
    /// files go too. Returns how many files were deleted.
    async fn delete_collection(
        &self,
        collection: &CollectionPath,
        force: bool,
    ) -> Result<u64, DataError>;

    /// One page of a collection's files in name order, after `marker` (the
    /// previous page's).
    async fn list(
        &self,
        collection: &CollectionPath,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<FilePage, DataError>;

    /// A file's listing entry, or `None` if there is no such file.
    async fn info(&self, file: &FilePath) -> Result<Option<FileEntry>, DataError>;

    /// Opens a file to read it piece by piece, with its size.
    async fn open_reader(&self, file: &FilePath) -> Result<(FileReader, u64), DataError>;

    /// Starts writing a file piece by piece into an existing collection;
    /// nothing is visible until [`FileWriter::commit`], which replaces any
    /// file of that name at once.
    async fn writer(&self, file: &FilePath) -> Result<FileWriter, DataError>;

    /// Deletes a file; `false` if there was none.
    async fn delete(&self, file: &FilePath) -> Result<bool, DataError>;

    /// Creates the collection with the default access list unless it
    /// exists already.
    async fn ensure_collection(&self, collection: &CollectionPath) -> Result<(), DataError> {
        match self.create_collection(collection, Acl::default()).await {
            Err(DataError::AlreadyExists(_)) => Ok(()),
            other => other,
        }
    }

    /// Reads a whole file of at most `limit` bytes; a larger one is refused
    /// by its size, before any of it is read, and one that grows while it
    /// is read is cut off at the limit and refused.
    async fn read_at_most(&self, file: &FilePath, limit: u64) -> Result<Vec<u8>, DataError> {
        let (reader, size) = self.open_reader(file).await?;
        let too_large = |size| DataError::TooLargeToRead {
            file: file.to_string(),
            size,
            limit,
        };
        if size > limit {
            return Err(too_large(size));
        }
        let mut contents = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        reader
            .take(limit.saturating_add(1))
            .read_to_end(&mut contents)
            .await
            .map_err(DataError::io(format!("read {file}")))?;
        if contents.len() as u64 > limit {
            return Err(too_large(contents.len() as u64));
        }
        Ok(contents)
    }

    /// Reads a whole file.
    async fn read(&self, file: &FilePath) -> Result<Vec<u8>, DataError> {
        self.read_at_most(file, u64::MAX).await
    }

    /// Writes a whole file, replacing any file of that name at once.
    async fn write(&self, file: &FilePath, contents: Vec<u8>) -> Result<(), DataError> {
        let mut writer = self.writer(file).await?;
        writer.write(Bytes::from(contents)).await?;
        writer.commit().await
    }
}
