//! A throwaway PostgreSQL database for tests: created empty, dropped when
//! the guard is, also when the test fails.
//!
//! The server is the one at `postgres://postgres@127.0.0.1:5432` (trust
//! authentication), or the one `ALGOBOX_TEST_POSTGRES` names (a URL with no
//! database). A test that cannot reach it fails, saying so; it never skips.

use tokio_postgres::NoTls;

use crate::registry::postgres::PostgresRegistry;

/// The server the tests use when `ALGOBOX_TEST_POSTGRES` is unset.
pub const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// An empty database of its own, dropped (with any connections to it)
/// when this is.
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
}

impl TestDatabase {
    /// Creates `algobox_test_<random>` on the test server.
    ///
    /// # Panics
    ///
    /// If the server cannot be reached or refuses to create the database,
    /// with a message naming the server.
    pub async fn create() -> Self {
        let server =
            std::env::var("ALGOBOX_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
        let server = server.trim_end_matches('/').to_owned();
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).expect("the operating system's random source failed");
        let name = format!(
            "algobox_test_{}",
            random
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        run_admin(&server, &format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        Self { server, name }
    }

    /// The database's URL, for [`PostgresRegistry::connect`] or
    /// `algobox serve --registry`.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A registry over the database (migrating it if it is new).
    ///
    /// # Panics
    ///
    /// If connecting or migrating fails.
    pub async fn registry(&self) -> PostgresRegistry {
        PostgresRegistry::connect(&self.url())
            .await
            .unwrap_or_else(|err| panic!("cannot open the registry in {}: {err}", self.name))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop may run inside a runtime (a test's), where blocking on
        // another future is refused: drop the database from a thread with
        // a runtime of its own. `FORCE` ends the pools' connections to it.
        let server = self.server.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(run_admin(&server, &sql))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("cannot drop the test database {}: {err}", self.name),
            Err(_) => eprintln!(
                "cannot drop the test database {}: the thread panicked",
                self.name
            ),
        }
    }
}

/// Runs `sql` in the server's `postgres` database.
async fn run_admin(server: &str, sql: &str) -> Result<(), String> {
    let url = format!("{server}/postgres");
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.map_err(|err| {
        format!(
            "PostgreSQL is not reachable at {server} ({}); the registry tests need it: start PostgreSQL on 127.0.0.1:5432 with trust authentication for the user `postgres`, or set ALGOBOX_TEST_POSTGRES to another server's URL",
            super::describe(&err)
        )
    })?;
    let connection = tokio::spawn(connection);
    let result = client
        .batch_execute(sql)
        .await
        .map_err(|err| format!("`{sql}` failed on {server}: {}", super::describe(&err)));
    drop(client);
    let _ = connection.await;
    result
}
