//! Hosted data with the caller's permissions: the owner (or a member of the
//! owning organization) reads and writes, others read public collections,
//! and a collection a caller cannot read does not exist to it.
//!
//! The HTTP Data API and running algorithms both come through here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use algobox_host_api::AlgoError;

use bytes::Bytes;

use crate::{Caller, Platform};

use crate::data_store::acl::Acl;
use crate::data_store::error::DataError;
use crate::data_store::file_writer::FileWriter;
use crate::data_store::listing::{FileEntry, FilePage};
use crate::data_store::path::{CollectionPath, DataPath, FilePath};
use crate::data_store::{DataStore, FileReader};
use crate::error::PlatformError;
use crate::identity::AccountName;
use algobox_runtime::data_access::{DataAccess, DataFuture};

/// What a caller may do with a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Access {
    None,
    Read,
    Write,
}

impl Platform {
    /// The hosted data store, without permission checks.
    pub fn data(&self) -> &Arc<dyn DataStore> {
        &self.inner.data
    }

    /// What `caller` may do with `collection` (which may not exist yet).
    async fn access(
        &self,
        caller: &Caller,
        collection: &CollectionPath,
    ) -> Result<(Access, Option<Acl>), PlatformError> {
        // Read from the store every time, never cached: a changed access
        // list takes effect at once, on every node of a cluster.
        let (acl, manages) = tokio::join!(
            self.inner.data.collection(collection),
            self.manages(caller, &collection.owner)
        );
        let (acl, manages) = (acl?, manages?);
        let access = match &acl {
            _ if manages => Access::Write,
            Some(acl) if acl.is_public() => Access::Read,
            _ => Access::None,
        };
        Ok((access, acl))
    }

    /// Checks `caller` may `need` `collection`, which must exist.
    async fn require(
        &self,
        caller: &Caller,
        collection: &CollectionPath,
        need: Access,
    ) -> Result<Acl, PlatformError> {
        let (access, acl) = self.access(caller, collection).await?;
        match acl {
            Some(acl) if access >= need => Ok(acl),
            acl => Err(refusal(caller, collection, access, acl.is_some())),
        }
    }

    /// Reads a file of at most `max_bytes`; a larger one is refused before
    /// it is read.
    pub async fn read_file(
        &self,
        caller: &Caller,
        file: &FilePath,
        max_bytes: u64,
    ) -> Result<Vec<u8>, PlatformError> {
        self.require(caller, &file.collection, Access::Read).await?;
        Ok(self.inner.data.read_at_most(file, max_bytes).await?)
    }

    /// Opens a file to read it piece by piece, with its size.
    pub async fn open_file(
        &self,
        caller: &Caller,
        file: &FilePath,
    ) -> Result<(FileReader, u64), PlatformError> {
        self.require(caller, &file.collection, Access::Read).await?;
        Ok(self.inner.data.open_reader(file).await?)
    }

    /// A file's size and time, or `None` if there is no such file the
    /// caller can see.
    pub async fn file_info(
        &self,
        caller: &Caller,
        file: &FilePath,
    ) -> Result<Option<FileEntry>, PlatformError> {
        match self.require(caller, &file.collection, Access::Read).await {
            Ok(_) => {}
            Err(PlatformError::Data(DataError::NotFound(_))) => return Ok(None),
            Err(err) => return Err(err),
        }
        Ok(self.inner.data.info(file).await?)
    }

    /// Starts writing a file; the owner's collection is created (with the
    /// default access list) if missing, so an algorithm can write its
    /// results without a set-up step.
    pub async fn file_writer(
        &self,
        caller: &Caller,
        file: &FilePath,
    ) -> Result<FileWriter, PlatformError> {
        // Unlike `require`, a collection that does not exist yet will do.
        let (access, acl) = self.access(caller, &file.collection).await?;
        if access < Access::Write {
            return Err(refusal(caller, &file.collection, access, acl.is_some()));
        }
        self.inner.data.ensure_collection(&file.collection).await?;
        Ok(self.inner.data.writer(file).await?)
    }

    /// Writes a whole file (see [`file_writer`](Self::file_writer)).
    pub async fn write_file(
        &self,
        caller: &Caller,
        file: &FilePath,
        contents: Vec<u8>,
    ) -> Result<(), PlatformError> {
        let mut writer = self.file_writer(caller, file).await?;
        writer.write(Bytes::from(contents)).await?;
        Ok(writer.commit().await?)
    }

    /// Deletes a file; `false` if there was none.
    pub async fn delete_file(
        &self,
        caller: &Caller,
        file: &FilePath,
    ) -> Result<bool, PlatformError> {
        self.require(caller, &file.collection, Access::Write)
            .await?;
        Ok(self.inner.data.delete(file).await?)
    }

    /// Creates a collection of an owner the caller manages.
    pub async fn create_collection(
        &self,
        caller: &Caller,
        collection: &CollectionPath,
        acl: Acl,
    ) -> Result<(), PlatformError> {
        if !self.manages(caller, &collection.owner).await? {
            return Err(DataError::Forbidden(format!(
                "{} may not create collections of {}; use a key of {0} or of a member of that organization",
                caller.name, collection.owner
            ))
            .into());
        }
        Ok(self.inner.data.create_collection(collection, acl).await?)
    }

    /// One page of a collection's files, and its access list.
    pub async fn list_collection(
        &self,
        caller: &Caller,
        collection: &CollectionPath,
        marker: Option<String>,
        limit: usize,
    ) -> Result<(FilePage, Acl), PlatformError> {
        let acl = self.require(caller, collection, Access::Read).await?;
        let page = self
            .inner
            .data
            .list(collection, marker.as_deref(), limit)
            .await?;
        Ok((page, acl))
    }

    /// Replaces a collection's access list.
    pub async fn set_collection_acl(
        &self,
        caller: &Caller,
        collection: &CollectionPath,
        acl: Acl,
    ) -> Result<(), PlatformError> {
        self.require(caller, collection, Access::Write).await?;
        Ok(self.inner.data.set_acl(collection, &acl).await?)
    }

    /// Deletes a collection (with its files if `force`); returns how many
    /// files went with it.
    pub async fn delete_collection(
        &self,
        caller: &Caller,
        collection: &CollectionPath,
        force: bool,
    ) -> Result<u64, PlatformError> {
        self.require(caller, collection, Access::Write).await?;
        Ok(self.inner.data.delete_collection(collection, force).await?)
    }

    /// The collections of `owner` that `caller` can read, with their
    /// access lists.
    pub async fn collections(
        &self,
        caller: &Caller,
        owner: &AccountName,
    ) -> Result<Vec<(String, Acl)>, PlatformError> {
        let manages = self.manages(caller, owner).await?;
        let all = self.inner.data.collections(owner).await?;
        Ok(all
            .into_iter()
            .filter(|(_, acl)| manages || acl.is_public())
            .collect())
    }
}

/// Why `caller`, with `access` to `collection`, may not do more: a
/// collection it cannot read does not exist to it.
fn refusal(
    caller: &Caller,
    collection: &CollectionPath,
    access: Access,
    exists: bool,
) -> PlatformError {
    if exists && access >= Access::Read {
        DataError::Forbidden(format!(
            "{} may read {collection} but not change it; only its owner can",
            caller.name
        ))
        .into()
    } else {
        DataError::NotFound(collection.to_string()).into()
    }
}

/// `data://` for one running algorithm, acting for the caller that started
/// the chain of calls.
pub(crate) struct PlatformData {
    pub(crate) platform: Platform,
    pub(crate) caller: Caller,
}

impl PlatformData {
    fn file(&self, uri: &str) -> Result<FilePath, AlgoError> {
        DataPath::from_uri(uri, self.caller.name.as_str())
            .and_then(|path| path.into_file(uri))
            .map_err(|err| AlgoError::input(err.to_string()))
    }

    fn collection(&self, uri: &str) -> Result<CollectionPath, AlgoError> {
        DataPath::from_uri(uri, self.caller.name.as_str())
            .and_then(|path| path.into_collection(uri))
            .map_err(|err| AlgoError::input(err.to_string()))
    }
}

/// The error an algorithm sees, with Algorithmia's error types.
fn algo_error(err: PlatformError) -> AlgoError {
    let code = match &err {
        PlatformError::Data(DataError::Path(_) | DataError::Invalid(_)) => "InputError",
        PlatformError::Data(DataError::NotFound(_)) => "EntityNotFoundError",
        PlatformError::Data(DataError::Forbidden(_)) | PlatformError::Forbidden(_) => {
            "PermissionDenied"
        }
        PlatformError::Data(DataError::TooLarge { .. }) => "InputError",
        PlatformError::Data(DataError::TooLargeToRead { .. }) => "TooLargeError",
        _ => "DataError",
    };
    AlgoError::new(err.to_string()).with_code(code)
}

fn run<T: Send + 'static>(
    work: impl Future<Output = Result<T, AlgoError>> + Send + 'static,
) -> Pin<Box<dyn Future<Output = Result<T, AlgoError>> + Send>> {
    Box::pin(work)
}

impl DataAccess for PlatformData {
    fn read(&self, uri: String, max_bytes: u64) -> DataFuture<Vec<u8>> {
        let (platform, caller, file) =
            (self.platform.clone(), self.caller.clone(), self.file(&uri));
        run(async move {
            platform
                .read_file(&caller, &file?, max_bytes)
                .await
                .map_err(algo_error)
        })
    }

    fn write(&self, uri: String, contents: Vec<u8>) -> DataFuture<()> {
        let (platform, caller, file) =
            (self.platform.clone(), self.caller.clone(), self.file(&uri));
        run(async move {
            platform
                .write_file(&caller, &file?, contents)
                .await
                .map_err(algo_error)
        })
    }

    fn exists(&self, uri: String) -> DataFuture<bool> {
        let (platform, caller, file) =
            (self.platform.clone(), self.caller.clone(), self.file(&uri));
        run(async move {
            Ok(platform
                .file_info(&caller, &file?)
                .await
                .map_err(algo_error)?
                .is_some())
        })
    }

    fn delete(&self, uri: String) -> DataFuture<()> {
        let (platform, caller, file) =
            (self.platform.clone(), self.caller.clone(), self.file(&uri));
        run(async move {
            let file = file?;
            match platform
                .delete_file(&caller, &file)
                .await
                .map_err(algo_error)?
            {
                true => Ok(()),
                false => Err(algo_error(DataError::NotFound(file.to_string()).into())),
            }
        })
    }

    fn list(&self, uri: String) -> DataFuture<Vec<String>> {
        let platform = self.platform.clone();
        let caller = self.caller.clone();
        let collection = self.collection(&uri);
        run(async move {
            let collection = collection?;
            let mut names = Vec::new();
            let mut marker = None;
            loop {
                let (page, _) = platform
                    .list_collection(
                        &caller,
                        &collection,
                        marker,
                        crate::data_store::listing::MAX_PAGE,
                    )
                    .await
                    .map_err(algo_error)?;
                names.extend(page.files.into_iter().map(|file| file.filename));
                match page.marker {
                    Some(next) => marker = Some(next),
                    None => return Ok(names),
                }
            }
        })
    }
}
