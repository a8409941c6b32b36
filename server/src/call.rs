//! What a call of `POST /v1/algo/...` asks for: its input, taken from the
//! body by Content-Type, and its options, taken from the query string.

use std::time::Duration;

use algobox_host_api::Payload;

use crate::algorithmia::error::ApiError;

/// How the caller wants the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputMode {
    /// The JSON envelope (the default).
    Envelope,
    /// The bare result (`output=raw`).
    Raw,
    /// Answer at once and run in the background (`output=void`).
    Void,
}

/// How the body carries the call's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputsMode {
    /// The body is the one input (Algorithmia; the default).
    One,
    /// The body is a JSON array of positional inputs (`inputs=array`), as
    /// Hkube's `initialize` takes them.
    Array,
}

/// The query options of a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) stdout: bool,
    pub(crate) output: OutputMode,
    pub(crate) inputs: InputsMode,
}

impl CallOptions {
    /// Parses the query string. Unknown parameters are ignored, as the
    /// Python client passes extra keyword arguments through.
    pub(crate) fn parse(query: Option<&str>, max_timeout: Duration) -> Result<Self, ApiError> {
        let mut options = Self {
            timeout: None,
            stdout: false,
            output: OutputMode::Envelope,
            inputs: InputsMode::One,
        };
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*key {
                "timeout" => options.timeout = Some(timeout(&value, max_timeout)?),
                // The Python client sends `True` and `False`.
                "stdout" => {
                    options.stdout = match value.to_ascii_lowercase().as_str() {
                        "true" | "1" => true,
                        "false" | "0" | "" => false,
                        _ => {
                            return Err(ApiError::BadRequest(format!(
                                "stdout={value} is not a boolean; pass true or false"
                            )));
                        }
                    }
                }
                "output" => {
                    options.output = match &*value {
                        "raw" => OutputMode::Raw,
                        "void" => OutputMode::Void,
                        "default" | "" => OutputMode::Envelope,
                        other => {
                            return Err(ApiError::BadRequest(format!(
                                "output={other} is not supported; pass output=raw or output=void, or leave it out"
                            )));
                        }
                    }
                }
                "inputs" => {
                    options.inputs = match &*value {
                        "array" => InputsMode::Array,
                        "one" | "" => InputsMode::One,
                        other => {
                            return Err(ApiError::BadRequest(format!(
                                "inputs={other} is not supported; pass inputs=array with a JSON array body for several inputs, or leave it out"
                            )));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(options)
    }
}

fn timeout(value: &str, max: Duration) -> Result<Duration, ApiError> {
    let seconds: f64 = value
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("timeout={value} is not a number of seconds")))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(ApiError::BadRequest(format!(
            "timeout={value} must be a positive number of seconds"
        )));
    }
    if seconds > max.as_secs_f64() {
        return Err(ApiError::BadRequest(format!(
            "timeout={value} exceeds the maximum of {} seconds; pass at most {}",
            max.as_secs_f64(),
            max.as_secs_f64()
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The call's input, typed by the body's Content-Type (its media type only:
/// the Java client appends `; charset=UTF-8`).
pub(crate) fn input(content_type: Option<&str>, body: Vec<u8>) -> Result<Payload, ApiError> {
    let media = content_type
        .and_then(|value| value.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some("application/json") => {
            let text = utf8(body, "application/json")?;
            Payload::json_text(text).map_err(|err| {
                ApiError::InvalidJson(format!(
                    "the body is not valid JSON ({err}); fix it, or send it as text with Content-Type: text/plain"
                ))
            })
        }
        Some("application/octet-stream") => Ok(Payload::binary(body)),
        Some(media) if media == "application/text" || media.starts_with("text/") => {
            Ok(Payload::text(utf8(body, media)?))
        }
        // No usable type (curl's default form encoding, or none): what
        // `algo run -d` does, JSON if it parses, else text, else bytes.
        _ => match String::from_utf8(body) {
            Ok(text) if text.is_empty() => Ok(Payload::Void),
            Ok(text) => Ok(Payload::guess(&text)),
            Err(err) => Ok(Payload::binary(err.into_bytes())),
        },
    }
}

/// The positional inputs of an `inputs=array` call: the body is a JSON
/// array, and each element one input (see [`Payload::positional`]).
pub(crate) fn input_array(body: &[u8]) -> Result<Vec<Payload>, ApiError> {
    let refused = |reason: String| {
        ApiError::InvalidJson(format!(
            "inputs=array takes a JSON array of inputs, such as [\"text\", {{\"a\": 1}}], but the body is not one ({reason})"
        ))
    };
    let text = std::str::from_utf8(body).map_err(|err| refused(err.to_string()))?;
    Payload::positional(text).map_err(|err| refused(err.to_string()))
}

fn utf8(body: Vec<u8>, media: &str) -> Result<String, ApiError> {
    String::from_utf8(body).map_err(|err| {
        ApiError::BadRequest(format!(
            "the {media} body is not UTF-8 (byte {}); send bytes as application/octet-stream",
            err.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use crate::call::*;

    const MAX: Duration = Duration::from_secs(3000);

    #[test]
    fn options_parse_as_the_python_client_sends_them() {
        let options = CallOptions::parse(Some("timeout=5&stdout=True&extra=1"), MAX).unwrap();
        assert_eq!(options.timeout, Some(Duration::from_secs(5)));
        assert!(options.stdout);
        assert_eq!(options.output, OutputMode::Envelope);
        let options = CallOptions::parse(Some("timeout=0.5&stdout=False&output=raw"), MAX).unwrap();
        assert_eq!(options.timeout, Some(Duration::from_millis(500)));
        assert!(!options.stdout);
        assert_eq!(options.output, OutputMode::Raw);
        assert_eq!(CallOptions::parse(None, MAX).unwrap().timeout, None);
    }

    #[test]
    fn bad_options_name_the_problem() {
        for (query, needle) in [
            ("timeout=3001", "exceeds the maximum"),
            ("timeout=-1", "positive"),
            ("timeout=soon", "not a number"),
            ("stdout=maybe", "not a boolean"),
            ("output=xml", "not supported"),
        ] {
            let err = CallOptions::parse(Some(query), MAX).unwrap_err();
            assert!(err.to_string().contains(needle), "{query}: {err}");
        }
    }

    #[test]
    fn input_is_typed_by_media_type() {
        let json = input(Some("application/json; charset=UTF-8"), b"[1]".to_vec()).unwrap();
        assert_eq!(json, Payload::Json("[1]".into()));
        let text = input(Some("text/plain"), b"[1]".to_vec()).unwrap();
        assert_eq!(text, Payload::text("[1]"));
        let text = input(Some("application/text"), b"Neo".to_vec()).unwrap();
        assert_eq!(text, Payload::text("Neo"));
        let binary = input(Some("application/octet-stream"), vec![0, 255]).unwrap();
        assert_eq!(binary, Payload::binary(vec![0, 255]));
        assert!(input(Some("application/json"), b"{".to_vec()).is_err());
        assert!(input(Some("text/plain"), vec![0xff]).is_err());
        assert_eq!(input(None, Vec::new()).unwrap(), Payload::Void);
    }

    #[test]
    fn an_input_array_is_one_input_per_element() {
        let options = CallOptions::parse(Some("inputs=array"), MAX).unwrap();
        assert_eq!(options.inputs, InputsMode::Array);
        let inputs = input_array(br#"["Neo", {"a": [1]}, 2, null]"#).unwrap();
        assert_eq!(
            inputs,
            [
                Payload::text("Neo"),
                Payload::Json(r#"{"a":[1]}"#.into()),
                Payload::Json("2".into()),
                Payload::Json("null".into()),
            ]
        );
        assert!(input_array(b"[]").unwrap().is_empty());
        let err = input_array(br#"{"a": 1}"#).unwrap_err();
        assert!(err.to_string().contains("JSON array"), "{err}");
        let err = CallOptions::parse(Some("inputs=list"), MAX).unwrap_err();
        assert!(err.to_string().contains("inputs=array"), "{err}");
    }
}
