//! A single `algobox serve` (no cluster) stopped with SIGTERM drains its
//! own void calls: those that end within `--drain-time` are recorded as
//! they ended, those still running at the deadline are stopped and
//! recorded as failed, telling the caller to call again, and the process
//! exits soon after the deadline.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve_process::{Server, deploy, sleep_void};

mod serve_process;

/// The seconds a node is given to drain.
const DRAIN_TIME: u64 = 3;

/// Polls until the void call `id` is running.
fn until_running(server: &Server, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = server
            .json("GET", &format!("/v1/requests/{id}"), &Value::Null)
            .unwrap();
        assert_eq!(status, 200, "{body}");
        if matches!(body["status"].as_str(), Some("running" | "started")) {
            return;
        }
        assert!(Instant::now() < deadline, "still {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How the call `id` was recorded in the data folder's results: the
/// header line of its result file (the node is gone, and its next start
/// empties the folder, since a single node's void results do not outlive
/// its process), then the result's bytes.
fn recorded(data: &Path, id: &str) -> (Value, String) {
    let path = data.join("results").join(id);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|err| panic!("no result recorded at {}: {err}", path.display()));
    let text = String::from_utf8(bytes).unwrap();
    let (header, body) = text.split_once('\n').expect("a header line");
    (serde_json::from_str(header).unwrap(), body.to_owned())
}

#[test]
fn sigterm_waits_for_void_calls_until_the_drain_time_then_records_the_rest_as_failed() {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_algobox"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--drain-time", &DRAIN_TIME.to_string()])
        .arg("--data-dir")
        .arg(data.path());
    let server = Server::spawn(command);
    let sleeper = std::fs::read(test_artifacts::SLEEPER).unwrap();
    let (version, _) = deploy(&server, "sleeper", &sleeper).unwrap();
    let short = sleep_void(&server, &version, 1500);
    let long = sleep_void(&server, &version, 60_000);
    until_running(&server, &short);
    until_running(&server, &long);

    server.terminate();
    let signalled = Instant::now();
    let exit = server
        .exited_within(Duration::from_secs(DRAIN_TIME + 10))
        .expect("the node did not exit after its drain");
    let drained = signalled.elapsed();
    eprintln!("SIGTERM to exit: {drained:?} (--drain-time {DRAIN_TIME})");
    assert!(exit.success(), "{exit}");
    // It waited for the long call until the deadline, then gave the stop
    // at most its settling time (2 s), and exited well before the call
    // would have ended.
    assert!(
        drained >= Duration::from_secs(DRAIN_TIME),
        "exited after {drained:?}, before the drain time"
    );
    assert!(
        drained < Duration::from_secs(DRAIN_TIME + 4),
        "exited after {drained:?}"
    );

    // The short call finished during the drain, with its own result.
    let (header, body) = recorded(data.path(), &short);
    assert_eq!(header["ended"], "succeeded", "{header}");
    assert_eq!(body, "slept 1500 ms");
    // The long one was stopped and recorded as failed, saying why and
    // what to do.
    let (header, body) = recorded(data.path(), &long);
    assert_eq!(
        (
            &header["ended"],
            &header["code"],
            &header["message"],
            &header["stopped"]
        ),
        (
            &json!("failed"),
            &json!("SystemError"),
            &json!("The server shut down while this call ran; call the algorithm again."),
            &json!(false),
        ),
        "{header}"
    );
    assert_eq!(body, "");

    // A restart on the same data folder shows neither call, so none shows
    // as running forever: results live as long as the process that ran
    // their calls.
    let restarted = Server::start(data.path());
    for id in [&short, &long] {
        let (status, body) = restarted
            .json("GET", &format!("/v1/requests/{id}"), &Value::Null)
            .unwrap();
        assert_eq!(status, 404, "{body}");
    }
}
