//! `algobox wit`: writes the WIT contract this build of algobox speaks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use algobox_host_api::wit_file::{ALGORITHM_WITH_HTTP_WORLD, ALGORITHM_WORLD, WIT_FILES};
use anyhow::Context as _;

/// Writes the `algobox:algorithm` WIT package, with the WASI packages it
/// may import under `deps/`, so that any toolchain (wit-bindgen,
/// componentize-py, componentize-js, ...) can bind to it without a checkout
/// of algobox. Files already there are replaced; others are left alone.
#[derive(Debug, clap::Args)]
pub(crate) struct WitCommand {
    /// The folder to write into (created if missing).
    #[arg(default_value = "wit")]
    dir: PathBuf,
}

impl WitCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        write_wit(&self.dir)?;
        println!(
            "wrote {} WIT files to {}; bind to world `{ALGORITHM_WORLD}`, or `{ALGORITHM_WITH_HTTP_WORLD}` to also import wasi:http",
            WIT_FILES.len(),
            self.dir.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Writes every embedded WIT file under `dir`.
fn write_wit(dir: &Path) -> anyhow::Result<()> {
    write_files(dir, WIT_FILES.iter().copied())
}

/// Writes each `(relative path, contents)` under `dir`, creating folders
/// as needed and replacing files already there.
pub(crate) fn write_files<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> anyhow::Result<()> {
    for (relative, contents) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| {
                format!(
                    "cannot create the folder {}; check that the path is writable",
                    parent.display()
                )
            })?;
        }
        std::fs::write(&path, contents).with_context(|| {
            format!(
                "cannot write {}; check that the path is writable",
                path.display()
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_and_replaces_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("deps")).unwrap();
        std::fs::write(dir.path().join("deps/io.wit"), "stale").unwrap();
        write_wit(dir.path()).unwrap();
        for (relative, contents) in WIT_FILES {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(relative)).unwrap(),
                *contents
            );
        }
    }

    #[test]
    fn an_unwritable_folder_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = write_wit(&file.join("wit")).unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot create the folder"),
            "{err:#}"
        );
    }
}
