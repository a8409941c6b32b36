//! `algobox wit`: the written folder is the embedded contract, and a
//! foreign toolchain (componentize-py, which `.ci/run` installs into
//! `target/algorithmia-venv`) binds to both of its worlds.

use std::path::PathBuf;
use std::process::Command;

use crate::command_line::algobox;

mod command_line;

/// componentize-py from the test venv.
fn componentize_py() -> PathBuf {
    let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/algorithmia-venv/bin/componentize-py");
    assert!(
        tool.exists(),
        "{} is missing: run `.ci/run` (its Python step installs componentize-py==0.25.1 into target/algorithmia-venv)",
        tool.display()
    );
    tool
}

#[test]
fn wit_writes_the_contract_that_componentize_py_binds_to() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("wit");
    let (ok, stdout, stderr) = algobox(&["wit", dir.to_str().unwrap()], scratch.path());
    assert!(ok, "algobox wit failed: {stderr}");
    assert!(stdout.contains("wrote 8 WIT files"), "{stdout}");
    let algorithm = std::fs::read_to_string(dir.join("algorithm.wit")).unwrap();
    assert!(algorithm.starts_with("package algobox:algorithm@0.1.0;"));
    let http = std::fs::read_to_string(dir.join("deps/http.wit")).unwrap();
    assert!(
        http.starts_with("package wasi:http@0.2.12;"),
        "{}",
        &http[..40]
    );

    for (world, http_module) in [("algorithm", false), ("algorithm-with-http", true)] {
        let out = scratch.path().join(world);
        let status = Command::new(componentize_py())
            .arg("-d")
            .arg(&dir)
            .args(["-w", world, "bindings"])
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "componentize-py refused world {world}");
        let imports = out.join("wit_world/imports");
        assert!(
            imports.join("context.py").exists(),
            "{world}: no context bindings"
        );
        assert_eq!(
            imports.join("outgoing_handler.py").exists(),
            http_module,
            "{world}: wasi:http bindings present only in the world that imports them"
        );
    }
}

#[test]
fn wit_into_a_file_path_fails_with_the_path() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("taken");
    std::fs::write(&file, "").unwrap();
    let target = file.join("wit");
    let (ok, _, stderr) = algobox(&["wit", target.to_str().unwrap()], scratch.path());
    assert!(!ok);
    assert!(stderr.contains("cannot create the folder"), "{stderr}");
}
