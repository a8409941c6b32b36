//! The registry in PostgreSQL, so that several servers can share it.
//!
//! The same guarantees as [`SqliteRegistry`](super::sqlite::SqliteRegistry):
//! every operation is one transaction, names are unique and looked up
//! without regard to case (unique indexes on `lower(name)`), published
//! versions never change (a trigger refuses updates), and publishing locks
//! the algorithm's row, so concurrent publishes, from any number of servers,
//! get distinct version numbers. A server killed at any moment leaves whole
//! transactions only.

mod account_rows;
mod algorithm_rows;
mod build_rows;
mod column;
mod key_rows;
mod publication;
mod schema;
#[cfg(any(test, feature = "test-database"))]
pub mod test_database;
mod version_rows;

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use tokio_postgres::NoTls;

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
use crate::registry::version::{PublishRequest, Version};

/// Connections the pool keeps at most. Registry operations are short (one
/// round trip, or one transaction of a few), and a synchronous call reaches
/// the registry only when its caches miss, so a few connections serve a
/// busy node; PostgreSQL's default limit of 100 connections then leaves
/// room for about a dozen nodes.
const POOL_SIZE: usize = 8;

/// How long an operation waits for a free connection, or for a new one to
/// be established, before failing.
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// A [`Registry`] in a PostgreSQL database, through a pool of connections.
#[derive(Clone)]
pub struct PostgresRegistry {
    pool: Pool,
    /// `host:port/database`, for messages (never the password).
    target: String,
}

impl std::fmt::Debug for PostgresRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresRegistry")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PostgresRegistry {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// or libpq's `key=value` form), and brings its schema up to date.
    /// Servers starting at once on one database take turns migrating it.
    /// Connections are not encrypted (no TLS): keep the database on a
    /// private network.
    pub async fn connect(url: &str) -> Result<Self, RegistryError> {
        let config: tokio_postgres::Config = url.parse().map_err(|err| {
            RegistryError::Storage(format!(
                "the registry URL is not a PostgreSQL connection string ({err}); write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ))
        })?;
        let target = describe_target(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection returned to the pool is checked by its state
                // only; a broken one fails its next query, and the pool
                // replaces it.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|err| RegistryError::Storage(format!("cannot create a pool: {err}")))?;
        let registry = Self { pool, target };
        let mut client = registry.client().await?;
        schema::migrate(&mut client).await?;
        Ok(registry)
    }

    /// The pool, for the cluster's data store, whose tables the registry's
    /// migrations create in the same database.
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// `host:port/database`, for messages.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// A connection from the pool.
    async fn client(&self) -> Result<Object, RegistryError> {
        self.pool.get().await.map_err(|err| match err {
            PoolError::Backend(err) => RegistryError::Storage(format!(
                "cannot reach PostgreSQL at {}: {}; check that it runs and that the registry URL (--registry, ALGOBOX_REGISTRY) is right",
                self.target,
                describe(&err)
            )),
            other => RegistryError::Storage(format!(
                "no connection to PostgreSQL at {} within {} s ({other}); check that it is reachable and accepts more connections",
                self.target,
                POOL_TIMEOUT.as_secs()
            )),
        })
    }
}

/// `host:port/database` of `config`.
fn describe_target(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or_default();
    format!("{host}:{port}/{database}")
}

/// What PostgreSQL (or the connection to it) said: the server's message
/// and SQLSTATE code where there is one, which `tokio_postgres::Error`'s
/// own display leaves out.
pub(crate) fn describe(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    match std::error::Error::source(err) {
        Some(source) => format!("{err}: {source}"),
        None => err.to_string(),
    }
}

impl From<tokio_postgres::Error> for RegistryError {
    fn from(err: tokio_postgres::Error) -> Self {
        Self::Storage(format!("PostgreSQL: {}", describe(&err)))
    }
}

#[async_trait]
impl Registry for PostgresRegistry {
    async fn create_account(
        &self,
        name: &AccountName,
        kind: AccountKind,
    ) -> Result<Account, RegistryError> {
        let client = self.client().await?;
        account_rows::create(&client, name, kind).await
    }

    async fn account(&self, name: &AccountName) -> Result<Option<Account>, RegistryError> {
        let client = self.client().await?;
        account_rows::get(&client, name.as_str()).await
    }

    async fn add_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<(), RegistryError> {
        let mut client = self.client().await?;
        account_rows::add_member(&mut client, organization.as_str(), user.as_str()).await
    }

    async fn is_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<bool, RegistryError> {
        let client = self.client().await?;
        account_rows::is_member(&client, organization.as_str(), user.as_str()).await
    }

    async fn create_key(
        &self,
        account: &AccountName,
        label: &str,
    ) -> Result<(ApiKeyInfo, String), RegistryError> {
        let plaintext = super::api_key::generate()?;
        let mut client = self.client().await?;
        let info = key_rows::insert(&mut client, account.as_str(), label, &plaintext).await?;
        Ok((info, plaintext))
    }

    async fn set_key(
        &self,
        account: &AccountName,
        label: &str,
        plaintext: &str,
    ) -> Result<ApiKeyInfo, RegistryError> {
        super::api_key::validate_chosen(plaintext)?;
        let mut client = self.client().await?;
        key_rows::insert(&mut client, account.as_str(), label, plaintext).await
    }

    async fn authenticate(&self, plaintext: &str) -> Result<Option<Account>, RegistryError> {
        let client = self.client().await?;
        key_rows::authenticate(&client, plaintext).await
    }

    async fn list_keys(&self, account: &AccountName) -> Result<Vec<ApiKeyInfo>, RegistryError> {
        let client = self.client().await?;
        key_rows::list(&client, account.as_str()).await
    }

    async fn revoke_key(&self, account: &AccountName, key_id: &str) -> Result<bool, RegistryError> {
        let client = self.client().await?;
        key_rows::revoke(&client, account.as_str(), key_id).await
    }

    async fn create_algorithm(
        &self,
        owner: &AccountName,
        request: &NewAlgorithm,
    ) -> Result<AlgorithmRecord, RegistryError> {
        let mut client = self.client().await?;
        algorithm_rows::create(&mut client, owner.as_str(), request).await
    }

    async fn algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<Option<AlgorithmRecord>, RegistryError> {
        let client = self.client().await?;
        algorithm_rows::by_name(&**client, owner.as_str(), name.as_str(), false).await
    }

    async fn algorithm_by_id(
        &self,
        id: &AlgorithmId,
    ) -> Result<Option<AlgorithmRecord>, RegistryError> {
        let client = self.client().await?;
        algorithm_rows::by_id(&**client, id.as_str(), false).await
    }

    async fn update_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        update: &AlgorithmUpdate,
    ) -> Result<AlgorithmRecord, RegistryError> {
        let mut client = self.client().await?;
        algorithm_rows::update(&mut client, owner.as_str(), name.as_str(), update).await
    }

    async fn delete_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<bool, RegistryError> {
        let client = self.client().await?;
        algorithm_rows::delete(&client, owner.as_str(), name.as_str()).await
    }

    async fn set_source(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        source: &ContentHash,
    ) -> Result<AlgorithmRecord, RegistryError> {
        let mut client = self.client().await?;
        algorithm_rows::set_source(&mut client, owner.as_str(), name.as_str(), source).await
    }

    async fn was_uploaded(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<bool, RegistryError> {
        let client = self.client().await?;
        algorithm_rows::was_uploaded(&client, algorithm_id.as_str(), hash).await
    }

    async fn start_build(
        &self,
        algorithm_id: &AlgorithmId,
        commit_sha: &ContentHash,
        lease: &BuildLease,
    ) -> Result<Build, RegistryError> {
        let client = self.client().await?;
        build_rows::start(&client, algorithm_id, commit_sha, lease).await
    }

    async fn renew_build_lease(
        &self,
        build_id: &BuildId,
        lease: &BuildLease,
    ) -> Result<bool, RegistryError> {
        let client = self.client().await?;
        build_rows::renew(&client, build_id, lease).await
    }

    async fn finish_build(
        &self,
        build_id: &BuildId,
        succeeded: bool,
        logs: &str,
    ) -> Result<Build, RegistryError> {
        let mut client = self.client().await?;
        build_rows::finish(&mut client, build_id.as_str(), succeeded, logs).await
    }

    async fn builds(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
    ) -> Result<Page<Build>, RegistryError> {
        let client = self.client().await?;
        build_rows::page(&client, algorithm_id.as_str(), page).await
    }

    async fn build(
        &self,
        algorithm_id: &AlgorithmId,
        build_id: &BuildId,
    ) -> Result<Option<Build>, RegistryError> {
        let client = self.client().await?;
        build_rows::get(&**client, algorithm_id.as_str(), build_id.as_str()).await
    }

    async fn publish(
        &self,
        algorithm_id: &AlgorithmId,
        request: &PublishRequest,
    ) -> Result<Version, RegistryError> {
        let mut client = self.client().await?;
        publication::publish(&mut client, algorithm_id, request).await
    }

    async fn versions(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
        public_only: bool,
    ) -> Result<Page<Version>, RegistryError> {
        let client = self.client().await?;
        version_rows::page(&client, algorithm_id.as_str(), page, public_only).await
    }

    async fn version_by_hash(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<Option<Version>, RegistryError> {
        let client = self.client().await?;
        version_rows::by_hash(&client, algorithm_id.as_str(), hash).await
    }

    async fn all_versions(
        &self,
        algorithm_id: &AlgorithmId,
    ) -> Result<Vec<Version>, RegistryError> {
        let client = self.client().await?;
        version_rows::all(&client, algorithm_id.as_str()).await
    }

    async fn fail_unfinished_builds(&self, logs: &str) -> Result<usize, RegistryError> {
        let client = self.client().await?;
        build_rows::fail_unfinished(&client, logs).await
    }

    async fn fail_lapsed_builds(&self, logs: &str) -> Result<usize, RegistryError> {
        let client = self.client().await?;
        build_rows::fail_lapsed(&client, logs).await
    }
}

#[cfg(test)]
mod tests;
