//! A real GPU kernel: multiplies two matrices with a tiled WGSL kernel
//! (`matmul.wgsl`), passing the sizes in a uniform buffer. Publish it with
//! `settings.environment: gpu`.
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p matrix-multiply
//! target/release/algobox run --gpu target/wasm32-wasip2/release/matrix_multiply.wasm -d '{"a":[[1,2],[3,4]],"b":[[5,6],[7,8]]}'
//! ```
//!
//! prints `{"product":[[19.0,22.0],[43.0,50.0]]}`. Ragged rows, or `a`'s
//! columns not matching `b`'s rows, are an `InputError`.

use algobox_guest_sdk::gpu::{Buffer, Kernel};
use algobox_guest_sdk::{AlgoError, Json, export_function};
use serde::{Deserialize, Serialize};

/// The kernel, shared with the native side of the benchmark.
const MATMUL: &str = include_str!("matmul.wgsl");

/// The kernel's workgroup is `TILE`×`TILE` invocations.
const TILE: u32 = 16;

/// The input: `{"a": [[...], ...], "b": [[...], ...]}`, rows of numbers.
#[derive(Debug, Deserialize)]
struct Request {
    a: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
}

/// The output: `{"product": [[...], ...]}`.
#[derive(Debug, Serialize)]
struct Product {
    product: Vec<Vec<f32>>,
}

/// Multiplies `a` by `b` on the GPU.
fn apply(Json(request): Json<Request>) -> Result<Json<Product>, AlgoError> {
    let (m, k) = shape("a", &request.a)?;
    let (k2, n) = shape("b", &request.b)?;
    if k != k2 {
        return Err(AlgoError::input(format!(
            "`a` is {m}×{k} and `b` is {k2}×{n}; `a` needs as many columns as `b` has rows"
        )));
    }
    let a: Vec<f32> = request.a.concat();
    let b: Vec<f32> = request.b.concat();
    let c = multiply(m, k, n, &a, &b)?;
    Ok(Json(Product {
        product: c.chunks(n as usize).map(<[f32]>::to_vec).collect(),
    }))
}

/// `a` (m×k) times `b` (k×n), row-major.
fn multiply(m: u32, k: u32, n: u32, a: &[f32], b: &[f32]) -> Result<Vec<f32>, AlgoError> {
    let dims = Buffer::from_u32s(&[m, k, n, 0])?;
    let a = Buffer::from_f32s(a)?;
    let b = Buffer::from_f32s(b)?;
    let c = Buffer::new(u64::from(m) * u64::from(n) * 4)?;
    let kernel = Kernel::compile(MATMUL, "main")?;
    kernel.dispatch(
        &[(0, &dims), (1, &a), (2, &b), (3, &c)],
        (n.div_ceil(TILE), m.div_ceil(TILE), 1),
    )?;
    Ok(c.read_f32s()?)
}

/// The rows and columns of a non-empty matrix with rows of equal length.
fn shape(name: &str, rows: &[Vec<f32>]) -> Result<(u32, u32), AlgoError> {
    let columns = rows.first().map_or(0, Vec::len);
    if columns == 0 {
        return Err(AlgoError::input(format!(
            "`{name}` is empty; pass at least one number"
        )));
    }
    if let Some((index, row)) = rows
        .iter()
        .enumerate()
        .find(|(_, row)| row.len() != columns)
    {
        return Err(AlgoError::input(format!(
            "row {index} of `{name}` has {} numbers but row 0 has {columns}; rows must be equally long",
            row.len()
        )));
    }
    let too_big = || AlgoError::input(format!("`{name}` is too large"));
    Ok((
        u32::try_from(rows.len()).map_err(|_| too_big())?,
        u32::try_from(columns).map_err(|_| too_big())?,
    ))
}

export_function!(apply);
