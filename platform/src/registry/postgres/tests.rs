//! The PostgreSQL registry: the conformance suite on a database of its
//! own per test, and what only a shared database can get wrong (several
//! servers migrating at once, reconnecting, the SQL-level guarantees).

use std::sync::Arc;

use crate::registry::Registry;
use crate::registry::account::AccountKind;
use crate::registry::conformance::{acct, algo, build, hello, request};
use crate::registry::error::RegistryError;
use crate::registry::postgres::PostgresRegistry;
use crate::registry::postgres::schema::MIGRATIONS;
use crate::registry::postgres::test_database::TestDatabase;
use crate::registry::settings::Callability;
use crate::registry::version::VersionBump;
use algobox_runtime::content_hash::ContentHash;

/// A registry over a new database, and the database's guard.
async fn registry() -> (TestDatabase, PostgresRegistry) {
    let database = TestDatabase::create().await;
    let registry = database.registry().await;
    (database, registry)
}

mod conformance {
    use super::registry;

    conformance_suite!();
}

/// A direct connection to the test database, for looking under the
/// registry.
async fn raw(database: &TestDatabase) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&database.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_migrating_one_empty_database_at_once_all_succeed() {
    let database = TestDatabase::create().await;
    let url = database.url();
    let starts =
        futures_util::future::join_all((0..4).map(|_| PostgresRegistry::connect(&url))).await;
    let registries: Vec<PostgresRegistry> = starts
        .into_iter()
        .map(|started| started.expect("every server starts"))
        .collect();
    let client = raw(&database).await;
    let versions: Vec<i32> = client
        .query("SELECT version FROM schema_version ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let expected: Vec<i32> = (1..=MIGRATIONS.len() as i32).collect();
    assert_eq!(versions, expected, "each migration ran once");
    // Each works on the one schema: what one writes, another reads.
    registries[0]
        .create_account(&acct("demo"), AccountKind::User)
        .await
        .unwrap();
    assert!(
        registries[3]
            .account(&acct("DEMO"))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn data_survives_reconnecting() {
    let database = TestDatabase::create().await;
    let (key, algorithm, version) = {
        let registry = database.registry().await;
        let algorithm = hello(&registry).await;
        let (_, key) = registry.create_key(&acct("demo"), "test").await.unwrap();
        let hash = ContentHash::of(b"module");
        registry
            .set_source(&acct("demo"), &algo("Hello"), &hash)
            .await
            .unwrap();
        let id = build(&registry, &algorithm, "module", true).await;
        let version = registry
            .publish(
                &algorithm,
                &request(&id, VersionBump::Minor, Callability::Public),
            )
            .await
            .unwrap();
        let algorithm = registry.algorithm_by_id(&algorithm).await.unwrap().unwrap();
        (key, algorithm, version)
    };

    let registry = database.registry().await;
    assert_eq!(
        registry.authenticate(&key).await.unwrap().map(|a| a.name),
        Some(acct("demo"))
    );
    assert_eq!(
        registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap(),
        Some(algorithm.clone())
    );
    assert_eq!(
        registry.all_versions(&algorithm.id).await.unwrap(),
        vec![version]
    );
    assert!(
        registry
            .was_uploaded(&algorithm.id, &ContentHash::of(b"module"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_database_from_a_newer_algobox_is_refused() {
    let database = TestDatabase::create().await;
    drop(database.registry().await);
    let client = raw(&database).await;
    client
        .execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)",
            &[],
        )
        .await
        .unwrap();
    let err = PostgresRegistry::connect(&database.url())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("schema version 99"), "{err}");
    assert!(err.to_string().contains("upgrade algobox"), "{err}");
}

#[tokio::test]
async fn published_versions_and_keys_are_safe_at_the_sql_level() {
    let (database, registry) = registry().await;
    let algorithm = hello(&registry).await;
    let id = build(&registry, &algorithm, "a", true).await;
    registry
        .publish(
            &algorithm,
            &request(&id, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap();
    let (_, key) = registry.create_key(&acct("demo"), "ci").await.unwrap();

    let client = raw(&database).await;
    let err = client
        .execute("UPDATE versions SET release_notes = 'edited'", &[])
        .await
        .unwrap_err();
    let message = err.as_db_error().unwrap().message().to_owned();
    assert_eq!(message, "published versions never change");
    let notes: String = client
        .query_one("SELECT release_notes FROM versions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(notes, "minor release");

    let (stored, leaks): (Vec<u8>, i64) = {
        let row = client
            .query_one(
                "SELECT key_hash, (SELECT count(*) FROM api_keys
                    WHERE position($1 IN encode(key_hash, 'escape')) > 0
                       OR position($1 IN label) > 0 OR position($1 IN id) > 0)
                 FROM api_keys",
                &[&key],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(stored, crate::registry::api_key::hash(&key));
    assert_eq!(leaks, 0, "the key itself is stored nowhere");
}

#[tokio::test]
async fn an_unreachable_server_is_named_in_the_error() {
    // Port 1 on loopback: nothing listens there.
    let err = PostgresRegistry::connect("postgres://postgres@127.0.0.1:1/algobox")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, RegistryError::Storage(_)), "{message}");
    assert!(message.contains("127.0.0.1:1/algobox"), "{message}");
    assert!(message.contains("--registry"), "{message}");
    assert!(!message.contains("password"), "{message}");

    let err = PostgresRegistry::connect("postgres://u:secret@127.0.0.1:1/algobox")
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("secret"), "{err}");
    let err = PostgresRegistry::connect("postgres://[bad")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not a PostgreSQL connection string"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_publishing_one_algorithm_get_distinct_versions() {
    let (database, first) = registry().await;
    let second = database.registry().await;
    let algorithm = hello(&first).await;
    let servers: [Arc<dyn Registry>; 2] = [Arc::new(first), Arc::new(second)];
    let mut builds = Vec::new();
    for i in 0..6 {
        builds.push(build(&*servers[i % 2], &algorithm, &format!("c{i}"), true).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in builds.into_iter().enumerate() {
        let server = Arc::clone(&servers[i % 2]);
        let algorithm = algorithm.clone();
        tasks.spawn(async move {
            server
                .publish(
                    &algorithm,
                    &request(&id, VersionBump::Minor, Callability::Public),
                )
                .await
                .unwrap()
                .version
        });
    }
    let mut versions: Vec<u64> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|version| version.minor)
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
}
