//! `data://` files for running algorithms: what the runtime asks of whoever
//! stores them (the platform, with the caller's permissions).

use std::future::Future;
use std::pin::Pin;

use algobox_host_api::AlgoError;

/// A boxed future, as the data operations return them.
pub type DataFuture<T> = Pin<Box<dyn Future<Output = Result<T, AlgoError>> + Send>>;

/// Reads and writes `data://` files for one invocation, with the permissions
/// of its caller. Without one (see
/// [`Invocation::data`](crate::invocation::Invocation::data)) every operation fails
/// with `PermissionDenied`.
pub trait DataAccess: Send + Sync {
    /// Reads a whole file of at most `max_bytes` bytes. A larger one fails
    /// with `TooLargeError` before any of it is read.
    fn read(&self, uri: String, max_bytes: u64) -> DataFuture<Vec<u8>>;
    /// Writes a whole file.
    fn write(&self, uri: String, contents: Vec<u8>) -> DataFuture<()>;
    /// Whether a file exists.
    fn exists(&self, uri: String) -> DataFuture<bool>;
    /// Deletes a file.
    fn delete(&self, uri: String) -> DataFuture<()>;
    /// The names of a collection's files.
    fn list(&self, uri: String) -> DataFuture<Vec<String>>;
}

/// The error every data operation gets without access.
pub(crate) fn no_access() -> AlgoError {
    AlgoError::new(
        "this invocation has no access to data:// files; they are available to algorithms called through an algobox server",
    )
    .with_code("PermissionDenied")
}
