//! `algobox serve` with a short chosen admin key: it works, is warned
//! about, and is never listed whole.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A short `ALGOBOX_ADMIN_KEY` works (scripts use one on loopback) but
/// `serve` warns that it can be guessed, and `key list` shows a third of
/// it at most.
#[test]
fn a_short_admin_key_is_warned_about_and_never_listed_whole() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_algobox"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("ALGOBOX_ADMIN_KEY", "short-key")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut startup = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with("algobox listening on") {
            break;
        }
        startup.push(line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        startup
            .iter()
            .any(|line| line.contains("ALGOBOX_ADMIN_KEY has 9 characters, fewer than 20")),
        "{startup:#?}"
    );

    let listed = Command::new(env!("CARGO_BIN_EXE_algobox"))
        .args(["key", "list", "admin", "--json", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let keys: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(keys[0]["prefix"], "sho", "{keys}");
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("short-key"));
}
