//! `algobox build`: builds the project `algobox new` made, with its
//! language's tool.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

use crate::commands::language::Language;
use crate::commands::project::Project;

/// Builds the algorithm project in the current folder (or --dir) into
/// NAME.wasm there, with the tool its language needs: cargo for Rust,
/// componentize-py for Python (`ALGOBOX_COMPONENTIZE_PY` overrides the one
/// on PATH), componentize-js through the vendored SDK for JavaScript (`npm
/// ci` first if needed), clang for C (`WASI_SYSROOT` overrides `/usr`).
#[derive(Debug, clap::Args)]
pub(crate) struct BuildCommand {
    /// The project folder.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

impl BuildCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let project = Project::read(&self.dir)?;
        let wasm = format!("{}.wasm", project.name);
        match project.language {
            Language::Rust => build_rust(&self.dir, &project.name, &wasm)?,
            Language::Python => build_python(&self.dir, &wasm)?,
            Language::Javascript => build_javascript(&self.dir, &wasm)?,
            Language::C => build_c(&self.dir, &wasm)?,
        }
        println!(
            "built {}; try `algobox run {wasm} -d hi`",
            self.dir.join(&wasm).display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

fn build_rust(dir: &Path, name: &str, wasm: &str) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(
        Command::new(cargo)
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .current_dir(dir),
        "cargo",
        "install Rust (https://rustup.rs) and run `rustup target add wasm32-wasip2`",
    )?;
    let built = dir.join(format!("target/wasm32-wasip2/release/{name}.wasm"));
    std::fs::copy(&built, dir.join(wasm)).with_context(|| {
        format!(
            "cargo succeeded but {} is missing; is the crate still a `cdylib` named `{name}`?",
            built.display()
        )
    })?;
    Ok(())
}

fn build_python(dir: &Path, wasm: &str) -> anyhow::Result<()> {
    let tool = std::env::var_os("ALGOBOX_COMPONENTIZE_PY")
        .unwrap_or_else(|| OsString::from("componentize-py"));
    run(
        Command::new(tool)
            .args([
                "-d",
                "wit",
                "-w",
                "algorithm-with-http",
                "componentize",
                "app",
            ])
            .args(["-p", ".", "-p", "sdk", "-o", wasm])
            .current_dir(dir),
        "componentize-py",
        "install it with `pip install componentize-py==0.25.1`, or set ALGOBOX_COMPONENTIZE_PY to one",
    )
}

fn build_javascript(dir: &Path, wasm: &str) -> anyhow::Result<()> {
    let sdk = dir.join("sdk");
    if !sdk
        .join("node_modules/@bytecodealliance/componentize-js")
        .is_dir()
    {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&sdk),
            "npm",
            "install Node.js 20 and npm",
        )?;
    }
    run(
        Command::new("node")
            .args(["sdk/bin/build.mjs", "app.js", "--wit", "wit", "-o", wasm])
            .current_dir(dir),
        "node",
        "install Node.js 20",
    )
}

fn build_c(dir: &Path, wasm: &str) -> anyhow::Result<()> {
    let sysroot = std::env::var_os("WASI_SYSROOT").unwrap_or_else(|| OsString::from("/usr"));
    run(
        Command::new("clang")
            .args(["--target=wasm32-wasi", "--sysroot"])
            .arg(sysroot)
            .args(["-O2", "-o", wasm, "main.c"])
            .current_dir(dir),
        "clang",
        "install `clang lld wasi-libc libclang-rt-14-dev-wasm32` (Debian), or a wasi-sdk with WASI_SYSROOT set",
    )
}

/// Runs a build tool with the terminal's stdio; a missing tool or a failure
/// says what to install or where to look.
fn run(command: &mut Command, tool: &str, install: &str) -> anyhow::Result<()> {
    let status = match command.status() {
        Ok(status) => status,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            bail!("`{tool}` was not found: {install}")
        }
        Err(err) => return Err(err).with_context(|| format!("cannot run `{tool}`")),
    };
    if !status.success() {
        bail!("`{tool}` failed ({status}); its output above says why");
    }
    Ok(())
}
