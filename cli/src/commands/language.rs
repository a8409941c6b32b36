//! The languages `algobox new` and `algobox build` know.

use std::fmt;
use std::str::FromStr;

/// A language an algorithm project is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Language {
    /// Rust with the guest SDK (vendored), built by cargo for wasm32-wasip2.
    Rust,
    /// Python with the Python SDK (vendored), built by componentize-py.
    Python,
    /// JavaScript with the JavaScript SDK (vendored), built by componentize-js.
    Javascript,
    /// C as a plain WASI program (stdin to stdout), built by clang.
    C,
}

impl Language {
    /// The name in `algobox.toml` and on the command line.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::Javascript => "javascript",
            Self::C => "c",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "rust" => Ok(Self::Rust),
            "python" => Ok(Self::Python),
            "javascript" => Ok(Self::Javascript),
            "c" => Ok(Self::C),
            other => Err(format!(
                "unknown language `{other}`; use rust, python, javascript or c"
            )),
        }
    }
}
