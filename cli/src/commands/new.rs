//! `algobox new`: writes a ready algorithm project in any language.

mod c;
mod javascript;
mod python;
mod rust;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use algobox_host_api::wit_file::WIT_FILES;
use anyhow::bail;

use crate::commands::language::Language;
use crate::commands::project::{MANIFEST, Project};
use crate::commands::wit::write_files;

/// Writes a new algorithm project in the folder NAME: a hello algorithm in
/// the chosen language with its SDK vendored (none for C), the WIT
/// contract, a README with the set-up and build command, a test input and
/// `algobox.toml`, so that `algobox build` in the folder builds NAME.wasm.
#[derive(Debug, clap::Args)]
pub(crate) struct NewCommand {
    /// The algorithm's name (letters, digits and underscores, starting with
    /// a letter, as algorithm names are), also the folder's.
    name: String,
    /// The language.
    #[arg(long, value_enum)]
    lang: Language,
    /// The folder to create, if not NAME in the current one.
    #[arg(long)]
    dir: Option<PathBuf>,
}

impl NewCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        check_name(&self.name)?;
        let dir = self.dir.unwrap_or_else(|| PathBuf::from(&self.name));
        write_project(&dir, &self.name, self.lang)?;
        println!(
            "created {} ({} algorithm `{}`); build it with `cd {} && algobox build`",
            dir.display(),
            self.lang,
            self.name,
            dir.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Refuses names that are not algorithm names (which are also valid crate,
/// file and module names).
fn check_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!(
            "`{name}` is not an algorithm name; use letters, digits and underscores, starting with a letter"
        );
    }
    Ok(())
}

/// Writes every file of the project into `dir`, which must not exist or
/// be empty.
fn write_project(dir: &Path, name: &str, language: Language) -> anyhow::Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another name or --dir",
            dir.display()
        );
    }
    let (mut files, wit_dir) = match language {
        Language::Rust => (rust::files(name), rust::WIT_DIR),
        Language::Python => (python::files(name), "wit"),
        Language::Javascript => (javascript::files(name), "wit"),
        Language::C => (c::files(name), ""),
    };
    if !wit_dir.is_empty() {
        files.extend(
            WIT_FILES
                .iter()
                .map(|(path, contents)| (format!("{wit_dir}/{path}"), (*contents).to_owned())),
        );
    }
    let project = Project {
        name: name.to_owned(),
        language,
    };
    files.push((MANIFEST.to_owned(), project.to_toml()));
    write_files(
        dir,
        files
            .iter()
            .map(|(relative, contents)| (relative.as_str(), contents.as_str())),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The file names under `dir` (relative, `/`-separated), recursively.
    fn tree(dir: &Path) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                names.extend(
                    tree(&path)
                        .into_iter()
                        .map(|inner| format!("{name}/{inner}")),
                );
            } else {
                names.insert(name);
            }
        }
        names
    }

    /// A source file added to an SDK but not to its template's list would
    /// be missing from every new project.
    #[test]
    fn the_templates_vendor_every_sdk_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let vendored = |files: Vec<(String, String)>, prefix: &str| -> BTreeSet<String> {
            files
                .into_iter()
                .filter_map(|(path, _)| path.strip_prefix(prefix).map(str::to_owned))
                .collect()
        };
        let python = vendored(python::files("x"), "sdk/algobox_sdk/");
        let on_disk: BTreeSet<String> = tree(&root.join("guest-sdk/python/src/algobox_sdk"))
            .into_iter()
            .filter(|name| name.ends_with(".py"))
            .collect();
        assert_eq!(python, on_disk);
        let javascript = vendored(javascript::files("x"), "sdk/");
        let mut on_disk: BTreeSet<String> = tree(&root.join("guest-sdk/javascript/src"))
            .into_iter()
            .map(|name| format!("src/{name}"))
            .collect();
        on_disk.extend(
            tree(&root.join("guest-sdk/javascript/bin"))
                .into_iter()
                .map(|n| format!("bin/{n}")),
        );
        on_disk.extend(["package.json".to_owned(), "package-lock.json".to_owned()]);
        assert_eq!(javascript, on_disk);
        let rust = vendored(rust::files("x"), "vendor/guest-sdk/src/");
        assert_eq!(rust, tree(&root.join("guest-sdk/src")));
        let host_api = vendored(rust::files("x"), "vendor/host-api/src/");
        assert_eq!(host_api, tree(&root.join("host-api/src")));
    }

    #[test]
    fn a_project_has_its_manifest_wit_and_readme() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("greeter");
        write_project(&dir, "greeter", Language::Python).unwrap();
        let project = Project::read(&dir).unwrap();
        assert_eq!(project.language, Language::Python);
        assert_eq!(project.name, "greeter");
        assert!(dir.join("wit/deps/http.wit").is_file());
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(
            readme.contains("componentize-py -d wit -w algorithm-with-http"),
            "{readme}"
        );
        // Not over an existing project.
        let err = write_project(&dir, "greeter", Language::C).unwrap_err();
        assert!(
            err.to_string().contains("already exists and is not empty"),
            "{err}"
        );
    }

    #[test]
    fn names_must_be_algorithm_names() {
        assert!(check_name("word_count2").is_ok());
        for bad in ["", "2x", "a-b", "../x", "é"] {
            let err = check_name(bad).unwrap_err();
            assert!(
                err.to_string().contains("is not an algorithm name"),
                "{bad}: {err}"
            );
        }
    }
}
