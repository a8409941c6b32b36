//! [`Json<T>`]: any serde type as a `json` input or output.

use std::ops::{Deref, DerefMut};

use algobox_host_api::{AlgoError, Payload};
use serde::{Serialize, de::DeserializeOwned};

use crate::{FromPayload, IntoOutput, input};

/// A serde value that travels as `json`: take `Json<MyInput>` as an input to
/// get it deserialized, return `Json<MyOutput>` to get it serialized.
///
/// # Example
///
/// ```
/// use algobox_guest_sdk::{FromPayload, IntoOutput, Json, Payload};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Point { x: i32 }
///
/// let Json(point) = Json::<Point>::from_payload(Payload::Json(r#"{"x":3}"#.into())).unwrap();
/// assert_eq!(point.x, 3);
/// assert_eq!(Json([1, 2]).into_output().unwrap(), Payload::Json("[1,2]".into()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned + 'static> FromPayload for Json<T> {
    fn from_payload(payload: Payload) -> Result<Self, AlgoError> {
        let json = input::json_text(payload)?;
        serde_json::from_str(&json).map(Json).map_err(|err| {
            AlgoError::input(format!(
                "the `json` input does not have the shape this algorithm expects: {err}; \
                 check the algorithm's documentation for its input format"
            ))
        })
    }
}

impl<T: Serialize> IntoOutput for Json<T> {
    fn into_output(self) -> Result<Payload, AlgoError> {
        Payload::json(&self.0).map_err(|err| {
            AlgoError::new(format!(
                "the result could not be serialized as JSON: {err}; \
                 return a value serde can represent (for example, maps with string keys)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::{FromInput, Inputs};

    #[derive(Debug, Deserialize, PartialEq)]
    struct Numbers {
        numbers: Vec<f64>,
    }

    #[test]
    fn json_wrapper_names_the_shape_error() {
        let ok = Json::<Numbers>::from_inputs(Inputs::new(vec![Payload::Json(
            r#"{"numbers":[1,2]}"#.into(),
        )]))
        .unwrap();
        assert_eq!(ok.numbers, vec![1.0, 2.0]);
        let err = Json::<Numbers>::from_payload(Payload::Json(r#"{"n":1}"#.into())).unwrap_err();
        assert_eq!(err.code, AlgoError::INPUT_ERROR);
        assert!(err.message.contains("numbers"), "{}", err.message);
        let err = Json::<Numbers>::from_payload(Payload::binary(vec![])).unwrap_err();
        assert!(err.message.contains("`json`"), "{}", err.message);
    }

    #[test]
    fn json_output_fails_cleanly_for_unserializable_values() {
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1], 2);
        let err = Json(map).into_output().unwrap_err();
        assert_eq!(err.code, AlgoError::ALGORITHM_ERROR);
    }
}
