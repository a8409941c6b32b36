//! A WASI program's input: the call's payload as the bytes of its stdin.

use algobox_host_api::Payload;

use crate::error::InvokeError;

/// What a plain WASI program reads on stdin, and whether the call sent
/// JSON (which decides how its stdout is typed).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Stdin {
    /// The bytes: text as UTF-8, JSON as its text, binary as it is, void
    /// (or no input) as nothing.
    pub(crate) bytes: Vec<u8>,
    /// Whether the input was JSON.
    pub(crate) json: bool,
}

impl Stdin {
    /// The stdin of a call with `inputs`. A program has one stdin, so
    /// several positional inputs are refused rather than joined in a way
    /// the program would have to guess.
    pub(crate) fn from_inputs(inputs: Vec<Payload>) -> Result<Self, InvokeError> {
        if inputs.len() > 1 {
            return Err(InvokeError::InvalidInput(format!(
                "this algorithm is a plain WASI program, which reads one input on stdin, but the call passed {} positional inputs; pass one input (a JSON array if it needs several values)",
                inputs.len()
            )));
        }
        Ok(match inputs.into_iter().next() {
            None | Some(Payload::Void) => Self {
                bytes: Vec::new(),
                json: false,
            },
            Some(Payload::Text(text)) => Self {
                bytes: text.into_bytes(),
                json: false,
            },
            Some(Payload::Json(json)) => Self {
                bytes: json.into_bytes(),
                json: true,
            },
            Some(Payload::Binary(bytes)) => Self { bytes, json: false },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_payload_becomes_its_bytes() {
        let stdin = |input| Stdin::from_inputs(vec![input]).unwrap();
        assert_eq!(stdin(Payload::text("héllo")).bytes, "héllo".as_bytes());
        assert!(!stdin(Payload::text("1")).json);
        let json = stdin(Payload::Json(r#"{"a":1}"#.to_owned()));
        assert_eq!(
            (json.bytes.as_slice(), json.json),
            (&br#"{"a":1}"#[..], true)
        );
        assert_eq!(stdin(Payload::Binary(vec![0, 255])).bytes, [0, 255]);
        assert!(stdin(Payload::Void).bytes.is_empty());
        assert!(Stdin::from_inputs(Vec::new()).unwrap().bytes.is_empty());
    }

    #[test]
    fn several_inputs_are_refused() {
        let err = Stdin::from_inputs(vec![Payload::text("a"), Payload::text("b")]).unwrap_err();
        assert!(
            matches!(&err, InvokeError::InvalidInput(why) if why.contains("2 positional inputs")),
            "{err:?}"
        );
        assert_eq!(err.error_type(), "InputError");
    }
}
