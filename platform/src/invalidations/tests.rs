//! Invalidations between two nodes on one registry and the machine's NATS.

use std::time::{Duration, Instant};

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
    let client = jetstream().await.client();
    for node in [&node_a, &node_b] {
        node.join_cluster(client.clone(), &cluster, BACKSTOP)
            .await
            .unwrap();
    }
    node_c
        .join_cluster(
            client.clone(),
            &unique_bucket("elsewhere").parse().unwrap(),
            BACKSTOP,
        )
        .await
        .unwrap();

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
        settings: crate::registry::sqlite::fixture::required_settings(),
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
