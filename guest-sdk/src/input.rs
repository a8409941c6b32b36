//! Decoding the positional inputs into the type an algorithm asks for.

use algobox_host_api::{AlgoError, ContentType, Payload};
use serde_json::Value;

use crate::Inputs;

/// A type an algorithm takes as its input, built from the whole positional
/// input list.
///
/// Every [`FromPayload`] type is one: it takes element 0 (an Algorithmia call
/// has exactly one input) and ignores the rest. [`Inputs`] takes the whole
/// list (Hkube positional inputs) and `()` ignores it.
pub trait FromInput: Sized + 'static {
    /// Builds the value from the inputs, or explains why they do not fit.
    fn from_inputs(inputs: Inputs) -> Result<Self, AlgoError>;
}

/// A type decoded from one input value.
///
/// Implemented for `String` (text, or a JSON string), `Vec<u8>` (binary),
/// [`serde_json::Value`] and [`Json<T>`](crate::Json) (json), and
/// [`Payload`] (any content type, unchanged).
pub trait FromPayload: Sized + 'static {
    /// Decodes one value. The error is an `InputError` naming the expected
    /// and the received content type.
    fn from_payload(payload: Payload) -> Result<Self, AlgoError>;
}

impl<T: FromPayload> FromInput for T {
    fn from_inputs(inputs: Inputs) -> Result<Self, AlgoError> {
        match inputs.into_vec().into_iter().next() {
            Some(payload) => T::from_payload(payload),
            None => Err(AlgoError::input(
                "no input was given, but this algorithm needs one; \
                 call it with one input value",
            )),
        }
    }
}

impl FromInput for Inputs {
    fn from_inputs(inputs: Inputs) -> Result<Self, AlgoError> {
        Ok(inputs)
    }
}

impl FromInput for () {
    fn from_inputs(_inputs: Inputs) -> Result<Self, AlgoError> {
        Ok(())
    }
}

impl FromPayload for Payload {
    fn from_payload(payload: Payload) -> Result<Self, AlgoError> {
        Ok(payload)
    }
}

impl FromPayload for String {
    fn from_payload(payload: Payload) -> Result<Self, AlgoError> {
        match payload {
            Payload::Text(text) => Ok(text),
            // A caller who quotes the text (`"Neo"`) sends a JSON string;
            // both mean the same text.
            Payload::Json(json) => match serde_json::from_str::<Value>(&json) {
                Ok(Value::String(text)) => Ok(text),
                _ => Err(AlgoError::input(
                    "expected a `text` input (or a JSON string), but received \
                     `json` that is not a string; send plain text",
                )),
            },
            other => Err(mismatch("text", &other)),
        }
    }
}

impl FromPayload for Vec<u8> {
    fn from_payload(payload: Payload) -> Result<Self, AlgoError> {
        match payload {
            Payload::Binary(bytes) => Ok(bytes),
            other => Err(mismatch("binary", &other)),
        }
    }
}

impl FromPayload for Value {
    fn from_payload(payload: Payload) -> Result<Self, AlgoError> {
        let json = json_text(payload)?;
        serde_json::from_str(&json).map_err(|err| {
            AlgoError::input(format!(
                "the `json` input is not well-formed JSON ({err}); send one JSON document"
            ))
        })
    }
}

/// The JSON text of a `json` payload, or an `InputError` that says why the
/// payload is not one.
pub(crate) fn json_text(payload: Payload) -> Result<String, AlgoError> {
    match payload {
        Payload::Json(json) => Ok(json),
        // Callers that guess the content type send malformed JSON as text,
        // so the parse error is what the caller needs to see.
        Payload::Text(text) => Err(match serde_json::from_str::<Value>(&text) {
            Err(err) => AlgoError::input(format!(
                "expected a `json` input, but received `text`; if you meant to \
                 send JSON, it does not parse: {err}"
            )),
            Ok(_) => AlgoError::input(
                "expected a `json` input, but received `text` that holds JSON; \
                 send it with content type `json`",
            ),
        }),
        other => Err(mismatch("json", &other)),
    }
}

/// The `InputError` for a value of the wrong content type.
pub(crate) fn mismatch(expected: &str, received: &Payload) -> AlgoError {
    let received = received.content_type();
    let hint = match received {
        ContentType::Void => "no value".to_owned(),
        other => format!("`{other}`"),
    };
    AlgoError::input(format!(
        "expected a `{expected}` input, but received {hint}; send the input as `{expected}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(payload: Payload) -> Inputs {
        Inputs::new(vec![payload])
    }

    #[test]
    fn text_accepts_text_and_json_strings_only() {
        assert_eq!(
            String::from_inputs(one(Payload::text("Neo"))).unwrap(),
            "Neo"
        );
        assert_eq!(
            String::from_inputs(one(Payload::Json("\"Neo\"".into()))).unwrap(),
            "Neo"
        );
        let err = String::from_inputs(one(Payload::binary(vec![1]))).unwrap_err();
        assert_eq!(err.code, AlgoError::INPUT_ERROR);
        assert!(err.message.contains("`text`"), "{}", err.message);
        assert!(err.message.contains("`binary`"), "{}", err.message);
        assert!(String::from_inputs(one(Payload::Json("42".into()))).is_err());
    }

    #[test]
    fn missing_element_zero_is_an_input_error() {
        let err = Vec::<u8>::from_inputs(Inputs::new(vec![])).unwrap_err();
        assert_eq!(err.code, AlgoError::INPUT_ERROR);
        assert!(err.message.contains("no input"), "{}", err.message);
    }

    #[test]
    fn bytes_accept_binary_only() {
        assert_eq!(
            Vec::<u8>::from_inputs(one(Payload::binary(vec![1, 2]))).unwrap(),
            vec![1, 2]
        );
        let err = Vec::<u8>::from_inputs(one(Payload::Void)).unwrap_err();
        assert!(err.message.contains("no value"), "{}", err.message);
    }

    #[test]
    fn json_values_explain_text_that_failed_to_parse() {
        let value = Value::from_inputs(one(Payload::Json("[1,2]".into()))).unwrap();
        assert_eq!(value, serde_json::json!([1, 2]));
        let err = Value::from_inputs(one(Payload::text("{\"a\":"))).unwrap_err();
        assert!(err.message.contains("does not parse"), "{}", err.message);
    }

    #[test]
    fn payload_inputs_and_unit_take_anything() {
        let payload = Payload::binary(vec![9]);
        assert_eq!(Payload::from_inputs(one(payload.clone())).unwrap(), payload);
        let inputs = Inputs::new(vec![Payload::text("a"), Payload::Void]);
        assert_eq!(Inputs::from_inputs(inputs.clone()).unwrap(), inputs);
        <()>::from_inputs(Inputs::new(vec![])).unwrap();
    }
}
