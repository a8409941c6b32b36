//! Python guests (a folder with an `app.py`): built with componentize-py
//! from the test venv against the world `algorithm-with-http`, with the
//! Python SDK (`guest-sdk/python/src`) on the path.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fresh::is_fresh;

/// The componentize-py version `.ci/run` installs.
const VERSION: &str = "0.25.1";

/// Builds the Python guest in `dir` to `wasm`.
pub(crate) fn build(root: &Path, name: &str, dir: &Path, wasm: &Path) {
    let sdk = root.join("guest-sdk/python/src");
    let wit = root.join("host-api/wit");
    if is_fresh(wasm, &[dir, &sdk, &wit]) {
        return;
    }
    let tool = tool(root);
    let output = Command::new(&tool)
        .arg("-d")
        .arg(&wit)
        .args(["-w", "algorithm-with-http", "componentize", "app", "-p"])
        .arg(dir)
        .arg("-p")
        .arg(&sdk)
        .arg("-o")
        .arg(wasm)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", tool.display()));
    if !output.status.success() {
        panic!(
            "building the Python guest `{name}` with componentize-py failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// componentize-py in the test venv, or a panic that says how to get it.
fn tool(root: &Path) -> PathBuf {
    let tool = root.join("target/algorithmia-venv/bin/componentize-py");
    let ok = Command::new(&tool)
        .arg("--version")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains(VERSION));
    if !ok {
        panic!(
            "building the Python guests needs componentize-py {VERSION} at {}; run `.ci/run` \
             (its Python step installs it into target/algorithmia-venv), or \
             `target/algorithmia-venv/bin/pip install componentize-py=={VERSION}`",
            tool.display()
        );
    }
    tool
}
