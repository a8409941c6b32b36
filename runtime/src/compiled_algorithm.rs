//! An algorithm compiled and checked once by [`Runtime::register`](crate::Runtime::register), ready to invoke many times.

use std::fmt;
use std::sync::Arc;

use algobox_host_api::LIFECYCLE_EXPORT;
use wasmtime::component::{Component, Linker};

use crate::content_hash::ContentHash;
use crate::error::RegisterError;
use crate::sandbox::{self, AlgorithmPre, SandboxState};

/// An algorithm compiled, checked against the guest contract and linked:
/// ready to invoke any number of times, each time on a fresh instance.
///
/// Get one from [`Runtime::register`](crate::Runtime::register). Cloning is
/// cheap.
#[derive(Clone)]
pub struct CompiledAlgorithm {
    hash: ContentHash,
    pub(crate) pre: Arc<AlgorithmPre>,
}

impl CompiledAlgorithm {
    /// The SHA-256 of the algorithm's bytes.
    pub fn hash(&self) -> &ContentHash {
        &self.hash
    }

    /// Checks a compiled component against the contract and links it.
    pub(crate) fn link(
        hash: ContentHash,
        component: &Component,
        linker: &Linker<SandboxState>,
    ) -> Result<Self, RegisterError> {
        check_interface(component, linker.engine())?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(|err| RegisterError::Link(format!("{err:#}")))?;
        let pre = sandbox::prepare(pre).map_err(|err| RegisterError::Link(format!("{err:#}")))?;
        Ok(Self {
            hash,
            pre: Arc::new(pre),
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

/// Checks the bytes' header before compiling, to name the mistake.
pub(crate) fn check_header(wasm: &[u8]) -> Result<(), RegisterError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE: [u8; 4] = [1, 0, 0, 0];
    const COMPONENT: [u8; 4] = [0x0d, 0, 1, 0];
    if wasm.len() < 8 || &wasm[..4] != MAGIC {
        return Err(RegisterError::NotWasm);
    }
    match <[u8; 4]>::try_from(&wasm[4..8]).expect("four bytes") {
        CORE_MODULE => Err(RegisterError::CoreModule),
        COMPONENT => Ok(()),
        _ => Err(RegisterError::Compile(format!(
            "unknown WebAssembly version or layer {:02x?}; build for `wasm32-wasip2` with a current Rust toolchain",
            &wasm[4..8]
        ))),
    }
}

/// Checks exports and imports by name, so the error says which one is wrong.
fn check_interface(component: &Component, engine: &wasmtime::Engine) -> Result<(), RegisterError> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    if !exports.contains(&LIFECYCLE_EXPORT) {
        if exports.iter().any(|name| name.starts_with("wasi:cli/run@")) {
            return Err(RegisterError::WasiCommand);
        }
        return Err(RegisterError::MissingExport {
            expected: LIFECYCLE_EXPORT,
            found: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            },
        });
    }
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
    Ok(())
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
            Err(RegisterError::CoreModule)
        ));
        assert!(check_header(b"\0asm\x0d\0\x01\0").is_ok());
        assert!(matches!(
            check_header(b"\0asm\x0e\0\x01\0"),
            Err(RegisterError::Compile(_))
        ));
    }
}
