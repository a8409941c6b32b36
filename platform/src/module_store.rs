//! The module store: uploaded `.wasm` files, kept by content hash.
//!
//! [`ModuleStore`] is what the platform uses; [`DirectoryStore`](directory::DirectoryStore) keeps the
//! files in a local folder. The interface is synchronous and object-safe,
//! so an object store (S3) can implement it behind an
//! `Arc<dyn ModuleStore>`.

pub mod directory;

use std::path::PathBuf;

use algobox_runtime::content_hash::ContentHash;

/// Stores modules by the SHA-256 of their bytes. Since the name is the
/// content, a module never changes once stored and storing it twice is
/// harmless.
pub trait ModuleStore: Send + Sync {
    /// Stores `bytes` and returns their hash; storing bytes already there
    /// does nothing and returns the same hash.
    fn put(&self, bytes: &[u8]) -> Result<ContentHash, ModuleStoreError>;

    /// The bytes with this hash, or `None` if none are stored. Never
    /// returns bytes that do not match the hash.
    fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, ModuleStoreError>;

    /// Whether bytes with this hash are stored (without reading them).
    fn contains(&self, hash: &ContentHash) -> Result<bool, ModuleStoreError>;
}

/// A module store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleStoreError {
    /// The file system refused an operation.
    #[error(
        "module store: cannot {action} {path}: {source}; check that the folder exists, is writable and has free space"
    )]
    Io {
        /// What was being done (`write`, `read`, ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A stored file's bytes no longer match its name.
    #[error(
        "module store: {path} is corrupt (its bytes hash to {actual}, not {expected}); delete the file and upload the module again"
    )]
    Corrupt {
        /// The hash the file should have.
        expected: ContentHash,
        /// The hash its bytes have.
        actual: ContentHash,
        /// The file.
        path: PathBuf,
    },
}
