//! What can go wrong with hosted data.

use crate::data_store::path::PathError;

/// A Data API operation failed; the message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The path is not one algobox accepts.
    #[error(transparent)]
    Path(#[from] PathError),
    /// Nothing there, or nothing the caller may see.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The caller sees it but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The collection exists already.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A collection with files, deleted without `force`.
    #[error("{collection} holds {files} file(s); delete them first or pass force=true")]
    NotEmpty {
        /// The collection.
        collection: String,
        /// How many files it holds.
        files: u64,
    },
    /// The request is malformed; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The file is larger than the server accepts.
    #[error("the file is larger than {limit} bytes, the most this server stores in one file")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A file is larger than its reader may take.
    #[error(
        "{file} is {size} bytes, more than the {limit} bytes this call may still read; read a smaller file, or raise the server's host-call byte limit"
    )]
    TooLargeToRead {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
        /// What the reader may take.
        limit: u64,
    },
    /// A cluster's shared store failed or could not be reached: PostgreSQL,
    /// which holds collections, access lists and the file index, or the
    /// NATS JetStream object store, which holds the bytes.
    #[error(
        "cannot {action}: {message}; check that the cluster's PostgreSQL (--registry) and NATS (--nats) are reachable, then try again"
    )]
    Shared {
        /// What was being done.
        action: String,
        /// What the store answered.
        message: String,
    },
    /// The disk failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl DataError {
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let action = action.into();
        move |source| Self::Io { action, source }
    }

    pub(crate) fn shared(action: impl Into<String>) -> impl FnOnce(String) -> Self {
        let action = action.into();
        move |message| Self::Shared { action, message }
    }
}
