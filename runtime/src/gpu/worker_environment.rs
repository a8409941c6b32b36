//! The environment the GPU worker starts with: what GPU drivers read, and
//! none of the server's secrets.

/// Variables GPU drivers and the worker read, by exact name.
const PASSED_VARIABLES: &[&str] = &[
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "LD_LIBRARY_PATH",
    "XDG_RUNTIME_DIR",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "CUDA_VISIBLE_DEVICES",
    "RUST_LOG",
    "RUST_BACKTRACE",
];

/// Variables GPU drivers read, by prefix: wgpu's own, Vulkan's loader,
/// Mesa's, NVIDIA's and the GL dispatch's.
const PASSED_PREFIXES: &[&str] = &[
    "WGPU_", "VK_", "MESA_", "LP_", "NVIDIA_", "__NV_", "__GLX_", "LIBGL_",
];

/// The part of `vars` the worker is started with: what drivers need and
/// nothing else.
pub(crate) fn filter(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    vars.filter(|(name, _)| {
        name.to_str().is_some_and(|name| {
            PASSED_VARIABLES.contains(&name)
                || PASSED_PREFIXES
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    #[test]
    fn the_worker_gets_driver_variables_and_no_secrets() {
        let vars = [
            ("ALGOBOX_ADMIN_KEY", "secret-admin-key"),
            ("ALGOBOX_REGISTRY", "postgres://user:pw@db/algobox"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("WGPU_BACKEND", "vulkan"),
            (
                "VK_ICD_FILENAMES",
                "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
            ),
            ("PATH", "/usr/bin"),
            ("XDG_RUNTIME_DIR", "/tmp"),
        ]
        .map(|(name, value)| (OsString::from(name), OsString::from(value)));
        let passed: Vec<String> = filter(vars.into_iter())
            .into_iter()
            .map(|(name, _)| name.into_string().unwrap())
            .collect();
        assert_eq!(
            passed,
            [
                "WGPU_BACKEND",
                "VK_ICD_FILENAMES",
                "PATH",
                "XDG_RUNTIME_DIR"
            ]
        );
    }
}
