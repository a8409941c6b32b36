//! Shared test fixtures for the registry's SQL tests.

use crate::identity::{AccountName, AlgorithmId, AlgorithmName, BuildId};
use crate::registry::account::AccountKind;
use crate::registry::algorithm::{Details, NewAlgorithm};
use crate::registry::settings::{Callability, SettingsUpdate};
use crate::registry::sqlite::SqliteRegistry;
use crate::registry::version::{PublishRequest, VersionBump};
use algobox_runtime::content_hash::ContentHash;

/// `name` as an account name.
pub(crate) fn acct(name: &str) -> AccountName {
    AccountName::parse(name).unwrap()
}

/// `name` as an algorithm name.
pub(crate) fn algo(name: &str) -> AlgorithmName {
    AlgorithmName::parse(name).unwrap()
}

/// An id no algorithm or build has.
pub(crate) fn unknown_id() -> AlgorithmId {
    AlgorithmId::parse("00000000-0000-4000-8000-000000000000").unwrap()
}

/// The settings Algorithmia requires at create: Rust on CPU, private,
/// closed, isolated, no pipelines.
pub(crate) fn required_settings() -> SettingsUpdate {
    SettingsUpdate {
        language: Some("rust".into()),
        environment: Some("cpu".into()),
        license: Some("apl".into()),
        network_access: Some("isolated".into()),
        pipeline_enabled: Some(false),
        source_visibility: Some("closed".into()),
        ..SettingsUpdate::default()
    }
}

/// A registry with the algorithm `demo/Hello`, and its id.
pub(crate) fn registry() -> (SqliteRegistry, AlgorithmId) {
    let registry = SqliteRegistry::in_memory().unwrap();
    registry
        .create_account(&acct("demo"), AccountKind::User)
        .unwrap();
    let request = NewAlgorithm {
        name: "Hello".into(),
        details: Details {
            label: "Hello".into(),
            ..Details::default()
        },
        settings: required_settings(),
    };
    let id = registry
        .create_algorithm(&acct("demo"), &request)
        .unwrap()
        .id;
    (registry, id)
}

/// A finished build of the module `code`; returns its id.
pub(crate) fn build(
    registry: &SqliteRegistry,
    algorithm: &AlgorithmId,
    code: &str,
    succeeded: bool,
) -> BuildId {
    let build = registry
        .start_build(algorithm, &ContentHash::of(code.as_bytes()))
        .unwrap();
    registry.finish_build(&build.id, succeeded, "log").unwrap();
    build.id
}

/// A request to publish `build_id` with `bump`, as `callability`.
pub(crate) fn request(
    build_id: &BuildId,
    bump: VersionBump,
    callability: Callability,
) -> PublishRequest {
    PublishRequest {
        build_id: build_id.clone(),
        bump,
        release_notes: format!("{bump} release"),
        sample_input: "Neo".into(),
        sample_output: "Hello Neo".into(),
        callability: Some(callability),
    }
}

/// Publishes `code` with `bump`, returning the version as text.
pub(crate) fn publish(
    registry: &SqliteRegistry,
    algorithm: &AlgorithmId,
    code: &str,
    bump: VersionBump,
) -> String {
    let id = build(registry, algorithm, code, true);
    let version = registry
        .publish(algorithm, &request(&id, bump, Callability::Public))
        .unwrap();
    version.version.to_string()
}
