//! Builds: starting, finishing once, paging, failing the unfinished, and
//! the leases of their owning nodes.

use std::collections::HashSet;
use std::time::Duration;

use algobox_runtime::content_hash::ContentHash;

use crate::identity::{BuildId, NodeId};
use crate::registry::Registry;
use crate::registry::build::BuildStatus;
use crate::registry::build_lease::BuildLease;
use crate::registry::conformance::{hello, lease, unknown_id};
use crate::registry::error::RegistryError;
use crate::registry::page::PageRequest;

pub(crate) async fn a_build_starts_in_progress_and_finishes_once(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let hash = ContentHash::of(b"v1");
    let lease = lease();
    let before = crate::timestamp::Timestamp::now();
    let started = registry
        .start_build(&algorithm, &hash, &lease)
        .await
        .unwrap();
    assert_eq!(started.status, BuildStatus::InProgress);
    assert_eq!(started.commit_sha, hash);
    assert_eq!(started.finished_at, None);
    assert_eq!(started.owner.as_ref(), Some(&lease.owner));
    // A minute's lease, give or take the clocks of node and database.
    let until = started.lease_until.unwrap().as_millis() - before.as_millis();
    assert!((55_000..=65_000).contains(&until), "{until} ms");
    assert_eq!(
        registry.build(&algorithm, &started.id).await.unwrap(),
        Some(started.clone())
    );

    let finished = registry
        .finish_build(&started.id, true, "compiled in 3 ms")
        .await
        .unwrap();
    assert_eq!(finished.status, BuildStatus::Succeeded);
    assert_eq!(finished.logs, "compiled in 3 ms");
    assert_eq!(
        finished.owner.as_ref(),
        Some(&lease.owner),
        "the owner stays"
    );
    assert_eq!(
        finished.lease_until, None,
        "a finished build holds no lease"
    );
    assert!(finished.finished_at.unwrap() >= started.started_at);
    assert_eq!(
        registry.build(&algorithm, &started.id).await.unwrap(),
        Some(finished.clone())
    );

    let err = registry
        .finish_build(&started.id, false, "")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::BuildFinished {
            build_id: started.id.to_string()
        }
    );
    assert_eq!(
        registry.build(&algorithm, &started.id).await.unwrap(),
        Some(finished),
        "a refused finish changes nothing"
    );
    assert_eq!(
        registry.build(&unknown_id(), &started.id).await.unwrap(),
        None
    );
    let unknown_build = BuildId::parse(unknown_id().as_str()).unwrap();
    assert_eq!(
        registry.finish_build(&unknown_build, true, "").await,
        Err(RegistryError::NoSuchBuild {
            build_id: unknown_build.to_string()
        })
    );
    assert_eq!(
        registry.start_build(&unknown_id(), &hash, &lease).await,
        Err(RegistryError::NoSuchAlgorithm {
            algorithm: unknown_id().to_string()
        })
    );
}

pub(crate) async fn pages_cover_every_build_once_newest_first(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let mut ids: Vec<BuildId> = Vec::new();
    for i in 0..7 {
        let hash = ContentHash::of(format!("v{i}").as_bytes());
        ids.push(
            registry
                .start_build(&algorithm, &hash, &lease())
                .await
                .unwrap()
                .id,
        );
    }

    let mut seen = Vec::new();
    let mut request = PageRequest::first(3);
    let mut pages = 0;
    loop {
        let page = registry.builds(&algorithm, &request).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|b| b.id));
        match page.marker {
            Some(marker) => request = PageRequest::after(3, marker),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let newest_first: Vec<BuildId> = ids.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);

    let exact = registry
        .builds(&algorithm, &PageRequest::first(7))
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 7);
    assert_eq!(exact.marker, None, "no marker for an empty next page");
    assert!(matches!(
        registry
            .builds(&unknown_id(), &PageRequest::default())
            .await,
        Err(RegistryError::NoSuchAlgorithm { .. })
    ));
}

pub(crate) async fn bad_page_requests_are_refused(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    assert_eq!(
        registry.builds(&algorithm, &PageRequest::first(0)).await,
        Err(RegistryError::InvalidLimit { limit: 0 })
    );
    assert_eq!(
        registry
            .versions(&algorithm, &PageRequest::first(101), false)
            .await,
        Err(RegistryError::InvalidLimit { limit: 101 })
    );
    assert_eq!(
        registry
            .builds(&algorithm, &PageRequest::after(10, "garbage"))
            .await,
        Err(RegistryError::InvalidMarker {
            marker: "garbage".into()
        })
    );
}

pub(crate) async fn unfinished_builds_fail_when_a_server_starts(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let done = registry
        .start_build(&algorithm, &ContentHash::of(b"done"), &lease())
        .await
        .unwrap();
    registry.finish_build(&done.id, true, "ok").await.unwrap();
    let left = registry
        .start_build(&algorithm, &ContentHash::of(b"left"), &lease())
        .await
        .unwrap();

    let failed = registry
        .fail_unfinished_builds("the server stopped")
        .await
        .unwrap();
    assert_eq!(failed, 1);
    let left = registry.build(&algorithm, &left.id).await.unwrap().unwrap();
    assert_eq!(left.status, BuildStatus::Failed);
    assert_eq!(left.logs, "the server stopped");
    assert!(left.finished_at.is_some());
    let done = registry.build(&algorithm, &done.id).await.unwrap().unwrap();
    assert_eq!(done.status, BuildStatus::Succeeded);
    assert_eq!(done.logs, "ok");
    assert_eq!(registry.fail_unfinished_builds("again").await.unwrap(), 0);
}

/// A lease short enough to lapse within a test.
fn short_lease(owner: &NodeId) -> BuildLease {
    BuildLease {
        owner: owner.clone(),
        term: Duration::from_secs(1),
    }
}

pub(crate) async fn only_builds_whose_lease_lapsed_fail(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let (dead, live, renewing) = (NodeId::random(), lease(), NodeId::random());
    let orphan = registry
        .start_build(&algorithm, &ContentHash::of(b"orphan"), &short_lease(&dead))
        .await
        .unwrap();
    let alive = registry
        .start_build(&algorithm, &ContentHash::of(b"alive"), &live)
        .await
        .unwrap();
    let renewed = registry
        .start_build(
            &algorithm,
            &ContentHash::of(b"renewed"),
            &short_lease(&renewing),
        )
        .await
        .unwrap();
    let done = registry
        .start_build(&algorithm, &ContentHash::of(b"done"), &short_lease(&dead))
        .await
        .unwrap();
    registry.finish_build(&done.id, true, "ok").await.unwrap();
    // Before any lease lapsed, nothing fails.
    assert_eq!(registry.fail_lapsed_builds("lapsed").await.unwrap(), 0);

    // The renewing owner extends its lease past the others' lapse.
    let longer = BuildLease {
        owner: renewing.clone(),
        term: Duration::from_secs(60),
    };
    assert!(
        registry
            .renew_build_lease(&renewed.id, &longer)
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;

    assert_eq!(registry.fail_lapsed_builds("lapsed").await.unwrap(), 1);
    let orphan = registry
        .build(&algorithm, &orphan.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(orphan.status, BuildStatus::Failed);
    assert_eq!(orphan.logs, "lapsed");
    assert!(orphan.finished_at.is_some());
    assert_eq!(orphan.lease_until, None);
    for (id, owner) in [(&alive.id, &live.owner), (&renewed.id, &renewing)] {
        let build = registry.build(&algorithm, id).await.unwrap().unwrap();
        assert_eq!(build.status, BuildStatus::InProgress, "{id}");
        assert_eq!(build.owner.as_ref(), Some(owner));
    }
    let done = registry.build(&algorithm, &done.id).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.logs.as_str()),
        (BuildStatus::Succeeded, "ok")
    );

    // The dead owner, back, cannot renew what was failed; a stranger cannot
    // renew another node's build; the owner still finishes its own.
    assert!(
        !registry
            .renew_build_lease(&orphan.id, &short_lease(&dead))
            .await
            .unwrap()
    );
    assert!(
        !registry
            .renew_build_lease(&alive.id, &lease())
            .await
            .unwrap()
    );
    assert_eq!(
        registry.finish_build(&orphan.id, true, "late").await,
        Err(RegistryError::BuildFinished {
            build_id: orphan.id.to_string()
        })
    );
    assert!(registry.renew_build_lease(&alive.id, &live).await.unwrap());
    assert_eq!(registry.fail_lapsed_builds("again").await.unwrap(), 0);
    let unknown_build = BuildId::parse(unknown_id().as_str()).unwrap();
    assert!(
        !registry
            .renew_build_lease(&unknown_build, &live)
            .await
            .unwrap()
    );
}
