//! Hosted `data://` files in a local folder.
//!
//! The layout under the folder is `OWNER/COLLECTION/FILE` (owners in lower
//! case, since account names match without case), with each collection's
//! access list in `OWNER/.acl/COLLECTION` and writes staged in
//! `OWNER/.staging/` so a file appears whole or not at all. Every path is
//! opened through a [`cap_std`] handle on the folder, one checked name at a
//! time and never following a symbolic link, so no request can reach
//! outside the folder or through a link planted inside it.

pub mod acl;
pub mod error;
pub mod file_writer;
pub mod listing;
pub mod path;
mod staging;
#[cfg(test)]
mod tests;

use std::io::Read as _;
use std::path::Path;
use std::time::UNIX_EPOCH;

use cap_fs_ext::{DirExt as _, FollowSymlinks, OpenOptionsFollowExt as _};
use cap_std::fs::{Dir, File, OpenOptions};

use crate::data_store::acl::Acl;
use crate::data_store::error::DataError;
use crate::data_store::file_writer::FileWriter;
use crate::data_store::listing::{FileEntry, FilePage};
use crate::data_store::path::{CollectionPath, FilePath};
use crate::identity::AccountName;
use crate::timestamp::Timestamp;

/// Where each owner keeps its collections' access lists.
const ACL_DIR: &str = ".acl";

/// The hosted data of every account, in one folder.
///
/// Permissions are the caller's concern (see
/// [`Platform::data`](crate::Platform)); the store only keeps paths
/// inside its folder.
///
/// # Example
///
/// ```
/// use algobox_platform::data_store::DataStore;
/// use algobox_platform::data_store::acl::Acl;
/// use algobox_platform::data_store::path::DataPath;
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let folder = tempfile::tempdir()?;
/// let store = DataStore::open(folder.path())?;
/// let file = DataPath::from_uri("data://.my/results/out.txt", "alice")?.into_file("out")?;
/// store.create_collection(&file.collection, Acl::default())?;
/// store.write(&file, b"42")?;
/// assert_eq!(store.read(&file)?, b"42");
/// # Ok(())
/// # }
/// # demo().unwrap();
/// ```
#[derive(Debug)]
pub struct DataStore {
    root: Dir,
    max_file_bytes: u64,
}

impl DataStore {
    /// The most bytes in one file by default: 1 GiB.
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

    /// Opens (creating) the folder.
    pub fn open(folder: impl AsRef<Path>) -> Result<Self, DataError> {
        let folder = folder.as_ref();
        let action = || format!("open the data folder {}", folder.display());
        std::fs::create_dir_all(folder).map_err(DataError::io(action()))?;
        let root = Dir::open_ambient_dir(folder, cap_std::ambient_authority())
            .map_err(DataError::io(action()))?;
        let store = Self {
            root,
            max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES,
        };
        staging::sweep(&store.root)?;
        Ok(store)
    }

    /// Sets the largest file [`write`](Self::write) and
    /// [`writer`](Self::writer) accept.
    pub fn with_max_file_bytes(mut self, limit: u64) -> Self {
        self.max_file_bytes = limit;
        self
    }

    /// The largest file this store accepts.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// The owner's folder, if it has one.
    fn owner_dir(&self, owner: &AccountName) -> Result<Option<Dir>, DataError> {
        open_dir(
            &self.root,
            &owner.as_str().to_ascii_lowercase(),
            owner.as_str(),
        )
    }

    /// The owner's folder, created if missing.
    fn owner_dir_created(&self, owner: &AccountName) -> Result<Dir, DataError> {
        let name = owner.as_str().to_ascii_lowercase();
        ensure_dir(&self.root, &name, &name)?;
        open_dir(&self.root, &name, owner.as_str())?
            .ok_or_else(|| DataError::NotFound(format!("data://{owner}")))
    }

    fn collection_dir(&self, collection: &CollectionPath) -> Result<Option<Dir>, DataError> {
        match self.owner_dir(&collection.owner)? {
            Some(owner) => open_dir(&owner, &collection.name, &collection.to_string()),
            None => Ok(None),
        }
    }

    fn existing_collection(&self, collection: &CollectionPath) -> Result<Dir, DataError> {
        self.collection_dir(collection)?
            .ok_or_else(|| DataError::NotFound(collection.to_string()))
    }

    /// Creates a collection with `acl`; fails if it exists.
    pub fn create_collection(
        &self,
        collection: &CollectionPath,
        acl: Acl,
    ) -> Result<(), DataError> {
        acl.validate().map_err(DataError::Invalid)?;
        let owner = self.owner_dir_created(&collection.owner)?;
        // The folder first, so that of two creators only the winner writes
        // the list. A crash in between leaves the default list, which
        // opens the collection to no one but its owner.
        match owner.create_dir(&collection.name) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(DataError::AlreadyExists(collection.to_string()));
            }
            Err(err) => return Err(DataError::io(format!("create {collection}"))(err)),
        }
        self.write_acl(&owner, &collection.name, &acl)
    }

    /// Creates the collection with the default access list unless it
    /// exists already.
    pub fn ensure_collection(&self, collection: &CollectionPath) -> Result<(), DataError> {
        match self.create_collection(collection, Acl::default()) {
            Err(DataError::AlreadyExists(_)) => Ok(()),
            other => other,
        }
    }

    /// The collection's access list, or `None` if it does not exist.
    pub fn collection(&self, collection: &CollectionPath) -> Result<Option<Acl>, DataError> {
        let Some(owner) = self.owner_dir(&collection.owner)? else {
            return Ok(None);
        };
        if open_dir(&owner, &collection.name, &collection.to_string())?.is_none() {
            return Ok(None);
        }
        self.read_acl(&owner, &collection.name).map(Some)
    }

    /// Replaces an existing collection's access list.
    pub fn set_acl(&self, collection: &CollectionPath, acl: &Acl) -> Result<(), DataError> {
        acl.validate().map_err(DataError::Invalid)?;
        self.existing_collection(collection)?;
        let owner = self.owner_dir_created(&collection.owner)?;
        self.write_acl(&owner, &collection.name, acl)
    }

    /// The collections of `owner`, by name, with their access lists.
    pub fn collections(&self, owner: &AccountName) -> Result<Vec<(String, Acl)>, DataError> {
        let Some(dir) = self.owner_dir(owner)? else {
            return Ok(Vec::new());
        };
        let action = || format!("list data://{owner}");
        let mut collections = Vec::new();
        for entry in dir.entries().map_err(DataError::io(action()))? {
            let entry = entry.map_err(DataError::io(action()))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            if is_dir && !name.starts_with('.') {
                let acl = self.read_acl(&dir, &name)?;
                collections.push((name, acl));
            }
        }
        collections.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(collections)
    }

    /// Deletes a collection. Without `force` it must be empty; with it, its
    /// files go too. Returns how many files were deleted.
    pub fn delete_collection(
        &self,
        collection: &CollectionPath,
        force: bool,
    ) -> Result<u64, DataError> {
        let dir = self.existing_collection(collection)?;
        let files = list_entries(&dir, &collection.to_string())?.len() as u64;
        if files > 0 && !force {
            return Err(DataError::NotEmpty {
                collection: collection.to_string(),
                files,
            });
        }
        drop(dir);
        let owner = self.owner_dir_created(&collection.owner)?;
        owner
            .remove_dir_all(&collection.name)
            .map_err(DataError::io(format!("delete {collection}")))?;
        if let Some(acls) = open_dir(&owner, ACL_DIR, ACL_DIR)? {
            let _ = acls.remove_file(&collection.name);
        }
        Ok(files)
    }

    /// One page of a collection's files in name order, after `marker`.
    pub fn list(
        &self,
        collection: &CollectionPath,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<FilePage, DataError> {
        let after = match marker {
            Some(marker) => Some(listing::name_after(marker).ok_or_else(|| {
                DataError::Invalid(format!(
                    "`{marker}` is not a marker from this server; pass the `marker` of the previous page, or none for the first"
                ))
            })?),
            None => None,
        };
        let dir = self.existing_collection(collection)?;
        let entries = list_entries(&dir, &collection.to_string())?;
        Ok(listing::page(entries, after.as_deref(), limit))
    }

    /// A file's listing entry, or `None` if there is no such file.
    pub fn info(&self, file: &FilePath) -> Result<Option<FileEntry>, DataError> {
        let Some(dir) = self.collection_dir(&file.collection)? else {
            return Ok(None);
        };
        match dir.symlink_metadata(&file.name) {
            Ok(meta) if meta.is_file() => Ok(Some(entry(file.name.clone(), &meta))),
            Ok(_) => Ok(None),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(DataError::io(format!("read {file}"))(err)),
        }
    }

    /// Reads a whole file.
    pub fn read(&self, file: &FilePath) -> Result<Vec<u8>, DataError> {
        self.read_at_most(file, u64::MAX)
    }

    /// Reads a whole file of at most `limit` bytes; a larger one is refused
    /// by its size, before any of it is read, and one that grows while it
    /// is read is cut off at the limit and refused.
    pub fn read_at_most(&self, file: &FilePath, limit: u64) -> Result<Vec<u8>, DataError> {
        let (opened, size) = self.open_reader(file)?;
        let too_large = |size| DataError::TooLargeToRead {
            file: file.to_string(),
            size,
            limit,
        };
        if size > limit {
            return Err(too_large(size));
        }
        let mut contents = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        opened
            .take(limit.saturating_add(1))
            .read_to_end(&mut contents)
            .map_err(DataError::io(format!("read {file}")))?;
        if contents.len() as u64 > limit {
            return Err(too_large(contents.len() as u64));
        }
        Ok(contents)
    }

    /// Opens a file to read it piece by piece, with its size: readers of a
    /// large file need not hold it whole.
    pub fn open_reader(&self, file: &FilePath) -> Result<(std::fs::File, u64), DataError> {
        let opened = self.open_file(file)?;
        let size = opened
            .metadata()
            .map_err(DataError::io(format!("read {file}")))?
            .len();
        Ok((opened.into_std(), size))
    }

    fn open_file(&self, file: &FilePath) -> Result<File, DataError> {
        let dir = self.existing_collection(&file.collection)?;
        let mut options = OpenOptions::new();
        options.read(true).follow(FollowSymlinks::No);
        let opened = dir
            .open_with(&file.name, &options)
            .map_err(|err| match err.kind() {
                std::io::ErrorKind::NotFound => DataError::NotFound(file.to_string()),
                _ if is_symlink(&dir, &file.name) => DataError::NotFound(file.to_string()),
                _ => DataError::io(format!("read {file}"))(err),
            })?;
        let is_file = opened
            .metadata()
            .map_err(DataError::io(format!("read {file}")))?
            .is_file();
        if !is_file {
            return Err(DataError::NotFound(file.to_string()));
        }
        Ok(opened)
    }

    /// Writes a whole file, replacing any file of that name at once.
    pub fn write(&self, file: &FilePath, contents: &[u8]) -> Result<(), DataError> {
        let mut writer = self.writer(file)?;
        writer.write(contents)?;
        writer.commit()
    }

    /// Starts writing a file piece by piece; nothing is visible until
    /// [`FileWriter::commit`].
    pub fn writer(&self, file: &FilePath) -> Result<FileWriter, DataError> {
        let collection = self.existing_collection(&file.collection)?;
        let owner = self.owner_dir_created(&file.collection.owner)?;
        ensure_dir(&owner, staging::STAGING_DIR, staging::STAGING_DIR)?;
        let staging = open_dir(&owner, staging::STAGING_DIR, staging::STAGING_DIR)?
            .ok_or_else(|| DataError::NotFound(format!("the staging folder of {}", file)))?;
        let staged = staging::staged_name();
        let mut options = OpenOptions::new();
        options
            .write(true)
            .create_new(true)
            .follow(FollowSymlinks::No);
        let out = staging
            .open_with(&staged, &options)
            .map_err(DataError::io(format!("write {file}")))?;
        Ok(FileWriter {
            file: file.clone(),
            collection,
            staging,
            staged,
            out: Some(out),
            written: 0,
            limit: self.max_file_bytes,
        })
    }

    /// Deletes a file; `false` if there was none.
    pub fn delete(&self, file: &FilePath) -> Result<bool, DataError> {
        let Some(dir) = self.collection_dir(&file.collection)? else {
            return Ok(false);
        };
        match dir.symlink_metadata(&file.name) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Ok(false),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(err) => return Err(DataError::io(format!("delete {file}"))(err)),
        }
        match dir.remove_file(&file.name) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(DataError::io(format!("delete {file}"))(err)),
        }
    }

    fn read_acl(&self, owner: &Dir, collection: &str) -> Result<Acl, DataError> {
        let Some(acls) = open_dir(owner, ACL_DIR, ACL_DIR)? else {
            return Ok(Acl::default());
        };
        match acls.read(collection) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
                DataError::Invalid(format!(
                    "the access list of collection {collection} is damaged ({err}); set it again with PATCH"
                ))
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Acl::default()),
            Err(err) => Err(DataError::io(format!("read the access list of {collection}"))(err)),
        }
    }

    fn write_acl(&self, owner: &Dir, collection: &str, acl: &Acl) -> Result<(), DataError> {
        ensure_dir(owner, ACL_DIR, ACL_DIR)?;
        let acls = open_dir(owner, ACL_DIR, ACL_DIR)?
            .ok_or_else(|| DataError::NotFound(ACL_DIR.to_owned()))?;
        let staged = staging::staged_name();
        let action = || format!("write the access list of {collection}");
        let bytes = serde_json::to_vec(acl).expect("an access list serializes");
        acls.write(&staged, bytes)
            .map_err(DataError::io(action()))?;
        acls.rename(&staged, &acls, collection)
            .map_err(DataError::io(action()))
    }
}

/// Opens `name` in `dir` as a folder without following a link; `None` if
/// there is none (or a link or file by that name).
fn open_dir(dir: &Dir, name: &str, shown: &str) -> Result<Option<Dir>, DataError> {
    match dir.open_dir_nofollow(name) {
        Ok(opened) => Ok(Some(opened)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) if !dir.symlink_metadata(name).is_ok_and(|meta| meta.is_dir()) => Ok(None),
        Err(err) => Err(DataError::io(format!("open {shown}"))(err)),
    }
}

fn ensure_dir(dir: &Dir, name: &str, shown: &str) -> Result<(), DataError> {
    match dir.create_dir(name) {
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
            Err(DataError::io(format!("create {shown}"))(err))
        }
        _ => Ok(()),
    }
}

fn is_symlink(dir: &Dir, name: &str) -> bool {
    dir.symlink_metadata(name)
        .is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The regular files of a collection, sorted by name. Links and anything
/// else are skipped: the store never made them.
fn list_entries(dir: &Dir, shown: &str) -> Result<Vec<FileEntry>, DataError> {
    let action = || format!("list {shown}");
    let mut entries = Vec::new();
    for item in dir.entries().map_err(DataError::io(action()))? {
        let item = item.map_err(DataError::io(action()))?;
        let Ok(name) = item.file_name().into_string() else {
            continue;
        };
        let Ok(meta) = dir.symlink_metadata(&name) else {
            continue;
        };
        if meta.is_file() {
            entries.push(entry(name, &meta));
        }
    }
    entries.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(entries)
}

fn entry(filename: String, meta: &cap_std::fs::Metadata) -> FileEntry {
    let millis = meta
        .modified()
        .ok()
        .and_then(|modified| modified.into_std().duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
    FileEntry {
        filename,
        last_modified: Timestamp::from_millis(millis),
        size: meta.len(),
    }
}
