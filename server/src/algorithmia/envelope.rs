//! The JSON envelope Algorithmia wraps around every answer.
//!
//! A success is `{"result": …, "metadata": {"content_type", "duration",
//! "stdout"?}}`; a failure is `{"error": {"message", "stacktrace",
//! "error_type"}, "metadata": {"duration"}}`. The official clients insist on
//! `metadata.content_type` and `metadata.duration` in a success, and decode a
//! `binary` result from base64.
//!
//! # Example
//!
//! ```
//! use algobox_host_api::Payload;
//! use algobox_server::algorithmia::envelope::{self, Metadata};
//!
//! let metadata = Metadata { duration: 0.25, stdout: None };
//! let json = envelope::success(&Payload::text("Hello Neo"), &metadata);
//! assert_eq!(
//!     json,
//!     r#"{"result":"Hello Neo","metadata":{"content_type":"text","duration":0.25}}"#
//! );
//! ```

use base64::Engine as _;
use serde::Serialize;

use algobox_host_api::{AlgoError, Payload};
use algobox_platform::call::{CallFailure, CallOutcome};

/// What a success or failure envelope says besides the result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    /// Seconds the algorithm ran.
    pub duration: f64,
    /// What the algorithm printed, when the caller asked for it and may see it.
    pub stdout: Option<String>,
}

/// The `error` object of a failure envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub message: String,
    /// A stack trace or cause chain; empty when there is none.
    pub stacktrace: String,
    /// Algorithmia's `error_type`, such as `AlgorithmError` or `TimeoutError`.
    pub error_type: String,
}

impl ErrorBody {
    /// The error object for an algorithm's error (or the runtime's, as
    /// [`InvokeError::to_algo_error`](algobox_runtime::error::InvokeError::to_algo_error)
    /// gives it): its code is the `error_type`, its details the stack trace.
    pub fn of(error: &AlgoError) -> Self {
        Self {
            message: error.message.clone(),
            stacktrace: error.details.clone().unwrap_or_default(),
            error_type: error.code.clone(),
        }
    }
}

/// The envelope of a call's outcome: a success with its metadata (stdout
/// only where the caller may see it), or a failure with how long it ran;
/// either names the call's `request_id` first (the `X-Request-Id` header's
/// value), so a caller can quote it.
pub fn of_outcome(outcome: &Result<CallOutcome, CallFailure>, request_id: &str) -> String {
    let envelope = match outcome {
        Ok(outcome) => {
            let metadata = Metadata {
                duration: outcome.output.duration.as_secs_f64(),
                stdout: outcome
                    .stdout_visible
                    .then(|| outcome.output.stdout.clone()),
            };
            success(&outcome.output.payload, &metadata)
        }
        Err(failure) => self::failure(
            &ErrorBody::of(&failure.error),
            failure.elapsed.as_secs_f64(),
        ),
    };
    let id = serde_json::to_string(request_id).expect("strings always serialize");
    // Both envelopes are objects, `{"result"…` or `{"error"…`.
    format!(r#"{{"request_id":{id},{}"#, &envelope[1..])
}

/// Serializes a success envelope for `payload`.
///
/// The JSON of a `json` payload is embedded as it is, without a second parse.
pub fn success(payload: &Payload, metadata: &Metadata) -> String {
    #[derive(Serialize)]
    struct SuccessMetadata<'a> {
        content_type: &'static str,
        duration: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        stdout: Option<&'a str>,
    }
    let metadata = serde_json::to_string(&SuccessMetadata {
        content_type: payload.content_type().as_str(),
        duration: metadata.duration,
        stdout: metadata.stdout.as_deref(),
    })
    .expect("metadata always serializes");
    let result = match payload {
        Payload::Text(text) => serde_json::to_string(text).expect("strings always serialize"),
        Payload::Json(json) => json.clone(),
        Payload::Binary(bytes) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            serde_json::to_string(&encoded).expect("strings always serialize")
        }
        Payload::Void => "null".to_owned(),
    };
    format!(r#"{{"result":{result},"metadata":{metadata}}}"#)
}

/// Serializes a failure envelope.
pub fn failure(error: &ErrorBody, duration: f64) -> String {
    #[derive(Serialize)]
    struct Failure<'a> {
        error: &'a ErrorBody,
        metadata: FailureMetadata,
    }
    #[derive(Serialize)]
    struct FailureMetadata {
        duration: f64,
    }
    serde_json::to_string(&Failure {
        error,
        metadata: FailureMetadata { duration },
    })
    .expect("error bodies always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_results_are_base64_and_json_is_embedded() {
        let metadata = Metadata {
            duration: 1.5,
            stdout: Some("hi\n".into()),
        };
        let binary = success(&Payload::binary(vec![0, 255]), &metadata);
        let value: serde_json::Value = serde_json::from_str(&binary).unwrap();
        assert_eq!(value["result"], "AP8=");
        assert_eq!(value["metadata"]["content_type"], "binary");
        assert_eq!(value["metadata"]["stdout"], "hi\n");

        let json = success(&Payload::Json(r#"{"a":[1,2]}"#.into()), &metadata);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["result"]["a"][1], 2);

        let void = success(&Payload::Void, &Metadata::default());
        assert_eq!(
            void,
            r#"{"result":null,"metadata":{"content_type":"void","duration":0.0}}"#
        );
    }

    #[test]
    fn call_envelopes_name_their_request_first() {
        let failure = CallFailure {
            error: AlgoError {
                message: "boom".into(),
                code: "AlgorithmError".into(),
                details: None,
            },
            at_capacity: false,
            stopped: false,
            elapsed: std::time::Duration::from_millis(500),
        };
        assert_eq!(
            of_outcome(&Err(failure), "req-1"),
            r#"{"request_id":"req-1","error":{"message":"boom","stacktrace":"","error_type":"AlgorithmError"},"metadata":{"duration":0.5}}"#
        );
    }

    #[test]
    fn failures_carry_error_type_and_duration() {
        let body = ErrorBody {
            message: "boom".into(),
            stacktrace: String::new(),
            error_type: "AlgorithmError".into(),
        };
        assert_eq!(
            failure(&body, 0.5),
            r#"{"error":{"message":"boom","stacktrace":"","error_type":"AlgorithmError"},"metadata":{"duration":0.5}}"#
        );
    }
}
