//! The management API as Algorithmia documents it: builds and rollbacks,
//! the algorithm as it is now, JSON bodies, required settings, absolute
//! links, request ids and who sees stack traces.

use serde_json::{Value, json};

use crate::server::{ADMIN_KEY, Reply, TestServer, settings};

/// Uploads `wasm` to `admin/<name>` and compiles it; the compile answer.
async fn upload_and_compile(server: &TestServer, name: &str, wasm: &str) -> Value {
    let uploaded = server
        .send(
            "PUT",
            &format!("/v1/algorithms/admin/{name}/source"),
            Some(ADMIN_KEY),
            Some("application/wasm"),
            std::fs::read(wasm).unwrap(),
        )
        .await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.text());
    let compiled = server
        .admin_json(
            "POST",
            &format!("/v1/algorithms/admin/{name}/compile"),
            json!({}),
        )
        .await;
    assert_eq!(compiled.status, 200, "{}", compiled.text());
    compiled.json()
}

async fn create(server: &TestServer, name: &str, overrides: Value) {
    let created = server
        .admin_json(
            "POST",
            "/v1/algorithms/admin",
            json!({"name": name, "details": {"label": name}, "settings": settings(overrides)}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
}

async fn publish(server: &TestServer, name: &str, version_info: Value) -> Reply {
    server
        .admin_json(
            "POST",
            &format!("/v1/algorithms/admin/{name}/versions"),
            json!({"version_info": version_info, "settings": {"algorithm_callability": "public"}}),
        )
        .await
}

async fn get(server: &TestServer, key: &str, path: &str) -> Value {
    let reply = server.send("GET", path, Some(key), None, "").await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    reply.json()
}

#[tokio::test]
async fn publish_takes_the_named_build_and_a_rollback_publishes_again() {
    let server = TestServer::start().await;
    create(&server, "roll", Value::Null).await;
    let echo = upload_and_compile(&server, "roll", test_artifacts::ECHO).await;
    let echo_hash = echo["version_info"]["git_hash"].clone();
    let echo_build = echo["build"]["build_id"].as_str().unwrap().to_owned();
    let hello = upload_and_compile(&server, "roll", test_artifacts::HELLO).await;
    let hello_hash = hello["version_info"]["git_hash"].clone();

    // The older build, by name, though a newer one exists: what a deploy
    // racing another deploy needs.
    let first = publish(
        &server,
        "roll",
        json!({"version_type": "minor", "build_id": echo_build}),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["version_info"]["git_hash"], echo_hash);
    assert_eq!(first.json()["version_info"]["semantic_version"], "0.1.0");
    // Without a name, the latest build.
    let second = publish(&server, "roll", json!({"version_type": "minor"})).await;
    assert_eq!(second.json()["version_info"]["git_hash"], hello_hash);

    // The rollback: the same bytes again are a new build, and publish.
    let again = upload_and_compile(&server, "roll", test_artifacts::ECHO).await;
    assert_eq!(again["version_info"]["git_hash"], echo_hash);
    assert_ne!(again["build"]["build_id"], json!(echo_build));
    let rollback = publish(&server, "roll", json!({"version_type": "minor"})).await;
    assert_eq!(rollback.status, 200, "{}", rollback.text());
    assert_eq!(rollback.json()["version_info"]["semantic_version"], "0.3.0");

    // Each version calls its own code, by number and by hash; a hash two
    // versions share reaches the newest.
    for (version, expected) in [("0.1.0", "Neo"), ("0.2.0", "Hello Neo"), ("0.3.0", "Neo")] {
        let answer = server
            .call_json(
                ADMIN_KEY,
                &format!("/v1/algo/admin/roll/{version}"),
                json!("Neo"),
            )
            .await;
        assert_eq!(answer["result"], expected, "{version}: {answer}");
    }
    let echo_hash = echo_hash.as_str().unwrap();
    let by_hash = get(
        &server,
        ADMIN_KEY,
        &format!("/v1/algorithms/admin/roll/versions/{echo_hash}"),
    )
    .await;
    assert_eq!(by_hash["version_info"]["semantic_version"], "0.3.0");
    let answer = server
        .call_json(
            ADMIN_KEY,
            &format!("/v1/algo/admin/roll/{echo_hash}"),
            json!("Neo"),
        )
        .await;
    assert_eq!(answer["result"], "Neo");

    // The hostile half: a build published once, or one that does not
    // exist, is refused with what to do; the versions stay as they were.
    let twice = publish(
        &server,
        "roll",
        json!({"version_type": "major", "build_id": echo_build}),
    )
    .await;
    assert_eq!(
        (twice.status, twice.json()["error"]["code"].clone()),
        (400, json!(1007))
    );
    assert!(
        twice.text().contains("compile your algorithm again"),
        "{}",
        twice.text()
    );
    let unknown = publish(
        &server,
        "roll",
        json!({"version_type": "major", "build_id": "00000000-0000-4000-8000-000000000000"}),
    )
    .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    assert!(unknown.text().contains("/builds"), "{}", unknown.text());
    let versions = get(&server, ADMIN_KEY, "/v1/algorithms/admin/roll/versions").await;
    let numbers: Vec<&str> = versions["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|version| {
            version["version_info"]["semantic_version"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(numbers, ["0.3.0", "0.2.0", "0.1.0"]);
}

#[tokio::test]
async fn get_shows_the_algorithm_as_it_is_now() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;
    create(&server, "now", Value::Null).await;
    let compiled = upload_and_compile(&server, "now", test_artifacts::ECHO).await;
    publish(&server, "now", json!({"version_type": "minor"})).await;

    let updated = server
        .admin_json(
            "PUT",
            "/v1/algorithms/admin/now",
            json!({"details": {"summary": "echoes"}, "settings": {"pipeline_enabled": true}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());

    let now = get(&server, ADMIN_KEY, "/v1/algorithms/admin/now").await;
    assert_eq!(now["settings"]["pipeline_enabled"], true);
    assert_eq!(now["details"]["summary"], "echoes");
    assert_eq!(now["details"]["label"], "now");
    assert_eq!(now["version_info"]["semantic_version"], "0.1.0");
    assert_eq!(now["build"]["build_id"], compiled["build"]["build_id"]);
    assert_eq!(now["build"]["version_info"]["semantic_version"], "0.1.0");
    assert_eq!(now["compilation"]["successful"], true);
    // Absolute links, from the listen address.
    assert_eq!(
        now["self_link"],
        format!("http://{}/v1/algorithms/admin/now", server.address)
    );
    // Absent fields are absent, not null.
    assert!(now["settings"].get("package_set").is_none(), "{now}");

    // Another user sees the published algorithm, but not its builds.
    let seen = get(&server, &bob, "/v1/algorithms/admin/now").await;
    assert_eq!(seen["version_info"]["semantic_version"], "0.1.0");
    assert!(
        seen.get("build").is_none() && seen.get("compilation").is_none(),
        "{seen}"
    );
    // The published version keeps the settings it was published with.
    let version = get(&server, ADMIN_KEY, "/v1/algorithms/admin/now/versions").await;
    assert_eq!(version["results"][0]["settings"]["pipeline_enabled"], false);
}

#[tokio::test]
async fn bodies_that_are_not_json_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    create(&server, "forms", Value::Null).await;

    // What the official client 2.0.5's `update()` sends.
    let form = server
        .send(
            "PUT",
            "/v1/algorithms/admin/forms",
            Some(ADMIN_KEY),
            Some("application/x-www-form-urlencoded"),
            "details=label&details=summary&settings=pipeline_enabled",
        )
        .await;
    assert_eq!(
        (form.status, form.json()["error"]["code"].clone()),
        (400, json!(2013))
    );
    let message = form.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("every value was lost"), "{message}");
    assert!(
        message.contains("Content-Type: application/json"),
        "{message}"
    );
    let invalid = server
        .send(
            "PUT",
            "/v1/algorithms/admin/forms",
            Some(ADMIN_KEY),
            Some("application/json"),
            "{\"details\": ",
        )
        .await;
    assert_eq!(
        (invalid.status, invalid.json()["error"]["code"].clone()),
        (400, json!(2013))
    );
    let unchanged = get(&server, ADMIN_KEY, "/v1/algorithms/admin/forms").await;
    assert_eq!(unchanged["details"]["summary"], "");
    assert_eq!(unchanged["settings"]["pipeline_enabled"], false);

    // JSON labelled as a form (`curl -d`) is still JSON, and an update
    // changes exactly what it names.
    let curl = server
        .send(
            "PUT",
            "/v1/algorithms/admin/forms",
            Some(ADMIN_KEY),
            Some("application/x-www-form-urlencoded"),
            r#"{"details": {"summary": "by curl"}}"#,
        )
        .await;
    assert_eq!(curl.status, 200, "{}", curl.text());
    let changed = get(&server, ADMIN_KEY, "/v1/algorithms/admin/forms").await;
    assert_eq!(changed["details"]["summary"], "by curl");
    assert_eq!(changed["details"]["label"], "forms");
    assert_eq!(changed["settings"], unchanged["settings"]);

    // A call's JSON input that does not parse: 2013 too.
    let call = server
        .send(
            "POST",
            "/v1/algo/admin/forms",
            Some(ADMIN_KEY),
            Some("application/json"),
            "{oops",
        )
        .await;
    assert_eq!(
        (call.status, call.json()["error"]["code"].clone()),
        (400, json!(2013))
    );
}

#[tokio::test]
async fn create_requires_the_documented_settings() {
    let server = TestServer::start().await;
    let refused = |body: Value| {
        let server = &server;
        async move {
            let reply = server
                .admin_json("POST", "/v1/algorithms/admin", body)
                .await;
            assert_eq!(reply.status, 400, "{}", reply.text());
            reply.json()["error"]["message"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let message = refused(json!({"name": "bare", "details": {"label": "Bare"}})).await;
    for field in [
        "settings.license",
        "settings.network_access",
        "settings.pipeline_enabled",
        "settings.source_visibility",
        "settings.language",
    ] {
        assert!(message.contains(field), "{field}: {message}");
    }
    let cobol = refused(json!({"name": "old", "details": {"label": "Old"}, "settings": settings(json!({"language": "cobol"}))})).await;
    assert!(
        cobol.contains("settings.language") && cobol.contains("python3-1"),
        "{cobol}"
    );
    let both = refused(json!({"name": "both", "details": {"label": "Both"}, "settings": settings(json!({"package_set": "python39", "environment": null}))})).await;
    assert!(both.contains("settings.package_set"), "{both}");

    // Nothing was created by the refusals; a package set stands for the
    // language and environment, which are then absent.
    let missing = server
        .send(
            "GET",
            "/v1/algorithms/admin/bare",
            Some(ADMIN_KEY),
            None,
            "",
        )
        .await;
    assert_eq!(missing.status, 404);
    let mut packaged = settings(json!({"package_set": "python39"}));
    let fields = packaged.as_object_mut().unwrap();
    fields.remove("language");
    fields.remove("environment");
    let created = server
        .admin_json(
            "POST",
            "/v1/algorithms/admin",
            json!({"name": "pkg", "details": {"label": "Pkg"}, "settings": packaged}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.json()["settings"]["package_set"], "python39");
    assert!(created.json()["settings"].get("language").is_none());
}

#[tokio::test]
async fn call_answers_name_their_request_and_stack_traces_follow_source_visibility() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;
    create(&server, "failer", Value::Null).await;
    upload_and_compile(&server, "failer", test_artifacts::FAILER).await;
    publish(&server, "failer", json!({"version_type": "minor"})).await;

    let call = |key: String| {
        let server = &server;
        async move {
            let reply = server
                .send(
                    "POST",
                    "/v1/algo/admin/failer",
                    Some(&key),
                    Some("text/plain"),
                    "x",
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
            let header = reply.headers["x-request-id"].to_str().unwrap().to_owned();
            (reply.json(), header)
        }
    };
    let (owner, header) = call(ADMIN_KEY.to_owned()).await;
    assert_eq!(owner["request_id"], header);
    assert!(header.starts_with("req-"), "{header}");
    assert_eq!(owner["error"]["stacktrace"], "line 1\nline 2");
    // Closed source: another caller gets the error, not the trace.
    let (other, _) = call(bob.clone()).await;
    assert_eq!(other["error"]["message"], "bad input: x");
    assert_eq!(other["error"]["stacktrace"], "");

    // Open source: everyone may see it.
    let opened = server
        .admin_json(
            "PUT",
            "/v1/algorithms/admin/failer",
            json!({"settings": {"source_visibility": "open", "license": "mit"}}),
        )
        .await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    upload_and_compile(&server, "failer", test_artifacts::FAILER).await;
    publish(&server, "failer", json!({"version_type": "minor"})).await;
    let (open, _) = call(bob).await;
    assert_eq!(open["error"]["stacktrace"], "line 1\nline 2");

    // A success names its request too.
    create(&server, "echo", Value::Null).await;
    upload_and_compile(&server, "echo", test_artifacts::ECHO).await;
    publish(&server, "echo", json!({"version_type": "minor"})).await;
    let echoed = server
        .call_json(ADMIN_KEY, "/v1/algo/admin/echo", json!(1))
        .await;
    assert!(
        echoed["request_id"].as_str().unwrap().starts_with("req-"),
        "{echoed}"
    );
    assert_eq!(echoed["result"], 1);
}

#[tokio::test]
async fn scm_status_is_for_managers_and_published_builds_name_their_version() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;
    create(&server, "scm", Value::Null).await;
    let compiled = upload_and_compile(&server, "scm", test_artifacts::ECHO).await;
    let build_id = compiled["build"]["build_id"].as_str().unwrap().to_owned();
    let path = format!("/v1/algorithms/admin/scm/builds/{build_id}");
    let unpublished = get(&server, ADMIN_KEY, &path).await;
    assert!(unpublished.get("version_info").is_none(), "{unpublished}");
    publish(&server, "scm", json!({"version_type": "minor"})).await;
    let published = get(&server, ADMIN_KEY, &path).await;
    assert_eq!(published["version_info"]["semantic_version"], "0.1.0");

    // The documented fields of an internal repository: the deploy key and
    // webhook fields describe an external repository host, so are absent.
    let status = get(&server, ADMIN_KEY, "/v1/algorithms/admin/scm/scm/status").await;
    assert_eq!(status, json!({"scm_connection_status": "active"}));
    let refused = server
        .send(
            "GET",
            "/v1/algorithms/admin/scm/scm/status",
            Some(&bob),
            None,
            "",
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(
        refused.text().contains("only the owner"),
        "{}",
        refused.text()
    );
    // The algorithm itself stays visible to bob.
    let seen = get(&server, &bob, "/v1/algorithms/admin/scm").await;
    assert_eq!(seen["version_info"]["semantic_version"], "0.1.0");
}

#[tokio::test]
async fn compile_takes_a_module_uploaded_to_this_algorithm_only() {
    let server = TestServer::start().await;
    create(&server, "mine", Value::Null).await;
    create(&server, "other", Value::Null).await;
    let echo = upload_and_compile(&server, "mine", test_artifacts::ECHO).await;
    let echo_hash = echo["version_info"]["git_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let hello = upload_and_compile(&server, "mine", test_artifacts::HELLO).await;
    upload_and_compile(&server, "other", test_artifacts::FAILER).await;
    let compile = |name: &'static str, hash: String| {
        let server = &server;
        async move {
            let path = format!("/v1/algorithms/admin/{name}/compile");
            server
                .admin_json("POST", &path, json!({"version_info": {"git_hash": hash}}))
                .await
        }
    };

    // An earlier upload, by its hash, though another came after it.
    let earlier = compile("mine", echo_hash.clone()).await;
    assert_eq!(earlier.status, 200, "{}", earlier.text());
    assert_eq!(earlier.json()["build"]["commit_sha"], echo_hash.as_str());

    // A module uploaded to another algorithm is not this one's to build.
    let hello_hash = hello["version_info"]["git_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = compile("other", hello_hash).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(
        refused.text().contains("never uploaded"),
        "{}",
        refused.text()
    );
    let builds = get(&server, ADMIN_KEY, "/v1/algorithms/admin/other/builds").await;
    assert_eq!(builds["results"].as_array().unwrap().len(), 1, "{builds}");
    let garbage = compile("mine", "not-a-hash".to_owned()).await;
    assert_eq!(garbage.status, 400, "{}", garbage.text());
}
