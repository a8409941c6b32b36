//! The module store: uploaded `.wasm` files, kept by content hash.
//!
//! [`ModuleStore`] is what the platform uses. [`DirectoryStore`](directory::DirectoryStore) keeps the
//! files in a local folder (a single node);
//! [`JetStreamModuleStore`](jetstream::JetStreamModuleStore) keeps them in a
//! NATS JetStream object store that every node of a cluster shares. The
//! interface is async and object-safe, so either stands behind an
//! `Arc<dyn ModuleStore>`.

pub mod directory;
pub mod jetstream;

use std::path::PathBuf;

use algobox_runtime::content_hash::ContentHash;
use async_trait::async_trait;

/// Stores modules by the SHA-256 of their bytes. Since the name is the
/// content, a module never changes once stored and storing it twice is
/// harmless. A module appears whole or not at all: no reader ever sees
/// part of one.
#[async_trait]
pub trait ModuleStore: Send + Sync {
    /// Stores `bytes` and returns their hash; storing bytes already there
    /// does nothing and returns the same hash, and replaces a stored copy
    /// that has become corrupt.
    async fn put(&self, bytes: Vec<u8>) -> Result<ContentHash, ModuleStoreError>;

    /// The bytes with this hash, or `None` if none are stored. Never
    /// returns bytes that do not match the hash.
    async fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, ModuleStoreError>;

    /// Whether bytes with this hash are stored (without reading them).
    async fn contains(&self, hash: &ContentHash) -> Result<bool, ModuleStoreError>;
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
    /// A stored module's bytes no longer match its name.
    #[error(
        "module store: {location} is corrupt (its bytes hash to {actual}, not {expected}); upload the module again, which replaces it"
    )]
    Corrupt {
        /// The hash the module should have.
        expected: ContentHash,
        /// The hash its bytes have.
        actual: ContentHash,
        /// Where it is stored: a file, or a bucket and object name.
        location: String,
    },
    /// The NATS JetStream object store refused an operation or could not
    /// be reached.
    #[error(
        "module store: cannot {action} {object} in the JetStream object store {bucket}: {message}; check that NATS is reachable with JetStream enabled"
    )]
    JetStream {
        /// What was being done (`store`, `read`, ...).
        action: &'static str,
        /// The bucket.
        bucket: String,
        /// The object (a module's hash), or the bucket itself.
        object: String,
        /// What NATS answered.
        message: String,
    },
    /// A blocking file operation could not finish (its task panicked or
    /// the runtime is shutting down).
    #[error("module store: a file operation did not finish: {0}; try again")]
    Interrupted(String),
}
