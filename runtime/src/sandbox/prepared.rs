//! A component linked against the sandbox and checked for the export its
//! kind is called through, ready to instantiate.

use wasmtime::component::InstancePre;
use wasmtime_wasi::p2::bindings::CommandPre;

use super::SandboxState;
use super::bindings::AlgorithmPre;
use crate::compiled_algorithm::AlgorithmKind;

/// A linked algorithm of either kind.
pub(crate) enum Prepared {
    /// An algorithm of the guest SDK, called through its lifecycle.
    Lifecycle(AlgorithmPre<SandboxState>),
    /// A plain WASI program, called through `wasi:cli/run`.
    Command(CommandPre<SandboxState>),
}

impl Prepared {
    /// Checks that `pre` has the export `kind` is called through.
    pub(crate) fn new(
        pre: InstancePre<SandboxState>,
        kind: AlgorithmKind,
    ) -> wasmtime::Result<Self> {
        Ok(match kind {
            AlgorithmKind::Lifecycle => Self::Lifecycle(AlgorithmPre::new(pre)?),
            AlgorithmKind::Command => Self::Command(CommandPre::new(pre)?),
        })
    }

    /// How the algorithm is called.
    pub(crate) fn kind(&self) -> AlgorithmKind {
        match self {
            Self::Lifecycle(_) => AlgorithmKind::Lifecycle,
            Self::Command(_) => AlgorithmKind::Command,
        }
    }

    /// The engine it was compiled for.
    pub(crate) fn engine(&self) -> &wasmtime::Engine {
        match self {
            Self::Lifecycle(pre) => pre.engine(),
            Self::Command(pre) => pre.engine(),
        }
    }
}
