//! `output=void` calls of a cluster: two nodes over one registry and the
//! machine's NATS, each call accepted by one node, run by either, and read
//! or stopped through the other.

use std::future::Future;
use std::time::{Duration, Instant};

use algobox_platform::Platform;
use algobox_platform::cluster::{ClusterOptions, remove_cluster};
use algobox_platform::identity::ClusterName;
use serde_json::Value;

use crate::server::{ADMIN_KEY, TestServer};

/// The NATS server tests use unless `ALGOBOX_TEST_NATS` names another.
fn nats_url() -> String {
    std::env::var("ALGOBOX_TEST_NATS").unwrap_or_else(|_| "127.0.0.1:4222".to_owned())
}

pub(crate) async fn nats() -> async_nats::Client {
    let url = nats_url();
    async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(url.as_str())
        .await
        .unwrap_or_else(|err| {
            panic!(
                "the cluster tests need NATS with JetStream on {url} ({err}); start it with \
                 `nats-server -js -a 127.0.0.1 -p 4222`, or set ALGOBOX_TEST_NATS to another server"
            )
        })
}

/// Runs `test` with a cluster name no other test uses, then removes the
/// cluster's stream and buckets whether it passed or not.
pub(crate) async fn in_cluster<F, Fut>(test: F)
where
    F: FnOnce(ClusterName) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).unwrap();
    let hex: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let cluster: ClusterName = format!("algobox_test_{hex}").parse().unwrap();
    let outcome = tokio::spawn(test(cluster.clone())).await;
    remove_cluster(&nats().await, &cluster).await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Two nodes over one data folder (so one registry and module store) in
/// `cluster`, each allowing `per_account` void calls per account.
async fn two_nodes(
    cluster: &ClusterName,
    per_account: u32,
    runners: usize,
) -> (TestServer, TestServer) {
    let data = tempfile::tempdir().unwrap();
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let mut config = TestServer::config(data.path());
        config.void_calls_per_account = per_account;
        let platform = Platform::open(config).await.unwrap();
        let options = ClusterOptions {
            ack_wait: Duration::from_secs(3),
            void_runners: runners,
            ..ClusterOptions::new(nats().await, cluster.clone())
        };
        platform.join_cluster(options).await.unwrap();
        nodes.push(platform);
    }
    let node_b = nodes.pop().unwrap();
    let node_a = nodes.pop().unwrap();
    let node_a = TestServer::serve(node_a, data).await;
    let node_b = TestServer::serve(node_b, tempfile::tempdir().unwrap()).await;
    (node_a, node_b)
}

async fn void_call(node: &TestServer, key: &str, path: &str, body: &str) -> String {
    let accepted = node
        .send(
            "POST",
            &format!("{path}?output=void"),
            Some(key),
            Some("application/json"),
            body.to_owned(),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    accepted.json()["request_id"].as_str().unwrap().to_owned()
}

/// Polls `node` until the call `id` is in one of `statuses`; its status.
async fn until(node: &TestServer, key: &str, id: &str, statuses: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = node
            .send("GET", &format!("/v1/requests/{id}"), Some(key), None, "")
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let status = reply.json();
        if statuses.contains(&status["status"].as_str().unwrap()) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "still {status}, waiting for {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_void_call_accepted_by_one_node_is_read_and_stopped_through_another() {
    in_cluster(|cluster| async move {
        let (node_a, node_b) = two_nodes(&cluster, 10, 4).await;
        node_a.deploy("echo", test_artifacts::ECHO, "private").await;
        node_a
            .deploy("sleeper", test_artifacts::SLEEPER, "private")
            .await;
        let bob = node_a.user("bob").await;

        let id = void_call(
            &node_a,
            ADMIN_KEY,
            "/v1/algo/admin/echo/0.1.0",
            r#"{"n": 7}"#,
        )
        .await;
        let finished = until(&node_b, ADMIN_KEY, &id, &["succeeded", "failed"]).await;
        assert_eq!(finished["status"], "succeeded", "{finished}");
        assert_eq!(
            finished["result"]["result"],
            serde_json::json!({"n": 7}),
            "{finished}"
        );
        assert_eq!(finished["result"]["request_id"], id.as_str());
        // Another account sees no such call, through either node.
        for node in [&node_a, &node_b] {
            let hidden = node
                .send("GET", &format!("/v1/requests/{id}"), Some(&bob), None, "")
                .await;
            assert_eq!(hidden.status, 404, "{}", hidden.text());
        }

        // A long call accepted by A, stopped through B.
        let id = void_call(&node_a, ADMIN_KEY, "/v1/algo/admin/sleeper/0.1.0", "60000").await;
        until(&node_b, ADMIN_KEY, &id, &["running", "started"]).await;
        // Another account cannot stop it: to bob it does not exist.
        let refused = node_b
            .send(
                "DELETE",
                &format!("/v1/requests/{id}"),
                Some(&bob),
                None,
                "",
            )
            .await;
        assert_eq!(refused.status, 404, "{}", refused.text());
        let still = until(&node_a, ADMIN_KEY, &id, &["running", "started"]).await;
        assert!(still["result"].is_null(), "{still}");
        let stopping = node_b
            .send(
                "DELETE",
                &format!("/v1/requests/{id}"),
                Some(ADMIN_KEY),
                None,
                "",
            )
            .await;
        assert_eq!(stopping.status, 200, "{}", stopping.text());
        assert_eq!(stopping.json()["status"], "stopping");
        let started = Instant::now();
        let stopped = until(&node_a, ADMIN_KEY, &id, &["stopped", "succeeded", "failed"]).await;
        assert_eq!(stopped["status"], "stopped", "{stopped}");
        assert_eq!(
            stopped["result"]["error"]["error_type"], "Stopped",
            "{stopped}"
        );
        // The sleeper ignores the request; its grace (200 ms here) ends it.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn one_accounts_void_flood_fills_its_own_subject_not_the_queue() {
    in_cluster(|cluster| async move {
        let (node_a, node_b) = two_nodes(&cluster, 2, 1).await;
        node_a
            .deploy("sleeper", test_artifacts::SLEEPER, "public")
            .await;
        let bob = node_a.user("bob").await;

        // The admin's two calls fill its subject; a third is refused.
        let mut admins = Vec::new();
        for _ in 0..2 {
            admins.push(void_call(&node_a, ADMIN_KEY, "/v1/algo/admin/sleeper/0.1.0", "300").await);
        }
        let refused = node_b
            .send(
                "POST",
                "/v1/algo/admin/sleeper/0.1.0?output=void",
                Some(ADMIN_KEY),
                Some("application/json"),
                "300",
            )
            .await;
        assert_eq!(refused.status, 429, "{}", refused.text());
        assert!(
            refused
                .text()
                .contains("output=void calls waiting or running"),
            "{}",
            refused.text()
        );
        // Bob's call is accepted meanwhile and runs.
        let bobs = void_call(&node_b, &bob, "/v1/algo/admin/sleeper/0.1.0", "10").await;
        let finished = until(&node_a, &bob, &bobs, &["succeeded", "failed"]).await;
        assert_eq!(finished["result"]["result"], "slept 10 ms", "{finished}");
        for id in &admins {
            let finished = until(&node_b, ADMIN_KEY, id, &["succeeded", "failed"]).await;
            assert_eq!(finished["result"]["result"], "slept 300 ms", "{finished}");
        }
        // Once they finished, the admin may queue again.
        void_call(&node_a, ADMIN_KEY, "/v1/algo/admin/sleeper/0.1.0", "1").await;
    })
    .await;
}
