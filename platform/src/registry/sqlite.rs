//! The registry in one SQLite file.

mod account_rows;
mod algorithm_rows;
mod blocking_pool;
mod build_rows;
mod column;
#[cfg(test)]
pub(crate) mod fixture;
mod key_rows;
mod publication;
mod schema;
mod version_rows;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::identity::{AccountName, AlgorithmId, AlgorithmName, BuildId};
use crate::registry::account::{Account, AccountKind};

use crate::registry::algorithm::{AlgorithmRecord, AlgorithmUpdate, NewAlgorithm};

use crate::registry::api_key::ApiKeyInfo;

use crate::registry::build::Build;
use crate::registry::build_lease::BuildLease;

use crate::registry::page::{Page, PageRequest};

use crate::registry::version::{PublishRequest, Version};

use crate::registry::error::RegistryError;

use algobox_runtime::content_hash::ContentHash;

/// How long a write waits for another process's write to finish before
/// failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Registry`] in a SQLite database.
///
/// One connection behind a mutex: registry operations are short, and SQLite
/// serializes writers anyway, so a pool would add contention, not speed.
#[derive(Clone)]
pub struct SqliteRegistry {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteRegistry").finish_non_exhaustive()
    }
}

impl SqliteRegistry {
    /// Opens the database at `path`, creating it if needed, and brings its
    /// schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let path = path.as_ref();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|err| RegistryError::Storage(format!("cannot open {}: {err}", path.display())))?;
        Self::configure(conn)
    }

    /// A private database in memory, gone when dropped: for tests.
    pub fn in_memory() -> Result<Self, RegistryError> {
        Self::configure(Connection::open_in_memory()?)
    }

    fn configure(mut conn: Connection) -> Result<Self, RegistryError> {
        // WAL lets readers in other processes (backups, an operator's
        // `sqlite3`) run while the server writes. (In memory it stays
        // `memory`, which is fine.)
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        // In WAL mode, NORMAL syncs the log at checkpoints rather than at
        // every commit. A killed process loses nothing, since committed
        // pages are in the log file the OS already holds; only a power
        // loss or OS crash can drop the last commits, and never corrupts
        // the database.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Off by default in SQLite; the schema's cascades depend on it.
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The connection. A panic in another thread while holding it cannot
    /// leave a transaction half-done (dropping it rolls back), so a
    /// poisoned lock is safe to take over.
    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl From<rusqlite::Error> for RegistryError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Storage(err.to_string())
    }
}

/// The registry's operations, run on the calling thread. [`Registry`]
/// runs them on tokio's blocking pool.
impl SqliteRegistry {
    /// [`Registry::create_account`], on the calling thread.
    pub fn create_account(
        &self,
        name: &AccountName,
        kind: AccountKind,
    ) -> Result<Account, RegistryError> {
        account_rows::create(&mut self.conn(), name, kind)
    }

    /// [`Registry::account`], on the calling thread.
    pub fn account(&self, name: &AccountName) -> Result<Option<Account>, RegistryError> {
        account_rows::get(&self.conn(), name.as_str())
    }

    /// [`Registry::add_member`], on the calling thread.
    pub fn add_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<(), RegistryError> {
        account_rows::add_member(&mut self.conn(), organization.as_str(), user.as_str())
    }

    /// [`Registry::is_member`], on the calling thread.
    pub fn is_member(
        &self,
        organization: &AccountName,
        user: &AccountName,
    ) -> Result<bool, RegistryError> {
        account_rows::is_member(&self.conn(), organization.as_str(), user.as_str())
    }

    /// [`Registry::create_key`], on the calling thread.
    pub fn create_key(
        &self,
        account: &AccountName,
        label: &str,
    ) -> Result<(ApiKeyInfo, String), RegistryError> {
        let plaintext = super::api_key::generate()?;
        let info = key_rows::insert(&mut self.conn(), account.as_str(), label, &plaintext)?;
        Ok((info, plaintext))
    }

    /// [`Registry::set_key`], on the calling thread.
    pub fn set_key(
        &self,
        account: &AccountName,
        label: &str,
        plaintext: &str,
    ) -> Result<ApiKeyInfo, RegistryError> {
        super::api_key::validate_chosen(plaintext)?;
        key_rows::insert(&mut self.conn(), account.as_str(), label, plaintext)
    }

    /// [`Registry::authenticate`], on the calling thread.
    pub fn authenticate(&self, plaintext: &str) -> Result<Option<Account>, RegistryError> {
        key_rows::authenticate(&self.conn(), plaintext)
    }

    /// [`Registry::list_keys`], on the calling thread.
    pub fn list_keys(&self, account: &AccountName) -> Result<Vec<ApiKeyInfo>, RegistryError> {
        key_rows::list(&self.conn(), account.as_str())
    }

    /// [`Registry::revoke_key`], on the calling thread.
    pub fn revoke_key(&self, account: &AccountName, key_id: &str) -> Result<bool, RegistryError> {
        key_rows::revoke(&self.conn(), account.as_str(), key_id)
    }

    /// [`Registry::create_algorithm`], on the calling thread.
    pub fn create_algorithm(
        &self,
        owner: &AccountName,
        request: &NewAlgorithm,
    ) -> Result<AlgorithmRecord, RegistryError> {
        algorithm_rows::create(&mut self.conn(), owner.as_str(), request)
    }

    /// [`Registry::algorithm`], on the calling thread.
    pub fn algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<Option<AlgorithmRecord>, RegistryError> {
        algorithm_rows::by_name(&self.conn(), owner.as_str(), name.as_str())
    }

    /// [`Registry::algorithm_by_id`], on the calling thread.
    pub fn algorithm_by_id(
        &self,
        id: &AlgorithmId,
    ) -> Result<Option<AlgorithmRecord>, RegistryError> {
        algorithm_rows::by_id(&self.conn(), id.as_str())
    }

    /// [`Registry::update_algorithm`], on the calling thread.
    pub fn update_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        update: &AlgorithmUpdate,
    ) -> Result<AlgorithmRecord, RegistryError> {
        algorithm_rows::update(&mut self.conn(), owner.as_str(), name.as_str(), update)
    }

    /// [`Registry::delete_algorithm`], on the calling thread.
    pub fn delete_algorithm(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
    ) -> Result<bool, RegistryError> {
        algorithm_rows::delete(&self.conn(), owner.as_str(), name.as_str())
    }

    /// [`Registry::set_source`], on the calling thread.
    pub fn set_source(
        &self,
        owner: &AccountName,
        name: &AlgorithmName,
        source: &ContentHash,
    ) -> Result<AlgorithmRecord, RegistryError> {
        algorithm_rows::set_source(&mut self.conn(), owner.as_str(), name.as_str(), source)
    }

    /// [`Registry::start_build`], on the calling thread.
    pub fn start_build(
        &self,
        algorithm_id: &AlgorithmId,
        commit_sha: &ContentHash,
        lease: &BuildLease,
    ) -> Result<Build, RegistryError> {
        build_rows::start(&mut self.conn(), algorithm_id, commit_sha, lease)
    }

    /// [`Registry::renew_build_lease`], on the calling thread.
    pub fn renew_build_lease(
        &self,
        build_id: &BuildId,
        lease: &BuildLease,
    ) -> Result<bool, RegistryError> {
        build_rows::renew(&self.conn(), build_id, lease)
    }

    /// [`Registry::finish_build`], on the calling thread.
    pub fn finish_build(
        &self,
        build_id: &BuildId,
        succeeded: bool,
        logs: &str,
    ) -> Result<Build, RegistryError> {
        build_rows::finish(&mut self.conn(), build_id.as_str(), succeeded, logs)
    }

    /// [`Registry::builds`], on the calling thread.
    pub fn builds(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
    ) -> Result<Page<Build>, RegistryError> {
        build_rows::page(&self.conn(), algorithm_id.as_str(), page)
    }

    /// [`Registry::build`], on the calling thread.
    pub fn build(
        &self,
        algorithm_id: &AlgorithmId,
        build_id: &BuildId,
    ) -> Result<Option<Build>, RegistryError> {
        build_rows::get(&self.conn(), algorithm_id.as_str(), build_id.as_str())
    }

    /// [`Registry::publish`], on the calling thread.
    pub fn publish(
        &self,
        algorithm_id: &AlgorithmId,
        request: &PublishRequest,
    ) -> Result<Version, RegistryError> {
        publication::publish(&mut self.conn(), algorithm_id, request)
    }

    /// [`Registry::versions`], on the calling thread.
    pub fn versions(
        &self,
        algorithm_id: &AlgorithmId,
        page: &PageRequest,
        public_only: bool,
    ) -> Result<Page<Version>, RegistryError> {
        version_rows::page(&self.conn(), algorithm_id.as_str(), page, public_only)
    }

    /// [`Registry::was_uploaded`], on the calling thread.
    pub fn was_uploaded(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<bool, RegistryError> {
        algorithm_rows::was_uploaded(&self.conn(), algorithm_id.as_str(), hash)
    }

    /// [`Registry::version_by_hash`], on the calling thread.
    pub fn version_by_hash(
        &self,
        algorithm_id: &AlgorithmId,
        hash: &ContentHash,
    ) -> Result<Option<Version>, RegistryError> {
        version_rows::by_hash(&self.conn(), algorithm_id.as_str(), hash)
    }

    /// [`Registry::all_versions`], on the calling thread.
    pub fn all_versions(&self, algorithm_id: &AlgorithmId) -> Result<Vec<Version>, RegistryError> {
        version_rows::all(&self.conn(), algorithm_id.as_str())
    }

    /// [`Registry::fail_unfinished_builds`], on the calling thread.
    pub fn fail_unfinished_builds(&self, logs: &str) -> Result<usize, RegistryError> {
        build_rows::fail_unfinished(&self.conn(), logs)
    }

    /// [`Registry::fail_lapsed_builds`], on the calling thread.
    pub fn fail_lapsed_builds(&self, logs: &str) -> Result<usize, RegistryError> {
        build_rows::fail_lapsed(&self.conn(), logs)
    }
}

#[cfg(test)]
mod tests;
