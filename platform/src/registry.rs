//! The registry: accounts, API keys, algorithms, builds and published
//! versions.
//!
//! [`Registry`] is the interface the HTTP server uses; [`SqliteRegistry`]
//! implements it in one SQLite file. The interface is synchronous (call it
//! through `tokio::task::spawn_blocking`) and object-safe, so a PostgreSQL
//! implementation can stand in behind an `Arc<dyn Registry>`.
//!
//! Validation lives in the request types ([`NewAlgorithm::validate`],
//! [`SettingsUpdate::apply`], [`VersionBump`]'s parser), not in a backend,
//! so every backend refuses the same input with the same message.

mod account;
mod algorithm;
mod api_key;
mod build;
mod column;
mod error;
mod id;
mod page;
mod publication;
mod schema;
mod settings;
mod sqlite;
mod version;
mod version_spec;

mod account_rows;
mod algorithm_rows;
mod build_rows;
mod key_rows;
mod version_rows;

#[cfg(test)]
mod fixture;

pub use account::{Account, AccountKind, MAX_NAME_LEN, validate_name};
pub use algorithm::{Algorithm, AlgorithmUpdate, Details, DetailsUpdate, NewAlgorithm};
pub use api_key::{ApiKeyInfo, KEY_PREFIX, MIN_CHOSEN_KEY_LEN};
pub use build::{Build, BuildStatus, ParseBuildStatusError};
pub use error::RegistryError;
pub use page::{Page, PageRequest};
pub use settings::{Callability, Environment, LICENSES, NetworkAccess, Settings, SettingsUpdate};
pub use sqlite::SqliteRegistry;
pub use version::{PublishRequest, Version, VersionBump};
pub use version_spec::{ParseVersionSpecError, VersionSpec, resolve};

use crate::ContentHash;

/// The registry's operations. Every method is one short transaction; names
/// of accounts and algorithms are matched without regard to case.
pub trait Registry: Send + Sync {
    /// Creates an account; fails with [`RegistryError::AlreadyExists`] if
    /// the name is taken (in any case).
    fn create_account(&self, name: &str, kind: AccountKind) -> Result<Account, RegistryError>;

    /// The account named `name`, if any.
    fn account(&self, name: &str) -> Result<Option<Account>, RegistryError>;

    /// Makes `user` a member of `organization` (idempotent).
    fn add_member(&self, organization: &str, user: &str) -> Result<(), RegistryError>;

    /// Whether `user` is a member of `organization`; false if either does
    /// not exist.
    fn is_member(&self, organization: &str, user: &str) -> Result<bool, RegistryError>;

    /// Creates a random key for `account`. Returns its listing and the key
    /// itself, which the registry does not keep: show it once.
    fn create_key(&self, account: &str, label: &str)
    -> Result<(ApiKeyInfo, String), RegistryError>;

    /// Installs a key the operator chose (such as `ALGOBOX_ADMIN_KEY`) for
    /// `account`. Idempotent: installing the same key again returns the
    /// existing entry; a key already used by another account is refused.
    fn set_key(
        &self,
        account: &str,
        label: &str,
        plaintext: &str,
    ) -> Result<ApiKeyInfo, RegistryError>;

    /// The account a key authenticates, or `None` for an unknown or
    /// revoked key.
    fn authenticate(&self, plaintext: &str) -> Result<Option<Account>, RegistryError>;

    /// The account's keys, oldest first.
    fn list_keys(&self, account: &str) -> Result<Vec<ApiKeyInfo>, RegistryError>;

    /// Revokes the account's key with id `key_id`; false if it has none.
    fn revoke_key(&self, account: &str, key_id: &str) -> Result<bool, RegistryError>;

    /// Creates an algorithm owned by `owner` after validating `request`.
    fn create_algorithm(
        &self,
        owner: &str,
        request: &NewAlgorithm,
    ) -> Result<Algorithm, RegistryError>;

    /// The algorithm `owner/name`, if any.
    fn algorithm(&self, owner: &str, name: &str) -> Result<Option<Algorithm>, RegistryError>;

    /// The algorithm with this id, if any.
    fn algorithm_by_id(&self, id: &str) -> Result<Option<Algorithm>, RegistryError>;

    /// Applies `update` to `owner/name` and returns the result.
    fn update_algorithm(
        &self,
        owner: &str,
        name: &str,
        update: &AlgorithmUpdate,
    ) -> Result<Algorithm, RegistryError>;

    /// Deletes `owner/name` with its builds and versions; false if there
    /// was no such algorithm. The modules stay in the module store, which
    /// other algorithms may share.
    fn delete_algorithm(&self, owner: &str, name: &str) -> Result<bool, RegistryError>;

    /// Records `source` as the module uploaded last to `owner/name`.
    fn set_source(
        &self,
        owner: &str,
        name: &str,
        source: &ContentHash,
    ) -> Result<Algorithm, RegistryError>;

    /// Records a build of `commit_sha` as in progress.
    fn start_build(
        &self,
        algorithm_id: &str,
        commit_sha: &ContentHash,
    ) -> Result<Build, RegistryError>;

    /// Records how an in-progress build ended; a finished build cannot
    /// finish again.
    fn finish_build(
        &self,
        build_id: &str,
        succeeded: bool,
        logs: &str,
    ) -> Result<Build, RegistryError>;

    /// The algorithm's builds, newest first.
    fn builds(&self, algorithm_id: &str, page: &PageRequest) -> Result<Page<Build>, RegistryError>;

    /// One of the algorithm's builds, if it has that one.
    fn build(&self, algorithm_id: &str, build_id: &str) -> Result<Option<Build>, RegistryError>;

    /// Publishes a succeeded build as the next version, in one transaction:
    /// numbers it from the highest published version, snapshots the
    /// algorithm's settings, and sets the algorithm's callability to the
    /// version's. Fails with [`RegistryError::AlreadyPublished`] if the
    /// build, or another build of the same module, is published already.
    fn publish(
        &self,
        algorithm_id: &str,
        request: &PublishRequest,
    ) -> Result<Version, RegistryError>;

    /// The algorithm's published versions, newest first; with
    /// `public_only`, only public ones (Algorithmia's `callable=true`).
    /// Unpublished builds are listed by [`builds`](Self::builds).
    fn versions(
        &self,
        algorithm_id: &str,
        page: &PageRequest,
        public_only: bool,
    ) -> Result<Page<Version>, RegistryError>;

    /// The published version built from `hash`, if any.
    fn version_by_hash(
        &self,
        algorithm_id: &str,
        hash: &ContentHash,
    ) -> Result<Option<Version>, RegistryError>;

    /// Every published version of the algorithm, newest first, for
    /// [`resolve`].
    fn all_versions(&self, algorithm_id: &str) -> Result<Vec<Version>, RegistryError>;
}
