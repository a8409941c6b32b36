//! How calls from outside share the call slots: a bounded wait per
//! account, and headroom in the pool for the calls algorithms make.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::pipeline::deploy;
use crate::server::{ADMIN_KEY, TestServer};

#[tokio::test]
async fn callers_in_every_outside_slot_still_reach_their_callees() {
    // A pool of two: without headroom, two relays would hold both slots
    // and their callees would find none.
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.limits.concurrency = 2;
    })
    .await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "hello",
        test_artifacts::HELLO,
        json!({}),
        "public",
    )
    .await;
    let relay = json!({"pipeline_enabled": true});
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "relay",
        test_artifacts::CALLER,
        relay,
        "public",
    )
    .await;
    let bob = server.user("bob").await;
    let call = |key: String| {
        let server = &server;
        async move {
            server
                .call_json(
                    &key,
                    "/v1/algo/admin/relay/0.1.0",
                    json!({"call": "admin/hello/0.1.0", "input": "Neo"}),
                )
                .await
        }
    };
    let (admins, bobs) = tokio::join!(call(ADMIN_KEY.to_owned()), call(bob));
    assert_eq!(admins["result"], "Hello Neo", "{admins}");
    assert_eq!(bobs["result"], "Hello Neo", "{bobs}");
}

#[tokio::test]
async fn an_account_past_its_waiting_calls_gets_429_and_others_are_served() {
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.calls_per_account = Some(1);
        config.waiting_calls_per_account = Some(1);
    })
    .await;
    server
        .deploy("sleeper", test_artifacts::SLEEPER, "public")
        .await;
    let bob = server.user("bob").await;
    let path = "/v1/algo/admin/sleeper/0.1.0";
    let sleep = |ms: u64| {
        let server = &server;
        async move {
            server
                .send(
                    "POST",
                    path,
                    Some(ADMIN_KEY),
                    Some("application/json"),
                    ms.to_string(),
                )
                .await
        }
    };
    // One runs, one waits, and the third is refused at once.
    let (running, waiting, refused) = tokio::join!(
        sleep(1_500),
        async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            sleep(10).await
        },
        async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let started = Instant::now();
            let reply = sleep(10).await;
            (reply, started.elapsed())
        }
    );
    let (refused, took) = refused;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(refused.headers.contains_key("retry-after"));
    assert!(
        refused.text().contains("calls waiting for a slot"),
        "{}",
        refused.text()
    );
    assert!(
        took < Duration::from_millis(500),
        "the refusal waited {took:?}"
    );
    assert_eq!(running.json()["result"], "slept 1500 ms");
    assert_eq!(waiting.json()["result"], "slept 10 ms");

    // Meanwhile another account is served at once.
    let (_, served) = tokio::join!(sleep(1_000), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let reply = server
            .send("POST", path, Some(&bob), Some("application/json"), "10")
            .await;
        (reply, started.elapsed())
    });
    let (reply, took) = served;
    assert_eq!(reply.json()["result"], "slept 10 ms");
    assert!(took < Duration::from_millis(700), "bob waited {took:?}");
}
