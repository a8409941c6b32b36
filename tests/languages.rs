//! Algorithms in Python and JavaScript, built with the SDKs in
//! `guest-sdk/python` and `guest-sdk/javascript` (componentize-py and
//! componentize-js, by `tests/artifacts`), deployed over HTTP and called
//! with the official Python client and raw HTTP: results and their content
//! types, errors with their stack traces, progress, stops, `data://` files,
//! and the network denied to an `isolated` algorithm.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use algobox_runtime::egress::{EgressPolicy, EgressRule};
use serde_json::{Value, json};

use crate::network::http_pong;
use crate::python_client::run;
use crate::server::{ADMIN_KEY, TestServer, settings};

/// The official client against `word-stats`: text in, JSON statistics out;
/// bytes are refused as the SDK's `InputError`.
const WORD_STATS_SCRIPT: &str = r#"
import os
import Algorithmia
from Algorithmia.errors import AlgorithmException

client = Algorithmia.client(os.environ["ALGOBOX_KEY"], api_address=os.environ["ALGOBOX_API"])
algo = client.algo("admin/word_stats/0.1.0")
response = algo.pipe("The cat sat on the mat. The cat ran! Did the dog see it?")
assert response.metadata.content_type == "json", response.metadata.content_type
assert response.result == {
    "words": 14,
    "distinct": 10,
    "sentences": 3,
    "mean_word_length": 2.857,
    "top": [
        {"word": "cat", "count": 2},
        {"word": "sat", "count": 1},
        {"word": "mat", "count": 1},
        {"word": "ran", "count": 1},
        {"word": "did", "count": 1},
    ],
}, response.result
empty = algo.pipe("").result
assert empty == {"words": 0, "distinct": 0, "sentences": 0, "mean_word_length": 0.0, "top": []}, empty
try:
    algo.pipe(bytearray(b"\x00\x01"))
    raise SystemExit("bytes were accepted")
except AlgorithmException as e:
    assert e.error_type == "InputError", e.error_type
    assert "expected a `text` input, but received `binary`" in e.message, e.message
print("ok")
"#;

#[tokio::test]
pub(crate) async fn word_stats() {
    let server = TestServer::start().await;
    server
        .deploy("word_stats", test_artifacts::WORD_STATS, "private")
        .await;
    run(&server, WORD_STATS_SCRIPT, &[]).await;
    // A JSON string is text too; the answer is JSON.
    let reply = server
        .send(
            "POST",
            "/v1/algo/admin/word_stats/0.1.0",
            Some(ADMIN_KEY),
            Some("application/json"),
            r#""Go. Go, go!""#,
        )
        .await;
    assert_eq!(reply.content_type, "application/json");
    let envelope = reply.json();
    assert_eq!(envelope["metadata"]["content_type"], "json", "{envelope}");
    assert_eq!(envelope["result"]["words"], 3);
    assert_eq!(envelope["result"]["distinct"], 1);
    assert_eq!(envelope["result"]["sentences"], 2);
    assert_eq!(
        envelope["result"]["top"],
        json!([{"word": "go", "count": 3}])
    );
}

/// The official client against `group-records`: JSON in and out, and a
/// record that does not fit is the algorithm's `InputError`.
const GROUP_RECORDS_SCRIPT: &str = r#"
import os
import Algorithmia
from Algorithmia.errors import AlgorithmException

client = Algorithmia.client(os.environ["ALGOBOX_KEY"], api_address=os.environ["ALGOBOX_API"])
algo = client.algo("admin/group_records/0.1.0")
records = [
    {"team": "red", "points": 3, "time": 1.5},
    {"team": "blue", "points": 1},
    {"team": "red", "points": 4, "time": 2},
    {"points": 9},
]
response = algo.pipe({"records": records, "by": "team", "sum": ["points", "time"]})
assert response.metadata.content_type == "json", response.metadata.content_type
assert response.result == {
    "groups": [
        {"key": "red", "count": 2, "sums": {"points": 7, "time": 3.5}},
        {"key": "blue", "count": 1, "sums": {"points": 1, "time": 0}},
        {"key": None, "count": 1, "sums": {"points": 9, "time": 0}},
    ],
    "records": 4,
}, response.result
for bad, error_type, message in [
    ({"records": [{"team": "red", "points": "3"}], "by": "team", "sum": ["points"]},
     "InputError", "record 0: `points` is not a number"),
    ({"records": {}, "by": "team"}, "InputError", "`records` must be an array of objects"),
    ("not json", "InputError", "expected a `json` input, but received `text`"),
]:
    try:
        algo.pipe(bad)
        raise SystemExit(f"accepted {bad!r}")
    except AlgorithmException as e:
        assert e.error_type == error_type, (bad, e.error_type)
        assert message in e.message, (bad, e.message)
print("ok")
"#;

#[tokio::test]
pub(crate) async fn group_records() {
    let server = TestServer::start().await;
    server
        .deploy("group_records", test_artifacts::GROUP_RECORDS, "private")
        .await;
    run(&server, GROUP_RECORDS_SCRIPT, &[]).await;
}

/// Calls `admin/<name>` as the admin with a JSON body; the envelope.
async fn call(server: &TestServer, name: &str, body: Value) -> Value {
    server
        .call_json(ADMIN_KEY, &format!("/v1/algo/admin/{name}/0.1.0"), body)
        .await
}

/// Starts a void call of `admin/<name>` with `body`; its request id.
async fn start_void(server: &TestServer, name: &str, body: Value) -> String {
    let accepted = server
        .call_json(
            ADMIN_KEY,
            &format!("/v1/algo/admin/{name}/0.1.0?output=void"),
            body,
        )
        .await;
    accepted["request_id"].as_str().unwrap().to_owned()
}

/// Polls the void call `id` until `done` says so; its status.
async fn wait_for(server: &TestServer, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let path = format!("/v1/requests/{id}");
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let status = server
            .send("GET", &path, Some(ADMIN_KEY), None, "")
            .await
            .json();
        if done(&status) {
            return status;
        }
        assert!(Instant::now() < until, "still {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What every probe does alike: progress on a void call, a stop by
/// `DELETE /v1/requests/:id`, an error with the guest's stack trace, the
/// algorithm's own error code, binary and void results, and `data://`.
async fn probe_common(server: &TestServer, name: &str, trace_frames: &[&str]) {
    let id = start_void(server, name, json!({"action": "progress"})).await;
    let status = wait_for(server, &id, |s| s["status"] != "started").await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["result"]["result"], "done");
    let progress = status["progress"].as_array().unwrap();
    let percents: Vec<f64> = progress
        .iter()
        .map(|p| p["percent"].as_f64().unwrap())
        .collect();
    assert_eq!(percents, [25.0, 50.0, 75.0], "{status}");
    assert_eq!(progress[1]["details"], "step 50", "{status}");

    let id = start_void(server, name, json!({"action": "wait-stop"})).await;
    wait_for(server, &id, |s| s["status"] == "started").await;
    let path = format!("/v1/requests/{id}");
    let asked = Instant::now();
    let stopping = server
        .send("DELETE", &path, Some(ADMIN_KEY), None, "")
        .await;
    assert_eq!(stopping.status, 200, "{}", stopping.text());
    let stopped = wait_for(server, &id, |s| {
        s["status"] != "started" && s["status"] != "stopping"
    })
    .await;
    assert_eq!(stopped["status"], "stopped", "{stopped}");
    assert_eq!(
        stopped["result"]["error"]["error_type"], "Stopped",
        "{stopped}"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );

    let failed = call(server, name, json!({"action": "fail"})).await;
    assert_eq!(failed["error"]["error_type"], "AlgorithmError", "{failed}");
    let trace = failed["error"]["stacktrace"].as_str().unwrap();
    for frame in trace_frames {
        assert!(
            trace.contains(frame),
            "no `{frame}` in the stack trace:\n{trace}"
        );
    }
    let refused = call(server, name, json!({"action": "refuse"})).await;
    assert_eq!(refused["error"]["error_type"], "InputError", "{refused}");
    assert_eq!(refused["error"]["message"], "the probe refuses");
    let unknown = server
        .send(
            "POST",
            &format!("/v1/algo/admin/{name}/0.1.0"),
            Some(ADMIN_KEY),
            Some("application/octet-stream"),
            vec![1, 2],
        )
        .await
        .json();
    assert_eq!(unknown["error"]["error_type"], "InputError", "{unknown}");

    let bytes = call(server, name, json!({"action": "bytes"})).await;
    assert_eq!(bytes["metadata"]["content_type"], "binary", "{bytes}");
    assert_eq!(bytes["result"], "AAEC/w==", "base64 of 0, 1, 2, 255");
    let void = call(server, name, json!({"action": "void"})).await;
    assert_eq!(void["metadata"]["content_type"], "void", "{void}");

    let created = server
        .admin_json("POST", "/v1/data/.my", json!({"name": "probes"}))
        .await;
    assert!(
        created.status == 200 || created.status == 409,
        "{}",
        created.text()
    );
    let uri = format!("data://.my/probes/{name}.txt");
    let roundtrip = call(
        server,
        name,
        json!({"action": "data", "uri": uri, "text": "written by the probe"}),
    )
    .await;
    assert_eq!(
        roundtrip["result"],
        json!({"read": "written by the probe", "exists": true}),
        "{roundtrip}"
    );
    let elsewhere = call(
        server,
        name,
        json!({"action": "data", "uri": "data://nobody/secret/x", "text": "x"}),
    )
    .await;
    // The host's error reaches the caller with the host's code.
    assert_eq!(
        elsewhere["error"]["error_type"], "EntityNotFoundError",
        "{elsewhere}"
    );
    assert_eq!(
        elsewhere["error"]["message"],
        "data://nobody/secret does not exist"
    );
}

#[tokio::test]
pub(crate) async fn py_probe() {
    let server = TestServer::start().await;
    server
        .deploy("py_probe", test_artifacts::PY_PROBE, "private")
        .await;
    probe_common(
        &server,
        "py_probe",
        &["deep_failure", "explode", "ValueError"],
    )
    .await;
    let failed = call(&server, "py_probe", json!({"action": "fail"})).await;
    assert_eq!(
        failed["error"]["message"],
        "ValueError: invalid literal for int() with base 10: 'not a number'"
    );
    // The dataclass input names what it lacks.
    let missing = call(&server, "py_probe", json!({"text": "no action"})).await;
    assert_eq!(missing["error"]["error_type"], "InputError", "{missing}");
    assert_eq!(
        missing["error"]["message"],
        "missing field `action` for `Request`"
    );
    let logged = call(&server, "py_probe", json!({"action": "log", "text": "hi"})).await;
    assert_eq!(logged["result"], "logged", "{logged}");
}

#[tokio::test]
pub(crate) async fn js_probe() {
    let server = TestServer::start().await;
    server
        .deploy("js_probe", test_artifacts::JS_PROBE, "private")
        .await;
    probe_common(&server, "js_probe", &["explode", "deepFailure"]).await;
    let failed = call(&server, "js_probe", json!({"action": "fail"})).await;
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("TypeError: "), "{message}");
    // `load` ran once, at build time: every call starts from its table, on
    // a fresh instance (the count `initialize` bumps is 1 each time).
    for _ in 0..2 {
        let loaded = call(&server, "js_probe", json!({"action": "loaded"})).await;
        assert_eq!(
            loaded["result"],
            json!({"squares": [0, 1, 4, 9, 16], "calls": 1})
        );
    }
}

/// The Python SDK's `http` over `wasi:http`: refused for an `isolated`
/// algorithm (no request reaches the server), served for a `full` one
/// whose address the egress policy allows.
#[tokio::test]
async fn a_python_algorithm_reaches_the_network_only_when_granted() {
    let (address, served) = http_pong();
    let server = TestServer::start_configured(tempfile::tempdir().unwrap(), |config| {
        let mut policy = EgressPolicy::default();
        policy.allow("127.0.0.0/8".parse::<EgressRule>().unwrap());
        config.egress = policy;
    })
    .await;
    let wasm = std::fs::read(test_artifacts::PY_PROBE).unwrap();
    for (name, network) in [("isolated_py", "isolated"), ("full_py", "full")] {
        let create = json!({"name": name, "details": {"label": name}, "settings": settings(json!({"network_access": network}))});
        let created = server
            .admin_json("POST", "/v1/algorithms/admin", create)
            .await;
        assert_eq!(created.status, 200, "{}", created.text());
        let uploaded = server
            .send(
                "PUT",
                &format!("/v1/algorithms/admin/{name}/source"),
                Some(ADMIN_KEY),
                Some("application/wasm"),
                wasm.clone(),
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
        assert_eq!(
            compiled.json()["compilation"]["successful"],
            true,
            "{}",
            compiled.text()
        );
        let published = server
            .admin_json(
                "POST",
                &format!("/v1/algorithms/admin/{name}/versions"),
                json!({"version_info": {"version_type": "minor"}}),
            )
            .await;
        assert_eq!(published.status, 200, "{}", published.text());
    }
    let fetch = json!({"action": "fetch", "url": format!("http://{address}/ping")});
    let denied = call(&server, "isolated_py", fetch.clone()).await;
    assert_eq!(
        denied["error"]["error_type"], "PermissionDenied",
        "{denied}"
    );
    assert!(
        denied["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`network_access` is `isolated`"),
        "{denied}"
    );
    assert_eq!(
        served.load(Ordering::SeqCst),
        0,
        "the isolated request reached the server"
    );
    let granted = call(&server, "full_py", fetch).await;
    assert_eq!(
        granted["result"],
        json!({"status": 200, "body": "pong"}),
        "{granted}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

/// The Python SDK's input and output rules, run natively by the system
/// Python (`guest-sdk/python/tests`), so a rule change fails here too.
#[test]
fn the_python_sdk_unit_tests_pass() {
    let sdk = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk/python");
    let output = std::process::Command::new(crate::python_client::python())
        .args(["-m", "unittest", "discover", "-s", "tests"])
        .current_dir(&sdk)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Ran 8 tests"), "{stderr}");
}

/// The per-call cost benchmark's Python guest answers like Rust's `hello`,
/// on a fresh instance each call.
#[tokio::test]
pub(crate) async fn py_hello() {
    hello_in(test_artifacts::PY_HELLO).await;
}

/// The per-call cost benchmark's JavaScript guest answers like Rust's
/// `hello`, on a fresh instance each call.
#[tokio::test]
pub(crate) async fn js_hello() {
    hello_in(test_artifacts::JS_HELLO).await;
}

async fn hello_in(path: &str) {
    use algobox_host_api::Payload;
    let runtime = crate::support::runtime();
    let guest = crate::support::load(&runtime, path).await;
    for name in ["Neo", "Trinity"] {
        let output = runtime.invoke(&guest, Payload::text(name)).await.unwrap();
        assert_eq!(output.payload, Payload::text(format!("Hello {name}")));
    }
}
