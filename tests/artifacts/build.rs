//! Builds every guest (`examples/algorithms/*`, `tests/guests/*`) and writes
//! `artifacts.rs` naming the files: Rust guests with one nested cargo per
//! target (`wasm32-wasip2` unless the package's
//! `[package.metadata.algobox] target` says otherwise), C guests (a folder
//! with a `main.c` and no `Cargo.toml`) with clang for `wasm32-wasi`,
//! Python guests (an `app.py`) with componentize-py and JavaScript guests
//! (an `app.js`) with componentize-js.

// The build script is a crate root, so its modules are named by path.
#[path = "build/componentize_js.rs"]
mod componentize_js;
#[path = "build/componentize_py.rs"]
mod componentize_py;
#[path = "build/fresh.rs"]
mod fresh;

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folders whose subfolders are guest packages, relative to the root.
const GUEST_FOLDERS: &[&str] = &[
    "examples/algorithms",
    "tests/guests",
    "tests/language-guests",
];

/// The target Rust guests are built for unless they name another.
const DEFAULT_TARGET: &str = "wasm32-wasip2";

/// The clang target of C guests: WASI preview 1, a core module that algobox
/// makes into a component at upload (clang 14 knows it by this name).
const C_TARGET: &str = "wasm32-wasi";

/// Where Debian's `wasi-libc` puts its headers and libraries (under
/// `include/wasm32-wasi` and `lib/wasm32-wasi`); `WASI_SYSROOT` overrides it,
/// for a wasi-sdk install.
const DEFAULT_WASI_SYSROOT: &str = "/usr";

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
    language: Language,
}

/// How a guest is built.
enum Language {
    /// A cargo package, built for this target.
    Rust { target: String },
    /// C sources, built with clang.
    C,
    /// A Python `app.py`, built with componentize-py.
    Python,
    /// A JavaScript `app.js`, built with componentize-js.
    JavaScript,
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
    let c_dir = build_c(&out_dir, &guests);
    let script_dir = build_scripts(&root, &out_dir, &guests);
    write_artifacts(&wasm_dir, &c_dir, &script_dir, &out_dir, &guests);
}

/// Every package folder under [`GUEST_FOLDERS`] (a Rust package, or a C
/// program named after its folder), sorted by name.
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
                    language: Language::Rust {
                        target: package_target(&manifest),
                    },
                    dir,
                });
            } else {
                let language = if dir.join("main.c").is_file() {
                    Language::C
                } else if dir.join("app.py").is_file() {
                    Language::Python
                } else if dir.join("app.js").is_file() {
                    Language::JavaScript
                } else {
                    continue;
                };
                let name = dir
                    .file_name()
                    .and_then(|name| name.to_str())
                    .expect("guest folder names are UTF-8")
                    .to_owned();
                guests.push(Guest {
                    name,
                    dir,
                    language,
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

/// The `target` under a manifest's `[package.metadata.algobox]`, or
/// [`DEFAULT_TARGET`].
fn package_target(manifest: &Path) -> String {
    let text = fs::read_to_string(manifest)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", manifest.display()));
    text.lines()
        .skip_while(|line| line.trim() != "[package.metadata.algobox]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .find_map(|line| {
            let value = line
                .trim()
                .strip_prefix("target")?
                .trim()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| DEFAULT_TARGET.to_owned())
}

/// Tells cargo what the guests are built from, so an unchanged tree is a
/// no-op and a new guest folder triggers a rebuild.
fn track_inputs(root: &Path, guests: &[Guest]) {
    let mut inputs: Vec<PathBuf> = [
        "host-api/wit",
        "host-api/src",
        "guest-sdk/src",
        "guest-sdk/Cargo.toml",
        "guest-sdk/python/src",
        "guest-sdk/javascript/src",
        "guest-sdk/javascript/bin",
        "guest-sdk/javascript/package-lock.json",
        "Cargo.lock",
        "Cargo.toml",
    ]
    .iter()
    .map(|path| root.join(path))
    .collect();
    inputs.extend(GUEST_FOLDERS.iter().map(|folder| root.join(folder)));
    for guest in guests {
        match guest.language {
            Language::Rust { .. } => {
                inputs.push(guest.dir.join("src"));
                inputs.push(guest.dir.join("Cargo.toml"));
            }
            Language::C | Language::Python | Language::JavaScript => {
                inputs.push(guest.dir.clone());
            }
        }
    }
    println!("cargo:rerun-if-env-changed=WASI_SYSROOT");
    for input in inputs {
        println!("cargo:rerun-if-changed={}", input.display());
    }
}

/// Runs one nested `cargo build` per target the Rust guests name, and
/// returns the target folder (each target's files are under
/// `<target>/release`).
fn build(root: &Path, out_dir: &Path, guests: &[Guest]) -> PathBuf {
    // A target folder of its own: the outer build holds the lock on the
    // shared one, so a nested build there would wait forever.
    let target_dir = out_dir.join("wasm");
    let mut targets: Vec<&str> = guests
        .iter()
        .filter_map(|guest| match &guest.language {
            Language::Rust { target } => Some(target.as_str()),
            _ => None,
        })
        .collect();
    targets.sort_unstable();
    targets.dedup();
    for target in targets {
        let packages = guests.iter().filter(
            |guest| matches!(&guest.language, Language::Rust { target: own } if own == target),
        );
        build_target(root, &target_dir, target, packages);
    }
    target_dir
}

/// Builds `guests` for `target` with one nested cargo.
fn build_target<'a>(
    root: &Path,
    target_dir: &Path,
    target: &str,
    guests: impl Iterator<Item = &'a Guest>,
) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    for var in LEAKING_VARS {
        command.env_remove(var);
    }
    command
        .current_dir(root)
        .args(["build", "--release", "--target", target])
        .env("CARGO_TARGET_DIR", target_dir)
        // Guests carry no DWARF: smaller files, faster host compiles.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        // The workspace's release profile optimizes the server as one
        // program; the tests time the host, not the guests, whose builds
        // stay quick with the default codegen units and no LTO.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
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
        if target_missing(&stderr, target) {
            panic!(
                "building the wasm guests failed because the `{target}` target is not \
                 installed; run `rustup target add {target}` and build again"
            );
        }
        panic!(
            "building the wasm guests failed ({}):\n{stderr}",
            output.status
        );
    }
}

/// Whether cargo's error says the standard library for `target` is absent.
fn target_missing(stderr: &str, target: &str) -> bool {
    stderr.contains("target may not be installed")
        || (stderr.contains("can't find crate for `std`") && stderr.contains(target))
}

/// Builds each C guest with clang to `<out_dir>/c/<name>.wasm`, and returns
/// that folder.
fn build_c(out_dir: &Path, guests: &[Guest]) -> PathBuf {
    let c_dir = out_dir.join("c");
    fs::create_dir_all(&c_dir)
        .unwrap_or_else(|err| panic!("cannot create {}: {err}", c_dir.display()));
    let sysroot = env::var_os("WASI_SYSROOT").unwrap_or_else(|| DEFAULT_WASI_SYSROOT.into());
    for guest in guests {
        if !matches!(guest.language, Language::C) {
            continue;
        }
        let wasm = c_dir.join(format!("{}.wasm", guest.name.replace('-', "_")));
        let output = Command::new("clang")
            .arg(format!("--target={C_TARGET}"))
            .arg("--sysroot")
            .arg(&sysroot)
            .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&wasm)
            .arg(guest.dir.join("main.c"))
            .output();
        let output = match output {
            Ok(output) => output,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
                "building the C guest `{}` needs clang with WebAssembly support; install \
                 `clang lld wasi-libc libclang-rt-14-dev-wasm32` (Debian) and build again",
                guest.name
            ),
            Err(err) => panic!("cannot run clang to build `{}`: {err}", guest.name),
        };
        if !output.status.success() {
            panic!(
                "building the C guest `{}` failed ({}); it needs clang, wasm-ld, the WASI libc \
                 sysroot at {} (set WASI_SYSROOT for another) and the wasm32 compiler-rt \
                 (Debian: `apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`):\n{}",
                guest.name,
                output.status,
                Path::new(&sysroot).display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    c_dir
}

/// Builds each Python and JavaScript guest to `<out_dir>/scripts/<name>.wasm`,
/// and returns that folder.
fn build_scripts(root: &Path, out_dir: &Path, guests: &[Guest]) -> PathBuf {
    let dir = out_dir.join("scripts");
    fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
    for guest in guests {
        let wasm = dir.join(format!("{}.wasm", guest.name.replace('-', "_")));
        match guest.language {
            Language::Python => componentize_py::build(root, &guest.name, &guest.dir, &wasm),
            Language::JavaScript => componentize_js::build(root, &guest.name, &guest.dir, &wasm),
            Language::Rust { .. } | Language::C => {}
        }
    }
    dir
}

/// Writes `artifacts.rs`: one constant per guest, `ALL`, and
/// `foreach_guest!`.
fn write_artifacts(
    target_dir: &Path,
    c_dir: &Path,
    script_dir: &Path,
    out_dir: &Path,
    guests: &[Guest],
) {
    let mut code = String::new();
    let mut all = String::new();
    let mut idents = String::new();
    for guest in guests {
        let snake = guest.name.replace('-', "_");
        let folder = match &guest.language {
            Language::Rust { target } => target_dir.join(target).join("release"),
            Language::C => c_dir.to_owned(),
            Language::Python | Language::JavaScript => script_dir.to_owned(),
        };
        // A library's file is named in snake case, a binary's as the package.
        let path = [&snake, &guest.name]
            .iter()
            .map(|name| folder.join(format!("{name}.wasm")))
            .find(|path| path.is_file())
            .unwrap_or_else(|| folder.join(format!("{snake}.wasm")));
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
