//! A cluster of `algobox serve` processes on the machine's PostgreSQL and
//! NATS: nodes starting at once, an algorithm deployed through one node
//! and called through another, a publish seen everywhere within a second,
//! a void call that outlives the node that ran it (`kill -9`), a node
//! that drains on SIGTERM, handing back the call it cannot finish, a
//! Data API file written through one node and read through another, and
//! compiled code one node shares with the others.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use algobox_platform::cluster::remove_cluster;
use algobox_platform::registry::postgres::test_database::TestDatabase;
use serde_json::{Value, json};

use crate::serve_process::{Server, call, deploy, sleep_void};

mod serve_process;

/// The NATS server tests use unless `ALGOBOX_TEST_NATS` names another.
fn nats_url() -> String {
    std::env::var("ALGOBOX_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A node of `cluster` over its own data folder, the registry at
/// `registry`, reporting on its void calls often (a killed node's calls
/// run again after 2 s).
fn node(data: &Path, registry: &str, cluster: &str) -> Server {
    node_with(data, registry, cluster, &["--rerun-after", "2"])
}

/// A node of `cluster` over its own data folder and the registry at
/// `registry`, with `args` added.
fn node_with(data: &Path, registry: &str, cluster: &str, args: &[&str]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_algobox"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("ALGOBOX_REGISTRY", registry)
        .env("ALGOBOX_NATS", nats_url())
        .env("ALGOBOX_CLUSTER", cluster);
    Server::spawn(command)
}

/// Removes the cluster's streams and buckets from NATS.
async fn remove(cluster: &str) {
    let client = async_nats::connect(nats_url()).await.unwrap_or_else(|err| {
        panic!(
            "the cluster tests need NATS with JetStream on {} ({err}); start it with `nats-server -js`",
            nats_url()
        )
    });
    remove_cluster(&client, &cluster.parse().unwrap()).await;
}

/// Polls `node` until the void call `id` is in one of `statuses`.
fn until(node: &Server, id: &str, statuses: &[&str], within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = node
            .json("GET", &format!("/v1/requests/{id}"), &Value::Null)
            .unwrap();
        assert_eq!(status, 200, "{body}");
        if statuses.contains(&body["status"].as_str().unwrap_or_default()) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "still {body}, waiting for {statuses:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `test` with a database and a cluster name of its own, then drops
/// the database and removes the cluster's streams and buckets, whether the
/// test passed or not.
fn in_cluster(test: impl FnOnce(&str, &str) + std::panic::UnwindSafe) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let database = runtime.block_on(TestDatabase::create());
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).unwrap();
    let cluster: String = format!(
        "algobox_test_{}",
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let url = database.url();
    let outcome = std::panic::catch_unwind(|| test(&url, &cluster));
    runtime.block_on(remove(&cluster));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn nodes_share_algorithms_publishes_and_void_calls_that_survive_kill_9() {
    in_cluster(run_cluster);
}

#[test]
fn a_node_stopped_with_sigterm_finishes_what_it_can_and_hands_back_the_rest() {
    in_cluster(|registry, cluster| {
        let folders: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
        // Other nodes would rerun a vanished node's calls only after 60 s:
        // what ends sooner was handed back.
        let node_a = node_with(
            folders[0].path(),
            registry,
            cluster,
            &[
                "--rerun-after",
                "60",
                "--drain-linger",
                "2",
                "--drain-time",
                "4",
            ],
        );
        let sleeper = std::fs::read(test_artifacts::SLEEPER).unwrap();
        let (version, _) = deploy(&node_a, "sleeper", &sleeper).unwrap();
        // A is the only node yet, so it runs both calls.
        let short = sleep_void(&node_a, &version, 2500);
        let long = sleep_void(&node_a, &version, 8000);
        for id in [&short, &long] {
            until(
                &node_a,
                id,
                &["running", "started"],
                Duration::from_secs(20),
            );
        }
        let node_b = node_with(
            folders[1].path(),
            registry,
            cluster,
            &["--rerun-after", "60"],
        );

        node_a.terminate();
        let signalled = Instant::now();
        // While it lingers, A answers, but not ready, so a load balancer
        // stops sending; B stays ready.
        let reason = loop {
            let (status, ready) = node_a
                .json("GET", "/readyz", &Value::Null)
                .expect("A stopped answering before its linger ended");
            if status == 503 {
                break ready["reason"].as_str().unwrap_or_default().to_owned();
            }
            assert_eq!(status, 200, "{ready}");
            assert!(
                signalled.elapsed() < Duration::from_secs(2),
                "A is still ready after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(reason.contains("shutting down"), "{reason}");
        let (status, _) = node_b.json("GET", "/readyz", &Value::Null).unwrap();
        assert_eq!(status, 200);

        // A exits once its drain time is up, having handed back the call it
        // could not finish.
        let exit = node_a
            .exited_within(Duration::from_secs(20))
            .expect("A did not exit after its drain");
        assert!(exit.success(), "{exit}");
        let drained = signalled.elapsed();
        assert!(drained >= Duration::from_secs(4), "{drained:?}");

        // The short call finished on A during the drain; B reads it.
        let finished = until(
            &node_b,
            &short,
            &["succeeded", "failed"],
            Duration::from_secs(5),
        );
        assert_eq!(finished["status"], "succeeded", "{finished}");
        assert_eq!(finished["result"]["result"], "slept 2500 ms", "{finished}");
        // The long one runs again on B at once, not after the 60 s wait.
        let finished = until(
            &node_b,
            &long,
            &["succeeded", "failed"],
            Duration::from_secs(30),
        );
        let rerun = signalled.elapsed();
        eprintln!(
            "SIGTERM to the handed-back call's result on B: {rerun:?} (A drained in {drained:?})"
        );
        assert_eq!(finished["status"], "succeeded", "{finished}");
        assert_eq!(finished["result"]["result"], "slept 8000 ms", "{finished}");
        assert!(rerun < Duration::from_secs(25), "{rerun:?}");
    });
}

fn run_cluster(registry: &str, cluster: &str) {
    let folders: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // Two nodes start at once on an empty database: both come up.
    let (node_a, node_b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| node(folders[0].path(), registry, cluster));
        let b = scope.spawn(|| node(folders[1].path(), registry, cluster));
        (a.join().unwrap(), b.join().unwrap())
    });
    for node in [&node_a, &node_b] {
        let (status, ready) = node.json("GET", "/readyz", &Value::Null).unwrap();
        assert_eq!(
            (status, &ready["status"]),
            (200, &json!("ready")),
            "{ready}"
        );
    }

    // Deployed through A (the module goes to NATS), called through B.
    let hello = std::fs::read(test_artifacts::HELLO).unwrap();
    let (version, _) = deploy(&node_a, "hello", &hello).unwrap();
    assert_eq!(call(&node_b, "hello", &version), "Hello x");

    // A new version published on A answers through B within a second,
    // though B cached the algorithm's versions a moment ago.
    let (status, _) = node_b
        .send(
            "POST",
            "/v1/algo/admin/hello/latestPrivate",
            "text/plain",
            b"x",
        )
        .unwrap();
    assert_eq!(status, 200);
    let echo = std::fs::read(test_artifacts::ECHO).unwrap();
    let (status, _) = node_a
        .send(
            "PUT",
            "/v1/algorithms/admin/hello/source",
            "application/wasm",
            &echo,
        )
        .unwrap();
    assert_eq!(status, 200);
    let (_, compiled) = node_a
        .json("POST", "/v1/algorithms/admin/hello/compile", &json!({}))
        .unwrap();
    assert_eq!(compiled["compilation"]["successful"], true, "{compiled}");
    let (status, published) = node_a
        .json(
            "POST",
            "/v1/algorithms/admin/hello/versions",
            &json!({"version_info": {"version_type": "minor"}}),
        )
        .unwrap();
    assert_eq!(status, 200, "{published}");
    let published_at = Instant::now();
    loop {
        let (_, body) = node_b
            .send(
                "POST",
                "/v1/algo/admin/hello/latestPrivate",
                "text/plain",
                b"x",
            )
            .unwrap();
        let reply: Value = serde_json::from_slice(&body).unwrap();
        // `echo` answers with its input; `hello` greets.
        if reply["result"] == "x" {
            break;
        }
        assert!(
            published_at.elapsed() < Duration::from_secs(1),
            "B still runs the old version a second after A published: {reply}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "publish on A seen through B after {:?}",
        published_at.elapsed()
    );

    // A void call that A runs survives A's kill -9: another node runs it
    // again, and any node reads its result.
    let sleeper = std::fs::read(test_artifacts::SLEEPER).unwrap();
    let (version, _) = deploy(&node_a, "sleeper", &sleeper).unwrap();
    node_b.kill();
    let (status, accepted) = node_a
        .json(
            "POST",
            &format!("/v1/algo/admin/sleeper/{version}?output=void"),
            &json!(1500),
        )
        .unwrap();
    assert_eq!(status, 200, "{accepted}");
    let id = accepted["request_id"].as_str().unwrap().to_owned();
    until(
        &node_a,
        &id,
        &["running", "started"],
        Duration::from_secs(20),
    );
    node_a.kill();
    let killed_at = Instant::now();
    let node_c = node(folders[2].path(), registry, cluster);
    let finished = until(
        &node_c,
        &id,
        &["succeeded", "failed"],
        Duration::from_secs(20),
    );
    // The rerun waits out --rerun-after (2 s), then sleeps its 1.5 s again.
    eprintln!("kill -9 to the rerun's result: {:?}", killed_at.elapsed());
    assert_eq!(finished["status"], "succeeded", "{finished}");
    assert_eq!(finished["result"]["result"], "slept 1500 ms", "{finished}");
}

#[test]
fn nodes_with_the_cluster_secret_load_code_another_node_compiled() {
    in_cluster(share_code);
}

fn share_code(registry: &str, cluster: &str) {
    const SECRET: &str = "a cluster secret of 32 bytes....";
    let folders: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // Each node logs where it found compiled code.
    let logging_node = |folder: &Path, secret: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_algobox"));
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--cluster-secret",
                secret,
            ])
            .arg("--data-dir")
            .arg(folder)
            .env("ALGOBOX_REGISTRY", registry)
            .env("ALGOBOX_NATS", nats_url())
            .env("ALGOBOX_CLUSTER", cluster)
            .env("RUST_LOG", "error,algobox_runtime=debug");
        Server::spawn(command)
    };
    let node_a = logging_node(folders[0].path(), SECRET);
    let node_b = logging_node(folders[1].path(), SECRET);
    let compiled = |node: &Server, hash: &str| {
        let fields = format!("hash={hash} elapsed=");
        node.log().iter().any(|line| line.contains(&fields))
    };
    let loaded = |node: &Server, hash: &str| {
        let fields = format!("loaded compiled code another node shared hash={hash}");
        node.log().iter().any(|line| line.contains(&fields))
    };

    // A compiles at the build and shares; B loads it on its first call.
    let hello = std::fs::read(test_artifacts::HELLO).unwrap();
    let (version, hash) = deploy(&node_a, "hello", &hello).unwrap();
    assert!(compiled(&node_a, &hash), "{:#?}", node_a.log());
    let started = Instant::now();
    assert_eq!(call(&node_b, "hello", &version), "Hello x");
    eprintln!("B's first call, on code A shared: {:?}", started.elapsed());
    assert!(loaded(&node_b, &hash), "{:#?}", node_b.log());
    assert!(!compiled(&node_b, &hash), "{:#?}", node_b.log());

    // A node with another secret cannot tell A's code from an attacker's:
    // it refuses it, says so, and compiles for itself, so its callers are
    // served all the same.
    let node_c = logging_node(folders[2].path(), "another secret of 32 bytes......");
    assert_eq!(call(&node_c, "hello", &version), "Hello x");
    assert!(!loaded(&node_c, &hash), "{:#?}", node_c.log());
    assert!(compiled(&node_c, &hash), "{:#?}", node_c.log());
    assert!(
        node_c
            .log()
            .iter()
            .any(|line| line.contains("WARN") && line.contains("failed authentication")),
        "{:#?}",
        node_c.log()
    );
}

#[test]
fn a_data_api_file_written_through_one_node_is_read_through_another() {
    in_cluster(share_data);
}

fn share_data(registry: &str, cluster: &str) {
    let folders: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let nodes: Vec<Server> = std::thread::scope(|scope| {
        let starting: Vec<_> = folders
            .iter()
            .map(|folder| scope.spawn(|| node(folder.path(), registry, cluster)))
            .collect();
        starting
            .into_iter()
            .map(|node| node.join().unwrap())
            .collect()
    });
    let (node_a, node_b, node_c) = (&nodes[0], &nodes[1], &nodes[2]);

    // Written through B: 3 MB, not text, so C streams it rather than
    // reading it whole.
    let (status, created) = node_b
        .json("POST", "/v1/data/.my", &json!({"name": "shared"}))
        .unwrap();
    assert_eq!(status, 200, "{created}");
    let contents: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let started = Instant::now();
    let (status, put) = node_b
        .send(
            "PUT",
            "/v1/data/.my/shared/big.bin",
            "application/octet-stream",
            &contents,
        )
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&put));
    eprintln!("3 MB written through B in {:?}", started.elapsed());
    let started = Instant::now();
    let (status, read) = node_c
        .send("GET", "/v1/data/.my/shared/big.bin", "text/plain", b"")
        .unwrap();
    assert_eq!(status, 200);
    eprintln!("3 MB read through C in {:?}", started.elapsed());
    assert!(
        read == contents,
        "C read {} bytes that are not the 3,000,000 B wrote",
        read.len()
    );
    let (status, listed) = node_a
        .json("GET", "/v1/data/.my/shared", &Value::Null)
        .unwrap();
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["files"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["files"][0]["filename"], "big.bin", "{listed}");
    assert_eq!(listed["files"][0]["size"], 3_000_000, "{listed}");

    // An access list changed through A is C's at once.
    let (status, patched) = node_a
        .json(
            "PATCH",
            "/v1/data/.my/shared",
            &json!({"acl": {"read": ["user://*"]}}),
        )
        .unwrap();
    assert_eq!(status, 200, "{patched}");
    let (status, acl) = node_c
        .json("GET", "/v1/data/.my/shared?acl=true", &Value::Null)
        .unwrap();
    assert_eq!(status, 200, "{acl}");
    assert_eq!(acl, json!({"acl": {"read": ["user://*"]}}));

    // Replaced through C, read through B; deleted through A, gone on B.
    let (status, _) = node_c
        .send(
            "PUT",
            "/v1/data/.my/shared/big.bin",
            "text/plain",
            b"replaced through C",
        )
        .unwrap();
    assert_eq!(status, 200);
    let (status, read) = node_b
        .send("GET", "/v1/data/.my/shared/big.bin", "text/plain", b"")
        .unwrap();
    assert_eq!((status, read.as_slice()), (200, &b"replaced through C"[..]));
    let (status, deleted) = node_a
        .json("DELETE", "/v1/data/.my/shared/big.bin", &Value::Null)
        .unwrap();
    assert_eq!(status, 200, "{deleted}");
    let (status, _) = node_b
        .send("GET", "/v1/data/.my/shared/big.bin", "text/plain", b"")
        .unwrap();
    assert_eq!(status, 404);
}
