//! [`Registry`] for [`SqliteRegistry`]: each operation runs on tokio's
//! blocking pool, where waiting for SQLite's lock or the disk does not
//! stall the async threads.

use async_trait::async_trait;

use algobox_runtime::content_hash::ContentHash;

use crate::identity::{AccountName, AlgorithmId, AlgorithmName, BuildId};
use crate::registry::Registry;
use crate::registry::account::{Account, AccountKind};
use crate::registry::algorithm::{AlgorithmRecord, AlgorithmUpdate, NewAlgorithm};
use crate::registry::api_key::ApiKeyInfo;
use crate::registry::build::Build;
use crate::registry::build_lease::BuildLease;
use crate::registry::error::RegistryError;
use crate::registry::page::{Page, PageRequest};
use crate::registry::sqlite::SqliteRegistry;
use crate::registry::version::{PublishRequest, Version};

impl SqliteRegistry {
    /// Runs `work` on tokio's blocking pool, where waiting for SQLite's
    /// lock or the disk does not stall the async threads.
    async fn off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Self) -> Result<T, RegistryError> + Send + 'static,
    ) -> Result<T, RegistryError> {
        let registry = self.clone();
        tokio::task::spawn_blocking(move || work(&registry))
            .await
            .map_err(|err| RegistryError::Storage(format!("a registry task failed: {err}")))?
    }
}

#[async_trait]
impl Registry for SqliteRegistry {
    async fn create_account(
        &self,
        name: &AccountName,
        kind: AccountKind,
    ) -> Result<Account, RegistryError> {
        let name = name.to_owned();
        self.off_thread(move |registry| registry.create_account(&name, kind))
            .await
    }

    async fn account(&self, name: &AccountName) -> Result<Option<Account>, RegistryError> {
        let name = name.to_owned();
        self.off_thread(move |registry| registry.account(&name))
            .await
    }

    async fn add_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<(), RegistryError> {
        let organization = organization.to_owned();
        let user = user.to_owned();
        self.off_thread(move |registry| registry.add_member(&organization, &user))
            .await
    }

    async fn is_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<bool, RegistryError> {
        let organization = organization.to_owned();
        let user = user.to_owned();
        self.off_thread(move |registry| registry.is_member(&organization, &user))
            .await
    }

    async fn create_key(
        &self,
        account: &AccountName,
        label: &str,
    ) -> Result<(ApiKeyInfo, String), RegistryError> {
        let account = account.to_owned();
        let label = label.to_owned();
        self.off_thread(move |registry| registry.create_key(&account, &label))
            .await
    }

    async fn set_key(
        &self,
        account: &AccountName,
        label: &str,
        plaintext: &str,
    ) -> Result<ApiKeyInfo, RegistryError> {
        let account = account.to_owned();
        let label = label.to_owned();
        let plaintext = plaintext.to_owned();
        self.off_thread(move |registry| registry.set_key(&account, &label, &plaintext))
            .await
    }

    async fn authenticate(&self, plaintext: &str) -> Result<Option<Account>, RegistryError> {
        let plaintext = plaintext.to_owned();
        self.off_thread(move |registry| registry.authenticate(&plaintext))
            .await
    }

    async fn list_keys(&self, account: &AccountName) -> Result<Vec<ApiKeyInfo>, RegistryError> {
        let account = account.to_owned();
        self.off_thread(move |registry| registry.list_keys(&account))
            .await
    }

    async fn revoke_key(&self, account: &AccountName, key_id: &str) -> Result<bool, RegistryError> {
        let account = account.to_owned();
        let key_id = key_id.to_owned();
        self.off_thread(move |registry| registry.revoke_key(&account, &key_id))
            .await
    }

    async fn create_algorithm(
        &self,
        owner: &AccountName,
        request: &NewAlgorithm,
    ) -> Result<AlgorithmRecord, RegistryError> {
        let owner = owner.to_owned();
        let request = request.clone();
        self.off_thread(move |registry| registry.create_algorithm(&owner, &request))
            .await
    }

    async fn algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<Option<AlgorithmRecord>, RegistryError> {
        let owner = owner.to_owned();
        let name = name.to_owned();
        self.off_thread(move |registry| registry.algorithm(&owner, &name))
            .await
    }

    async fn algorithm_by_id(
        &self,
        id: &AlgorithmId,
    ) -> Result<Option<AlgorithmRecord>, RegistryError> {
        let id = id.to_owned();
        self.off_thread(move |registry| registry.algorithm_by_id(&id))
            .await
    }

    async fn update_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        update: &AlgorithmUpdate,
    ) -> Result<AlgorithmRecord, RegistryError> {
        let owner = owner.to_owned();
        let name = name.to_owned();
        let update = update.clone();
        self.off_thread(move |registry| registry.update_algorithm(&owner, &name, &update))
            .await
    }

    async fn delete_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<bool, RegistryError> {
        let owner = owner.to_owned();
        let name = name.to_owned();
        self.off_thread(move |registry| registry.delete_algorithm(&owner, &name))
            .await
    }

    async fn set_source(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        source: &ContentHash,
    ) -> Result<AlgorithmRecord, RegistryError> {
        let owner = owner.to_owned();
        let name = name.to_owned();
        let source = *source;
        self.off_thread(move |registry| registry.set_source(&owner, &name, &source))
            .await
    }

    async fn start_build(
        &self,
        algorithm_id: &AlgorithmId,
        commit_sha: &ContentHash,
        lease: &BuildLease,
    ) -> Result<Build, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        let commit_sha = *commit_sha;
        let lease = lease.clone();
        self.off_thread(move |registry| registry.start_build(&algorithm_id, &commit_sha, &lease))
            .await
    }

    async fn renew_build_lease(
        &self,
        build_id: &BuildId,
        lease: &BuildLease,
    ) -> Result<bool, RegistryError> {
        let build_id = build_id.to_owned();
        let lease = lease.clone();
        self.off_thread(move |registry| registry.renew_build_lease(&build_id, &lease))
            .await
    }

    async fn finish_build(
        &self,
        build_id: &BuildId,
        succeeded: bool,
        logs: &str,
    ) -> Result<Build, RegistryError> {
        let build_id = build_id.to_owned();
        let logs = logs.to_owned();
        self.off_thread(move |registry| registry.finish_build(&build_id, succeeded, &logs))
            .await
    }

    async fn builds(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
    ) -> Result<Page<Build>, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        let page = page.clone();
        self.off_thread(move |registry| registry.builds(&algorithm_id, &page))
            .await
    }

    async fn build(
        &self,
        algorithm_id: &AlgorithmId,
        build_id: &BuildId,
    ) -> Result<Option<Build>, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        let build_id = build_id.to_owned();
        self.off_thread(move |registry| registry.build(&algorithm_id, &build_id))
            .await
    }

    async fn publish(
        &self,
        algorithm_id: &AlgorithmId,
        request: &PublishRequest,
    ) -> Result<Version, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        let request = request.clone();
        self.off_thread(move |registry| registry.publish(&algorithm_id, &request))
            .await
    }

    async fn versions(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
        public_only: bool,
    ) -> Result<Page<Version>, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        let page = page.clone();
        self.off_thread(move |registry| registry.versions(&algorithm_id, &page, public_only))
            .await
    }

    async fn was_uploaded(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<bool, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        let hash = *hash;
        self.off_thread(move |registry| registry.was_uploaded(&algorithm_id, &hash))
            .await
    }

    async fn version_by_hash(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<Option<Version>, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        let hash = *hash;
        self.off_thread(move |registry| registry.version_by_hash(&algorithm_id, &hash))
            .await
    }

    async fn all_versions(
        &self,
        algorithm_id: &AlgorithmId,
    ) -> Result<Vec<Version>, RegistryError> {
        let algorithm_id = algorithm_id.to_owned();
        self.off_thread(move |registry| registry.all_versions(&algorithm_id))
            .await
    }

    async fn fail_unfinished_builds(&self, logs: &str) -> Result<usize, RegistryError> {
        let logs = logs.to_owned();
        self.off_thread(move |registry| registry.fail_unfinished_builds(&logs))
            .await
    }

    async fn fail_lapsed_builds(&self, logs: &str) -> Result<usize, RegistryError> {
        let logs = logs.to_owned();
        self.off_thread(move |registry| registry.fail_lapsed_builds(&logs))
            .await
    }
}
