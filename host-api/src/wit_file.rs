//! The WIT files of the contract, embedded so that a binary built from this
//! crate can hand them out (`algobox wit`) without a checkout.
//!
//! The list is the whole `wit/` folder: the `algobox:algorithm` package and
//! the WASI 0.2 packages under `deps/` that its worlds, and the algorithms
//! that bind to them, may import. The deps are the ones wasmtime-wasi-http
//! 48 ships, so they match what the host links.

/// Every WIT file as `(path relative to the WIT folder, contents)`, in the
/// layout `wit-bindgen`, `componentize-py` and `componentize-js` read:
/// the package at the top, one file per dependency package under `deps/`.
///
/// # Example
///
/// ```
/// use algobox_host_api::wit_file::WIT_FILES;
///
/// let (path, contents) = WIT_FILES[0];
/// assert_eq!(path, "algorithm.wit");
/// assert!(contents.starts_with("package algobox:algorithm@"));
/// ```
pub const WIT_FILES: &[(&str, &str)] = &[
    ("algorithm.wit", include_str!("../wit/algorithm.wit")),
    ("deps/cli.wit", include_str!("../wit/deps/cli.wit")),
    ("deps/clocks.wit", include_str!("../wit/deps/clocks.wit")),
    (
        "deps/filesystem.wit",
        include_str!("../wit/deps/filesystem.wit"),
    ),
    ("deps/http.wit", include_str!("../wit/deps/http.wit")),
    ("deps/io.wit", include_str!("../wit/deps/io.wit")),
    ("deps/random.wit", include_str!("../wit/deps/random.wit")),
    ("deps/sockets.wit", include_str!("../wit/deps/sockets.wit")),
];

/// The world every algorithm may target: the algobox imports and the
/// exported lifecycle.
pub const ALGORITHM_WORLD: &str = "algorithm";

/// The world that also imports `wasi:http/outgoing-handler`, which the
/// Python and JavaScript SDKs build against so that outbound HTTP can be
/// bound where the algorithm's `network_access` grants it.
pub const ALGORITHM_WITH_HTTP_WORLD: &str = "algorithm-with-http";

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// A WIT file added to the folder but not to the list would be missing
    /// from `algobox wit`, and the written folder would not parse.
    #[test]
    fn the_list_holds_every_file_of_the_wit_folder() {
        let dir = Path::new(crate::WIT_DIR);
        let mut on_disk = BTreeSet::new();
        for sub in ["", "deps"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|ext| ext == "wit") {
                    let relative = path.strip_prefix(dir).unwrap();
                    on_disk.insert(relative.to_str().unwrap().to_owned());
                }
            }
        }
        let listed: BTreeSet<String> = WIT_FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
        assert_eq!(listed, on_disk);
        for (path, contents) in WIT_FILES {
            let on_disk = std::fs::read_to_string(dir.join(path)).unwrap();
            assert_eq!(&on_disk, contents, "{path} differs from the embedded copy");
        }
    }

    #[test]
    fn both_worlds_are_declared() {
        let (_, algorithm) = WIT_FILES[0];
        assert!(algorithm.contains(&format!("world {ALGORITHM_WORLD} {{")));
        assert!(algorithm.contains(&format!("world {ALGORITHM_WITH_HTTP_WORLD} {{")));
        assert!(algorithm.contains("import wasi:http/outgoing-handler@0.2.12;"));
    }
}
