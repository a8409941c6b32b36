//! Typed JSON in and out with serde structs and `Json<T>`: summarizes a list
//! of numbers.
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p summary
//! target/release/algobox run target/wasm32-wasip2/release/summary.wasm -d '{"numbers":[1,2,3.5]}'
//! ```
//!
//! prints `{"count":3,"mean":2.1666666666666665,"min":1.0,"max":3.5}`. An
//! empty list is an `InputError`.

use algobox_guest_sdk::{AlgoError, Json, export_function};
use serde::{Deserialize, Serialize};

/// The input: `{"numbers": [...]}`.
#[derive(Debug, Deserialize)]
struct Request {
    numbers: Vec<f64>,
}

/// The output.
#[derive(Debug, Serialize, PartialEq)]
struct Summary {
    count: usize,
    mean: f64,
    min: f64,
    max: f64,
}

/// Counts the numbers and finds their mean and range.
fn apply(Json(request): Json<Request>) -> Result<Json<Summary>, AlgoError> {
    summarize(&request.numbers).map(Json)
}

/// The arithmetic, apart from the JSON, so it is testable natively.
fn summarize(numbers: &[f64]) -> Result<Summary, AlgoError> {
    if numbers.is_empty() {
        return Err(AlgoError::input(
            "`numbers` is empty; pass at least one number, e.g. {\"numbers\":[1,2,3.5]}",
        ));
    }
    let min = numbers.iter().copied().fold(f64::INFINITY, f64::min);
    let max = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let count = numbers.len();
    let mean = numbers.iter().sum::<f64>() / count as f64;
    Ok(Summary {
        count,
        mean,
        min,
        max,
    })
}

export_function!(apply);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_and_rejects_empty_lists() {
        let summary = summarize(&[1.0, 2.0, 3.5]).unwrap();
        assert_eq!(summary.count, 3);
        assert_eq!((summary.min, summary.max), (1.0, 3.5));
        assert!((summary.mean - 6.5 / 3.0).abs() < 1e-12);
        assert_eq!(summarize(&[]).unwrap_err().code, "InputError");
    }
}
