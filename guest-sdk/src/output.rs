//! Encoding what an algorithm returns as a [`Payload`].

use algobox_host_api::{AlgoError, Payload};
use serde_json::Value;

/// A type an algorithm returns as its result.
///
/// `String` and `&'static str` are text, `Vec<u8>` is binary,
/// [`serde_json::Value`] and [`Json<T>`](crate::Json) are json, `()` is void,
/// and a [`Payload`] is sent as it is.
pub trait IntoOutput {
    /// Encodes the result; fails only when a value does not serialize.
    fn into_output(self) -> Result<Payload, AlgoError>;
}

impl IntoOutput for Payload {
    fn into_output(self) -> Result<Payload, AlgoError> {
        Ok(self)
    }
}

impl IntoOutput for String {
    fn into_output(self) -> Result<Payload, AlgoError> {
        Ok(Payload::Text(self))
    }
}

impl IntoOutput for &'static str {
    fn into_output(self) -> Result<Payload, AlgoError> {
        Ok(Payload::text(self))
    }
}

impl IntoOutput for Vec<u8> {
    fn into_output(self) -> Result<Payload, AlgoError> {
        Ok(Payload::Binary(self))
    }
}

impl IntoOutput for Value {
    fn into_output(self) -> Result<Payload, AlgoError> {
        Ok(Payload::Json(self.to_string()))
    }
}

impl IntoOutput for () {
    fn into_output(self) -> Result<Payload, AlgoError> {
        Ok(Payload::Void)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_carry_their_content_type() {
        assert_eq!("hi".into_output().unwrap(), Payload::text("hi"));
        assert_eq!(
            String::from("hi").into_output().unwrap(),
            Payload::text("hi")
        );
        assert_eq!(vec![1u8].into_output().unwrap(), Payload::binary(vec![1]));
        assert_eq!(
            serde_json::json!({"a": 1}).into_output().unwrap(),
            Payload::Json(r#"{"a":1}"#.into())
        );
        assert_eq!(().into_output().unwrap(), Payload::Void);
        assert_eq!(Payload::Void.into_output().unwrap(), Payload::Void);
    }
}
