//! Builds: starting, finishing once, paging, failing the unfinished.

use std::collections::HashSet;

use algobox_runtime::content_hash::ContentHash;

use crate::identity::BuildId;
use crate::registry::Registry;
use crate::registry::build::BuildStatus;
use crate::registry::conformance::{hello, unknown_id};
use crate::registry::error::RegistryError;
use crate::registry::page::PageRequest;

pub(crate) async fn a_build_starts_in_progress_and_finishes_once(registry: &dyn Registry) {
    let algorithm = hello(registry).await;
    let hash = ContentHash::of(b"v1");
    let started = registry.start_build(&algorithm, &hash).await.unwrap();
    assert_eq!(started.status, BuildStatus::InProgress);
    assert_eq!(started.commit_sha, hash);
    assert_eq!(started.finished_at, None);
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
        registry.start_build(&unknown_id(), &hash).await,
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
        ids.push(registry.start_build(&algorithm, &hash).await.unwrap().id);
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
        .start_build(&algorithm, &ContentHash::of(b"done"))
        .await
        .unwrap();
    registry.finish_build(&done.id, true, "ok").await.unwrap();
    let left = registry
        .start_build(&algorithm, &ContentHash::of(b"left"))
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
