//! The unmodified official Python client (`algorithmia==2.0.5` from PyPI)
//! against a real server: management, calls with every payload type,
//! options, errors and version strings.
//!
//! `.ci/run` installs the client into `target/algorithmia-venv`; when that
//! folder is missing the test creates it (it needs PyPI).

use std::path::PathBuf;
use std::process::Command;

use crate::server::{ADMIN_KEY, TestServer};

/// The Python of a virtualenv holding the client, created if missing.
fn python() -> PathBuf {
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
created = echo.create(details={"label": "Echo"}, settings={"language": "rust", "source_visibility": "closed", "license": "apl", "network_access": "isolated", "pipeline_enabled": False})
assert created["name"] == "echo", created
assert echo.exists() and not client.algo("admin/missing").exists()
# 2.0.5 sends update() form-encoded, losing the values inside the client:
# the server answers with the algorithm unchanged.
updated = echo.update(details={"summary": "echoes"}, settings={}, version_info={})
assert "id" in updated and len(updated["id"]) == 36, updated
assert updated["details"]["label"] == "Echo", updated
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

# Errors: an algorithm's failure raises AlgorithmException with its type.
for wasm, name in [(os.environ["FAILER_WASM"], "failer")]:
    algo = client.algo("admin/" + name)
    algo.create(details={"label": name}, settings={"source_visibility": "closed", "license": "apl", "network_access": "isolated", "pipeline_enabled": False})
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
print("ok")
"#;

#[tokio::test]
async fn the_official_python_client_works_unmodified() {
    let python = python();
    let server = TestServer::start().await;
    let output = tokio::process::Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .env("ALGOBOX_API", format!("http://{}", server.address))
        .env("ALGOBOX_KEY", ADMIN_KEY)
        .env("ECHO_WASM", test_artifacts::ECHO)
        .env("FAILER_WASM", test_artifacts::FAILER)
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
