//! Exercises the GPU interface's failure paths and reports what happened as
//! JSON the tests read: `{"error": "<kind>", "message": ..., "line": ...,
//! "column": ...}`, or what it found.
//!
//! Input: `{"case": NAME}`, NAME one of
//! - `adapter`: the adapter, or the error (permission, no adapter) as the
//!   algorithm's own error;
//! - `limits`: the invocation's quotas;
//! - `invalid-wgsl`: compiles WGSL with a type error on line 4, column 9;
//! - `oversized`: a buffer one word past the per-buffer quota;
//! - `too-many`: buffers until the count quota refuses one;
//! - `mismatch`: a dispatch whose bindings do not match the kernel, then a
//!   read, which reports the dispatch's error;
//! - `runaway`: a dispatch that would run for hours, then a read;
//! - `hold`: creates three buffers (1 MiB, 1 MiB, 12 bytes) and a kernel,
//!   forgets them so that only the end of the invocation can free them, and
//!   waits for a stop.

use algobox_guest_sdk::gpu::{self, Buffer, GpuError, Kernel};
use algobox_guest_sdk::{AlgoError, Json, context, export_function};
use serde::Deserialize;
use serde_json::{Value, json};

/// What to try.
#[derive(Deserialize)]
struct Request {
    case: String,
}

/// `x` is a `u32` initialized with a float: a type error at 4:9.
const INVALID: &str = "@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
    var x: u32 = 1.5;
    out[0] = x;
}
";

/// Reads binding 0 and writes binding 1.
const COPY: &str = "@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@compute @workgroup_size(1)
fn main() {
    output[0] = input[0];
}
";

/// Each invocation spins 60,000 times (within lavapipe's 65,535-iteration
/// loop cap); dispatched over 4 million workgroups of 64 it would run for
/// days on any GPU.
const RUNAWAY: &str = "@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    var x = id.x ^ id.y;
    for (var i = 0u; i < 60000u; i++) {
        x = x * 1664525u + 1013904223u;
    }
    if x == 7u {
        out[0] = x;
    }
}
";

fn probe(Json(request): Json<Request>) -> Result<Json<Value>, AlgoError> {
    let outcome = match request.case.as_str() {
        "adapter" => {
            let adapter = gpu::adapter()?;
            return Ok(Json(json!({
                "name": adapter.name,
                "backend": adapter.backend,
                "device_type": adapter.device_type,
            })));
        }
        "limits" => {
            let limits = gpu::limits();
            return Ok(Json(json!({
                "max_buffer_bytes": limits.max_buffer_bytes,
                "max_buffers": limits.max_buffers,
                "max_workgroups_per_dimension": limits.max_workgroups_per_dimension,
            })));
        }
        "invalid-wgsl" => Kernel::compile(INVALID, "main").map(|_| json!({})),
        "oversized" => Buffer::new(gpu::limits().max_buffer_bytes + 4).map(|_| json!({})),
        "too-many" => {
            let mut buffers = Vec::new();
            let err = loop {
                match Buffer::new(16) {
                    Ok(buffer) => buffers.push(buffer),
                    Err(err) => break err,
                }
            };
            let mut found = describe(&err);
            found["created"] = json!(buffers.len());
            return Ok(Json(found));
        }
        "mismatch" => (|| {
            let input = Buffer::from_u32s(&[7])?;
            let kernel = Kernel::compile(COPY, "main")?;
            kernel.dispatch(&[(0, &input)], (1, 1, 1))?;
            input.read(0, 4).map(|_| json!({}))
        })(),
        "runaway" => (|| {
            let out = Buffer::new(4)?;
            let kernel = Kernel::compile(RUNAWAY, "main")?;
            kernel.dispatch(&[(0, &out)], (65_535, 64, 1))?;
            out.read(0, 4).map(|_| json!({}))
        })(),
        "hold" => (|| {
            let held = [
                Buffer::new(1 << 20)?,
                Buffer::new(1 << 20)?,
                Buffer::from_u32s(&[1, 2, 3])?,
            ];
            let kernel = Kernel::compile(COPY, "main")?;
            std::mem::forget(held);
            std::mem::forget(kernel);
            while !context::stop_requested() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Ok(json!({"held": 3}))
        })(),
        other => return Err(AlgoError::input(format!("no case `{other}`"))),
    };
    Ok(Json(match outcome {
        Ok(found) => found,
        Err(err) => describe(&err),
    }))
}

/// An error as the tests read it.
fn describe(err: &GpuError) -> Value {
    let kind = match err {
        GpuError::Unavailable(_) => "unavailable",
        GpuError::PermissionDenied(_) => "permission-denied",
        GpuError::QuotaExceeded(_) => "quota-exceeded",
        GpuError::Compile {
            line,
            column,
            message,
        } => {
            return json!({"error": "compile", "line": line, "column": column, "message": message});
        }
        GpuError::Validation(_) => "validation",
        GpuError::OutOfMemory(_) => "out-of-memory",
        GpuError::Timeout(_) => "timeout",
        GpuError::DeviceLost(_) => "device-lost",
    };
    json!({"error": kind, "message": err.to_string()})
}

export_function!(probe);
