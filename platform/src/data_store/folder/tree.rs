//! The folder's collections and files, reached through a [`cap_std`]
//! handle one checked name at a time.
//!
//! The layout under the folder is `OWNER/COLLECTION/FILE` (owners in lower
//! case, since account names match without case), with each collection's
//! access list in `OWNER/.acl/COLLECTION` and writes staged in
//! `OWNER/.staging/` so a file appears whole or not at all. No path is
//! ever followed through a symbolic link, so no request can reach outside
//! the folder or through a link planted inside it.

use std::path::Path;
use std::time::UNIX_EPOCH;

use cap_fs_ext::{DirExt as _, FollowSymlinks, OpenOptionsFollowExt as _};
use cap_std::fs::{Dir, File, OpenOptions};

use crate::data_store::acl::Acl;
use crate::data_store::error::DataError;
use crate::data_store::folder::staged_file::StagedFile;
use crate::data_store::folder::staging;
use crate::data_store::listing::{self, FileEntry, FilePage};
use crate::data_store::path::{CollectionPath, FilePath};
use crate::identity::AccountName;
use crate::timestamp::Timestamp;

/// Where each owner keeps its collections' access lists.
const ACL_DIR: &str = ".acl";

/// The hosted data of every account, in one folder, with blocking calls
/// (see [`FolderDataStore`](super::FolderDataStore) for the async ones).
#[derive(Debug)]
pub(super) struct Tree {
    root: Dir,
}

impl Tree {
    /// Opens (creating) the folder, and clears the writes an earlier
    /// process left staged.
    pub(super) fn open(folder: &Path) -> Result<Self, DataError> {
        let action = || format!("open the data folder {}", folder.display());
        std::fs::create_dir_all(folder).map_err(DataError::io(action()))?;
        let root = Dir::open_ambient_dir(folder, cap_std::ambient_authority())
            .map_err(DataError::io(action()))?;
        staging::sweep(&root)?;
        Ok(Self { root })
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
    pub(super) fn create_collection(
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

    /// The collection's access list, or `None` if it does not exist.
    pub(super) fn collection(&self, collection: &CollectionPath) -> Result<Option<Acl>, DataError> {
        let Some(owner) = self.owner_dir(&collection.owner)? else {
            return Ok(None);
        };
        if open_dir(&owner, &collection.name, &collection.to_string())?.is_none() {
            return Ok(None);
        }
        self.read_acl(&owner, &collection.name).map(Some)
    }

    /// Replaces an existing collection's access list.
    pub(super) fn set_acl(&self, collection: &CollectionPath, acl: &Acl) -> Result<(), DataError> {
        acl.validate().map_err(DataError::Invalid)?;
        self.existing_collection(collection)?;
        let owner = self.owner_dir_created(&collection.owner)?;
        self.write_acl(&owner, &collection.name, acl)
    }

    /// The collections of `owner`, by name, with their access lists.
    pub(super) fn collections(&self, owner: &AccountName) -> Result<Vec<(String, Acl)>, DataError> {
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
    pub(super) fn delete_collection(
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
    pub(super) fn list(
        &self,
        collection: &CollectionPath,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<FilePage, DataError> {
        let after = listing::continues_after(marker)?;
        let dir = self.existing_collection(collection)?;
        let entries = list_entries(&dir, &collection.to_string())?;
        Ok(listing::page(entries, after.as_deref(), limit))
    }

    /// A file's listing entry, or `None` if there is no such file.
    pub(super) fn info(&self, file: &FilePath) -> Result<Option<FileEntry>, DataError> {
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

    /// Opens a file to read it piece by piece, with its size: readers of a
    /// large file need not hold it whole.
    pub(super) fn open_reader(&self, file: &FilePath) -> Result<(std::fs::File, u64), DataError> {
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

    /// Starts writing a file piece by piece; nothing is visible until
    /// [`StagedFile::commit`].
    pub(super) fn writer(&self, file: &FilePath) -> Result<StagedFile, DataError> {
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
        Ok(StagedFile {
            file: file.clone(),
            collection,
            staging,
            staged,
            out: Some(out),
        })
    }

    /// Deletes a file; `false` if there was none.
    pub(super) fn delete(&self, file: &FilePath) -> Result<bool, DataError> {
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
pub(super) fn open_dir(dir: &Dir, name: &str, shown: &str) -> Result<Option<Dir>, DataError> {
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
