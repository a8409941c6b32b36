//! A WASI program's result: its stdout, typed by what it holds.

use algobox_host_api::Payload;

/// The result a program's `stdout` means: JSON when the call sent JSON and
/// the output parses as one JSON document (surrounding whitespace, such as
/// the final newline, trimmed), else text when it is UTF-8 (kept exactly,
/// final newline included), else binary. Empty output is empty text.
pub(crate) fn payload(stdout: Vec<u8>, json_call: bool) -> Payload {
    match String::from_utf8(stdout) {
        Ok(text) => {
            if json_call {
                let trimmed = text.trim();
                if serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok() {
                    return Payload::Json(trimmed.to_owned());
                }
            }
            Payload::Text(text)
        }
        Err(err) => Payload::Binary(err.into_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_only_when_the_call_sent_json_and_it_parses() {
        assert_eq!(
            payload(b"{\"n\": 3}\n".to_vec(), true),
            Payload::Json("{\"n\": 3}".to_owned())
        );
        assert_eq!(
            payload(b"{\"n\": 3}\n".to_vec(), false),
            Payload::text("{\"n\": 3}\n")
        );
        assert_eq!(
            payload(b"not json\n".to_vec(), true),
            Payload::text("not json\n")
        );
        assert_eq!(payload(b"{} {}".to_vec(), true), Payload::text("{} {}"));
    }

    #[test]
    fn text_unless_it_is_not_utf8() {
        assert_eq!(
            payload("héllo".as_bytes().to_vec(), false),
            Payload::text("héllo")
        );
        assert_eq!(payload(Vec::new(), true), Payload::text(""));
        assert_eq!(
            payload(vec![0xff, 0x00, 0x80], true),
            Payload::Binary(vec![0xff, 0x00, 0x80])
        );
    }
}
