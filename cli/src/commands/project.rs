//! `algobox.toml`: what `algobox new` records about a project, so that
//! `algobox build` knows how to build it.

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::commands::language::Language;

/// The manifest's file name, at the project's root.
pub(crate) const MANIFEST: &str = "algobox.toml";

/// A project: its name (also the `.wasm` file's) and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Project {
    pub(crate) name: String,
    pub(crate) language: Language,
}

impl Project {
    /// The manifest's text.
    pub(crate) fn to_toml(&self) -> String {
        format!(
            "# Written by `algobox new`; `algobox build` reads it.\nname = \"{}\"\nlanguage = \"{}\"\n",
            self.name, self.language
        )
    }

    /// Reads the manifest in `dir`.
    pub(crate) fn read(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {}; run `algobox build` in a folder made by `algobox new`",
                path.display()
            )
        })?;
        Self::parse(&text).with_context(|| format!("{} is not valid", path.display()))
    }

    /// Parses `key = "value"` lines (the only form `algobox new` writes).
    fn parse(text: &str) -> anyhow::Result<Self> {
        let mut name = None;
        let mut language = None;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                bail!("`{line}` is not `key = \"value\"`");
            };
            let value = value.trim().trim_matches('"').to_owned();
            match key.trim() {
                "name" => name = Some(value),
                "language" => {
                    language = Some(value.parse::<Language>().map_err(anyhow::Error::msg)?)
                }
                other => bail!("unknown key `{other}`; expected `name` and `language`"),
            }
        }
        Ok(Self {
            name: name.context("`name` is missing")?,
            language: language.context("`language` is missing")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_manifest_reads_back() {
        let project = Project {
            name: "word_count".into(),
            language: Language::Javascript,
        };
        assert_eq!(Project::parse(&project.to_toml()).unwrap(), project);
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        let err = Project::parse("name = \"x\"\nlanguage = \"cobol\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown language `cobol`"),
            "{err}"
        );
        let err = Project::parse("name = \"x\"").unwrap_err();
        assert!(err.to_string().contains("`language` is missing"), "{err}");
    }
}
