//! The registry's behaviour, written once against `&dyn Registry` and run
//! against every backend: [`conformance_suite!`] turns each behaviour into
//! a test in the backend's test module, so SQLite and PostgreSQL are held
//! to the same results and the same errors for the same input.

pub(crate) mod accounts;
pub(crate) mod algorithms;
pub(crate) mod builds;
pub(crate) mod concurrency;
pub(crate) mod versions;

use std::time::Duration;

use algobox_runtime::content_hash::ContentHash;

use crate::identity::{AccountName, AlgorithmId, AlgorithmName, BuildId, NodeId};
use crate::registry::Registry;
use crate::registry::account::AccountKind;
use crate::registry::algorithm::{Details, NewAlgorithm};
use crate::registry::build_lease::BuildLease;
use crate::registry::settings::{Callability, SettingsUpdate};
use crate::registry::version::{PublishRequest, VersionBump};

/// One `#[tokio::test]` per behaviour, each calling the behaviour with the
/// registry that `registry()` (an async fn in the invoking module, which
/// returns a guard to keep alive and the registry) gives it.
macro_rules! conformance_suite {
    () => {
        conformance_suite!(@tests
            accounts::accounts_are_created_once_and_found_without_regard_to_case,
            accounts::organizations_have_user_members,
            accounts::a_created_key_authenticates_and_a_wrong_one_does_not,
            accounts::an_operator_key_installs_idempotently,
            accounts::revoked_keys_stop_working,
            algorithms::create_then_get_by_name_and_id,
            algorithms::duplicate_names_are_refused_with_the_name,
            algorithms::create_validates_and_needs_an_owner,
            algorithms::update_changes_only_given_fields,
            algorithms::set_source_and_delete,
            builds::a_build_starts_in_progress_and_finishes_once,
            builds::pages_cover_every_build_once_newest_first,
            builds::bad_page_requests_are_refused,
            builds::unfinished_builds_fail_when_a_server_starts,
            builds::only_builds_whose_lease_lapsed_fail,
            versions::versions_follow_the_bumps,
            versions::a_build_publishes_once_and_a_rollback_is_a_new_version,
            versions::only_succeeded_builds_of_this_algorithm_publish,
            versions::a_version_keeps_the_settings_it_was_published_with,
            versions::version_pages_and_public_filter,
            versions::deleting_an_algorithm_removes_its_builds_and_versions,
            concurrency::concurrent_publishes_get_distinct_versions,
            concurrency::concurrent_creates_of_one_name_leave_one,
            concurrency::concurrent_finishes_of_one_build_leave_one,
        );
    };
    (@tests $($group:ident::$name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let (_guard, registry) = registry().await;
            crate::registry::conformance::$group::$name(&registry).await;
        }
    )*};
}

/// A lease of a minute, held by a node of its own.
pub(crate) fn lease() -> BuildLease {
    BuildLease {
        owner: NodeId::random(),
        term: Duration::from_secs(60),
    }
}

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

/// A request to create `name` with the required settings.
pub(crate) fn new_algorithm(name: &str) -> NewAlgorithm {
    NewAlgorithm {
        name: name.into(),
        details: Details {
            label: name.into(),
            ..Details::default()
        },
        settings: required_settings(),
    }
}

/// Creates the user `demo` and the algorithm `demo/Hello`; returns its id.
pub(crate) async fn hello(registry: &dyn Registry) -> AlgorithmId {
    registry
        .create_account(&acct("demo"), AccountKind::User)
        .await
        .unwrap();
    registry
        .create_algorithm(&acct("demo"), &new_algorithm("Hello"))
        .await
        .unwrap()
        .id
}

/// A finished build of the module `code`; returns its id.
pub(crate) async fn build(
    registry: &dyn Registry,
    algorithm: &AlgorithmId,
    code: &str,
    succeeded: bool,
) -> BuildId {
    let build = registry
        .start_build(algorithm, &ContentHash::of(code.as_bytes()), &lease())
        .await
        .unwrap();
    registry
        .finish_build(&build.id, succeeded, "log")
        .await
        .unwrap();
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
pub(crate) async fn publish(
    registry: &dyn Registry,
    algorithm: &AlgorithmId,
    code: &str,
    bump: VersionBump,
) -> String {
    let id = build(registry, algorithm, code, true).await;
    let version = registry
        .publish(algorithm, &request(&id, bump, Callability::Public))
        .await
        .unwrap();
    version.version.to_string()
}
