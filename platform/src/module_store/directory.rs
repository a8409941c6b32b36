//! Modules as files in a local folder: `<dir>/<hash>.wasm`.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use algobox_runtime::content_hash::ContentHash;
use async_trait::async_trait;

use crate::module_store::{ModuleStore, ModuleStoreError};

/// Temporary files older than this are left over from a killed process.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Tells apart the temporary files of concurrent `put`s in one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// A [`ModuleStore`] in a local folder.
///
/// Writes are atomic and durable: each module is written to a uniquely
/// named temporary file in the same folder, synced, renamed into place and
/// the folder synced, so a `kill -9` or power loss at any moment leaves
/// either no file or a whole one. Several processes may share the folder.
#[derive(Debug, Clone)]
pub struct DirectoryStore {
    dir: PathBuf,
}

impl DirectoryStore {
    /// Uses `dir`, creating it if needed, and removes temporary files that
    /// killed processes left there over an hour ago.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, ModuleStoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| io("create", &dir, source))?;
        let store = Self { dir };
        store.remove_stale_temporaries();
        Ok(store)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the module with this hash is (or would be) stored.
    pub fn path_of(&self, hash: &ContentHash) -> PathBuf {
        self.dir.join(format!("{hash}.wasm"))
    }

    fn write_atomically(&self, hash: &ContentHash, bytes: &[u8]) -> Result<(), ModuleStoreError> {
        let (temp_path, mut file) = self.create_temporary(hash)?;
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|source| io("write", &temp_path, source));
        drop(file);
        let path = self.path_of(hash);
        let renamed = written.and_then(|()| {
            fs::rename(&temp_path, &path).map_err(|source| io("rename into", &path, source))
        });
        if renamed.is_err() {
            // Best effort: a leftover is also removed by a later `open`.
            let _ignored = fs::remove_file(&temp_path);
        }
        renamed?;
        self.sync_dir()
    }

    /// A new file only this call writes: named after the hash, the process
    /// and a counter, and created exclusively in case a dead process left
    /// one with the same name.
    fn create_temporary(&self, hash: &ContentHash) -> Result<(PathBuf, File), ModuleStoreError> {
        loop {
            let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
            let path = self
                .dir
                .join(format!(".{hash}.{}.{n}.tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((path, file)),
                Err(err) if err.kind() == ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(io("create", &path, source)),
            }
        }
    }

    /// Makes the rename itself durable: until the folder's entry is
    /// synced, a power loss could forget that the file was ever renamed.
    #[cfg(unix)]
    fn sync_dir(&self) -> Result<(), ModuleStoreError> {
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|source| io("sync", &self.dir, source))
    }

    /// Windows cannot open a folder as a file; its rename is durable once
    /// the file system journals it.
    #[cfg(not(unix))]
    fn sync_dir(&self) -> Result<(), ModuleStoreError> {
        Ok(())
    }

    fn remove_stale_temporaries(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !(name.starts_with('.') && name.ends_with(".tmp")) {
                continue;
            }
            let age = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|modified| now.duration_since(modified).ok());
            if age.is_some_and(|age| age > STALE_AFTER) {
                let _ignored = fs::remove_file(entry.path());
            }
        }
    }

    /// [`ModuleStore::put`], on this thread (file I/O blocks).
    pub fn put_blocking(&self, bytes: &[u8]) -> Result<ContentHash, ModuleStoreError> {
        let hash = ContentHash::of(bytes);
        match self.get_blocking(&hash) {
            Ok(Some(_)) => return Ok(hash),
            // A corrupt copy is replaced by the good bytes we now have.
            Ok(None) | Err(ModuleStoreError::Corrupt { .. }) => {}
            Err(err) => return Err(err),
        }
        self.write_atomically(&hash, bytes)?;
        Ok(hash)
    }

    /// [`ModuleStore::get`], on this thread (file I/O blocks).
    pub fn get_blocking(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, ModuleStoreError> {
        let path = self.path_of(hash);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io("read", &path, source)),
        };
        let actual = ContentHash::of(&bytes);
        if actual != *hash {
            return Err(ModuleStoreError::Corrupt {
                expected: *hash,
                actual,
                location: path.display().to_string(),
            });
        }
        Ok(Some(bytes))
    }

    /// [`ModuleStore::contains`], on this thread (file I/O blocks).
    pub fn contains_blocking(&self, hash: &ContentHash) -> Result<bool, ModuleStoreError> {
        let path = self.path_of(hash);
        path.try_exists()
            .map_err(|source| io("check", &path, source))
    }

    /// Runs `operation` on tokio's blocking pool, so file I/O never holds
    /// an async worker thread.
    async fn off_thread<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&Self) -> Result<T, ModuleStoreError> + Send + 'static,
    ) -> Result<T, ModuleStoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || operation(&store))
            .await
            .map_err(|err| ModuleStoreError::Interrupted(err.to_string()))?
    }
}

#[async_trait]
impl ModuleStore for DirectoryStore {
    async fn put(&self, bytes: Vec<u8>) -> Result<ContentHash, ModuleStoreError> {
        self.off_thread(move |store| store.put_blocking(&bytes))
            .await
    }

    async fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, ModuleStoreError> {
        let hash = *hash;
        self.off_thread(move |store| store.get_blocking(&hash))
            .await
    }

    async fn contains(&self, hash: &ContentHash) -> Result<bool, ModuleStoreError> {
        let hash = *hash;
        self.off_thread(move |store| store.contains_blocking(&hash))
            .await
    }
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> ModuleStoreError {
    ModuleStoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use crate::module_store::directory::*;

    fn file_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn round_trips_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::open(dir.path().join("modules")).unwrap();
        let bytes = b"\0asm fake module".to_vec();

        let hash = store.put_blocking(&bytes).unwrap();
        assert_eq!(hash, ContentHash::of(&bytes));
        assert!(store.contains_blocking(&hash).unwrap());
        assert_eq!(store.get_blocking(&hash).unwrap(), Some(bytes.clone()));

        assert_eq!(store.put_blocking(&bytes).unwrap(), hash);
        assert_eq!(file_names(store.dir()), [format!("{hash}.wasm")]);
    }

    #[test]
    fn missing_modules_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::open(dir.path()).unwrap();
        let hash = ContentHash::of(b"never stored");
        assert!(!store.contains_blocking(&hash).unwrap());
        assert_eq!(store.get_blocking(&hash).unwrap(), None);
    }

    #[test]
    fn corruption_is_reported_and_repaired_by_put() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::open(dir.path()).unwrap();
        let bytes = b"module bytes".to_vec();
        let hash = store.put_blocking(&bytes).unwrap();
        fs::write(store.path_of(&hash), b"module bytez").unwrap();

        let err = store.get_blocking(&hash).unwrap_err();
        assert!(
            matches!(&err, ModuleStoreError::Corrupt { expected, actual, .. }
                if *expected == hash && *actual == ContentHash::of(b"module bytez")),
            "{err}"
        );
        assert!(err.to_string().contains("upload the module again"), "{err}");

        assert_eq!(store.put_blocking(&bytes).unwrap(), hash);
        assert_eq!(store.get_blocking(&hash).unwrap(), Some(bytes));
    }

    #[test]
    fn open_removes_only_stale_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".abc.1.0.tmp");
        let fresh = dir.path().join(".abc.1.1.tmp");
        let old = SystemTime::now() - 2 * STALE_AFTER;
        File::create(&stale).unwrap().set_modified(old).unwrap();
        File::create(&fresh).unwrap();

        let store = DirectoryStore::open(dir.path()).unwrap();
        assert_eq!(file_names(store.dir()), [".abc.1.1.tmp"]);
    }
}
