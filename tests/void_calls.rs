//! `output=void` results wait on disk in the data folder, bounded per
//! account, rather than in the server's memory.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server::{ADMIN_KEY, TestServer};

#[tokio::test]
async fn void_results_wait_on_disk_and_come_back_whole() {
    let server = TestServer::start().await;
    server.deploy("echo", test_artifacts::ECHO, "private").await;
    let bob = server.user("bob").await;
    // Large inputs echoed back: what used to stay in memory for the hour
    // results are kept.
    let mut ids = Vec::new();
    for n in 0..4u8 {
        let input = vec![n; 512 << 10];
        let accepted = server
            .send(
                "POST",
                "/v1/algo/admin/echo/0.1.0?output=void",
                Some(ADMIN_KEY),
                Some("application/octet-stream"),
                input,
            )
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.text());
        ids.push(accepted.json()["request_id"].as_str().unwrap().to_owned());
    }
    let results = server.data.path().join("results");
    for (n, id) in ids.iter().enumerate() {
        let status = finished(&server, ADMIN_KEY, id).await;
        assert_eq!(status["status"], "succeeded", "{status}");
        let result = status["result"]["result"].as_str().unwrap();
        let bytes = base64_decode(result);
        assert_eq!(bytes.len(), 512 << 10);
        assert!(bytes.iter().all(|&b| usize::from(b) == n));
        // The result is a file of about its own size.
        let size = std::fs::metadata(results.join(id)).unwrap().len();
        assert!(size > 512 << 10 && size < 520 << 10, "{size}");
    }
    // Another account sees none of them.
    let other = server
        .send(
            "GET",
            &format!("/v1/requests/{}", ids[0]),
            Some(&bob),
            None,
            "",
        )
        .await;
    assert_eq!(other.status, 404);
}

/// Polls until the void call `id` has ended; its status.
async fn finished(server: &TestServer, key: &str, id: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let status = server
            .send("GET", &format!("/v1/requests/{id}"), Some(key), None, "")
            .await
            .json();
        if ["succeeded", "failed", "stopped"].contains(&status["status"].as_str().unwrap()) {
            return status;
        }
        assert!(Instant::now() < until, "still {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}
