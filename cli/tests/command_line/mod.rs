//! Running the `algobox` binary from a test, the same way in every test
//! file.

use std::path::Path;
use std::process::Command;

/// Runs `algobox` with `args`; returns (success, stdout, stderr).
#[allow(
    dead_code,
    reason = "not every test file that includes this module calls it"
)]
pub(crate) fn algobox(args: &[&str], cache: &Path) -> (bool, String, String) {
    algobox_with_env(args, cache, &[])
}

/// Runs `algobox` with `args` and the variables `env` set; returns
/// (success, stdout, stderr).
pub(crate) fn algobox_with_env(
    args: &[&str],
    cache: &Path,
    env: &[(&str, &Path)],
) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_algobox"))
        .args(args)
        .envs(env.iter().copied())
        .env("ALGOBOX_CACHE_DIR", cache)
        .env_remove("ALGOBOX_API")
        .env_remove("ALGOBOX_API_KEY")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
