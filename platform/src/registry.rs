//! The registry: accounts, API keys, algorithms, builds and published
//! versions.
//!
//! [`Registry`] is the interface the platform uses; [`SqliteRegistry`](sqlite::SqliteRegistry)
//! implements it in one SQLite file, running each operation on tokio's
//! blocking pool, and [`PostgresRegistry`](postgres::PostgresRegistry) in a
//! PostgreSQL database that several servers share. The interface is async
//! and object-safe, so either stands behind an `Arc<dyn Registry>`. One
//! suite of tests (`conformance`) holds both to the same behaviour.
//!
//! Validation lives in the request types ([`NewAlgorithm::validate`],
//! [`SettingsUpdate::apply`](settings::SettingsUpdate::apply),
//! [`VersionBump`](version::VersionBump)'s parser) and in the
//! identities ([`crate::identity`]), not in a backend,
//! so every backend refuses the same input with the same message.

pub mod account;
pub mod algorithm;
pub mod api_key;
pub mod build;
pub mod build_lease;
#[cfg(test)]
#[macro_use]
pub(crate) mod conformance;
pub mod error;
mod id;
pub mod page;
pub mod postgres;
pub mod settings;
pub mod sqlite;
pub mod version;
pub mod version_spec;

use algobox_runtime::content_hash::ContentHash;
use async_trait::async_trait;

use crate::identity::{AccountName, AlgorithmId, AlgorithmName, BuildId};
use crate::registry::account::{Account, AccountKind};
use crate::registry::algorithm::{AlgorithmRecord, AlgorithmUpdate, NewAlgorithm};
use crate::registry::api_key::ApiKeyInfo;
use crate::registry::build::Build;
use crate::registry::build_lease::BuildLease;
use crate::registry::error::RegistryError;
use crate::registry::page::{Page, PageRequest};
use crate::registry::version::{PublishRequest, Version};

/// The registry's operations. Every method is one short transaction; names
/// of accounts and algorithms are matched without regard to case.
#[async_trait]
pub trait Registry: Send + Sync + 'static {
    /// Creates an account; fails with [`RegistryError::AlreadyExists`] if
    /// the name is taken (in any case).
    async fn create_account(
        &self,
        name: &AccountName,
        kind: AccountKind,
    ) -> Result<Account, RegistryError>;

    /// The account named `name`, if any.
    async fn account(&self, name: &AccountName) -> Result<Option<Account>, RegistryError>;

    /// Makes `user` a member of `organization` (idempotent).
    async fn add_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<(), RegistryError>;

    /// Whether `user` is a member of `organization`; false if either does
    /// not exist.
    async fn is_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<bool, RegistryError>;

    /// Creates a random key for `account`. Returns its listing and the key
    /// itself, which the registry does not keep: show it once.
    async fn create_key(
        &self,
        account: &AccountName,
        label: &str,
    ) -> Result<(ApiKeyInfo, String), RegistryError>;

    /// Installs a key the operator chose (such as `ALGOBOX_ADMIN_KEY`) for
    /// `account`. Idempotent: installing the same key again returns the
    /// existing entry; a key already used by another account is refused.
    async fn set_key(
        &self,
        account: &AccountName,
        label: &str,
        plaintext: &str,
    ) -> Result<ApiKeyInfo, RegistryError>;

    /// The account a key authenticates, or `None` for an unknown or
    /// revoked key.
    async fn authenticate(&self, plaintext: &str) -> Result<Option<Account>, RegistryError>;

    /// The account's keys, oldest first.
    async fn list_keys(&self, account: &AccountName) -> Result<Vec<ApiKeyInfo>, RegistryError>;

    /// Revokes the account's key with id `key_id`; false if it has none.
    async fn revoke_key(&self, account: &AccountName, key_id: &str) -> Result<bool, RegistryError>;

    /// Creates an algorithm owned by `owner` after validating `request`.
    async fn create_algorithm(
        &self,
        owner: &AccountName,
        request: &NewAlgorithm,
    ) -> Result<AlgorithmRecord, RegistryError>;

    /// The algorithm `owner/name`, if any.
    async fn algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<Option<AlgorithmRecord>, RegistryError>;

    /// The algorithm with this id, if any.
    async fn algorithm_by_id(
        &self,
        id: &AlgorithmId,
    ) -> Result<Option<AlgorithmRecord>, RegistryError>;

    /// Applies `update` to `owner/name` and returns the result.
    async fn update_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        update: &AlgorithmUpdate,
    ) -> Result<AlgorithmRecord, RegistryError>;

    /// Deletes `owner/name` with its builds and versions; false if there
    /// was no such algorithm. The modules stay in the module store, which
    /// other algorithms may share.
    async fn delete_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<bool, RegistryError>;

    /// Records `source` as the module uploaded last to `owner/name`, and
    /// among the modules uploaded to it.
    async fn set_source(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        source: &ContentHash,
    ) -> Result<AlgorithmRecord, RegistryError>;

    /// Whether `hash` was ever uploaded to the algorithm (and so may be
    /// compiled for it).
    async fn was_uploaded(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<bool, RegistryError>;

    /// Records a build of `commit_sha` as in progress, owned by
    /// `lease.owner`, which holds it for `lease.term` from now unless it
    /// renews the lease.
    async fn start_build(
        &self,
        algorithm_id: &AlgorithmId,
        commit_sha: &ContentHash,
        lease: &BuildLease,
    ) -> Result<Build, RegistryError>;

    /// Extends the lease on a build in progress to `lease.term` from now,
    /// if `lease.owner` owns it; false when it does not, or the build is no
    /// longer in progress (it finished, or its lease lapsed and a node
    /// failed it).
    async fn renew_build_lease(
        &self,
        build_id: &BuildId,
        lease: &BuildLease,
    ) -> Result<bool, RegistryError>;

    /// Records how an in-progress build ended; a finished build cannot
    /// finish again.
    async fn finish_build(
        &self,
        build_id: &BuildId,
        succeeded: bool,
        logs: &str,
    ) -> Result<Build, RegistryError>;

    /// The algorithm's builds, newest first.
    async fn builds(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
    ) -> Result<Page<Build>, RegistryError>;

    /// One of the algorithm's builds, if it has that one.
    async fn build(
        &self,
        algorithm_id: &AlgorithmId,
        build_id: &BuildId,
    ) -> Result<Option<Build>, RegistryError>;

    /// Publishes a succeeded build as the next version, in one transaction:
    /// numbers it from the highest published version, snapshots the
    /// algorithm's settings, and sets the algorithm's callability to the
    /// version's. Fails with [`RegistryError::AlreadyPublished`] if the
    /// build is published already; a new build of a module an earlier
    /// version has (a rollback) publishes as a new version.
    async fn publish(
        &self,
        algorithm_id: &AlgorithmId,
        request: &PublishRequest,
    ) -> Result<Version, RegistryError>;

    /// The algorithm's published versions, newest first; with
    /// `public_only`, only public ones (Algorithmia's `callable=true`).
    /// Unpublished builds are listed by [`builds`](Self::builds).
    async fn versions(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
        public_only: bool,
    ) -> Result<Page<Version>, RegistryError>;

    /// The newest published version built from `hash`, if any (several
    /// share a module after a rollback).
    async fn version_by_hash(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<Option<Version>, RegistryError>;

    /// Every published version of the algorithm, newest first, for
    /// [`resolve`].
    async fn all_versions(&self, algorithm_id: &AlgorithmId)
    -> Result<Vec<Version>, RegistryError>;

    /// Marks every build still in progress as failed, with `logs` as its
    /// log, and returns how many there were. A server that alone compiles
    /// for its registry calls it when it starts: no compile outlives the
    /// process that ran it.
    async fn fail_unfinished_builds(&self, logs: &str) -> Result<usize, RegistryError>;

    /// Marks every build in progress whose lease has lapsed (or that has
    /// none) as failed, with `logs` as its log, and returns how many there
    /// were. Nodes sharing a registry call it at start and periodically:
    /// a live owner renews its leases, so only the builds of nodes that
    /// stopped (or of compiles abandoned) fail.
    async fn fail_lapsed_builds(&self, logs: &str) -> Result<usize, RegistryError>;
}
