//! Caps on a component's structure, checked before it is compiled.
//!
//! Compiling costs the server memory and CPU that grow with what the bytes
//! describe, not with their size: 298 KB of components nested 25,000 deep
//! took a compile past 6 GB, and one 7 MB function took 10.6 s. A single
//! pass over the bytes, without validating or compiling them, measures
//! what drives that cost, so a bomb is refused in milliseconds. The exact
//! numbers of core instances, memories and tables (after wasmtime flattens
//! nested components) are enforced again when the compiled code is loaded,
//! by the instance pool's per-component caps, which are these same numbers.

use wasmparser::{Instance, Parser, Payload};

use crate::error::RegisterError;

/// Caps on what one component may contain.
///
/// The defaults leave ample room for what real toolchains produce (measured
/// in the README's "Compile limits"): a Rust `wasm32-wasip2` algorithm, a
/// Python one from `componentize-py` (whose interpreter carries the largest
/// function bodies and the most functions) and a JavaScript one from
/// `componentize-js`.
///
/// # Example
///
/// ```
/// use algobox_runtime::component_limits::ComponentLimits;
///
/// let limits = ComponentLimits::default();
/// // A component header with nothing inside fits any limits.
/// assert!(limits.check(b"\0asm\x0d\0\x01\0").is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComponentLimits {
    /// How deep components and modules may nest inside each other (a
    /// component holding core modules is 2 deep).
    pub nesting: u32,
    /// Core module instances one instance of the component creates.
    pub core_instances: u32,
    /// Linear memories it defines, all core instances together.
    pub memories: u32,
    /// Tables it defines, all core instances together.
    pub tables: u32,
    /// Functions with bodies, all modules together.
    pub functions: u32,
    /// Bytes of the largest function body.
    pub function_body: u32,
}

impl Default for ComponentLimits {
    fn default() -> Self {
        Self {
            nesting: 8,
            core_instances: 64,
            memories: 4,
            tables: 16,
            functions: 250_000,
            function_body: 1 << 20,
        }
    }
}

/// What [`ComponentLimits::check`] counted in a component.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComponentShape {
    /// The deepest nesting of components and modules.
    pub nesting: u32,
    /// Core modules instantiated, all levels together.
    pub core_instances: u32,
    /// Memories defined by its modules.
    pub memories: u32,
    /// Tables defined by its modules.
    pub tables: u32,
    /// Functions with bodies.
    pub functions: u32,
    /// Bytes of the largest function body.
    pub largest_function_body: u32,
}

impl ComponentLimits {
    /// Measures `wasm` in one pass and checks it against the limits,
    /// stopping at the first one it exceeds. Malformed bytes pass here and
    /// fail in the compiler, which names the error precisely.
    ///
    /// The counts are of what the bytes declare: a module instantiated twice
    /// counts once here, and the compiled code's exact counts are checked
    /// when it is loaded.
    pub fn check(&self, wasm: &[u8]) -> Result<ComponentShape, RegisterError> {
        let mut shape = ComponentShape::default();
        let mut depth = 0u32;
        for payload in Parser::new(0).parse_all(wasm) {
            let Ok(payload) = payload else {
                // The compiler reports malformed bytes with their offset.
                break;
            };
            match payload {
                Payload::Version { .. } => {
                    depth += 1;
                    shape.nesting = shape.nesting.max(depth);
                    exceeds(
                        shape.nesting,
                        self.nesting,
                        "levels of nested components and modules",
                    )?;
                }
                Payload::End(_) => depth = depth.saturating_sub(1),
                Payload::InstanceSection(reader) => {
                    // Bundles of exports are not instances of a module and
                    // cost nothing; componentize-py declares 54 of them.
                    let instantiations = reader
                        .into_iter()
                        .filter(|instance| matches!(instance, Ok(Instance::Instantiate { .. })))
                        .count();
                    let instantiations = u32::try_from(instantiations).unwrap_or(u32::MAX);
                    shape.core_instances = shape.core_instances.saturating_add(instantiations);
                    exceeds(shape.core_instances, self.core_instances, "core instances")?;
                }
                Payload::MemorySection(reader) => {
                    shape.memories = shape.memories.saturating_add(reader.count());
                    exceeds(shape.memories, self.memories, "linear memories")?;
                }
                Payload::TableSection(reader) => {
                    shape.tables = shape.tables.saturating_add(reader.count());
                    exceeds(shape.tables, self.tables, "tables")?;
                }
                Payload::FunctionSection(reader) => {
                    shape.functions = shape.functions.saturating_add(reader.count());
                    exceeds(shape.functions, self.functions, "functions")?;
                }
                Payload::CodeSectionEntry(body) => {
                    let size = u32::try_from(body.range().len()).unwrap_or(u32::MAX);
                    shape.largest_function_body = shape.largest_function_body.max(size);
                    exceeds(size, self.function_body, "bytes in one function body")?;
                }
                _ => {}
            }
        }
        Ok(shape)
    }
}

fn exceeds(found: u32, limit: u32, what: &'static str) -> Result<(), RegisterError> {
    if found > limit {
        return Err(RegisterError::TooComplex { what, found, limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component with `depth` components nested inside each other.
    fn nested(depth: usize) -> Vec<u8> {
        const HEADER: &[u8] = b"\0asm\x0d\0\x01\0";
        let mut wasm = HEADER.to_vec();
        for _ in 1..depth {
            // A component section (id 4) whose content is the component so far.
            let mut outer = HEADER.to_vec();
            outer.push(4);
            leb128(&mut outer, wasm.len());
            outer.extend_from_slice(&wasm);
            wasm = outer;
        }
        wasm
    }

    fn leb128(out: &mut Vec<u8>, mut value: usize) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    #[test]
    fn nesting_is_measured_and_capped() {
        let limits = ComponentLimits::default();
        assert_eq!(limits.check(&nested(3)).unwrap().nesting, 3);
        let err = limits.check(&nested(12)).unwrap_err();
        assert!(
            matches!(
                err,
                RegisterError::TooComplex {
                    found: 9,
                    limit: 8,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("9 levels of nested"), "{err}");
    }
}
