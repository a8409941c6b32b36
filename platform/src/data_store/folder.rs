//! Hosted `data://` files in a local folder, for a single node.
//!
//! The folder's work is blocking file-system calls (`tree`); this store
//! runs them on the blocking pool, so the async threads never wait on the
//! disk.

mod staged_file;
mod staging;
#[cfg(test)]
mod tests;
mod tree;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::data_store::acl::Acl;
use crate::data_store::error::DataError;
use crate::data_store::file_writer::{FileWriter, Piece};
use crate::data_store::folder::tree::Tree;
use crate::data_store::listing::{FileEntry, FilePage};
use crate::data_store::path::{CollectionPath, FilePath};
use crate::data_store::{DEFAULT_MAX_FILE_BYTES, DataStore, FileReader};
use crate::identity::AccountName;

/// A [`DataStore`] in one folder: `OWNER/COLLECTION/FILE`, each path
/// opened one checked name at a time and never through a symbolic link.
#[derive(Debug, Clone)]
pub struct FolderDataStore {
    tree: Arc<Tree>,
    max_file_bytes: u64,
}

impl FolderDataStore {
    /// Opens (creating) the folder, and removes what writes an earlier
    /// process left half done.
    pub fn open(folder: impl AsRef<Path>) -> Result<Self, DataError> {
        Ok(Self {
            tree: Arc::new(Tree::open(folder.as_ref())?),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        })
    }

    /// Sets the largest file [`writer`](DataStore::writer) accepts.
    pub fn with_max_file_bytes(mut self, limit: u64) -> Self {
        self.max_file_bytes = limit;
        self
    }

    /// Runs blocking work on the folder off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Tree) -> Result<T, DataError> + Send + 'static,
    ) -> Result<T, DataError> {
        let tree = Arc::clone(&self.tree);
        tokio::task::spawn_blocking(move || work(&tree))
            .await
            .map_err(|err| interrupted(&err))?
    }
}

/// A blocking task that did not finish (it panicked, or the runtime is
/// shutting down).
fn interrupted(err: &tokio::task::JoinError) -> DataError {
    DataError::io("finish a data folder operation")(std::io::Error::other(err.to_string()))
}

#[async_trait]
impl DataStore for FolderDataStore {
    fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    async fn create_collection(
        &self,
        collection: &CollectionPath,
        acl: Acl,
    ) -> Result<(), DataError> {
        let collection = collection.clone();
        self.blocking(move |tree| tree.create_collection(&collection, acl))
            .await
    }

    async fn collection(&self, collection: &CollectionPath) -> Result<Option<Acl>, DataError> {
        let collection = collection.clone();
        self.blocking(move |tree| tree.collection(&collection))
            .await
    }

    async fn set_acl(&self, collection: &CollectionPath, acl: &Acl) -> Result<(), DataError> {
        let (collection, acl) = (collection.clone(), acl.clone());
        self.blocking(move |tree| tree.set_acl(&collection, &acl))
            .await
    }

    async fn collections(&self, owner: &AccountName) -> Result<Vec<(String, Acl)>, DataError> {
        let owner = owner.clone();
        self.blocking(move |tree| tree.collections(&owner)).await
    }

    async fn delete_collection(
        &self,
        collection: &CollectionPath,
        force: bool,
    ) -> Result<u64, DataError> {
        let collection = collection.clone();
        self.blocking(move |tree| tree.delete_collection(&collection, force))
            .await
    }

    async fn list(
        &self,
        collection: &CollectionPath,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<FilePage, DataError> {
        let (collection, marker) = (collection.clone(), marker.map(str::to_owned));
        self.blocking(move |tree| tree.list(&collection, marker.as_deref(), limit))
            .await
    }

    async fn info(&self, file: &FilePath) -> Result<Option<FileEntry>, DataError> {
        let file = file.clone();
        self.blocking(move |tree| tree.info(&file)).await
    }

    async fn open_reader(&self, file: &FilePath) -> Result<(FileReader, u64), DataError> {
        let file = file.clone();
        let (opened, size) = self.blocking(move |tree| tree.open_reader(&file)).await?;
        // Tokio's file reads on the blocking pool, a piece at a time.
        Ok((Box::pin(tokio::fs::File::from_std(opened)), size))
    }

    async fn writer(&self, file: &FilePath) -> Result<FileWriter, DataError> {
        let file = file.clone();
        let staged = self.blocking(move |tree| tree.writer(&file)).await?;
        Ok(FileWriter::new(self.max_file_bytes, move |mut pieces| {
            tokio::task::spawn_blocking(move || {
                let mut staged = staged;
                while let Some(piece) = pieces.blocking_recv() {
                    match piece {
                        Piece::Bytes(bytes) => staged.write(&bytes)?,
                        Piece::End => return staged.commit(),
                    }
                }
                // Abandoned: dropping the staged file removes it, and no
                // one waits for this result.
                Ok(())
            })
        }))
    }

    async fn delete(&self, file: &FilePath) -> Result<bool, DataError> {
        let file = file.clone();
        self.blocking(move |tree| tree.delete(&file)).await
    }
}
