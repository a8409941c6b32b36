//! The guest side of the GPU benchmark (`gpu-worker/benches/gpu.rs`), which
//! runs the same kernels natively on the same adapter.
//!
//! Input `{"op": "matmul", "n": N}`: multiplies two N×N matrices made by
//! [`matrix`] with the matrix-multiply example's kernel and returns
//! `{"checksum": <sum of the product>}`. Input `{"op": "tiny", "dispatches":
//! D}`: dispatches a one-invocation kernel D times, then reads its counter
//! once: `{"count": D}`.

use algobox_guest_sdk::gpu::{Buffer, Kernel};
use algobox_guest_sdk::{AlgoError, Json, export_function};
use serde::Deserialize;
use serde_json::{Value, json};

const MATMUL: &str =
    include_str!("../../../../examples/algorithms/matrix-multiply/src/matmul.wgsl");
const TINY: &str = include_str!("tiny.wgsl");

/// What to run.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Request {
    Matmul { n: u32 },
    Tiny { dispatches: u32 },
}

/// A deterministic N×N matrix; the benchmark's native side makes the same.
fn matrix(n: u32, seed: u32) -> Vec<f32> {
    (0..n * n)
        .map(|i| ((i * seed) % 17) as f32 / 17.0)
        .collect()
}

fn bench(Json(request): Json<Request>) -> Result<Json<Value>, AlgoError> {
    Ok(Json(match request {
        Request::Matmul { n } => {
            let dims = Buffer::from_u32s(&[n, n, n, 0])?;
            let a = Buffer::from_f32s(&matrix(n, 7))?;
            let b = Buffer::from_f32s(&matrix(n, 5))?;
            let c = Buffer::new(u64::from(n) * u64::from(n) * 4)?;
            let kernel = Kernel::compile(MATMUL, "main")?;
            kernel.dispatch(
                &[(0, &dims), (1, &a), (2, &b), (3, &c)],
                (n.div_ceil(16), n.div_ceil(16), 1),
            )?;
            let checksum: f64 = c.read_f32s()?.iter().map(|v| f64::from(*v)).sum();
            json!({"checksum": checksum})
        }
        Request::Tiny { dispatches } => {
            let counter = Buffer::new(4)?;
            let kernel = Kernel::compile(TINY, "main")?;
            for _ in 0..dispatches {
                kernel.dispatch(&[(0, &counter)], (1, 1, 1))?;
            }
            json!({"count": counter.read_u32s()?[0]})
        }
    }))
}

export_function!(bench);
