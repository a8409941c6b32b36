//! The unmodified official Python client (`algorithmia==2.0.5` from PyPI)
//! against a real server: management, calls with every payload type,
//! options, errors and version strings; and the same suite against a
//! cluster node (PostgreSQL registry, NATS JetStream modules and void
//! calls).
//!
//! `.ci/run` installs the client into `target/algorithmia-venv`; when that
//! folder is missing the test creates it (it needs PyPI).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use algobox_platform::Platform;
use algobox_platform::cluster::{ClusterOptions, code_bucket, files_bucket, modules_bucket};
use algobox_platform::code_shelf::JetStreamCodeShelf;
use algobox_platform::data_store::cluster::ClusterDataStore;
use algobox_platform::data_store::path::{DataPath, FilePath};
use algobox_platform::identity::ClusterName;
use algobox_platform::module_store::jetstream::JetStreamModuleStore;
use algobox_platform::registry::Registry as _;
use algobox_platform::registry::postgres::PostgresRegistry;
use algobox_platform::registry::postgres::test_database::TestDatabase;
use algobox_platform::shared_parts::SharedParts;
use algobox_runtime::shared_code::SharedCode;

use crate::cluster_calls::{in_cluster, nats};
use crate::server::{ADMIN_KEY, TestServer};

/// The Python of a virtualenv holding the client, created if missing.
pub(crate) fn python() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/algorithmia-venv");
    let python = venv.join("bin/python");
    let installed = Command::new(&python)
        .args(["-c", "import Algorithmia"])
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        let created = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status();
        assert!(
            created.is_ok_and(|s| s.success()),
            "cannot create {}: install python3-venv",
            venv.display()
        );
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "algorithmia==2.0.5"])
            .status();
        assert!(
            pip.is_ok_and(|s| s.success()),
            "cannot install algorithmia==2.0.5 from PyPI into {}",
            venv.display()
        );
    }
    python
}

/// The script: each check asserts, and the last line prints `ok`.
const SCRIPT: &str = r#"
import base64, os, sys
import requests
import Algorithmia
from Algorithmia.errors import AlgorithmException
from Algorithmia.algorithm import OutputType

api, key = os.environ["ALGOBOX_API"], os.environ["ALGOBOX_KEY"]
client = Algorithmia.client(key, api_address=api)

# Management through the client: create, update, then upload with plain
# HTTP (the client has no upload), compile, publish, info, versions.
echo = client.algo("admin/echo")
created = echo.create(details={"label": "Echo"}, settings={"language": "rust", "environment": "cpu", "source_visibility": "closed", "license": "apl", "network_access": "isolated", "pipeline_enabled": False})
assert created["name"] == "echo", created
assert echo.exists() and not client.algo("admin/missing").exists()
# 2.0.5 sends update() form-encoded, losing every value inside the client:
# the server refuses it (400), so update() raises rather than pretend.
try:
    echo.update(details={"summary": "echoes"}, settings={}, version_info={})
    raise SystemExit("update() with a form body returned")
except SystemExit:
    raise
except Exception as e:
    assert "400" in str(e) or "Bad Request" in str(e), str(e)
with open(os.environ["ECHO_WASM"], "rb") as wasm:
    r = requests.put(api + "/v1/algorithms/admin/echo/source", data=wasm.read(), headers={"Authorization": key, "Content-Type": "application/wasm"})
    assert r.status_code == 200, r.text
compiled = echo.compile()
git_hash = compiled["version_info"]["git_hash"]
assert compiled["name"] == "echo" and len(git_hash) == 64, compiled
published = echo.publish(version_info={"version_type": "minor", "release_notes": "first", "sample_input": "hi"}, settings={"algorithm_callability": "private"})
assert published["version_info"]["semantic_version"] == "0.1.0", published
assert echo.info()["results"][0]["resource_type"] == "algorithm"
assert echo.info(git_hash)["version_info"]["semantic_version"] == "0.1.0"
assert [v["version_info"]["semantic_version"] for v in echo.versions()["results"]] == ["0.1.0"]
assert echo.get_builds()["results"][0]["commit_sha"] == git_hash
build_id = echo.get_builds()["results"][0]["build_id"]
assert "commit_sha" in echo.get_build(build_id)
assert git_hash in echo.get_build_logs(build_id)["logs"]
assert echo.get_scm_status()["scm_connection_status"] == "active"

# Calls: text, JSON and binary round-trip with their types.
for ref in ["admin/echo/0.1.0", "algo://admin/echo/0.1.0", "admin/echo/latestPrivate", "admin/echo/" + git_hash]:
    assert client.algo(ref).pipe("Neo").result == "Neo", ref
r = client.algo("admin/echo/0.1.0").pipe({"a": [1, 2.5, None]})
assert r.result == {"a": [1, 2.5, None]} and r.metadata.content_type == "json", r.metadata
r = client.algo("admin/echo/0.1.0").pipe(bytearray(b"\x00\x9f\xff"))
assert r.result == b"\x00\x9f\xff" and r.metadata.content_type == "binary"
assert r.metadata.duration > 0

# Options: timeout and stdout are always sent together, as True/False.
r = client.algo("admin/echo/0.1.0").set_options(timeout=5, stdout=True).pipe("x")
assert r.result == "x" and r.metadata.stdout == ""
assert client.algo("admin/echo/0.1.0").set_options(output=OutputType.raw).pipe("raw text") == "raw text"
v = client.algo("admin/echo/0.1.0").set_options(output=OutputType.void).pipe("later")
assert v.request_id.startswith("req-"), v.request_id

# A rollback: publish B, then A again. Every compile is a new build; each
# version runs its own code, by number and by hash, and a hash that two
# versions share reaches the newest.
def upload(path):
    with open(path, "rb") as wasm:
        r = requests.put(api + "/v1/algorithms/admin/echo/source", data=wasm.read(), headers={"Authorization": key, "Content-Type": "application/wasm"})
        assert r.status_code == 200, r.text
upload(os.environ["HELLO_WASM"])
hello_hash = echo.compile()["version_info"]["git_hash"]
assert echo.publish(version_info={"version_type": "revision"})["version_info"]["semantic_version"] == "0.1.1"
upload(os.environ["ECHO_WASM"])
again = echo.compile()
assert again["version_info"]["git_hash"] == git_hash and again["build"]["build_id"] != build_id, again
assert echo.publish(version_info={"version_type": "revision"})["version_info"]["semantic_version"] == "0.1.2"
for ref, expected in [("0.1.0", "Neo"), ("0.1.1", "Hello Neo"), ("0.1.2", "Neo"), (hello_hash, "Hello Neo"), (git_hash, "Neo")]:
    assert client.algo("admin/echo/" + ref).pipe("Neo").result == expected, ref
assert echo.info(git_hash)["version_info"]["semantic_version"] == "0.1.2"

# Errors: an algorithm's failure raises AlgorithmException with its type.
for wasm, name in [(os.environ["FAILER_WASM"], "failer")]:
    algo = client.algo("admin/" + name)
    algo.create(details={"label": name}, settings={"language": "rust", "environment": "cpu", "source_visibility": "closed", "license": "apl", "network_access": "isolated", "pipeline_enabled": False})
    with open(wasm, "rb") as f:
        requests.put(api + "/v1/algorithms/admin/" + name + "/source", data=f.read(), headers={"Authorization": key})
    algo.compile()
    algo.publish(version_info={"version_type": "minor"})
try:
    client.algo("admin/failer/0.1.0").pipe("x")
    raise SystemExit("expected an AlgorithmException")
except AlgorithmException as e:
    assert e.message == "bad input: x" and e.error_type == "InputError", (e.message, e.error_type)
# A missing version or algorithm is an error too.
for ref in ["admin/echo/9.9.9", "admin/nothing/1.0.0"]:
    try:
        client.algo(ref).pipe("x")
        raise SystemExit("expected a failure for " + ref)
    except AlgorithmException:
        raise SystemExit("a missing algorithm is no algorithm error: " + ref)
    except Exception as e:
        assert "404" in str(e), str(e)

# A plain WASI program in C (examples/algorithms/byte-stats): its input is
# stdin and its stdout the result, JSON only when the call sent JSON.
stats = client.algo("admin/stats")
stats.create(details={"label": "Byte stats"}, settings={"language": "c", "environment": "cpu", "source_visibility": "closed", "license": "apl", "network_access": "isolated", "pipeline_enabled": False})
with open(os.environ["BYTE_STATS_WASM"], "rb") as f:
    r = requests.put(api + "/v1/algorithms/admin/stats/source", data=f.read(), headers={"Authorization": key})
    assert r.status_code == 200, r.text
assert stats.compile()["compilation"]["successful"]
stats.publish(version_info={"version_type": "minor"})
r = client.algo("admin/stats/0.1.0").pipe([7])
assert r.metadata.content_type == "json", r.metadata
assert r.result["bytes"] == 3 and r.result["distinct"] == 3 and r.result["most_common"] == {"byte": 55, "count": 1}, r.result
r = client.algo("admin/stats/0.1.0").pipe("aab")
assert r.metadata.content_type == "text", r.metadata
assert r.result.startswith('{"bytes":3,"distinct":2,') and r.result.endswith("}\n"), r.result
print("ok")
"#;

/// The guests `SCRIPT` deploys, by the variable it reads each path from.
const SCRIPT_GUESTS: &[(&str, &str)] = &[
    ("ECHO_WASM", test_artifacts::ECHO),
    ("HELLO_WASM", test_artifacts::HELLO),
    ("FAILER_WASM", test_artifacts::FAILER),
    ("BYTE_STATS_WASM", test_artifacts::BYTE_STATS),
];

#[tokio::test]
async fn the_official_python_client_works_unmodified() {
    let server = TestServer::start().await;
    run(&server, SCRIPT, SCRIPT_GUESTS).await;
}

/// The Data API as the client uses it: files of every kind, directories,
/// pages past the first, permissions, and the errors it raises.
const DATA_SCRIPT: &str = r#"
import os
import Algorithmia
from Algorithmia.acl import ReadAcl
from Algorithmia.errors import DataApiError

client = Algorithmia.client(os.environ["ALGOBOX_KEY"], api_address=os.environ["ALGOBOX_API"])
assert client.username() == "admin", client.username()

folder = client.dir("data://.my/pyfiles")
assert not folder.exists()
folder.create()
assert folder.exists()
assert folder.get_permissions().read_acl == ReadAcl.my_algos.read_acl

text = client.file("data://.my/pyfiles/hello.txt")
assert not text.exists()
text.put("héllo wörld")
assert text.exists()
assert text.getString() == "héllo wörld", text.getString()
client.file("data://.my/pyfiles/data.json").putJson({"a": [1, 2]})
assert client.file("data://.my/pyfiles/data.json").getJson() == {"a": [1, 2]}
client.file("data://.my/pyfiles/number").put("123")
assert client.file("data://.my/pyfiles/number").getString() == "123"
client.file("data://.my/pyfiles/raw.bin").put(bytes(range(256)))
assert client.file("data://.my/pyfiles/raw.bin").getBytes() == bytes(range(256))

listed = {f.getName(): f for f in folder.files()}
assert sorted(listed) == ["data.json", "hello.txt", "number", "raw.bin"], sorted(listed)
assert listed["raw.bin"].size == 256 and listed["raw.bin"].last_modified.year >= 2024
assert [d.getName() for d in client.dir("data://.my").dirs()] == ["many", "pyfiles"]

# 1,001 files, written by the test beforehand, come in two pages.
names = [f.getName() for f in client.dir("data://.my/many").files()]
assert len(names) == 1001 and names == sorted(names) and names[0] == "f0000", (len(names), names[:3])

folder.update_permissions(ReadAcl.public)
assert folder.get_permissions().read_acl == ReadAcl.public.read_acl

try:
    folder.delete()
    raise SystemExit("deleted a collection with files without force")
except DataApiError as e:
    assert "force=true" in str(e), str(e)
text.delete()
assert not text.exists()
try:
    client.file("data://.my/pyfiles/hello.txt").getString()
    raise SystemExit("read a deleted file")
except DataApiError as e:
    assert "does not exist" in str(e), str(e)
assert folder.delete(force=True)
assert not folder.exists()
print("ok")
"#;

#[tokio::test]
async fn the_official_python_client_round_trips_data() {
    let server = TestServer::start().await;
    let store = server.platform.data();
    let many = DataPath::from_uri("data://admin/many", "admin")
        .unwrap()
        .into_collection("many")
        .unwrap();
    store.ensure_collection(&many).await.unwrap();
    for n in 0..1001 {
        let file = FilePath {
            collection: many.clone(),
            name: format!("f{n:04}"),
        };
        store.write(&file, b"x".to_vec()).await.unwrap();
    }
    run(&server, DATA_SCRIPT, &[]).await;
}

/// A node of `cluster`, as `algobox serve --registry … --nats …` makes
/// one: its registry and Data API index in `database`, its modules and
/// Data API files in the cluster's object stores, its void calls on the
/// cluster's queue.
async fn cluster_node(database: &TestDatabase, cluster: &ClusterName) -> TestServer {
    let data = tempfile::tempdir().unwrap();
    let client = nats().await;
    let jetstream = async_nats::jetstream::new(client.clone());
    let modules = JetStreamModuleStore::open(&jetstream, &modules_bucket(cluster))
        .await
        .unwrap();
    let registry = PostgresRegistry::connect(&database.url()).await.unwrap();
    let files = ClusterDataStore::open(&registry, &jetstream, &files_bucket(cluster))
        .await
        .unwrap();
    let shelf = JetStreamCodeShelf::open(&jetstream, &code_bucket(cluster))
        .await
        .unwrap();
    let shared = SharedParts {
        registry: Some(Arc::new(registry)),
        modules: Some(Arc::new(modules)),
        data: Some(Arc::new(files)),
        code: Some(SharedCode::new(Arc::new(shelf), b"the test cluster's secret").unwrap()),
        sole_compiler: false,
    };
    let platform = Platform::open_with(TestServer::config(data.path()), shared)
        .await
        .unwrap();
    platform
        .join_cluster(ClusterOptions::new(client, cluster.clone()))
        .await
        .unwrap();
    TestServer::serve(platform, data).await
}

#[tokio::test]
async fn the_official_python_client_works_unmodified_on_a_cluster_node() {
    in_cluster(|cluster| async move {
        let database = TestDatabase::create().await;
        let server = cluster_node(&database, &cluster).await;
        run(&server, SCRIPT, SCRIPT_GUESTS).await;
        // The registry the client wrote is the cluster's.
        let algorithm = PostgresRegistry::connect(&database.url())
            .await
            .unwrap()
            .algorithm(&"admin".parse().unwrap(), &"echo".parse().unwrap())
            .await
            .unwrap()
            .expect("admin/echo is in PostgreSQL");
        assert_eq!(algorithm.name.as_str(), "echo");

        // The Data API suite, its 1,001 files written over HTTP first.
        let created = server
            .send(
                "POST",
                "/v1/data/admin",
                Some(ADMIN_KEY),
                Some("application/json"),
                r#"{"name": "many"}"#,
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        for n in 0..1001 {
            let reply = server
                .send(
                    "PUT",
                    &format!("/v1/data/.my/many/f{n:04}"),
                    Some(ADMIN_KEY),
                    Some("application/octet-stream"),
                    "x",
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
        run(&server, DATA_SCRIPT, &[]).await;
    })
    .await;
}

/// Runs `script` with the client against `server` as the admin, with
/// `env` set; it must print `ok` last.
pub(crate) async fn run(server: &TestServer, script: &str, env: &[(&str, &str)]) {
    let output = tokio::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .env("ALGOBOX_API", format!("http://{}", server.address))
        .env("ALGOBOX_KEY", ADMIN_KEY)
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    assert_eq!(stdout.lines().last(), Some("ok"), "{stdout}\n{stderr}");
}
