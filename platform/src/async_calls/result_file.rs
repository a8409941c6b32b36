//! A finished void call's outcome as a file in the data folder, so that
//! results wait for their caller on disk rather than in the server's
//! memory.
//!
//! The format is one line of JSON (how the call ended, its metadata and
//! captured output), then the result's bytes as they are: no base64 for a
//! binary result, and no second parse of a JSON one.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::Path;
use std::time::Duration;

use algobox_host_api::{AlgoError, Payload};
use algobox_runtime::invocation::Output;
use serde::{Deserialize, Serialize};

use crate::call::{CallFailure, CallOutcome};

/// The first line of a result file.
#[derive(Serialize, Deserialize)]
#[serde(tag = "ended", rename_all = "lowercase")]
enum Header {
    Succeeded {
        /// `text`, `json`, `binary` or `void`: how to read the bytes after.
        content_type: String,
        duration_us: u64,
        stdout: String,
        stderr: String,
        stdout_visible: bool,
    },
    Failed {
        code: String,
        message: String,
        details: Option<String>,
        at_capacity: bool,
        stopped: bool,
        elapsed_us: u64,
    },
}

/// Writes `outcome` to `path` whole or not at all (a temporary file,
/// synced, then renamed), so a reader never sees half a result.
pub(crate) fn write(path: &Path, outcome: &Result<CallOutcome, CallFailure>) -> io::Result<()> {
    let partial = path.with_extension("partial");
    let mut file = fs::File::create(&partial)?;
    file.write_all(&encode(outcome))?;
    file.sync_data()?;
    fs::rename(&partial, path)
}

/// Reads back what [`write`] wrote. The progress reports are not in the
/// file: the call's record keeps the latest ones.
pub(crate) fn read(path: &Path) -> io::Result<Result<CallOutcome, CallFailure>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?.read_to_end(&mut bytes)?;
    decode(&bytes).map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))
}

/// `outcome` in this format: a header line of JSON, then the result's
/// bytes (the same bytes a cluster keeps in its key-value bucket).
pub(crate) fn encode(outcome: &Result<CallOutcome, CallFailure>) -> Vec<u8> {
    let (header, body): (Header, &[u8]) = match outcome {
        Ok(outcome) => {
            let output = &outcome.output;
            let (content_type, body): (&str, &[u8]) = match &output.payload {
                Payload::Text(text) => ("text", text.as_bytes()),
                Payload::Json(json) => ("json", json.as_bytes()),
                Payload::Binary(bytes) => ("binary", bytes),
                Payload::Void => ("void", &[]),
            };
            let header = Header::Succeeded {
                content_type: content_type.to_owned(),
                duration_us: micros(output.duration),
                stdout: output.stdout.clone(),
                stderr: output.stderr.clone(),
                stdout_visible: outcome.stdout_visible,
            };
            (header, body)
        }
        Err(failure) => {
            let header = Header::Failed {
                code: failure.error.code.clone(),
                message: failure.error.message.clone(),
                details: failure.error.details.clone(),
                at_capacity: failure.at_capacity,
                stopped: failure.stopped,
                elapsed_us: micros(failure.elapsed),
            };
            (header, &[][..])
        }
    };
    let mut bytes = serde_json::to_vec(&header).expect("a header serializes");
    bytes.push(b'\n');
    bytes.extend_from_slice(body);
    bytes
}

/// Reads back what [`encode`] made.
pub(crate) fn decode(bytes: &[u8]) -> io::Result<Result<CallOutcome, CallFailure>> {
    let newline = bytes
        .iter()
        .position(|byte| *byte == b'\n')
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no header line"))?;
    let (line, body) = (&bytes[..newline], bytes[newline + 1..].to_vec());
    let header: Header = serde_json::from_slice(line)?;
    Ok(match header {
        Header::Succeeded {
            content_type,
            duration_us,
            stdout,
            stderr,
            stdout_visible,
        } => {
            let text = |body: Vec<u8>| {
                String::from_utf8(body)
                    .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
            };
            let payload = match content_type.as_str() {
                "text" => Payload::Text(text(body)?),
                "json" => Payload::Json(text(body)?),
                "binary" => Payload::Binary(body),
                "void" => Payload::Void,
                other => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unknown content type `{other}`"),
                    ));
                }
            };
            Ok(CallOutcome {
                output: Output {
                    payload,
                    duration: Duration::from_micros(duration_us),
                    stdout,
                    stderr,
                    progress: Vec::new(),
                },
                stdout_visible,
            })
        }
        Header::Failed {
            code,
            message,
            details,
            at_capacity,
            stopped,
            elapsed_us,
        } => Err(CallFailure {
            error: AlgoError {
                code,
                message,
                details,
            },
            at_capacity,
            stopped,
            elapsed: Duration::from_micros(elapsed_us),
        }),
    })
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use crate::async_calls::result_file::*;

    fn success(payload: Payload) -> Result<CallOutcome, CallFailure> {
        Ok(CallOutcome {
            output: Output {
                payload,
                duration: Duration::from_micros(1_500),
                stdout: "out\n".into(),
                stderr: "err\n".into(),
                progress: Vec::new(),
            },
            stdout_visible: true,
        })
    }

    #[test]
    fn every_outcome_reads_back_as_it_was_written() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("req-1");
        let outcomes = [
            success(Payload::text("héllo\nwörld")),
            success(Payload::Json(r#"{"a":[1,2]}"#.into())),
            success(Payload::Binary(vec![0, 10, 255, 13])),
            success(Payload::Void),
            Err(CallFailure {
                error: AlgoError {
                    code: "InputError".into(),
                    message: "bad input".into(),
                    details: Some("line 1\nline 2".into()),
                },
                at_capacity: false,
                stopped: true,
                elapsed: Duration::from_millis(7),
            }),
        ];
        for outcome in outcomes {
            write(&path, &outcome).unwrap();
            assert_eq!(read(&path).unwrap(), outcome);
            assert!(!path.with_extension("partial").exists());
        }
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_wrong_result() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("req-2");
        fs::write(&path, b"{\"ended\":\"succeeded\",\"content_type\":\"xml\",\"duration_us\":1,\"stdout\":\"\",\"stderr\":\"\",\"stdout_visible\":false}\n<a/>").unwrap();
        assert!(read(&path).is_err());
        fs::write(&path, b"not json").unwrap();
        assert!(read(&path).is_err());
    }
}
