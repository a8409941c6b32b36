//! Algorithmia-compatible invocation over real sockets: payloads by
//! content type, options, errors, limits, version strings, void calls.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;

use crate::server::{ADMIN_KEY, TestServer};

#[tokio::test]
async fn payloads_round_trip_by_content_type() {
    let server = TestServer::start().await;
    server.deploy("echo", test_artifacts::ECHO, "private").await;
    let path = "/v1/algo/admin/echo/0.1.0";
    let text = server
        .send("POST", path, Some(ADMIN_KEY), Some("text/plain"), "[1, 2]")
        .await
        .json();
    assert_eq!(
        (
            text["result"].clone(),
            text["metadata"]["content_type"].clone()
        ),
        (json!("[1, 2]"), json!("text"))
    );
    let text = server
        .send(
            "POST",
            path,
            Some(ADMIN_KEY),
            Some("application/text"),
            "hi",
        )
        .await
        .json();
    assert_eq!(text["result"], "hi");
    let value = server
        .send(
            "POST",
            path,
            Some(ADMIN_KEY),
            Some("application/json; charset=UTF-8"),
            r#"{"a":[1,null]}"#,
        )
        .await
        .json();
    assert_eq!(
        (
            value["result"].clone(),
            value["metadata"]["content_type"].clone()
        ),
        (json!({"a": [1, null]}), json!("json"))
    );
    let bytes = vec![0u8, 159, 146, 150, 255];
    let binary = server
        .send(
            "POST",
            path,
            Some(ADMIN_KEY),
            Some("application/octet-stream"),
            bytes.clone(),
        )
        .await
        .json();
    assert_eq!(binary["metadata"]["content_type"], "binary");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(binary["result"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, bytes);
    assert!(binary["metadata"]["duration"].as_f64().unwrap() > 0.0);

    let raw = server
        .send(
            "POST",
            &format!("{path}?output=raw"),
            Some(ADMIN_KEY),
            Some("application/octet-stream"),
            bytes.clone(),
        )
        .await;
    assert_eq!((raw.status, raw.body.to_vec()), (200, bytes));
    let bad_json = server
        .send("POST", path, Some(ADMIN_KEY), Some("application/json"), "{")
        .await;
    assert_eq!(bad_json.status, 400);
    assert!(bad_json.text().contains("not valid JSON"));
}

#[tokio::test]
async fn an_input_array_gives_initialize_positional_inputs() {
    let server = TestServer::start().await;
    server.deploy("echo", test_artifacts::ECHO, "private").await;
    let path = "/v1/algo/admin/echo/0.1.0?inputs=array";
    let call = |body: &'static str| {
        server.send(
            "POST",
            path,
            Some(ADMIN_KEY),
            Some("application/json"),
            body,
        )
    };
    // The echo guest describes several inputs by their content types.
    let several = call(r#"["Neo", {"a": 1}, 2]"#).await.json();
    assert_eq!(
        several["result"],
        json!(["text", "json", "json"]),
        "{several}"
    );
    let one = call(r#"["Neo"]"#).await.json();
    assert_eq!(one["result"], "Neo", "{one}");

    // Not an array: refused with what to send, and the same algorithm
    // still answers a plain call.
    let refused = call(r#"{"a": 1}"#).await;
    assert_eq!(
        (refused.status, refused.json()["error"]["code"].clone()),
        (400, json!(2013))
    );
    assert!(refused.text().contains("JSON array"), "{}", refused.text());
    let plain = server
        .call_json(ADMIN_KEY, "/v1/algo/admin/echo/0.1.0", json!(["Neo"]))
        .await;
    assert_eq!(plain["result"], json!(["Neo"]));
}

#[tokio::test]
async fn options_errors_and_limits() {
    let server = TestServer::start().await;
    server
        .deploy("failer", test_artifacts::FAILER, "private")
        .await;
    server
        .deploy("chatterbox", test_artifacts::CHATTERBOX, "private")
        .await;

    // An algorithm's failure is a 200 with the error envelope.
    let failed = server
        .send(
            "POST",
            "/v1/algo/admin/failer/0.1.0",
            Some(ADMIN_KEY),
            Some("text/plain"),
            "x",
        )
        .await;
    assert_eq!(failed.status, 200);
    let error = &failed.json()["error"];
    assert_eq!(
        (error["message"].clone(), error["error_type"].clone()),
        (json!("bad input: x"), json!("InputError"))
    );
    assert_eq!(error["stacktrace"], "line 1\nline 2");
    // With output=raw it is a 400.
    let raw = server
        .send(
            "POST",
            "/v1/algo/admin/failer/0.1.0?output=raw",
            Some(ADMIN_KEY),
            Some("text/plain"),
            "x",
        )
        .await;
    assert_eq!(raw.status, 400);

    let printed = server
        .send(
            "POST",
            "/v1/algo/admin/chatterbox/0.1.0?timeout=5&stdout=True",
            Some(ADMIN_KEY),
            Some("application/json"),
            "1",
        )
        .await
        .json();
    assert_eq!(
        printed["metadata"]["stdout"].as_str().unwrap().len(),
        1 << 20
    );
    let quiet = server
        .send(
            "POST",
            "/v1/algo/admin/chatterbox/0.1.0?stdout=False",
            Some(ADMIN_KEY),
            Some("application/json"),
            "0",
        )
        .await
        .json();
    assert!(quiet["metadata"].get("stdout").is_none());

    let long = server
        .send(
            "POST",
            "/v1/algo/admin/failer/0.1.0?timeout=3001",
            Some(ADMIN_KEY),
            Some("text/plain"),
            "x",
        )
        .await;
    assert_eq!(long.status, 400);
    assert!(long.text().contains("maximum"), "{}", long.text());

    let huge = vec![b'x'; (10 << 20) + 1];
    let refused = server
        .send(
            "POST",
            "/v1/algo/admin/failer/0.1.0",
            Some(ADMIN_KEY),
            Some("text/plain"),
            huge,
        )
        .await;
    assert_eq!(refused.status, 413);
    assert!(refused.text().contains("10485760"), "{}", refused.text());
}

#[tokio::test]
async fn versions_resolve_and_private_algorithms_are_invisible_to_others() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;

    let published = server
        .deploy("hello", test_artifacts::HELLO, "private")
        .await;
    let hash = published["version_info"]["git_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let call = |who: String, version: &'static str| {
        let path = format!("/v1/algo/admin/hello{version}");
        let server = &server;
        async move {
            server
                .send("POST", &path, Some(&who), Some("text/plain"), "Neo")
                .await
        }
    };
    for version in ["/0.1.0", "/latestPrivate"] {
        assert_eq!(
            call(ADMIN_KEY.to_owned(), version).await.json()["result"],
            "Hello Neo",
            "{version}"
        );
    }
    let by_hash = format!("/v1/algo/admin/hello/{hash}");
    let reply = server
        .send("POST", &by_hash, Some(ADMIN_KEY), Some("text/plain"), "Neo")
        .await;
    assert_eq!(reply.json()["result"], "Hello Neo");
    // Wildcards and no version find public versions only, for the owner too.
    assert_eq!(call(ADMIN_KEY.to_owned(), "").await.status, 404);
    assert_eq!(call(ADMIN_KEY.to_owned(), "/0.*").await.status, 404);
    // To bob the private algorithm does not exist, however he asks.
    for version in ["/0.1.0", "/latestPrivate", ""] {
        let reply = call(bob.clone(), version).await;
        assert_eq!(reply.status, 404, "{version}");
        assert!(reply.text().contains("not found"));
    }
    let info = server
        .send("GET", "/v1/algorithms/admin/hello", Some(&bob), None, "")
        .await;
    assert_eq!(info.status, 404);
    let bad = call(ADMIN_KEY.to_owned(), "/one.two").await;
    assert_eq!(bad.status, 400);

    // A public version is callable by anyone, with every spelling.
    server
        .send(
            "PUT",
            "/v1/algorithms/admin/hello/source",
            Some(ADMIN_KEY),
            Some("application/wasm"),
            std::fs::read(test_artifacts::ECHO).unwrap(),
        )
        .await;
    server
        .admin_json("POST", "/v1/algorithms/admin/hello/compile", json!({}))
        .await;
    let public = server
        .admin_json("POST", "/v1/algorithms/admin/hello/versions", json!({"version_info": {"version_type": "patch"}, "settings": {"algorithm_callability": "public"}}))
        .await
        .json();
    assert_eq!(public["version_info"]["semantic_version"], "0.1.1");
    for version in ["", "/0.*", "/0.1.*", "/0.1.1", "/latest"] {
        let reply = call(bob.clone(), version).await;
        assert_eq!(reply.json()["result"], "Neo", "{version}: the echo module");
    }
    // The private 0.1.0 stays private and unchanged.
    assert_eq!(call(bob.clone(), "/0.1.0").await.status, 404);
    assert_eq!(
        call(ADMIN_KEY.to_owned(), "/0.1.0").await.json()["result"],
        "Hello Neo"
    );
}

#[tokio::test]
async fn void_calls_answer_at_once_and_report_to_their_caller() {
    let server = TestServer::start().await;
    server
        .deploy("countdown", test_artifacts::COUNTDOWN, "private")
        .await;
    let started = Instant::now();
    let reply = server
        .send(
            "POST",
            "/v1/algo/admin/countdown/0.1.0?output=void",
            Some(ADMIN_KEY),
            Some("application/json"),
            r#"{"steps": 3, "step_ms": 100}"#,
        )
        .await
        .json();
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "void waited: {:?}",
        started.elapsed()
    );
    let request_id = reply["request_id"].as_str().unwrap().to_owned();
    assert!(reply.get("async").is_some());
    let path = format!("/v1/requests/{request_id}");
    let status = loop {
        let status = server
            .send("GET", &path, Some(ADMIN_KEY), None, "")
            .await
            .json();
        if status["status"] == "succeeded" || started.elapsed() > Duration::from_secs(10) {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["result"]["result"], json!({"completed": 3}));
    assert_eq!(status["progress"].as_array().unwrap().len(), 3);
    let eve = server.user("eve").await;
    assert_eq!(
        server.send("GET", &path, Some(&eve), None, "").await.status,
        404
    );
}

#[tokio::test]
async fn published_versions_survive_a_restart() {
    let server = TestServer::start().await;
    server
        .deploy("hello", test_artifacts::HELLO, "public")
        .await;
    let data = server.stop().await;
    let server = TestServer::start_in(data).await;
    let started = Instant::now();
    let reply = server
        .send(
            "POST",
            "/v1/algo/admin/hello/0.1.0",
            Some(ADMIN_KEY),
            Some("text/plain"),
            "again",
        )
        .await;
    let first = started.elapsed();
    assert_eq!(reply.json()["result"], "Hello again");
    // Loaded from the compiled-code cache, not recompiled (which takes
    // hundreds of milliseconds in a debug build).
    assert!(
        first < Duration::from_millis(500),
        "first call after restart took {first:?}"
    );
    assert_eq!(reply.content_type, "application/json");
}
