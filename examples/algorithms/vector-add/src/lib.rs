//! GPU compute in its simplest form: adds two vectors element by element
//! with a WGSL kernel. Publish it with `settings.environment: gpu`; as a
//! `cpu` algorithm every GPU call fails with `PermissionDenied`.
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p vector-add
//! target/release/algobox run --gpu target/wasm32-wasip2/release/vector_add.wasm -d '{"a":[1,2,3],"b":[10,20,30]}'
//! ```
//!
//! prints `{"sum":[11.0,22.0,33.0]}`. Vectors of different lengths are an
//! `InputError`.

use algobox_guest_sdk::gpu::{Buffer, Kernel};
use algobox_guest_sdk::{AlgoError, Json, export_function};
use serde::{Deserialize, Serialize};

/// One invocation per element; `num_workgroups` lets long vectors spread
/// over y when x runs out (65,535 workgroups per dimension).
const ADD: &str = "
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> sum: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.y * groups.x * 64u + id.x;
    if i < arrayLength(&sum) {
        sum[i] = a[i] + b[i];
    }
}
";

/// Workgroups per dimension the GPU accepts.
const MAX_GROUPS: u32 = 65_535;

/// The input: `{"a": [...], "b": [...]}`.
#[derive(Debug, Deserialize)]
struct Request {
    a: Vec<f32>,
    b: Vec<f32>,
}

/// The output: `{"sum": [...]}`.
#[derive(Debug, Serialize)]
struct Sum {
    sum: Vec<f32>,
}

/// Adds `a` and `b` on the GPU.
fn apply(Json(request): Json<Request>) -> Result<Json<Sum>, AlgoError> {
    if request.a.len() != request.b.len() {
        return Err(AlgoError::input(format!(
            "`a` has {} numbers and `b` {}; pass two vectors of the same length",
            request.a.len(),
            request.b.len()
        )));
    }
    if request.a.is_empty() {
        return Ok(Json(Sum { sum: Vec::new() }));
    }
    let a = Buffer::from_f32s(&request.a)?;
    let b = Buffer::from_f32s(&request.b)?;
    let sum = Buffer::new(a.size())?;
    let kernel = Kernel::compile(ADD, "main")?;
    let groups = u32::try_from(request.a.len().div_ceil(64))
        .map_err(|_| AlgoError::input("the vectors are too long for one dispatch"))?;
    let (x, y) = (groups.min(MAX_GROUPS), groups.div_ceil(MAX_GROUPS));
    kernel.dispatch(&[(0, &a), (1, &b), (2, &sum)], (x, y, 1))?;
    Ok(Json(Sum {
        sum: sum.read_f32s()?,
    }))
}

export_function!(apply);
