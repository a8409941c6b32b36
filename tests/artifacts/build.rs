//! Builds every guest (`examples/algorithms/*`, `tests/guests/*`) to
//! `wasm32-wasip2` with one nested cargo, and writes `artifacts.rs` naming
//! the files.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folders whose subfolders are guest packages, relative to the root.
const GUEST_FOLDERS: &[&str] = &["examples/algorithms", "tests/guests"];

/// The target every guest is built for.
const TARGET: &str = "wasm32-wasip2";

/// Environment of the outer build that must not reach the nested one: flags
/// for the host target would break a wasm build, and a workspace wrapper
/// (clippy's) would lint the guests instead of just building them.
const LEAKING_VARS: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
    "CLIPPY_ARGS",
    "CARGO_PRIMARY_PACKAGE",
];

/// A guest package and the folder it lives in.
struct Guest {
    name: String,
    dir: PathBuf,
}

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));

    let guests = find_guests(&root);
    track_inputs(&root, &guests);
    let wasm_dir = build(&root, &out_dir, &guests);
    write_artifacts(&out_dir, &wasm_dir, &guests);
}

/// Every package folder under [`GUEST_FOLDERS`], sorted by name.
fn find_guests(root: &Path) -> Vec<Guest> {
    let mut guests = Vec::new();
    for folder in GUEST_FOLDERS {
        let folder = root.join(folder);
        let entries = fs::read_dir(&folder)
            .unwrap_or_else(|err| panic!("cannot list guests in {}: {err}", folder.display()));
        for entry in entries {
            let dir = entry.expect("a readable directory entry").path();
            let manifest = dir.join("Cargo.toml");
            if manifest.is_file() {
                guests.push(Guest {
                    name: package_name(&manifest),
                    dir,
                });
            }
        }
    }
    guests.sort_by(|a, b| a.name.cmp(&b.name));
    guests
}

/// The `name` of a manifest's `[package]`: the first `name = "..."` line,
/// which is enough for the manifests in this repository.
fn package_name(manifest: &Path) -> String {
    let text = fs::read_to_string(manifest)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", manifest.display()));
    text.lines()
        .find_map(|line| {
            let value = line.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| {
            panic!(
                "{} has no `name = \"...\"` line; give the guest package a name",
                manifest.display()
            )
        })
}

/// Tells cargo what the guests are built from, so an unchanged tree is a
/// no-op and a new guest folder triggers a rebuild.
fn track_inputs(root: &Path, guests: &[Guest]) {
    let mut inputs: Vec<PathBuf> = [
        "host-api/wit",
        "host-api/src",
        "guest-sdk/src",
        "guest-sdk/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ]
    .iter()
    .map(|path| root.join(path))
    .collect();
    inputs.extend(GUEST_FOLDERS.iter().map(|folder| root.join(folder)));
    for guest in guests {
        inputs.push(guest.dir.join("src"));
        inputs.push(guest.dir.join("Cargo.toml"));
    }
    for input in inputs {
        println!("cargo:rerun-if-changed={}", input.display());
    }
}

/// Runs the nested `cargo build` and returns the folder holding the wasm
/// files.
fn build(root: &Path, out_dir: &Path, guests: &[Guest]) -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // A target folder of its own: the outer build holds the lock on the
    // shared one, so a nested build there would wait forever.
    let target_dir = out_dir.join("wasm");
    let mut command = Command::new(cargo);
    for var in LEAKING_VARS {
        command.env_remove(var);
    }
    command
        .current_dir(root)
        .args(["build", "--release", "--target", TARGET])
        .env("CARGO_TARGET_DIR", &target_dir)
        // Guests carry no DWARF: smaller files, faster host compiles.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo");
    for guest in guests {
        command.args(["-p", &guest.name]);
    }
    // Captured, not inherited: a build script's stdout is read by cargo as
    // directives.
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run cargo to build the guests: {err}"));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if target_missing(&stderr) {
            panic!(
                "building the wasm guests failed because the `{TARGET}` target is not \
                 installed; run `rustup target add {TARGET}` and build again"
            );
        }
        panic!(
            "building the wasm guests failed ({}):\n{stderr}",
            output.status
        );
    }
    target_dir.join(TARGET).join("release")
}

/// Whether cargo's error says the standard library for [`TARGET`] is absent.
fn target_missing(stderr: &str) -> bool {
    stderr.contains("target may not be installed")
        || (stderr.contains("can't find crate for `std`") && stderr.contains(TARGET))
}

/// Writes `artifacts.rs`: one constant per guest, `ALL`, and
/// `foreach_guest!`.
fn write_artifacts(out_dir: &Path, wasm_dir: &Path, guests: &[Guest]) {
    let mut code = String::new();
    let mut all = String::new();
    let mut idents = String::new();
    for guest in guests {
        let snake = guest.name.replace('-', "_");
        let path = wasm_dir.join(format!("{snake}.wasm"));
        assert!(
            path.is_file(),
            "cargo built the guests but {} is missing; does package `{}` build a \
             `cdylib` or a binary named after the package?",
            path.display(),
            guest.name
        );
        let path = path.to_str().expect("the target folder path is UTF-8");
        let upper = snake.to_uppercase();
        writeln!(
            code,
            "/// The wasm file of the `{}` guest.\npub const {upper}: &str = {path:?};",
            guest.name
        )
        .expect("writing to a String");
        writeln!(all, "    ({:?}, {upper}),", guest.name).expect("writing to a String");
        writeln!(idents, "        $mac!({snake});").expect("writing to a String");
    }
    writeln!(
        code,
        "\n/// Every guest as (package name, wasm file), sorted by name.\n\
         pub const ALL: &[(&str, &str)] = &[\n{all}];\n\n\
         /// Calls `$mac!(guest)` once per guest, with the package name in \
         snake case (`memory_hog`), so tests can check that every guest has a \
         test.\n\
         #[macro_export]\n\
         macro_rules! foreach_guest {{\n    ($mac:ident) => {{\n{idents}    }};\n}}"
    )
    .expect("writing to a String");
    let file = out_dir.join("artifacts.rs");
    fs::write(&file, code).unwrap_or_else(|err| panic!("cannot write {}: {err}", file.display()));
}
