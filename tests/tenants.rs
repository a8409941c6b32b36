//! One account cannot take the server, or another account's calls, down:
//! each test checks both halves, the attacker's clear refusal and everyone
//! else unharmed.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::server::{ADMIN_KEY, TestServer};

/// A void call of the countdown as `key`: its status and body.
async fn void_countdown(server: &TestServer, key: &str, steps: u32) -> (u16, serde_json::Value) {
    let reply = server
        .send(
            "POST",
            "/v1/algo/admin/countdown/0.1.0?output=void",
            Some(key),
            Some("application/json"),
            json!({"steps": steps, "step_ms": 100}).to_string(),
        )
        .await;
    if reply.status == 429 {
        // Clients that honour it wait a second before trying again.
        assert_eq!(reply.headers["retry-after"], "1");
    }
    (reply.status, reply.json())
}

#[tokio::test]
async fn a_flood_of_void_calls_is_bounded_and_leaves_other_accounts_their_slots() {
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.calls_per_account = Some(2);
        config.void_calls_per_account = 4;
    })
    .await;
    server
        .deploy("countdown", test_artifacts::COUNTDOWN, "public")
        .await;

    // The attacker fills its own share: four 3 s calls accepted, two run.
    for _ in 0..4 {
        let (status, body) = void_countdown(&server, ADMIN_KEY, 30).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["request_id"].as_str().unwrap().starts_with("req-"));
    }
    // The fifth is refused at once, saying why and what to do.
    let (status, body) = void_countdown(&server, ADMIN_KEY, 30).await;
    assert_eq!(status, 429, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("4 output=void calls waiting or running")
            && message.contains("wait for some to finish"),
        "{message}"
    );

    // Another account's call runs at once, beside the attacker's two.
    let bob = server.user("bob").await;
    let started = Instant::now();
    let reply = server
        .send(
            "POST",
            "/v1/algo/admin/countdown/0.1.0",
            Some(&bob),
            Some("application/json"),
            json!({"steps": 2, "step_ms": 100}).to_string(),
        )
        .await;
    assert_eq!(reply.json()["result"], json!({"completed": 2}));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "bob waited behind the flood: {:?}",
        started.elapsed()
    );
    // And bob may still queue void calls of his own.
    let (status, body) = void_countdown(&server, &bob, 1).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_upload_to_someone_elses_algorithm_is_refused_before_its_body_is_read() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let server = TestServer::start().await;
    server
        .deploy("countdown", test_artifacts::COUNTDOWN, "public")
        .await;
    let mallory = server.user("mallory").await;
    // Mallory announces 200 MB and sends a few bytes: the answer must come
    // without the server waiting for (or holding) the rest.
    let mut socket = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    let head = format!(
        "PUT /v1/algorithms/admin/countdown/source HTTP/1.1\r\nhost: test\r\n\
         authorization: {mallory}\r\ncontent-type: application/wasm\r\n\
         content-length: 200000000\r\n\r\n\0asm"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("the server waited for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(
        answer.contains("mallory may not manage the algorithms of admin"),
        "{answer}"
    );
    // The server will not read the rest, and says so.
    assert!(answer.contains("connection: close"), "{answer}");

    // The owner's algorithm is untouched and still answers.
    let reply = server
        .send(
            "POST",
            "/v1/algo/admin/countdown/0.1.0",
            Some(ADMIN_KEY),
            Some("application/json"),
            json!({"steps": 1, "step_ms": 1}).to_string(),
        )
        .await;
    assert_eq!(reply.json()["result"], json!({"completed": 1}));
}

#[tokio::test]
async fn large_files_are_streamed_whole_to_concurrent_readers() {
    let server = TestServer::start().await;
    let created = server
        .send(
            "POST",
            "/v1/data/.my",
            Some(ADMIN_KEY),
            Some("application/json"),
            json!({"name": "big"}).to_string(),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    // 3 MiB that is not UTF-8, and 2 MiB of two-byte characters.
    let binary: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8 | 0x80).collect();
    let text = "é".repeat(1 << 20);
    for (name, body) in [
        ("blob", binary.clone()),
        ("text", text.clone().into_bytes()),
    ] {
        let path = format!("/v1/data/.my/big/{name}");
        let put = server.send("PUT", &path, Some(ADMIN_KEY), None, body).await;
        assert_eq!(put.status, 200, "{}", put.text());
    }

    let read = |path: &'static str| server.send("GET", path, Some(ADMIN_KEY), None, "");
    let blob = "/v1/data/.my/big/blob";
    let (a, b, c) = tokio::join!(read(blob), read(blob), read(blob));
    for reply in [a, b, c] {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_type, "application/octet-stream");
        assert_eq!(
            reply.headers["content-length"],
            (3u32 << 20).to_string().as_str()
        );
        assert!(reply.body == binary, "a streamed file differs");
    }
    let reply = read("/v1/data/.my/big/text").await;
    assert_eq!(reply.content_type, "text/plain; charset=utf-8");
    assert_eq!(reply.text(), text);
}

#[tokio::test]
async fn gpu_copies_count_against_the_host_call_budget() {
    use algobox_runtime::Runtime;
    use algobox_runtime::error::InvokeError;
    use algobox_runtime::limits::Limits;

    use crate::gpu::{has_adapter, vector_sum, worker};

    let runtime = Runtime::builder()
        .limits(Limits {
            host_call_bytes: 256 << 10,
            ..crate::support::limits()
        })
        .gpu(worker())
        .build()
        .unwrap();
    if !has_adapter(&runtime).await {
        return;
    }
    // Two 100,003-float vectors are 800 KB of buffer writes: past the
    // budget, the invocation ends, saying which budget.
    match vector_sum(&runtime, 100_003).await {
        Err(InvokeError::HostCallLimit(why)) => assert!(why.contains("bytes"), "{why}"),
        other => panic!("expected the host-call budget to end it, got {other:?}"),
    }
    // A small job on the same runtime runs as ever.
    let (sum, expected) = vector_sum(&runtime, 1000).await.unwrap();
    assert_eq!(sum, expected);
}

/// A server with `limits` on its connections; its address and data folder.
async fn server_with(
    limits: algobox_server::connection_limits::ConnectionLimits,
) -> (std::net::SocketAddr, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let config = algobox_platform::PlatformConfig {
        limits: crate::support::limits(),
        ..algobox_platform::PlatformConfig::new(data.path())
    };
    let platform = algobox_platform::Platform::open(config).await.unwrap();
    platform.bootstrap_admin(Some(ADMIN_KEY)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(algobox_server::serve_with(
        listener,
        platform,
        std::future::pending(),
        limits,
        algobox_server::drain_policy::DrainPolicy::default(),
        None,
    ));
    (address, data)
}

/// A connection to `server` from the local address `from`.
async fn connect_from(from: &str, server: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.unwrap()
}

/// Sends `GET /healthz` and returns the status line.
async fn healthz(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("no answer")
        .unwrap();
    String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Whether the server closed `stream` within `within`.
async fn closed(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt as _;
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(within, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// Both halves of a slow client's test: it was cut off no sooner than its
/// allowance of about a second after `started`, and another connection is
/// served.
async fn cut_off_in_time_while_others_are_served(started: Instant, server: std::net::SocketAddr) {
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let mut other = connect_from("127.0.0.1", server).await;
    assert_eq!(healthz(&mut other).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    use algobox_server::connection_limits::ConnectionLimits;

    let (server, _data) = server_with(ConnectionLimits {
        per_peer: 3,
        header_timeout: Duration::from_secs(10),
        ..ConnectionLimits::default()
    })
    .await;
    // The attacker opens three connections and sends nothing...
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.1", server).await);
    }
    // ...and its fourth is closed at once.
    let mut fourth = connect_from("127.0.0.1", server).await;
    assert!(
        closed(&mut fourth, Duration::from_secs(2)).await,
        "the fourth was kept"
    );
    // Another address is served.
    let mut other = connect_from("127.0.0.2", server).await;
    assert_eq!(healthz(&mut other).await, "HTTP/1.1 200 OK");
    // A connection given back is the attacker's to use again.
    held.pop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect_from("127.0.0.1", server).await;
    assert_eq!(healthz(&mut again).await, "HTTP/1.1 200 OK");
}

/// A server that gives each request head a second.
async fn server_with_a_second_for_headers() -> (std::net::SocketAddr, tempfile::TempDir) {
    server_with(algobox_server::connection_limits::ConnectionLimits {
        header_timeout: Duration::from_secs(1),
        ..Default::default()
    })
    .await
}

/// Sends half a request head on `stream` to a server from
/// [`server_with_a_second_for_headers`], and checks both halves: `stream`
/// is closed about a second later, not sooner, and another connection is
/// served.
async fn a_half_sent_head_is_cut_off(
    stream: &mut tokio::net::TcpStream,
    server: std::net::SocketAddr,
) {
    use tokio::io::AsyncWriteExt as _;

    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: te")
        .await
        .unwrap();
    let started = Instant::now();
    assert!(closed(stream, Duration::from_secs(5)).await, "still open");
    cut_off_in_time_while_others_are_served(started, server).await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let (server, _data) = server_with_a_second_for_headers().await;
    let mut slow = connect_from("127.0.0.1", server).await;
    a_half_sent_head_is_cut_off(&mut slow, server).await;
}

#[tokio::test]
async fn a_kept_alive_connection_gets_the_header_timeout_afresh_for_each_request() {
    let (server, _data) = server_with_a_second_for_headers().await;
    // Requests 0.6 s apart: each head comes within its own second, though
    // the connection outlives the first request's deadline. One timer per
    // connection serves every wait, so its first deadline passing must
    // not close the connection.
    let mut kept = connect_from("127.0.0.1", server).await;
    for request in 0..3 {
        if request > 0 {
            tokio::time::sleep(Duration::from_millis(600)).await;
        }
        assert_eq!(healthz(&mut kept).await, "HTTP/1.1 200 OK");
    }
    // Then a head that never ends: cut off a second after the last answer,
    // not at a deadline left from an earlier request.
    a_half_sent_head_is_cut_off(&mut kept, server).await;
}

#[tokio::test]
async fn a_client_that_trickles_its_body_gets_a_400() {
    use algobox_server::connection_limits::ConnectionLimits;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let (server, _data) = server_with(ConnectionLimits {
        body_grace: Duration::from_secs(1),
        min_body_rate: 1000,
        ..ConnectionLimits::default()
    })
    .await;
    // Headers in full, then 10 of the 100,000 bytes announced.
    let mut slow = connect_from("127.0.0.1", server).await;
    let head = format!(
        "POST /v1/algo/admin/anything HTTP/1.1\r\nhost: test\r\nauthorization: Simple {ADMIN_KEY}\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n0123456789"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("the trickling client was kept")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("the request body arrived slower than 1000 bytes per second"),
        "{answer}"
    );
    // After the grace and the 10 bytes' allowance, not before.
    cut_off_in_time_while_others_are_served(started, server).await;
}

#[tokio::test]
async fn callers_holding_every_slot_get_a_capacity_error_not_a_deadlock() {
    use crate::pipeline::deploy;

    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.limits.concurrency = 1;
    })
    .await;
    for (name, wasm, settings) in [
        ("hello", test_artifacts::HELLO, json!({})),
        (
            "relay",
            test_artifacts::CALLER,
            json!({"pipeline_enabled": true}),
        ),
    ] {
        deploy(&server, ADMIN_KEY, "admin", name, wasm, settings, "private").await;
    }
    // The relay holds the only slot while it calls `hello`, which would
    // wait for that slot until the relay's timeout.
    let started = Instant::now();
    let relayed = server
        .call_json(
            ADMIN_KEY,
            "/v1/algo/admin/relay/0.1.0",
            json!({"call": "admin/hello/0.1.0", "input": "Neo"}),
        )
        .await;
    assert_eq!(relayed["error"]["error_type"], "CapacityError", "{relayed}");
    let message = relayed["error"]["message"].as_str().unwrap();
    assert!(message.contains("no slot came free within 1s"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the relay waited {:?}",
        started.elapsed()
    );
    // The slot is free again for everyone.
    let hello = server
        .send(
            "POST",
            "/v1/algo/admin/hello/0.1.0",
            Some(ADMIN_KEY),
            Some("text/plain"),
            "Neo",
        )
        .await
        .json();
    assert_eq!(hello["result"], "Hello Neo", "{hello}");
}

#[tokio::test]
async fn a_file_larger_than_the_call_may_copy_is_refused_before_it_is_read() {
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        config.limits.host_call_bytes = 1 << 20;
    })
    .await;
    server
        .deploy("archiver", test_artifacts::ARCHIVER, "public")
        .await;
    let bob = server.user("bob").await;
    let created = server
        .send(
            "POST",
            "/v1/data/.my",
            Some(&bob),
            Some("application/json"),
            json!({"name": "col"}).to_string(),
        )
        .await;
    assert!(created.status < 300, "{}", created.text());
    for (name, bytes) in [("big", 2 << 20), ("small", 5)] {
        let stored = server
            .send(
                "PUT",
                &format!("/v1/data/bob/col/{name}"),
                Some(&bob),
                None,
                "x".repeat(bytes),
            )
            .await;
        assert_eq!(stored.status, 200, "{}", stored.text());
    }
    let read = |name: &'static str| {
        server.call_json(
            &bob,
            "/v1/algo/admin/archiver/0.1.0",
            json!({"read": format!("data://bob/col/{name}")}),
        )
    };
    // The guest gets an error it can handle, naming the sizes.
    let refused = read("big").await;
    assert_eq!(refused["error"]["error_type"], "TooLargeError", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("data://bob/col/big is 2097152 bytes, more than the")
            && message.contains("bytes this call may still read"),
        "{message}"
    );
    // A file within the budget reads as before.
    assert_eq!(read("small").await["result"], "xxxxx");
}
