//! Racing writers: whatever interleaving the backend allows, each race has
//! exactly one winner and the losers get the error a later writer gets.

use futures_util::future::join_all;

use algobox_runtime::content_hash::ContentHash;

use crate::registry::Registry;
use crate::registry::account::AccountKind;
use crate::registry::conformance::{acct, build, hello, lease, new_algorithm, request};
use crate::registry::error::RegistryError;
use crate::registry::settings::Callability;
use crate::registry::version::VersionBump;

/// How many writers race.
const RACERS: usize = 8;

pub(crate) async fn concurrent_publishes_get_distinct_versions(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let mut builds = Vec::new();
    for i in 0..RACERS {
        builds.push(build(registry, &algorithm, &format!("code{i}"), true).await);
    }
    let requests: Vec<_> = builds
        .iter()
        .map(|id| request(id, VersionBump::Patch, Callability::Public))
        .collect();
    let published = join_all(
        requests
            .iter()
            .map(|request| registry.publish(&algorithm, request)),
    )
    .await;
    let mut numbers: Vec<u64> = published
        .into_iter()
        .map(|version| version.unwrap().version.patch)
        .collect();
    numbers.sort_unstable();
    let expected: Vec<u64> = (1..=RACERS as u64).collect();
    assert_eq!(numbers, expected, "each publish got its own version");
    assert_eq!(
        registry.all_versions(&algorithm).await.unwrap().len(),
        RACERS
    );

    // One build published by many at once: one version, the rest refused.
    let contested = build(registry, &algorithm, "contested", true).await;
    let contested = request(&contested, VersionBump::Minor, Callability::Public);
    let attempts = join_all((0..RACERS).map(|_| registry.publish(&algorithm, &contested))).await;
    let winners: Vec<_> = attempts.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{attempts:?}");
    assert_eq!(winners[0].version, semver::Version::new(0, 1, 0));
    for attempt in &attempts {
        if let Err(err) = attempt {
            assert_eq!(
                *err,
                RegistryError::AlreadyPublished {
                    version: semver::Version::new(0, 1, 0)
                }
            );
        }
    }
    assert_eq!(
        registry.all_versions(&algorithm).await.unwrap().len(),
        RACERS + 1
    );
}

pub(crate) async fn concurrent_creates_of_one_name_leave_one(registry: &dyn Registry) {
    let spellings = [
        "Race", "race", "RACE", "rAcE", "Race", "race", "RACE", "raCe",
    ];
    let names: Vec<_> = spellings.iter().map(|name| acct(name)).collect();
    let attempts = join_all(
        names
            .iter()
            .map(|name| registry.create_account(name, AccountKind::User)),
    )
    .await;
    let winners: Vec<_> = attempts.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{attempts:?}");
    let winner = winners[0].name.to_string();
    for attempt in &attempts {
        if let Err(err) = attempt {
            assert_eq!(
                *err,
                RegistryError::AlreadyExists {
                    what: "account",
                    name: winner.clone()
                }
            );
        }
    }

    let owner = acct("race");
    let requests: Vec<_> = spellings.iter().map(|name| new_algorithm(name)).collect();
    let attempts = join_all(
        requests
            .iter()
            .map(|request| registry.create_algorithm(&owner, request)),
    )
    .await;
    let winners: Vec<_> = attempts.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{attempts:?}");
    let winner = format!("{}/{}", winners[0].owner, winners[0].name);
    for attempt in &attempts {
        if let Err(err) = attempt {
            assert_eq!(
                *err,
                RegistryError::AlreadyExists {
                    what: "algorithm",
                    name: winner.clone()
                }
            );
        }
    }
}

pub(crate) async fn concurrent_finishes_of_one_build_leave_one(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let started = registry
        .start_build(&algorithm, &ContentHash::of(b"v1"), &lease())
        .await
        .unwrap();
    let logs: Vec<String> = (0..RACERS).map(|i| format!("finisher {i}")).collect();
    let attempts = join_all(
        logs.iter()
            .enumerate()
            .map(|(i, log)| registry.finish_build(&started.id, i % 2 == 0, log)),
    )
    .await;
    let winners: Vec<_> = attempts.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{attempts:?}");
    let stored = registry
        .build(&algorithm, &started.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&stored, winners[0], "the stored build is the winner's");
    for attempt in &attempts {
        if let Err(err) = attempt {
            assert_eq!(
                *err,
                RegistryError::BuildFinished {
                    build_id: started.id.to_string()
                }
            );
        }
    }
}
