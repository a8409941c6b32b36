//! What a platform operation can fail with.

use crate::data_store::error::DataError;
use crate::module_store::ModuleStoreError;
use crate::registry::error::RegistryError;
use algobox_runtime::error::RegisterError;

/// A platform operation failed; the message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// No key, or a key that matches no account.
    #[error("missing or unknown API key; send `Authorization: Simple YOUR_API_KEY`")]
    Unauthorized,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such algorithm, or one the caller may not see.
    #[error("No such algorithm: algo://{owner}/{name} not found")]
    NoAlgorithm {
        /// The owner named.
        owner: String,
        /// The name named.
        name: String,
    },
    /// Something else named does not exist, or is invisible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be carried out as made.
    #[error("{0}")]
    BadRequest(String),
    /// The registry refused or failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The module store failed.
    #[error(transparent)]
    ModuleStore(#[from] ModuleStoreError),
    /// A Data API operation failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The module is not an algorithm algobox can run.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// The caller has as many calls, or compiles, in flight as one account
    /// may have.
    #[error("{0}")]
    TooManyCalls(String),
    /// The platform failed.
    #[error("{0}")]
    Internal(String),
}

impl PlatformError {
    /// [`PlatformError::NoAlgorithm`] for `owner/name`.
    pub(crate) fn no_algorithm(
        owner: &crate::identity::AccountName,
        name: &crate::identity::AlgorithmName,
    ) -> Self {
        Self::NoAlgorithm {
            owner: owner.to_string(),
            name: name.to_string(),
        }
    }
}
