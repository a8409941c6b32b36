//! A `wasm32-wasip1` command (a core module with `_start`) made into a
//! `wasi:cli/command` component, so the module store and the compiler only
//! ever see components.
//!
//! The conversion wraps the module with wasmtime's own preview1 *command*
//! adapter, of the version matching the wasmtime this crate runs, which
//! implements `wasi_snapshot_preview1` on WASI 0.2 and exports `wasi:cli/run`
//! calling the module's `_start`. It runs once, at upload: the result is
//! what is hashed, stored and compiled.

use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
};
use wasmparser::{ExternalKind, Parser, Payload};
use wit_component::ComponentEncoder;

use crate::component_limits::ComponentLimits;
use crate::error::RegisterError;

/// Turns the preview1 core module `module` into a command component.
///
/// The module's structure is checked against `limits` first, so an
/// oversized module is refused before the encoder parses it whole; the
/// component is checked again by the compiler.
pub(crate) fn componentize(
    module: &[u8],
    limits: &ComponentLimits,
) -> Result<Vec<u8>, RegisterError> {
    limits.check(module)?;
    if !exports_start(module) {
        return Err(RegisterError::CoreModule(
            "it exports no `_start` function, so it is not a WASI command".to_owned(),
        ));
    }
    ComponentEncoder::default()
        .validate(true)
        .module(module)
        .and_then(|encoder| {
            encoder.adapter(
                WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
        })
        .and_then(|mut encoder| encoder.encode())
        .map_err(|err| RegisterError::CoreModule(format!("{err:#}")))
}

/// Whether the module exports a function named `_start`. Malformed bytes
/// answer no; the encoder would refuse them anyway.
fn exports_start(module: &[u8]) -> bool {
    for payload in Parser::new(0).parse_all(module) {
        let Ok(payload) = payload else {
            return false;
        };
        if let Payload::ExportSection(exports) = payload {
            return exports.into_iter().any(|export| {
                export.is_ok_and(|export| {
                    export.name == "_start" && export.kind == ExternalKind::Func
                })
            });
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_without_start_is_refused_with_the_reason() {
        let err = componentize(b"\0asm\x01\0\0\0", &ComponentLimits::default()).unwrap_err();
        assert!(matches!(err, RegisterError::CoreModule(_)), "{err:?}");
        assert!(err.to_string().contains("no `_start`"), "{err}");
    }
}
