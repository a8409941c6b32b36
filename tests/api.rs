//! The HTTP API over real sockets: keys, management, uploads, compiles,
//! publishing (invocation is in `invoke`).

use algobox_runtime::content_hash::ContentHash;
use serde_json::{Value, json};

use crate::server::{ADMIN_KEY, TestServer, settings};

#[tokio::test]
async fn keys_are_required_and_accepted_in_every_client_form() {
    let server = TestServer::start().await;
    server
        .deploy("hello", test_artifacts::HELLO, "private")
        .await;
    let path = "/v1/algo/admin/hello/0.1.0";
    for key in [None, Some("wrong-key"), Some("Basic abc")] {
        let reply = server
            .send("POST", path, key, Some("text/plain"), "Neo")
            .await;
        assert_eq!(reply.status, 401, "{key:?}");
        assert_eq!(reply.json()["error"]["code"], 2002);
        assert!(
            reply.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Simple")
        );
    }
    for key in [
        ADMIN_KEY.to_owned(),
        format!("Simple {ADMIN_KEY}"),
        format!("Bearer {ADMIN_KEY}"),
    ] {
        let reply = server
            .send("POST", path, Some(&key), Some("text/plain"), "Neo")
            .await;
        assert_eq!(reply.status, 200, "{key}");
        assert_eq!(reply.json()["result"], "Hello Neo");
    }
}

#[tokio::test]
async fn management_validates_and_names_the_field() {
    let server = TestServer::start().await;
    for (body, field) in [
        (json!({"name": "1bad", "details": {"label": "x"}}), "name"),
        (json!({"name": "ok", "details": {}}), "details.label"),
        (
            json!({"name": "ok", "details": {"label": "x"}, "settings": settings(json!({"license": "mit", "source_visibility": "closed"}))}),
            "source_visibility",
        ),
        (
            json!({"name": "ok", "details": {"label": "x"}, "settings": settings(json!({"network_access": "some"}))}),
            "network_access",
        ),
    ] {
        let reply = server
            .admin_json("POST", "/v1/algorithms/admin", body.clone())
            .await;
        assert_eq!(reply.status, 400, "{body}");
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(field), "{field}: {message}");
    }
    let body =
        json!({"name": "dup", "details": {"label": "Dup"}, "settings": settings(Value::Null)});
    let created = server
        .admin_json("POST", "/v1/algorithms/admin", body.clone())
        .await;
    assert_eq!(created.status, 200);
    let created = created.json();
    assert_eq!(created["id"].as_str().unwrap().len(), 36);
    assert_eq!(created["source"]["scm"]["provider"], "internal");
    assert_eq!(created["settings"]["algorithm_callability"], "private");
    let again = server
        .admin_json("POST", "/v1/algorithms/admin", body)
        .await;
    assert_eq!(
        (again.status, again.json()["error"]["code"].clone()),
        (409, json!(1002))
    );

    let updated = server
        .admin_json(
            "PUT",
            "/v1/algorithms/admin/dup",
            json!({"details": {"summary": "now with a summary"}, "settings": {"pipeline_enabled": true}, "version_info": {}, "source": {}, "scmsCredentials": {}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let fetched = server
        .send("GET", "/v1/algorithms/admin/dup", Some(ADMIN_KEY), None, "")
        .await
        .json();
    assert_eq!(fetched["details"]["summary"], "now with a summary");
    assert_eq!(fetched["details"]["label"], "Dup");
    assert_eq!(fetched["settings"]["pipeline_enabled"], true);

    let deleted = server
        .send(
            "DELETE",
            "/v1/algorithms/admin/dup",
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await;
    assert_eq!(deleted.status, 204);
    let gone = server
        .send("GET", "/v1/algorithms/admin/dup", Some(ADMIN_KEY), None, "")
        .await;
    assert_eq!(gone.status, 404);
    assert!(
        gone.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("No such algorithm")
    );
}

#[tokio::test]
async fn upload_compile_publish_and_list() {
    let server = TestServer::start().await;
    let hello = std::fs::read(test_artifacts::HELLO).unwrap();
    let hash = ContentHash::of(&hello).to_string();
    server
        .admin_json(
            "POST",
            "/v1/algorithms/admin",
            json!({"name": "hello", "details": {"label": "Hello"}, "settings": settings(Value::Null)}),
        )
        .await;

    let not_wasm = server
        .send(
            "PUT",
            "/v1/algorithms/admin/hello/source",
            Some(ADMIN_KEY),
            Some("application/wasm"),
            "hello",
        )
        .await;
    assert_eq!(not_wasm.status, 400);
    assert!(
        not_wasm.text().contains("not a WebAssembly binary"),
        "{}",
        not_wasm.text()
    );

    let uploaded = server
        .send(
            "PUT",
            "/v1/algorithms/admin/hello/source",
            Some(ADMIN_KEY),
            Some("application/octet-stream"),
            hello,
        )
        .await;
    assert_eq!(uploaded.json()["source"]["module"]["hash"], hash);

    let compiled = server
        .admin_json("POST", "/v1/algorithms/admin/hello/compile", json!({}))
        .await
        .json();
    assert_eq!(compiled["version_info"]["git_hash"], hash);
    assert_eq!(compiled["build"]["commit_sha"], hash);
    assert_eq!(compiled["build"]["status"], "succeeded");
    assert!(compiled["version_info"].get("semantic_version").is_none());
    let build_id = compiled["build"]["build_id"].as_str().unwrap().to_owned();
    let started_at = compiled["build"]["started_at"].as_str().unwrap();
    assert!(
        started_at.ends_with('Z') && started_at.len() == 24,
        "{started_at}"
    );

    let publish = |kind: &'static str| {
        server.admin_json(
            "POST",
            "/v1/algorithms/admin/hello/versions",
            json!({"version_info": {"version_type": kind, "release_notes": "first", "sample_input": "Neo"}, "settings": {"algorithm_callability": "public"}}),
        )
    };
    let published = publish("minor").await.json();
    assert_eq!(published["version_info"]["semantic_version"], "0.1.0");
    assert_eq!(published["version_info"]["sample_input"], "Neo");
    assert_eq!(
        published["build"]["version_info"]["semantic_version"],
        "0.1.0"
    );
    let again = publish("minor").await;
    assert_eq!(
        (again.status, again.json()["error"]["code"].clone()),
        (400, json!(1007))
    );
    let bad = publish("huge").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.text().contains("version_type") || bad.text().contains("huge"),
        "{}",
        bad.text()
    );

    let versions = server
        .send(
            "GET",
            "/v1/algorithms/admin/hello/versions",
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await
        .json();
    assert_eq!(versions["results"][0]["resource_type"], "algorithm");
    assert_eq!(
        versions["results"][0]["version_info"]["semantic_version"],
        "0.1.0"
    );
    assert!(versions["marker"].is_null());
    let by_hash = server
        .send(
            "GET",
            &format!("/v1/algorithms/admin/hello/versions/{hash}"),
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await
        .json();
    assert_eq!(by_hash["version_info"]["semantic_version"], "0.1.0");
    let builds = server
        .send(
            "GET",
            "/v1/algorithms/admin/hello/builds?limit=56",
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await
        .json();
    assert_eq!(builds["results"][0]["build_id"], build_id);
    let logs = server
        .send(
            "GET",
            &format!("/v1/algorithms/admin/hello/builds/{build_id}/logs"),
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await
        .json();
    assert!(logs["logs"].as_str().unwrap().contains(&hash));
    let scm = server
        .send(
            "GET",
            "/v1/algorithms/admin/hello/scm/status",
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await;
    assert_eq!(scm.json()["scm_connection_status"], "active");
}

#[tokio::test]
async fn a_module_that_is_no_algorithm_is_a_failed_build_saying_why() {
    let server = TestServer::start().await;
    server
        .admin_json(
            "POST",
            "/v1/algorithms/admin",
            json!({"name": "cmd", "details": {"label": "Cmd"}, "settings": settings(Value::Null)}),
        )
        .await;
    // A valid component that exports nothing: neither an algorithm nor a
    // program.
    let module = b"\0asm\x0d\0\x01\0".to_vec();
    server
        .send(
            "PUT",
            "/v1/algorithms/admin/cmd/source",
            Some(ADMIN_KEY),
            Some("application/wasm"),
            module,
        )
        .await;
    let compiled = server
        .admin_json("POST", "/v1/algorithms/admin/cmd/compile", json!({}))
        .await;
    assert_eq!(compiled.status, 200);
    let compiled = compiled.json();
    assert_eq!(compiled["compilation"]["successful"], false);
    assert_eq!(compiled["build"]["status"], "failed");
    assert!(
        compiled["compilation"]["output"]
            .as_str()
            .unwrap()
            .contains("exports neither")
    );
    let publish = server
        .admin_json(
            "POST",
            "/v1/algorithms/admin/cmd/versions",
            json!({"version_info": {"version_type": "minor"}}),
        )
        .await;
    assert_eq!(publish.status, 400, "{}", publish.text());
}
