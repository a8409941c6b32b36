//! Stops from outside, the Hkube way: `DELETE /v1/requests/:id`, a client
//! that hangs up, and timeouts all ask the call to stop, and its `stop`
//! hook runs before the instance ends.

use std::io::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::{ADMIN_KEY, TestServer};

/// A server with `janitor` published and the collection its stop hooks
/// write to.
async fn janitor_server() -> TestServer {
    let server = TestServer::start().await;
    server
        .deploy("janitor", test_artifacts::JANITOR, "private")
        .await;
    let created = server
        .admin_json("POST", "/v1/data/.my", json!({"name": "stops"}))
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    server
}

/// What the stop hook left at `data://.my/stops/<name>`, if anything.
async fn marker(server: &TestServer, name: &str) -> Option<String> {
    let reply = server
        .send(
            "GET",
            &format!("/v1/data/.my/stops/{name}"),
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await;
    (reply.status == 200).then(|| reply.text())
}

/// Polls the void call `id` as `key` until `done` says so; its status.
async fn wait_for(
    server: &TestServer,
    key: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let path = format!("/v1/requests/{id}");
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let status = server.send("GET", &path, Some(key), None, "").await.json();
        if done(&status) {
            return status;
        }
        assert!(Instant::now() < until, "still {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `DELETE` on a running void call: `stopping`, then `stopped` within the
/// grace, with the `janitor`'s hook file written.
#[tokio::test]
pub(crate) async fn janitor() {
    let server = janitor_server().await;
    let bob = server.user("bob").await;
    let accepted = server
        .send(
            "POST",
            "/v1/algo/admin/janitor/0.1.0?output=void",
            Some(ADMIN_KEY),
            Some("text/plain"),
            "data://.my/stops/void",
        )
        .await
        .json();
    let id = accepted["request_id"].as_str().unwrap().to_owned();
    wait_for(&server, ADMIN_KEY, &id, |status| {
        status["status"] == "started"
    })
    .await;

    // The hostile half first: another account cannot stop it, or learn
    // that it exists; an unknown id is no call.
    for (key, path) in [
        (bob.as_str(), format!("/v1/requests/{id}")),
        (ADMIN_KEY, "/v1/requests/req-none".to_owned()),
    ] {
        let refused = server.send("DELETE", &path, Some(key), None, "").await;
        assert_eq!(refused.status, 404, "{}", refused.text());
        assert!(refused.text().contains("no request"), "{}", refused.text());
    }
    let status = server
        .send(
            "GET",
            &format!("/v1/requests/{id}"),
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await
        .json();
    assert_eq!(status["status"], "started", "{status}");

    let asked = Instant::now();
    let stopping = server
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
    let stopped = wait_for(&server, ADMIN_KEY, &id, |status| {
        status["status"] != "stopping" && status["status"] != "started"
    })
    .await;
    assert_eq!(stopped["status"], "stopped", "{stopped}");
    assert_eq!(stopped["result"]["error"]["error_type"], "Stopped");
    // Within the test limits' grace (200 ms), with room for a slow machine.
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(marker(&server, "void").await.as_deref(), Some("stopped"));
    // Stopping it again says how it ended.
    let again = server
        .send(
            "DELETE",
            &format!("/v1/requests/{id}"),
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await;
    assert_eq!(again.json()["status"], "stopped");
}

#[tokio::test]
async fn a_timed_out_call_runs_its_stop_hook_and_fails_with_timeout() {
    let server = janitor_server().await;
    let started = Instant::now();
    let answer = server
        .send(
            "POST",
            "/v1/algo/admin/janitor/0.1.0?timeout=0.5",
            Some(ADMIN_KEY),
            Some("text/plain"),
            "data://.my/stops/timeout",
        )
        .await
        .json();
    let elapsed = started.elapsed();
    assert_eq!(answer["error"]["error_type"], "TimeoutError", "{answer}");
    // It answered during its grace (1 s), not at its end.
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_millis(1400),
        "{elapsed:?}"
    );
    assert_eq!(marker(&server, "timeout").await.as_deref(), Some("stopped"));
}

#[tokio::test]
async fn a_call_whose_client_hangs_up_is_stopped_and_others_go_on() {
    let server = janitor_server().await;
    let body = "data://.my/stops/hangup";
    let mut client = std::net::TcpStream::connect(server.address).unwrap();
    write!(
        client,
        "POST /v1/algo/admin/janitor/0.1.0 HTTP/1.1\r\nHost: x\r\nAuthorization: {ADMIN_KEY}\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Running by now; then the client goes away.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(marker(&server, "hangup").await, None);
    drop(client);

    let until = Instant::now() + Duration::from_secs(5);
    while marker(&server, "hangup").await.is_none() {
        assert!(Instant::now() < until, "the stop hook never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another call of the same algorithm is not stopped with it.
    let path = "/v1/algo/admin/janitor/0.1.0?timeout=0.3";
    let other = server
        .send(
            "POST",
            path,
            Some(ADMIN_KEY),
            Some("text/plain"),
            "data://.my/stops/other",
        )
        .await
        .json();
    assert_eq!(other["error"]["error_type"], "TimeoutError", "{other}");
    assert_eq!(marker(&server, "other").await.as_deref(), Some("stopped"));
}
