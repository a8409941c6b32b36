//! `algobox new` then `algobox build` then `algobox run`, for each
//! language, as the README promises: the hello project answers `Hello hi`.
//! The tools are the ones `.ci/run` installs (componentize-py in
//! target/algorithmia-venv, Node.js and npm, clang with the WASI libc, the
//! wasm32-wasip2 Rust target).

use std::path::{Path, PathBuf};

use crate::command_line::algobox_with_env;

mod command_line;

/// Creates, builds and runs a hello project in `lang`; the run's stdout.
fn new_build_run(lang: &str) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let name = format!("hello_{lang}");
    let dir = scratch.path().join(&name);
    let venv_tool = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/algorithmia-venv/bin/componentize-py");
    assert!(
        venv_tool.exists(),
        "{} is missing: run `.ci/run` (its Python step installs componentize-py==0.25.1)",
        venv_tool.display()
    );
    let env: &[(&str, &Path)] = &[("ALGOBOX_COMPONENTIZE_PY", &venv_tool)];
    let dir_arg = dir.to_str().unwrap();
    let (ok, stdout, stderr) = algobox_with_env(
        &["new", &name, "--lang", lang, "--dir", dir_arg],
        scratch.path(),
        env,
    );
    assert!(ok, "algobox new failed: {stdout}{stderr}");
    assert!(dir.join("README.md").is_file() && dir.join("input.txt").is_file());
    let (ok, stdout, stderr) = algobox_with_env(&["build", "--dir", dir_arg], scratch.path(), env);
    assert!(ok, "algobox build failed: {stdout}{stderr}");
    let wasm = dir.join(format!("{name}.wasm"));
    assert!(wasm.is_file(), "no {}: {stdout}{stderr}", wasm.display());
    let (ok, stdout, stderr) = algobox_with_env(
        &["run", wasm.to_str().unwrap(), "-d", "hi"],
        scratch.path(),
        env,
    );
    assert!(ok, "algobox run failed: {stderr}");
    stdout
}

#[test]
fn a_new_python_project_builds_and_runs() {
    assert_eq!(new_build_run("python").trim_end(), "Hello hi");
}

#[test]
fn a_new_javascript_project_builds_and_runs() {
    assert_eq!(new_build_run("javascript").trim_end(), "Hello hi");
}

#[test]
fn a_new_c_project_builds_and_runs() {
    assert_eq!(new_build_run("c").trim_end(), "Hello hi");
}

#[test]
fn a_new_rust_project_builds_and_runs() {
    assert_eq!(new_build_run("rust").trim_end(), "Hello hi");
}

#[test]
fn build_outside_a_project_says_what_to_do() {
    let scratch = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = algobox_with_env(
        &["build", "--dir", scratch.path().to_str().unwrap()],
        scratch.path(),
        &[],
    );
    assert!(!ok);
    assert!(
        stderr.contains("run `algobox build` in a folder made by `algobox new`"),
        "{stderr}"
    );
}
