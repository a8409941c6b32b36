//! The Data API over HTTP (files, collections, pages, permissions, every
//! traversal trick) and `data://` from inside an algorithm.

use serde_json::{Value, json};

use crate::server::{ADMIN_KEY, Reply, TestServer};

async fn put(server: &TestServer, key: &str, path: &str, body: &'static str) -> Reply {
    server.send("PUT", path, Some(key), None, body).await
}

async fn get(server: &TestServer, key: &str, path: &str) -> Reply {
    bare(server, "GET", key, path).await
}

/// A request with no body.
async fn bare(server: &TestServer, method: &str, key: &str, path: &str) -> Reply {
    server.send(method, path, Some(key), None, "").await
}

async fn create(server: &TestServer, key: &str, parent: &str, body: Value) -> Reply {
    server
        .send(
            "POST",
            parent,
            Some(key),
            Some("application/json"),
            body.to_string(),
        )
        .await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .map_or("", |value| value.to_str().unwrap())
}

#[tokio::test]
async fn files_round_trip_over_http() {
    let server = TestServer::start().await;
    let created = create(&server, ADMIN_KEY, "/v1/data/.my", json!({"name": "docs"})).await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.json()["result"], "data://admin/docs");

    let stored = put(
        &server,
        ADMIN_KEY,
        "/v1/data/.my/docs/h%C3%A9llo.txt",
        "héllo wörld",
    )
    .await;
    assert_eq!(stored.status, 200, "{}", stored.text());
    assert_eq!(stored.json()["result"], "data://admin/docs/héllo.txt");

    let head = bare(
        &server,
        "HEAD",
        ADMIN_KEY,
        "/v1/data/admin/docs/h%C3%A9llo.txt",
    )
    .await;
    assert_eq!(head.status, 200);
    assert_eq!(header(&head, "x-data-type"), "file");
    assert_eq!(header(&head, "x-data-size"), "13");

    let fetched = get(&server, ADMIN_KEY, "/v1/data/.my/docs/h%C3%A9llo.txt").await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.text(), "héllo wörld");
    assert_eq!(fetched.content_type, "text/plain; charset=utf-8");

    let listing = get(&server, ADMIN_KEY, "/v1/data/.my/docs/").await;
    assert_eq!(listing.status, 200);
    assert_eq!(header(&listing, "x-data-type"), "directory");
    let listing = listing.json();
    let file = &listing["files"][0];
    assert_eq!(file["filename"], "héllo.txt");
    assert_eq!(file["size"], 13);
    // The client parses `%Y-%m-%dT%H:%M:%S.%fZ`.
    let modified = file["last_modified"].as_str().unwrap();
    assert_eq!(modified.len(), 24, "{modified}");
    assert_eq!(
        (&modified[10..11], &modified[19..20], &modified[23..]),
        ("T", ".", "Z")
    );
    assert!(listing.get("marker").is_none(), "{listing}");

    let deleted = bare(
        &server,
        "DELETE",
        ADMIN_KEY,
        "/v1/data/.my/docs/h%C3%A9llo.txt",
    )
    .await;
    assert_eq!(deleted.json(), json!({"result": {"deleted": 1}}));
    let head = bare(
        &server,
        "HEAD",
        ADMIN_KEY,
        "/v1/data/.my/docs/h%C3%A9llo.txt",
    )
    .await;
    assert_eq!(head.status, 404);
    assert!(header(&head, "x-error-message").ends_with("does not exist"));
    let again = bare(
        &server,
        "DELETE",
        ADMIN_KEY,
        "/v1/data/.my/docs/h%C3%A9llo.txt",
    )
    .await;
    assert_eq!(again.status, 404);
    assert!(
        again.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );

    // Without a key, nothing.
    assert_eq!(
        server
            .send("GET", "/v1/data/.my/docs", None, None, "")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn collections_page_and_delete_with_force() {
    let server = TestServer::start().await;
    // Writing into a missing collection of one's own creates it.
    for name in ["c", "a", "d", "b", "e"] {
        let stored = put(
            &server,
            ADMIN_KEY,
            &format!("/v1/data/.my/pages/{name}"),
            "x",
        )
        .await;
        assert_eq!(stored.status, 200, "{}", stored.text());
    }
    let mut names = Vec::new();
    let mut path = "/v1/data/.my/pages?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = get(&server, ADMIN_KEY, &path).await.json();
        pages += 1;
        for file in page["files"].as_array().unwrap() {
            names.push(file["filename"].as_str().unwrap().to_owned());
        }
        match page.get("marker").and_then(Value::as_str) {
            Some(marker) => path = format!("/v1/data/.my/pages?limit=2&marker={marker}"),
            None => break,
        }
    }
    assert_eq!((names.join(""), pages), ("abcde".to_owned(), 3));

    let duplicate = create(
        &server,
        ADMIN_KEY,
        "/v1/data/admin",
        json!({"name": "pages"}),
    )
    .await;
    assert_eq!(duplicate.status, 409);
    let owner = get(&server, ADMIN_KEY, "/v1/data/admin").await.json();
    assert_eq!(owner["folders"][0]["name"], "pages");

    let refused = bare(&server, "DELETE", ADMIN_KEY, "/v1/data/.my/pages").await;
    assert_eq!(refused.status, 400);
    let error = &refused.json()["error"];
    assert_eq!(error["deleted"], 0);
    assert!(
        error["message"].as_str().unwrap().contains("force=true"),
        "{error}"
    );
    assert_eq!(
        get(&server, ADMIN_KEY, "/v1/data/.my/pages/a").await.text(),
        "x"
    );

    let forced = bare(
        &server,
        "DELETE",
        ADMIN_KEY,
        "/v1/data/.my/pages?force=true",
    )
    .await;
    assert_eq!(forced.json(), json!({"result": {"deleted": 5}}));
    assert_eq!(
        get(&server, ADMIN_KEY, "/v1/data/.my/pages").await.status,
        404
    );
}

#[tokio::test]
async fn collections_are_private_until_shared() {
    let server = TestServer::start().await;
    let bob = server.user("bob").await;
    put(&server, ADMIN_KEY, "/v1/data/.my/shared/f", "admin's").await;
    let hidden = create(
        &server,
        ADMIN_KEY,
        "/v1/data/.my",
        json!({"name": "hidden", "acl": {"read": []}}),
    )
    .await;
    assert_eq!(hidden.status, 200);

    // To bob, admin's collections do not exist.
    assert_eq!(
        get(&server, &bob, "/v1/data/admin/shared/f").await.status,
        404
    );
    assert_eq!(
        get(&server, &bob, "/v1/data/admin/shared").await.status,
        404
    );
    let head = bare(&server, "HEAD", &bob, "/v1/data/admin/shared/f").await;
    assert_eq!(head.status, 404);
    assert_eq!(
        put(&server, &bob, "/v1/data/admin/shared/g", "bob's")
            .await
            .status,
        404
    );
    assert_eq!(get(&server, &bob, "/v1/data/admin").await.status, 404);
    // The root names the caller first, as `client.username()` expects.
    assert_eq!(
        get(&server, &bob, "/v1/data/").await.json()["folders"][0]["name"],
        "bob"
    );

    // Shared for reading: bob reads, but cannot write or delete.
    let acl = get(&server, ADMIN_KEY, "/v1/data/.my/shared?acl=true")
        .await
        .json();
    assert_eq!(acl, json!({"acl": {"read": ["algo://.my/*"]}}));
    let shared = server
        .send(
            "PATCH",
            "/v1/data/.my/shared",
            Some(ADMIN_KEY),
            Some("application/json"),
            json!({"acl": {"read": ["user://*"]}}).to_string(),
        )
        .await;
    assert_eq!(shared.status, 200, "{}", shared.text());
    assert_eq!(
        get(&server, &bob, "/v1/data/admin/shared/f").await.text(),
        "admin's"
    );
    let listed = get(&server, &bob, "/v1/data/admin").await.json();
    assert_eq!(
        listed["folders"],
        json!([{"name": "shared", "acl": {"read": ["user://*"]}}])
    );
    assert_eq!(
        put(&server, &bob, "/v1/data/admin/shared/f", "bob's")
            .await
            .status,
        403
    );
    let delete = bare(&server, "DELETE", &bob, "/v1/data/admin/shared/f").await;
    assert_eq!(delete.status, 403);
    assert_eq!(
        get(&server, ADMIN_KEY, "/v1/data/.my/shared/f")
            .await
            .text(),
        "admin's"
    );

    let typo = server
        .send(
            "PATCH",
            "/v1/data/.my/shared",
            Some(ADMIN_KEY),
            Some("application/json"),
            json!({"acl": {"read": ["user://everyone"]}}).to_string(),
        )
        .await;
    assert_eq!(typo.status, 400);
    assert!(typo.text().contains("user://everyone"), "{}", typo.text());
}

#[tokio::test]
async fn traversal_tricks_get_400_and_touch_nothing() {
    let server = TestServer::start().await;
    put(&server, ADMIN_KEY, "/v1/data/.my/col/keep", "kept").await;
    let bob = server.user("bob").await;
    put(&server, &bob, "/v1/data/.my/private/secret", "bob's secret").await;
    let outside = server.data.path().join("outside.txt");
    std::fs::write(&outside, "outside").unwrap();
    let before = tree(server.data.path());

    let tricks = [
        "/v1/data/.my/col/..",
        "/v1/data/.my/col/../../bob/private/secret",
        "/v1/data/.my/../bob/private/secret",
        "/v1/data/.my/col/%2e%2e/%2e%2e/outside.txt",
        "/v1/data/.my/col/..%2F..%2Fbob%2Fprivate%2Fsecret",
        "/v1/data/.my/col/..%2f..%2f..%2foutside.txt",
        "/v1/data/.my/col/a%5C..%5Cb",
        "/v1/data/.my/col/evil%00.txt",
        "/v1/data/.my/col/line%0Abreak",
        "/v1/data//etc/passwd",
        "/v1/data/.my//col/keep",
        "/v1/data/.my/col/%zz",
        "/v1/data/.my/.staging/x",
        "/v1/data/.my/col/sub/deeper",
        "/v1/data/s3://bucket/x.txt",
        "/v1/connector/data/.my%2Fcol%2Fkeep",
    ];
    for trick in tricks {
        for method in ["GET", "PUT", "DELETE", "HEAD"] {
            let reply = server
                .send(method, trick, Some(ADMIN_KEY), None, "overwritten")
                .await;
            assert_eq!(reply.status, 400, "{method} {trick}: {}", reply.text());
            if method != "HEAD" {
                let message = reply.json()["error"]["message"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert!(!message.is_empty(), "{method} {trick}");
            } else {
                assert!(!header(&reply, "x-error-message").is_empty(), "{trick}");
            }
        }
    }
    assert_eq!(tree(server.data.path()), before);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "outside");
    assert_eq!(
        get(&server, ADMIN_KEY, "/v1/data/.my/col/keep")
            .await
            .text(),
        "kept"
    );

    // A link planted in a collection leads nowhere.
    let planted = server.data.path().join("files/admin/col/link");
    std::os::unix::fs::symlink(
        server.data.path().join("files/bob/private/secret"),
        &planted,
    )
    .unwrap();
    assert_eq!(
        get(&server, ADMIN_KEY, "/v1/data/.my/col/link")
            .await
            .status,
        404
    );
    let listing = get(&server, ADMIN_KEY, "/v1/data/.my/col").await.json();
    assert_eq!(listing["files"].as_array().unwrap().len(), 1, "{listing}");
}

/// Every file under `root` with its contents, to show nothing changed.
fn tree(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            if name.starts_with("registry.sqlite3") {
                continue; // Authentication touches the registry's journal.
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// Calls `admin/archiver` as `key` with `request`; the envelope.
async fn archive(server: &TestServer, key: &str, request: Value) -> Value {
    server
        .call_json(key, "/v1/algo/admin/archiver/0.1.0", request)
        .await
}

#[tokio::test]
pub(crate) async fn archiver() {
    let server = TestServer::start().await;
    server
        .deploy("archiver", test_artifacts::ARCHIVER, "public")
        .await;
    let bob = server.user("bob").await;

    // An algorithm writes its output where its caller fetches it.
    let wrote = archive(
        &server,
        &bob,
        json!({"write": "data://.my/results/out.txt", "text": "computed"}),
    )
    .await;
    assert_eq!(
        wrote["result"], "wrote data://.my/results/out.txt",
        "{wrote}"
    );
    assert_eq!(
        get(&server, &bob, "/v1/data/bob/results/out.txt")
            .await
            .text(),
        "computed"
    );
    // ...in the caller's collection, not the algorithm owner's.
    assert_eq!(
        get(&server, ADMIN_KEY, "/v1/data/.my/results").await.status,
        404
    );
    let read = archive(&server, &bob, json!({"read": "data://bob/results/out.txt"})).await;
    assert_eq!(read["result"], "computed");
    let listed = archive(&server, &bob, json!({"list": "data://.my/results"})).await;
    assert_eq!(listed["result"], "out.txt");

    // Through the algorithm, bob reaches no more than he could directly.
    put(&server, ADMIN_KEY, "/v1/data/.my/private/secret", "admin's").await;
    let denied = archive(
        &server,
        &bob,
        json!({"read": "data://admin/private/secret"}),
    )
    .await;
    assert_eq!(
        denied["error"]["error_type"], "EntityNotFoundError",
        "{denied}"
    );
    let escape = archive(
        &server,
        &bob,
        json!({"read": "data://.my/../admin/private/secret"}),
    )
    .await;
    assert_eq!(escape["error"]["error_type"], "InputError", "{escape}");
    let overwrite = archive(
        &server,
        &bob,
        json!({"write": "data://admin/private/secret", "text": "bob's"}),
    )
    .await;
    assert_eq!(
        overwrite["error"]["error_type"], "EntityNotFoundError",
        "{overwrite}"
    );
    assert_eq!(
        get(&server, ADMIN_KEY, "/v1/data/.my/private/secret")
            .await
            .text(),
        "admin's"
    );
    // The reason `output=void` exists: answer at once, leave the output in
    // a file, fetch it when done.
    let reply = bob_void(&server, &bob).await;
    let request = format!("/v1/requests/{}", reply["request_id"].as_str().unwrap());
    let started = std::time::Instant::now();
    let file = loop {
        let done = get(&server, &bob, &request).await.json()["status"] == "succeeded";
        if done || started.elapsed() > std::time::Duration::from_secs(10) {
            break get(&server, &bob, "/v1/data/.my/results/later.txt").await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(file.text(), "later", "{}", file.text());

    // The owner of the data reads it through the same algorithm.
    let own = archive(
        &server,
        ADMIN_KEY,
        json!({"read": "data://.my/private/secret"}),
    )
    .await;
    assert_eq!(own["result"], "admin's");
}

/// Starts `admin/archiver` with `output=void` as `bob`, writing
/// `data://.my/results/later.txt`; the immediate answer.
async fn bob_void(server: &TestServer, bob: &str) -> Value {
    let request = json!({"write": "data://.my/results/later.txt", "text": "later"});
    let reply = server
        .send(
            "POST",
            "/v1/algo/admin/archiver/0.1.0?output=void",
            Some(bob),
            Some("application/json"),
            request.to_string(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}
