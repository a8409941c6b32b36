//! Invalidations between two nodes on one registry and the machine's NATS.

use std::time::{Duration, Instant};

use crate::cluster::{ClusterOptions, remove_cluster};
use crate::identity::{AccountName, AlgorithmName, ClusterName};
use crate::nats_fixture::{jetstream, unique_bucket};
use crate::registry::algorithm::{AlgorithmUpdate, Details, DetailsUpdate, NewAlgorithm};
use crate::{Caller, Platform, PlatformConfig};

/// Long enough that only an announcement explains a node seeing a change
/// within the test's one second.
const BACKSTOP: Duration = Duration::from_secs(60);

async fn summary_seen_by(platform: &Platform, owner: &AccountName, name: &AlgorithmName) -> String {
    let listing = platform.listing(owner, name).await.unwrap().unwrap();
    listing.algorithm.details.summary.clone()
}

#[tokio::test]
async fn an_update_on_one_node_reaches_the_others_within_a_second() {
    let folder = tempfile::tempdir().unwrap();
    // Three nodes on one registry: A and B in the cluster, C alone (to show
    // what a node without the announcement still believes).
    let node_a = Platform::open(PlatformConfig::new(folder.path()))
        .await
        .unwrap();
    let node_b = Platform::open(PlatformConfig::new(folder.path()))
        .await
        .unwrap();
    let node_c = Platform::open(PlatformConfig::new(folder.path()))
        .await
        .unwrap();
    let cluster: ClusterName = unique_bucket("cluster").parse().unwrap();
    let elsewhere: ClusterName = unique_bucket("elsewhere").parse().unwrap();
    let jetstream = jetstream().await;
    let options = |name: &ClusterName| ClusterOptions {
        backstop: BACKSTOP,
        ..ClusterOptions::new(jetstream.client(), name.clone())
    };
    let joined = async {
        node_a.join_cluster(options(&cluster)).await?;
        node_b.join_cluster(options(&cluster)).await?;
        node_c.join_cluster(options(&elsewhere)).await
    }
    .await;
    let outcome = match joined {
        Ok(()) => tokio::spawn(update_and_watch(node_a, node_b, node_c)).await,
        Err(err) => panic!("{err}"),
    };
    remove_cluster(&jetstream.client(), &cluster).await;
    remove_cluster(&jetstream.client(), &elsewhere).await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// A changes an algorithm; B, in A's cluster, sees it within a second,
/// and C, in another, does not.
async fn update_and_watch(node_a: Platform, node_b: Platform, node_c: Platform) {
    node_a.bootstrap_admin(None).await.unwrap();
    let admin = Caller {
        name: "admin".parse().unwrap(),
    };
    let name: AlgorithmName = "Shared".parse().unwrap();
    let request = NewAlgorithm {
        name: name.as_str().to_owned(),
        details: Details {
            label: "Shared".into(),
            summary: "before".into(),
            ..Details::default()
        },
        settings: crate::registry::conformance::required_settings(),
    };
    node_a
        .create_algorithm(&admin, &admin.name, request)
        .await
        .unwrap();
    // B and C cache the listing.
    assert_eq!(summary_seen_by(&node_b, &admin.name, &name).await, "before");
    assert_eq!(summary_seen_by(&node_c, &admin.name, &name).await, "before");

    let update = AlgorithmUpdate {
        details: DetailsUpdate {
            summary: Some("after".into()),
            ..DetailsUpdate::default()
        },
        ..AlgorithmUpdate::default()
    };
    node_a
        .update_algorithm(&admin, &admin.name, &name, update)
        .await
        .unwrap();
    let started = Instant::now();
    while summary_seen_by(&node_b, &admin.name, &name).await != "after" {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "node B still shows the old summary a second after node A's update"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // C is in another cluster: nothing told it, and its cache is trusted
    // for the backstop, so it still shows the old summary.
    assert_eq!(summary_seen_by(&node_c, &admin.name, &name).await, "before");
}
