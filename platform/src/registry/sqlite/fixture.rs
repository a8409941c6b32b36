//! Shared test fixtures for the SQLite registry's own tests, on its
//! synchronous methods (the conformance suite covers the trait).

use crate::identity::{AlgorithmId, BuildId};
use crate::registry::account::AccountKind;
use crate::registry::algorithm::{Details, NewAlgorithm};
use crate::registry::conformance::{acct, request, required_settings};
use crate::registry::settings::Callability;
use crate::registry::sqlite::SqliteRegistry;
use crate::registry::version::VersionBump;
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
        .start_build(
            algorithm,
            &ContentHash::of(code.as_bytes()),
            &crate::registry::conformance::lease(),
        )
        .unwrap();
    registry.finish_build(&build.id, succeeded, "log").unwrap();
    build.id
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
