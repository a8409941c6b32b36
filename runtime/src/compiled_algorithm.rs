//! An algorithm compiled and checked once by [`Runtime::register`](crate::Runtime::register), ready to invoke many times.

use std::fmt;
use std::sync::Arc;

use algobox_host_api::LIFECYCLE_EXPORT;
use wasmtime::component::{Component, Linker};

use crate::content_hash::ContentHash;
use crate::error::RegisterError;
use crate::sandbox::SandboxState;
use crate::sandbox::prepared::Prepared;
use crate::sandbox::spare::SpareShelf;

/// An algorithm compiled, checked against the guest contract and linked:
/// ready to invoke any number of times, each time on a fresh instance.
///
/// Get one from [`Runtime::register`](crate::Runtime::register). Cloning is
/// cheap.
#[derive(Clone)]
pub struct CompiledAlgorithm {
    hash: ContentHash,
    pub(crate) pre: Arc<Prepared>,
    /// Its next instance, when one was made ahead of the call.
    pub(crate) spare: Arc<SpareShelf>,
}

/// How an algorithm is called, decided at registration from its exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmKind {
    /// An algorithm of the guest SDK: its input and result go through the
    /// Hkube lifecycle export.
    Lifecycle,
    /// A plain WASI program (`wasi:cli/run`, or a `wasm32-wasip1` module
    /// made into one at upload): its input is stdin and its result stdout.
    Command,
}

impl CompiledAlgorithm {
    /// The SHA-256 of the algorithm's bytes (for a `wasm32-wasip1` module,
    /// of the component it was made into).
    pub fn hash(&self) -> &ContentHash {
        &self.hash
    }

    /// How the algorithm is called.
    pub fn kind(&self) -> AlgorithmKind {
        self.pre.kind()
    }

    /// Whether an instance is ready for its next call, made ahead of it
    /// (see [`Limits::spare_instances`](crate::limits::Limits::spare_instances)).
    pub fn has_spare(&self) -> bool {
        self.spare.is_ready()
    }

    /// Checks a compiled component against the contract and links it.
    pub(crate) fn link(
        hash: ContentHash,
        component: &Component,
        linker: &Linker<SandboxState>,
    ) -> Result<Self, RegisterError> {
        let kind = check_interface(component, linker.engine())?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(|err| RegisterError::Link(format!("{err:#}")))?;
        let pre =
            Prepared::new(pre, kind).map_err(|err| RegisterError::Link(format!("{err:#}")))?;
        Ok(Self {
            hash,
            pre: Arc::new(pre),
            spare: Arc::default(),
        })
    }
}

impl fmt::Debug for CompiledAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledAlgorithm")
            .field("hash", &self.hash)
            .finish()
    }
}

/// The export a plain WASI program runs through, any WASI 0.2 version.
pub(crate) const COMMAND_EXPORT: &str = "wasi:cli/run@0.2.";

/// Import namespaces an algorithm may use: ours, and the WASI 0.2
/// interfaces wasmtime-wasi links (which grant nothing unless the store's
/// `WasiCtx` does).
pub(crate) const SUPPORTED_IMPORTS: &[&str] = &[
    "algobox:algorithm/",
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:http/",
    "wasi:io/",
    "wasi:random/",
    "wasi:sockets/",
];

/// What an upload's header says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    /// A core module: run only as a `wasm32-wasip1` command.
    CoreModule,
    /// A component.
    Component,
}

/// Checks the bytes' header before compiling, to name the mistake.
pub(crate) fn check_header(wasm: &[u8]) -> Result<Layer, RegisterError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE: [u8; 4] = [1, 0, 0, 0];
    const COMPONENT: [u8; 4] = [0x0d, 0, 1, 0];
    if wasm.len() < 8 || &wasm[..4] != MAGIC {
        return Err(RegisterError::NotWasm);
    }
    match <[u8; 4]>::try_from(&wasm[4..8]).expect("four bytes") {
        CORE_MODULE => Ok(Layer::CoreModule),
        COMPONENT => Ok(Layer::Component),
        _ => Err(RegisterError::Compile(format!(
            "unknown WebAssembly version or layer {:02x?}; build for `wasm32-wasip2` with a current Rust toolchain",
            &wasm[4..8]
        ))),
    }
}

/// Checks exports and imports by name, so the error says which one is
/// wrong, and tells the kind from the exports: the lifecycle wins when a
/// component has both, since it is the richer contract.
fn check_interface(
    component: &Component,
    engine: &wasmtime::Engine,
) -> Result<AlgorithmKind, RegisterError> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let kind = if exports.contains(&LIFECYCLE_EXPORT) {
        AlgorithmKind::Lifecycle
    } else if exports.iter().any(|name| name.starts_with(COMMAND_EXPORT)) {
        AlgorithmKind::Command
    } else {
        return Err(RegisterError::MissingExport {
            expected: LIFECYCLE_EXPORT,
            found: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            },
        });
    };
    for (name, _) in ty.imports(engine) {
        if !SUPPORTED_IMPORTS
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            return Err(RegisterError::UnsupportedImport {
                name: name.to_owned(),
            });
        }
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_the_mistake() {
        assert!(matches!(
            check_header(b"hello"),
            Err(RegisterError::NotWasm)
        ));
        assert!(matches!(
            check_header(b"\0asm\x01\0\0\0"),
            Ok(Layer::CoreModule)
        ));
        assert!(matches!(
            check_header(b"\0asm\x0d\0\x01\0"),
            Ok(Layer::Component)
        ));
        assert!(matches!(
            check_header(b"\0asm\x0e\0\x01\0"),
            Err(RegisterError::Compile(_))
        ));
    }
}
