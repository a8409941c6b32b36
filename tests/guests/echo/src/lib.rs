//! Returns its single input unchanged (any content type); given several,
//! returns a JSON array of their content-type names such as
//! `["text","json"]`. Exists to test payload round trips and positional
//! inputs.

use algobox_guest_sdk::{AlgoError, Inputs, IntoOutput, Json, Payload, export_function};

/// Echoes one input, or describes several.
fn apply(inputs: Inputs) -> Result<Payload, AlgoError> {
    if inputs.len() == 1 {
        return Ok(inputs.into_vec().remove(0));
    }
    let names: Vec<&str> = inputs
        .content_types()
        .into_iter()
        .map(|content_type| content_type.as_str())
        .collect();
    Json(names).into_output()
}

export_function!(apply);
