//! Algorithms calling algorithms (`pipeline_enabled`): permissions,
//! deadlines, stops and recursion.

use std::time::{Duration, Instant};

use algobox_host_api::Payload;
use algobox_platform::Caller;
use algobox_runtime::error::InvokeError;
use algobox_runtime::stop::StopHandle;
use serde_json::{Value, json};

use crate::server::{ADMIN_KEY, TestServer};

/// Creates `owner/name` with `settings`, uploads `wasm`, compiles and
/// publishes 0.1.0 with `callability`, all as `key`.
pub(crate) async fn deploy(
    server: &TestServer,
    key: &str,
    owner: &str,
    name: &str,
    wasm: &str,
    settings: Value,
    callability: &str,
) {
    let create = json!({"name": name, "details": {"label": name}, "settings": crate::server::settings(settings)});
    let send = |method: &'static str, path: String, body: Value| async move {
        server
            .send(
                method,
                &path,
                Some(key),
                Some("application/json"),
                body.to_string(),
            )
            .await
    };
    assert_eq!(
        send("POST", format!("/v1/algorithms/{owner}"), create)
            .await
            .status,
        200
    );
    let module = std::fs::read(wasm).unwrap();
    let uploaded = server
        .send(
            "PUT",
            &format!("/v1/algorithms/{owner}/{name}/source"),
            Some(key),
            Some("application/wasm"),
            module,
        )
        .await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.text());
    send(
        "POST",
        format!("/v1/algorithms/{owner}/{name}/compile"),
        json!({}),
    )
    .await;
    let publish = json!({"version_info": {"version_type": "minor"}, "settings": {"algorithm_callability": callability}});
    let published = send(
        "POST",
        format!("/v1/algorithms/{owner}/{name}/versions"),
        publish,
    )
    .await;
    assert_eq!(published.status, 200, "{}", published.text());
}

/// Calls `path` with a JSON body as `key`; returns the envelope.
pub(crate) async fn call(server: &TestServer, key: &str, path: &str, body: Value) -> Value {
    server.call_json(key, path, body).await
}

fn pipelines() -> Value {
    json!({"pipeline_enabled": true})
}

#[tokio::test]
pub(crate) async fn caller() {
    let server = TestServer::start().await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "hello",
        test_artifacts::HELLO,
        json!({}),
        "private",
    )
    .await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "relay",
        test_artifacts::CALLER,
        pipelines(),
        "private",
    )
    .await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "norelay",
        test_artifacts::CALLER,
        json!({}),
        "private",
    )
    .await;
    let request = json!({"call": "admin/hello/0.1.0", "input": "Neo"});

    let relayed = call(
        &server,
        ADMIN_KEY,
        "/v1/algo/admin/relay/0.1.0",
        request.clone(),
    )
    .await;
    assert_eq!(relayed["result"], "Hello Neo", "{relayed}");

    let refused = call(&server, ADMIN_KEY, "/v1/algo/admin/norelay/0.1.0", request).await;
    assert_eq!(
        refused["error"]["error_type"], "PermissionDenied",
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pipeline_enabled")
    );

    // Calling a name that does not resolve is the callee's kind of error.
    let missing = json!({"call": "admin/nothing/1.0.0", "input": "x"});
    let missing = call(&server, ADMIN_KEY, "/v1/algo/admin/relay/0.1.0", missing).await;
    assert_eq!(
        missing["error"]["error_type"], "EntityNotFoundError",
        "{missing}"
    );
}

#[tokio::test]
async fn a_slow_callee_is_cut_at_the_callers_deadline() {
    let server = TestServer::start().await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "sleeper",
        test_artifacts::SLEEPER,
        json!({}),
        "private",
    )
    .await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "relay",
        test_artifacts::CALLER,
        pipelines(),
        "private",
    )
    .await;
    let started = Instant::now();
    let request = json!({"call": "admin/sleeper/0.1.0", "input": 10_000});
    let reply = call(
        &server,
        ADMIN_KEY,
        "/v1/algo/admin/relay/0.1.0?timeout=0.5",
        request,
    )
    .await;
    let elapsed = started.elapsed();
    assert!(reply.get("error").is_some(), "{reply}");
    assert!(
        ["TimeoutError"].contains(&reply["error"]["error_type"].as_str().unwrap()),
        "{reply}"
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "the callee outlived the caller: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_stop_reaches_the_callee() {
    let server = TestServer::start().await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "countdown",
        test_artifacts::COUNTDOWN,
        json!({}),
        "private",
    )
    .await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "relay",
        test_artifacts::CALLER,
        pipelines(),
        "private",
    )
    .await;
    let platform = &server.platform;
    let admin = Caller {
        name: "admin".parse().unwrap(),
    };
    let target = platform
        .resolve(
            &admin,
            &"admin".parse().unwrap(),
            &"relay".parse().unwrap(),
            Some("0.1.0"),
        )
        .await
        .unwrap();
    let request = json!({"call": "admin/countdown/0.1.0", "input": {"steps": 1000, "step_ms": 10}});
    let stop = StopHandle::new();
    let invocation = platform
        .invocation(&admin, &target, vec![Payload::json(&request).unwrap()], 0)
        .stop_handle(stop.clone());
    let started = Instant::now();
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.request();
    };
    let (result, ()) = tokio::join!(
        platform.runtime().invoke(&target.algorithm, invocation),
        stopper
    );
    // The countdown (10 s of steps) saw the stop and returned, and so did
    // its caller: nothing was stopped by force.
    assert_eq!(result, Err(InvokeError::Stopped { forced: false }));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn recursion_ends_at_the_depth_limit() {
    let server = TestServer::start().await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "relay",
        test_artifacts::CALLER,
        pipelines(),
        "private",
    )
    .await;
    let request = json!({"call": "admin/relay/0.1.0", "forward": true});
    let started = Instant::now();
    let reply = call(&server, ADMIN_KEY, "/v1/algo/admin/relay/0.1.0", request).await;
    assert_eq!(reply["error"]["error_type"], "RecursionLimit", "{reply}");
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&algobox_platform::pipeline::MAX_DEPTH.to_string()),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_private_algorithm_stays_invisible_through_another_algorithm() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;
    deploy(
        &server,
        ADMIN_KEY,
        "admin",
        "secret",
        test_artifacts::HELLO,
        json!({}),
        "private",
    )
    .await;
    deploy(
        &server,
        &bob,
        "bob",
        "relay",
        test_artifacts::CALLER,
        pipelines(),
        "public",
    )
    .await;
    let request = json!({"call": "admin/secret/0.1.0", "input": "Neo"});

    // Bob's algorithm acts for bob: admin's private algorithm does not exist.
    let as_bob = call(&server, &bob, "/v1/algo/bob/relay/0.1.0", request.clone()).await;
    assert_eq!(
        as_bob["error"]["error_type"], "EntityNotFoundError",
        "{as_bob}"
    );
    // The same public algorithm called by admin acts for admin.
    let as_admin = call(&server, ADMIN_KEY, "/v1/algo/bob/relay/0.1.0", request).await;
    assert_eq!(as_admin["result"], "Hello Neo", "{as_admin}");
}
