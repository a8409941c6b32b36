//! Shared test fixtures for the SQLite registry's own tests, on its
//! synchronous methods (the conformance suite covers the trait).

use crate::identity::{AlgorithmId, BuildId};
use crate::registry::account::AccountKind;
use crate::registry::algorithm::{Details, NewAlgorithm};
use crate::registry::conformance::{acct, required_settings};
use crate::registry::settings::Callability;
use crate::registry::sqlite::SqliteRegistry;
use crate::registry::version::{PublishRequest, VersionBump};
use algobox_runtime::content_hash::ContentHash;

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
