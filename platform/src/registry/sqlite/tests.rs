//! The SQLite registry as a whole: the conformance suite, durability,
//! settings, the trait.

use crate::registry::Registry;
use crate::registry::algorithm::Details;
use crate::registry::conformance::{acct, algo};
use crate::registry::sqlite::*;
use crate::registry::version::VersionBump;

/// A registry in memory, and no guard.
async fn registry() -> ((), SqliteRegistry) {
    ((), SqliteRegistry::in_memory().unwrap())
}

mod conformance {
    use super::registry;

    conformance_suite!();
}

#[test]
fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let hash = ContentHash::of(b"module");
    let (key, algorithm, version) = {
        let registry = SqliteRegistry::open(&path).unwrap();
        registry
            .create_account(&acct("demo"), AccountKind::User)
            .unwrap();
        let (_, key) = registry.create_key(&acct("demo"), "test").unwrap();
        let request = NewAlgorithm {
            name: "Hello".into(),
            details: Details {
                label: "Hello".into(),
                ..Details::default()
            },
            settings: crate::registry::conformance::required_settings(),
        };
        registry.create_algorithm(&acct("demo"), &request).unwrap();
        let algorithm = registry
            .set_source(&acct("demo"), &algo("Hello"), &hash)
            .unwrap();
        let build = registry
            .start_build(&algorithm.id, &hash, &crate::registry::conformance::lease())
            .unwrap();
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
        Some(acct("demo"))
    );
    assert_eq!(
        registry.algorithm(&acct("demo"), &algo("Hello")).unwrap(),
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

#[tokio::test]
async fn the_registry_is_usable_as_an_async_trait_object() {
    let registry: std::sync::Arc<dyn Registry> =
        std::sync::Arc::new(SqliteRegistry::in_memory().unwrap());
    let worker = std::sync::Arc::clone(&registry);
    tokio::spawn(async move {
        worker
            .create_account(&acct("demo"), AccountKind::User)
            .await
    })
    .await
    .unwrap()
    .unwrap();
    let found = registry.account(&acct("DEMO")).await.unwrap();
    assert_eq!(found.map(|account| account.name), Some(acct("demo")));
    assert!(registry.account(&acct("nobody")).await.unwrap().is_none());
}

#[test]
fn an_unopenable_path_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-folder").join("registry.db");
    let err = SqliteRegistry::open(&path).unwrap_err();
    assert!(err.to_string().contains("missing-folder"), "{err}");
}
