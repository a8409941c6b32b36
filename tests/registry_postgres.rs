//! A server whose registry is in PostgreSQL: the whole deploy flow over
//! HTTP, and what it wrote outlives the server.

use std::sync::Arc;

use algobox_platform::registry::Registry;
use algobox_platform::registry::postgres::PostgresRegistry;
use algobox_platform::registry::postgres::test_database::TestDatabase;
use serde_json::json;

use crate::server::{ADMIN_KEY, TestServer};

/// A server over a new data folder whose registry is in `database`.
async fn start(database: &TestDatabase, data: tempfile::TempDir) -> TestServer {
    let registry = PostgresRegistry::connect(&database.url()).await.unwrap();
    TestServer::start_with_registry(data, Arc::new(registry)).await
}

#[tokio::test]
async fn create_upload_compile_publish_and_call_with_the_registry_in_postgres() {
    let database = TestDatabase::create().await;
    let server = start(&database, tempfile::tempdir().unwrap()).await;

    let published = server
        .deploy("Greeter", test_artifacts::HELLO, "public")
        .await;
    assert_eq!(published["version_info"]["semantic_version"], "0.1.0");
    let hash = published["version_info"]["git_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = server.user("visitor").await;
    let called = server
        .call_json(&user, "/v1/algo/admin/Greeter/0.1.0", json!("Neo"))
        .await;
    assert_eq!(called["result"], "Hello Neo", "{called}");

    // The registry the server wrote is PostgreSQL's: another registry on
    // the database (another node's) sees the version, and the data folder
    // holds no SQLite registry.
    let other = PostgresRegistry::connect(&database.url()).await.unwrap();
    let algorithm = other
        .algorithm(&"admin".parse().unwrap(), &"greeter".parse().unwrap())
        .await
        .unwrap()
        .expect("the algorithm is in PostgreSQL");
    let versions = other.all_versions(&algorithm.id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].commit_sha.to_string(), hash);
    assert!(!server.data.path().join("registry.sqlite3").exists());

    // Restarted over the same database and data folder, the server knows
    // the key, the algorithm and its version.
    let data = server.stop().await;
    let server = start(&database, data).await;
    let called = server
        .call_json(&user, "/v1/algo/admin/Greeter", json!("Trinity"))
        .await;
    assert_eq!(called["result"], "Hello Trinity", "{called}");
    let listed = server
        .send(
            "GET",
            "/v1/algorithms/admin/Greeter/versions",
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(
        listed.json()["results"][0]["version_info"]["semantic_version"],
        "0.1.0"
    );
}

#[tokio::test]
async fn a_build_left_in_progress_fails_when_a_server_starts() {
    let database = TestDatabase::create().await;
    let server = start(&database, tempfile::tempdir().unwrap()).await;
    let created = server
        .admin_json(
            "POST",
            "/v1/algorithms/admin",
            json!({"name": "Stuck", "details": {"label": "Stuck"},
                   "settings": crate::server::settings(serde_json::Value::Null)}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let registry = server.platform.registry().clone();
    let algorithm = registry
        .algorithm(&"admin".parse().unwrap(), &"Stuck".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    // A compile that a killed server never finished.
    let build = registry
        .start_build(
            &algorithm.id,
            &algobox_runtime::content_hash::ContentHash::of(b"module"),
            &algobox_platform::registry::build_lease::BuildLease {
                owner: algobox_platform::identity::NodeId::random(),
                term: std::time::Duration::from_secs(60),
            },
        )
        .await
        .unwrap();
    let data = server.stop().await;

    let server = start(&database, data).await;
    let build = server
        .platform
        .registry()
        .build(&algorithm.id, &build.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        build.status,
        algobox_platform::registry::build::BuildStatus::Failed
    );
    assert!(
        build.logs.contains("compile the algorithm again"),
        "{}",
        build.logs
    );
}
