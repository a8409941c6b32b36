//! JavaScript guests (a folder with an `app.js`): bundled with the
//! JavaScript SDK and built with componentize-js by the SDK's
//! `bin/build.mjs`, against the world `algorithm-with-http`.

use std::path::Path;
use std::process::Command;

use crate::fresh::is_fresh;

/// Builds the JavaScript guest in `dir` to `wasm`.
pub(crate) fn build(root: &Path, name: &str, dir: &Path, wasm: &Path) {
    let sdk = root.join("guest-sdk/javascript");
    let wit = root.join("host-api/wit");
    if is_fresh(
        wasm,
        &[
            dir,
            &sdk.join("src"),
            &sdk.join("bin"),
            &sdk.join("package-lock.json"),
            &wit,
        ],
    ) {
        return;
    }
    if !sdk
        .join("node_modules/@bytecodealliance/componentize-js")
        .is_dir()
    {
        panic!(
            "building the JavaScript guests needs componentize-js in {}; run `.ci/run` \
             (its `npm ci` step in guest-sdk/javascript installs the locked version)",
            sdk.join("node_modules").display()
        );
    }
    let output = Command::new("node")
        .arg(sdk.join("bin/build.mjs"))
        .arg(dir.join("app.js"))
        .arg("--wit")
        .arg(&wit)
        .arg("-o")
        .arg(wasm)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
            "building the JavaScript guest `{name}` needs Node.js 20 or later (`node`); \
             install it and run `.ci/run`"
        ),
        Err(err) => panic!("cannot run node to build `{name}`: {err}"),
    };
    if !output.status.success() {
        panic!(
            "building the JavaScript guest `{name}` with componentize-js failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
