//! A Rust project: a `cdylib` with the function form, and the guest SDK and
//! the contract crate vendored under `vendor/` (they are not published),
//! built by cargo for wasm32-wasip2.

/// The guest SDK's sources, as in `guest-sdk/src`.
const SDK: &[(&str, &str)] = &[
    (
        "algorithm.rs",
        include_str!("../../../../guest-sdk/src/algorithm.rs"),
    ),
    (
        "bindings.rs",
        include_str!("../../../../guest-sdk/src/bindings.rs"),
    ),
    (
        "context.rs",
        include_str!("../../../../guest-sdk/src/context.rs"),
    ),
    ("data.rs", include_str!("../../../../guest-sdk/src/data.rs")),
    (
        "error_code.rs",
        include_str!("../../../../guest-sdk/src/error_code.rs"),
    ),
    (
        "function.rs",
        include_str!("../../../../guest-sdk/src/function.rs"),
    ),
    ("gpu.rs", include_str!("../../../../guest-sdk/src/gpu.rs")),
    ("http.rs", include_str!("../../../../guest-sdk/src/http.rs")),
    (
        "input.rs",
        include_str!("../../../../guest-sdk/src/input.rs"),
    ),
    (
        "inputs.rs",
        include_str!("../../../../guest-sdk/src/inputs.rs"),
    ),
    (
        "instance.rs",
        include_str!("../../../../guest-sdk/src/instance.rs"),
    ),
    ("json.rs", include_str!("../../../../guest-sdk/src/json.rs")),
    ("lib.rs", include_str!("../../../../guest-sdk/src/lib.rs")),
    (
        "output.rs",
        include_str!("../../../../guest-sdk/src/output.rs"),
    ),
    (
        "panic_hook.rs",
        include_str!("../../../../guest-sdk/src/panic_hook.rs"),
    ),
    (
        "pipeline.rs",
        include_str!("../../../../guest-sdk/src/pipeline.rs"),
    ),
];

/// The contract crate's sources, as in `host-api/src` (its `wit/` is
/// written from the embedded WIT).
const HOST_API: &[(&str, &str)] = &[
    ("lib.rs", include_str!("../../../../host-api/src/lib.rs")),
    (
        "wit_file.rs",
        include_str!("../../../../host-api/src/wit_file.rs"),
    ),
];

/// The vendored SDK's manifest: the workspace's dependency versions, spelled out.
const SDK_MANIFEST: &str = r#"[package]
name = "algobox-guest-sdk"
description = "Write algobox algorithms in Rust (vendored by `algobox new`)."
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
algobox-host-api = { path = "../host-api" }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
wasip2 = "2.0.1"
wit-bindgen = { version = "0.61", default-features = false, features = ["macros", "realloc"] }
"#;

/// The vendored contract crate's manifest.
const HOST_API_MANIFEST: &str = r#"[package]
name = "algobox-host-api"
description = "The algobox guest contract (vendored by `algobox new`)."
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
base64 = "0.22"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;

/// Where the vendored contract crate keeps its WIT, which the SDK's
/// bindings read by relative path.
pub(super) const WIT_DIR: &str = "vendor/host-api/wit";

/// The project's files besides the WIT, as (path, contents).
pub(super) fn files(name: &str) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "Cargo.toml".to_owned(),
            format!(
                r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
algobox-guest-sdk = {{ path = "vendor/guest-sdk" }}

# A workspace of its own, even inside another one.
[workspace]
"#
            ),
        ),
        (
            "src/lib.rs".to_owned(),
            format!(
                r#"//! {name}: an algobox algorithm in Rust.
//!
//! The input type picks the accepted content type (`String`, `Vec<u8>`,
//! `Json<T>`), the output type the returned one. For state loaded once,
//! progress and stops, implement `Algorithm` and use `export_algorithm!`.

use algobox_guest_sdk::{{AlgoError, export_function}};

fn apply(name: String) -> Result<String, AlgoError> {{
    Ok(format!("Hello {{}}", name.trim_end()))
}}

export_function!(apply);
"#
            ),
        ),
        (
            "README.md".to_owned(),
            format!(
                r#"# {name}

An algobox algorithm in Rust, with the guest SDK vendored in `vendor/`.

Set up once: `rustup target add wasm32-wasip2`.

```sh
algobox build            # cargo build --release --target wasm32-wasip2, then copies {name}.wasm here
algobox run {name}.wasm -d "$(cat input.txt)"
```
"#
            ),
        ),
        ("input.txt".to_owned(), "world\n".to_owned()),
        (".gitignore".to_owned(), "/target\n*.wasm\n".to_owned()),
        (
            "vendor/guest-sdk/Cargo.toml".to_owned(),
            SDK_MANIFEST.to_owned(),
        ),
        (
            "vendor/host-api/Cargo.toml".to_owned(),
            HOST_API_MANIFEST.to_owned(),
        ),
    ];
    files.extend(SDK.iter().map(|(file, contents)| {
        (
            format!("vendor/guest-sdk/src/{file}"),
            (*contents).to_owned(),
        )
    }));
    files.extend(HOST_API.iter().map(|(file, contents)| {
        (
            format!("vendor/host-api/src/{file}"),
            (*contents).to_owned(),
        )
    }));
    files
}
