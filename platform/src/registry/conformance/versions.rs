//! Publishing and reading versions.

use algobox_runtime::content_hash::ContentHash;
use algobox_runtime::network::NetworkAccess;

use crate::identity::BuildId;
use crate::registry::Registry;
use crate::registry::algorithm::AlgorithmUpdate;
use crate::registry::conformance::{
    acct, algo, build, hello, lease, new_algorithm, publish, request,
};
use crate::registry::error::RegistryError;
use crate::registry::page::PageRequest;
use crate::registry::settings::{Callability, SettingsUpdate};
use crate::registry::version::VersionBump;
use crate::registry::version_spec::{VersionSpec, resolve};

pub(crate) async fn versions_follow_the_bumps(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    assert_eq!(
        publish(registry, &algorithm, "a", VersionBump::Minor).await,
        "0.1.0"
    );
    assert_eq!(
        publish(registry, &algorithm, "b", VersionBump::Patch).await,
        "0.1.1"
    );
    assert_eq!(
        publish(registry, &algorithm, "c", VersionBump::Minor).await,
        "0.2.0"
    );
    assert_eq!(
        publish(registry, &algorithm, "d", VersionBump::Major).await,
        "1.0.0"
    );

    let all = registry.all_versions(&algorithm).await.unwrap();
    let texts: Vec<String> = all.iter().map(|v| v.version.to_string()).collect();
    assert_eq!(texts, ["1.0.0", "0.2.0", "0.1.1", "0.1.0"]);
    assert_eq!(all[0].release_notes, "major release");
    assert_eq!(all[0].sample_input, "Neo");
    assert_eq!(all[0].sample_output, "Hello Neo");
    assert_eq!(all[0].commit_sha, ContentHash::of(b"d"));
    assert_eq!(all[0].version_uuid.len(), 36);
}

pub(crate) async fn a_build_publishes_once_and_a_rollback_is_a_new_version(
    registry: &dyn Registry,
) {
    let algorithm = hello(registry).await;
    let id = build(registry, &algorithm, "a", true).await;
    registry
        .publish(
            &algorithm,
            &request(&id, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap();

    let err = registry
        .publish(
            &algorithm,
            &request(&id, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::AlreadyPublished {
            version: semver::Version::new(0, 1, 0)
        }
    );
    assert!(
        err.to_string().contains("compile your algorithm again"),
        "{err}"
    );
    assert_eq!(registry.all_versions(&algorithm).await.unwrap().len(), 1);

    // A new build of the same module is a rollback: a new version.
    let same_code = build(registry, &algorithm, "a", true).await;
    let rollback = registry
        .publish(
            &algorithm,
            &request(&same_code, VersionBump::Patch, Callability::Public),
        )
        .await
        .unwrap();
    assert_eq!(rollback.version, semver::Version::new(0, 1, 1));
    assert_eq!(rollback.commit_sha, ContentHash::of(b"a"));
    assert_eq!(registry.all_versions(&algorithm).await.unwrap().len(), 2);
    // The hash now names the newest version built from it.
    let by_hash = registry
        .version_by_hash(&algorithm, &ContentHash::of(b"a"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_hash.version, semver::Version::new(0, 1, 1));
    assert_eq!(
        registry
            .version_by_hash(&algorithm, &ContentHash::of(b"never"))
            .await
            .unwrap(),
        None
    );
}

pub(crate) async fn only_succeeded_builds_of_this_algorithm_publish(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let failed = build(registry, &algorithm, "a", false).await;
    let err = registry
        .publish(
            &algorithm,
            &request(&failed, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::BuildNotSucceeded {
            build_id: failed.to_string(),
            status: "failed"
        }
    );

    let running = registry
        .start_build(&algorithm, &ContentHash::of(b"b"), &lease())
        .await
        .unwrap();
    let err = registry
        .publish(
            &algorithm,
            &request(&running.id, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        RegistryError::BuildNotSucceeded {
            status: "in-progress",
            ..
        }
    ));

    let unknown = BuildId::parse("00000000-0000-4000-8000-000000000000").unwrap();
    let err = registry
        .publish(
            &algorithm,
            &request(&unknown, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::NoSuchBuild {
            build_id: unknown.to_string()
        }
    );

    // Another algorithm's succeeded build is no build of this one.
    let other = registry
        .create_algorithm(&acct("demo"), &new_algorithm("Other"))
        .await
        .unwrap()
        .id;
    let foreign = build(registry, &other, "x", true).await;
    let err = registry
        .publish(
            &algorithm,
            &request(&foreign, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::NoSuchBuild {
            build_id: foreign.to_string()
        }
    );
    assert!(registry.all_versions(&algorithm).await.unwrap().is_empty());
    assert!(registry.all_versions(&other).await.unwrap().is_empty());
}

pub(crate) async fn a_version_keeps_the_settings_it_was_published_with(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let id = build(registry, &algorithm, "a", true).await;
    let version = registry
        .publish(
            &algorithm,
            &request(&id, VersionBump::Minor, Callability::Public),
        )
        .await
        .unwrap();
    assert_eq!(version.settings.network_access, NetworkAccess::Isolated);
    assert_eq!(version.settings.algorithm_callability, Callability::Public);
    let head = registry
        .algorithm(&acct("demo"), &algo("Hello"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.settings.algorithm_callability, Callability::Public);

    let update = AlgorithmUpdate {
        settings: SettingsUpdate {
            network_access: Some("full".into()),
            ..SettingsUpdate::default()
        },
        ..AlgorithmUpdate::default()
    };
    let updated = registry
        .update_algorithm(&acct("demo"), &algo("Hello"), &update)
        .await
        .unwrap();
    assert_eq!(updated.settings.network_access, NetworkAccess::Full);
    let stored = registry
        .version_by_hash(&algorithm, &ContentHash::of(b"a"))
        .await
        .unwrap();
    assert_eq!(stored, Some(version));
}

pub(crate) async fn version_pages_and_public_filter(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    for (i, callability) in [
        Callability::Public,
        Callability::Private,
        Callability::Public,
    ]
    .into_iter()
    .enumerate()
    {
        let id = build(registry, &algorithm, &format!("code{i}"), true).await;
        registry
            .publish(&algorithm, &request(&id, VersionBump::Patch, callability))
            .await
            .unwrap();
    }
    let first = registry
        .versions(&algorithm, &PageRequest::first(2), false)
        .await
        .unwrap();
    let texts: Vec<String> = first.items.iter().map(|v| v.version.to_string()).collect();
    assert_eq!(texts, ["0.0.3", "0.0.2"]);
    let marker = first.marker.unwrap();
    let rest = registry
        .versions(&algorithm, &PageRequest::after(2, marker), false)
        .await
        .unwrap();
    let texts: Vec<String> = rest.items.iter().map(|v| v.version.to_string()).collect();
    assert_eq!(texts, ["0.0.1"]);
    assert_eq!(rest.marker, None);

    let public = registry
        .versions(&algorithm, &PageRequest::first(10), true)
        .await
        .unwrap();
    let texts: Vec<String> = public.items.iter().map(|v| v.version.to_string()).collect();
    assert_eq!(texts, ["0.0.3", "0.0.1"]);

    let all = registry.all_versions(&algorithm).await.unwrap();
    let latest = resolve(Some(&VersionSpec::LatestPrivate), &all, false);
    assert_eq!(latest, None);
    let latest = resolve(None, &all, false).map(|i| all[i].version.to_string());
    assert_eq!(latest.as_deref(), Some("0.0.3"));
}

pub(crate) async fn deleting_an_algorithm_removes_its_builds_and_versions(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    publish(registry, &algorithm, "a", VersionBump::Minor).await;
    let unpublished = build(registry, &algorithm, "b", true).await;
    assert!(
        registry
            .delete_algorithm(&acct("demo"), &algo("Hello"))
            .await
            .unwrap()
    );

    assert_eq!(
        registry.build(&algorithm, &unpublished).await.unwrap(),
        None
    );
    assert!(registry.all_versions(&algorithm).await.unwrap().is_empty());
    assert_eq!(
        registry
            .version_by_hash(&algorithm, &ContentHash::of(b"a"))
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        registry
            .versions(&algorithm, &PageRequest::default(), false)
            .await,
        Err(RegistryError::NoSuchAlgorithm { .. })
    ));
    // A new algorithm of the same name starts with no versions.
    let again = registry
        .create_algorithm(&acct("demo"), &new_algorithm("Hello"))
        .await
        .unwrap()
        .id;
    assert_ne!(again, algorithm);
    assert_eq!(
        publish(registry, &again, "a", VersionBump::Minor).await,
        "0.1.0"
    );
}
