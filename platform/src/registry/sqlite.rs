//! The registry in one SQLite file.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{
    Account, AccountKind, Algorithm, AlgorithmUpdate, ApiKeyInfo, Build, NewAlgorithm, Page,
    PageRequest, PublishRequest, Registry, RegistryError, Version, account_rows, algorithm_rows,
    build_rows, key_rows, publication, schema, version_rows,
};
use crate::ContentHash;

/// How long a write waits for another process's write to finish before
/// failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Registry`] in a SQLite database.
///
/// One connection behind a mutex: registry operations are short, and SQLite
/// serializes writers anyway, so a pool would add contention, not speed.
pub struct SqliteRegistry {
    conn: Mutex<Connection>,
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
            conn: Mutex::new(conn),
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

impl Registry for SqliteRegistry {
    fn create_account(&self, name: &str, kind: AccountKind) -> Result<Account, RegistryError> {
        account_rows::create(&mut self.conn(), name, kind)
    }

    fn account(&self, name: &str) -> Result<Option<Account>, RegistryError> {
        account_rows::get(&self.conn(), name)
    }

    fn add_member(&self, organization: &str, user: &str) -> Result<(), RegistryError> {
        account_rows::add_member(&mut self.conn(), organization, user)
    }

    fn is_member(&self, organization: &str, user: &str) -> Result<bool, RegistryError> {
        account_rows::is_member(&self.conn(), organization, user)
    }

    fn create_key(
        &self,
        account: &str,
        label: &str,
    ) -> Result<(ApiKeyInfo, String), RegistryError> {
        let plaintext = super::api_key::generate()?;
        let info = key_rows::insert(&mut self.conn(), account, label, &plaintext)?;
        Ok((info, plaintext))
    }

    fn set_key(
        &self,
        account: &str,
        label: &str,
        plaintext: &str,
    ) -> Result<ApiKeyInfo, RegistryError> {
        super::api_key::validate_chosen(plaintext)?;
        key_rows::insert(&mut self.conn(), account, label, plaintext)
    }

    fn authenticate(&self, plaintext: &str) -> Result<Option<Account>, RegistryError> {
        key_rows::authenticate(&self.conn(), plaintext)
    }

    fn list_keys(&self, account: &str) -> Result<Vec<ApiKeyInfo>, RegistryError> {
        key_rows::list(&self.conn(), account)
    }

    fn revoke_key(&self, account: &str, key_id: &str) -> Result<bool, RegistryError> {
        key_rows::revoke(&self.conn(), account, key_id)
    }

    fn create_algorithm(
        &self,
        owner: &str,
        request: &NewAlgorithm,
    ) -> Result<Algorithm, RegistryError> {
        algorithm_rows::create(&mut self.conn(), owner, request)
    }

    fn algorithm(&self, owner: &str, name: &str) -> Result<Option<Algorithm>, RegistryError> {
        algorithm_rows::by_name(&self.conn(), owner, name)
    }

    fn algorithm_by_id(&self, id: &str) -> Result<Option<Algorithm>, RegistryError> {
        algorithm_rows::by_id(&self.conn(), id)
    }

    fn update_algorithm(
        &self,
        owner: &str,
        name: &str,
        update: &AlgorithmUpdate,
    ) -> Result<Algorithm, RegistryError> {
        algorithm_rows::update(&mut self.conn(), owner, name, update)
    }

    fn delete_algorithm(&self, owner: &str, name: &str) -> Result<bool, RegistryError> {
        algorithm_rows::delete(&self.conn(), owner, name)
    }

    fn set_source(
        &self,
        owner: &str,
        name: &str,
        source: &ContentHash,
    ) -> Result<Algorithm, RegistryError> {
        algorithm_rows::set_source(&mut self.conn(), owner, name, source)
    }

    fn start_build(
        &self,
        algorithm_id: &str,
        commit_sha: &ContentHash,
    ) -> Result<Build, RegistryError> {
        build_rows::start(&mut self.conn(), algorithm_id, commit_sha)
    }

    fn finish_build(
        &self,
        build_id: &str,
        succeeded: bool,
        logs: &str,
    ) -> Result<Build, RegistryError> {
        build_rows::finish(&mut self.conn(), build_id, succeeded, logs)
    }

    fn builds(&self, algorithm_id: &str, page: &PageRequest) -> Result<Page<Build>, RegistryError> {
        build_rows::page(&self.conn(), algorithm_id, page)
    }

    fn build(&self, algorithm_id: &str, build_id: &str) -> Result<Option<Build>, RegistryError> {
        build_rows::get(&self.conn(), algorithm_id, build_id)
    }

    fn publish(
        &self,
        algorithm_id: &str,
        request: &PublishRequest,
    ) -> Result<Version, RegistryError> {
        publication::publish(&mut self.conn(), algorithm_id, request)
    }

    fn versions(
        &self,
        algorithm_id: &str,
        page: &PageRequest,
        public_only: bool,
    ) -> Result<Page<Version>, RegistryError> {
        version_rows::page(&self.conn(), algorithm_id, page, public_only)
    }

    fn version_by_hash(
        &self,
        algorithm_id: &str,
        hash: &ContentHash,
    ) -> Result<Option<Version>, RegistryError> {
        version_rows::by_hash(&self.conn(), algorithm_id, hash)
    }

    fn all_versions(&self, algorithm_id: &str) -> Result<Vec<Version>, RegistryError> {
        version_rows::all(&self.conn(), algorithm_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Details, VersionBump};

    #[test]
    fn data_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        let hash = ContentHash::of(b"module");
        let (key, algorithm, version) = {
            let registry = SqliteRegistry::open(&path).unwrap();
            registry.create_account("demo", AccountKind::User).unwrap();
            let (_, key) = registry.create_key("demo", "test").unwrap();
            let request = NewAlgorithm {
                name: "Hello".into(),
                details: Details {
                    label: "Hello".into(),
                    ..Details::default()
                },
                ..NewAlgorithm::default()
            };
            registry.create_algorithm("demo", &request).unwrap();
            let algorithm = registry.set_source("demo", "Hello", &hash).unwrap();
            let build = registry.start_build(&algorithm.id, &hash).unwrap();
            registry.finish_build(&build.id, true, "ok").unwrap();
            let publish = PublishRequest {
                build_id: build.id,
                bump: VersionBump::Minor,
                release_notes: "first".into(),
                sample_input: String::new(),
                sample_output: String::new(),
                callability: None,
            };
            let version = registry.publish(&algorithm.id, &publish).unwrap();
            let algorithm = registry.algorithm_by_id(&algorithm.id).unwrap().unwrap();
            (key, algorithm, version)
        };

        let registry = SqliteRegistry::open(&path).unwrap();
        assert_eq!(
            registry.authenticate(&key).unwrap().map(|a| a.name),
            Some("demo".into())
        );
        assert_eq!(
            registry.algorithm("demo", "Hello").unwrap(),
            Some(algorithm.clone())
        );
        assert_eq!(registry.all_versions(&algorithm.id).unwrap(), vec![version]);
        let mode: String = registry
            .conn()
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: i64 = registry
            .conn()
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .unwrap();
        assert_eq!(foreign_keys, 1);
    }

    #[test]
    fn the_registry_is_usable_as_a_trait_object() {
        let registry: std::sync::Arc<dyn Registry> =
            std::sync::Arc::new(SqliteRegistry::in_memory().unwrap());
        let worker = std::sync::Arc::clone(&registry);
        std::thread::spawn(move || worker.create_account("demo", AccountKind::User).unwrap())
            .join()
            .unwrap();
        assert!(registry.account("demo").unwrap().is_some());
    }

    #[test]
    fn an_unopenable_path_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder").join("registry.db");
        let err = SqliteRegistry::open(&path).unwrap_err();
        assert!(err.to_string().contains("missing-folder"), "{err}");
    }
}
