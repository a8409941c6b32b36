//! Concurrent `algobox deploy` runs to one algorithm: each compiles and
//! publishes exactly the module it uploaded, whatever the others upload in
//! between.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use algobox_runtime::content_hash::ContentHash;
use serde_json::Value;

use crate::command_line::algobox;

mod command_line;

const KEY: &str = "concurrent-deploys-test-key";

#[test]
fn concurrent_deploys_each_publish_their_own_module() {
    let data = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_algobox"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("ALGOBOX_ADMIN_KEY", KEY)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let api = loop {
        let line = lines.next().expect("the server exited").unwrap();
        if let Some(address) = line.strip_prefix("algobox listening on ") {
            break address.to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let remote = ["--api", api.as_str(), "--key", KEY];

    let deploy = |wasm: &str, bump: &str| {
        let args = [
            &["deploy", wasm, "admin/race", "--publish", bump, "--json"][..],
            &remote[..],
        ]
        .concat();
        algobox(&args, cache.path())
    };
    let (ok, _, stderr) = deploy(test_artifacts::HELLO, "minor");
    assert!(ok, "{stderr}");

    // Eight at once, alternating two modules: every upload lands between
    // some other deploy's upload and compile.
    let modules = [test_artifacts::ECHO, test_artifacts::HELLO];
    let published: Vec<(String, String)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..8)
            .map(|n| {
                let wasm = modules[n % 2];
                let deploy = &deploy;
                scope.spawn(move || (wasm, deploy(wasm, "revision")))
            })
            .collect();
        runs.into_iter()
            .map(|run| {
                let (wasm, (ok, stdout, stderr)) = run.join().unwrap();
                assert!(ok, "a concurrent deploy failed: {stderr}");
                let answer: Value = serde_json::from_str(&stdout).unwrap();
                let info = &answer["version_info"];
                let expected = ContentHash::of(&std::fs::read(wasm).unwrap()).to_string();
                assert_eq!(info["git_hash"], expected.as_str(), "{wasm}: {answer}");
                let version = info["semantic_version"].as_str().unwrap().to_owned();
                (version, wasm.to_owned())
            })
            .collect()
    });

    let mut versions: Vec<&str> = published.iter().map(|(v, _)| v.as_str()).collect();
    versions.sort_unstable();
    versions.dedup();
    assert_eq!(versions.len(), 8, "{published:?}");
    // Each version runs the code its deploy uploaded.
    for (version, wasm) in &published {
        let expected = if wasm == test_artifacts::ECHO {
            "x\n"
        } else {
            "Hello x\n"
        };
        let algorithm = format!("admin/race/{version}");
        let run = [&["run", algorithm.as_str(), "-t", "x"][..], &remote[..]].concat();
        let (ok, stdout, stderr) = algobox(&run, cache.path());
        assert!(ok, "{version}: {stderr}");
        assert_eq!(stdout, expected, "{version}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
