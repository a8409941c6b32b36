//! A void call as it waits on the work queue: a header line of JSON, then
//! the inputs' bytes one after another (no base64 for binary inputs).

use std::time::Duration;

use algobox_host_api::Payload;
use serde::{Deserialize, Serialize};

use crate::call::CallRequest;
use crate::identity::{AccountName, AlgorithmName};

/// Everything a node needs to run the call, as the accepting node
/// resolved the request.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct QueuedCall {
    pub(crate) request_id: String,
    pub(crate) caller: String,
    owner: String,
    name: String,
    version: Option<String>,
    timeout_ms: Option<u64>,
    stdout: bool,
    /// Each input's kind and length, in order; their bytes follow the
    /// header line (or wait in the object store when `stored`).
    inputs: Vec<InputShape>,
    /// Whether the bytes were too large for a message and wait in the
    /// cluster's object store under the request id.
    pub(crate) stored: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct InputShape {
    kind: Kind,
    len: usize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Text,
    Json,
    Binary,
    Void,
}

/// Why a queued message cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("a queued void call is damaged: {0}")]
pub(crate) struct DamagedMessage(String);

impl QueuedCall {
    /// The queued form of `request`, by `caller`, and the inputs' bytes.
    pub(crate) fn of(
        request_id: &str,
        caller: &AccountName,
        request: &CallRequest,
    ) -> (Self, Vec<u8>) {
        let mut bytes = Vec::new();
        let inputs = request
            .inputs
            .iter()
            .map(|input| {
                let (kind, data): (Kind, &[u8]) = match input {
                    Payload::Text(text) => (Kind::Text, text.as_bytes()),
                    Payload::Json(json) => (Kind::Json, json.as_bytes()),
                    Payload::Binary(data) => (Kind::Binary, data),
                    Payload::Void => (Kind::Void, &[]),
                };
                bytes.extend_from_slice(data);
                InputShape {
                    kind,
                    len: data.len(),
                }
            })
            .collect();
        let call = Self {
            request_id: request_id.to_owned(),
            caller: caller.as_str().to_owned(),
            owner: request.owner.as_str().to_owned(),
            name: request.name.as_str().to_owned(),
            version: request.version.clone(),
            timeout_ms: request
                .timeout
                .map(|timeout| u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
            stdout: request.stdout,
            inputs,
            stored: false,
        };
        (call, bytes)
    }

    /// The message: the header line, then `inputs` unless stored apart.
    pub(crate) fn encode(&self, inputs: &[u8]) -> Vec<u8> {
        let mut message = serde_json::to_vec(self).expect("plain fields serialize");
        message.push(b'\n');
        if !self.stored {
            message.extend_from_slice(inputs);
        }
        message
    }

    /// The header of a message and the bytes after it.
    pub(crate) fn decode(message: &[u8]) -> Result<(Self, &[u8]), DamagedMessage> {
        let newline = message
            .iter()
            .position(|byte| *byte == b'\n')
            .ok_or_else(|| DamagedMessage("no header line".to_owned()))?;
        let call = serde_json::from_slice(&message[..newline])
            .map_err(|err| DamagedMessage(err.to_string()))?;
        Ok((call, &message[newline + 1..]))
    }

    /// The call to run, with the inputs' bytes.
    pub(crate) fn request(
        &self,
        bytes: &[u8],
    ) -> Result<(AccountName, CallRequest), DamagedMessage> {
        let damaged = |what: &str| DamagedMessage(what.to_owned());
        let caller = self
            .caller
            .parse()
            .map_err(|_| damaged("the caller is no account name"))?;
        let owner = self
            .owner
            .parse()
            .map_err(|_| damaged("the owner is no account name"))?;
        let name: AlgorithmName = self
            .name
            .parse()
            .map_err(|_| damaged("no algorithm name"))?;
        let mut rest = bytes;
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for shape in &self.inputs {
            if shape.len > rest.len() {
                return Err(damaged("the inputs are shorter than their header says"));
            }
            let (data, after) = rest.split_at(shape.len);
            rest = after;
            let text = || {
                String::from_utf8(data.to_vec()).map_err(|_| damaged("a text input is not UTF-8"))
            };
            inputs.push(match shape.kind {
                Kind::Text => Payload::Text(text()?),
                Kind::Json => Payload::Json(text()?),
                Kind::Binary => Payload::Binary(data.to_vec()),
                Kind::Void => Payload::Void,
            });
        }
        let mut request = CallRequest::new(&owner, &name, self.version.as_deref(), Payload::Void);
        request.inputs = inputs;
        request.timeout = self.timeout_ms.map(Duration::from_millis);
        request.stdout = self.stdout;
        Ok((caller, request))
    }
}

#[cfg(test)]
mod tests {
    use crate::cluster_calls::message::*;

    #[test]
    fn a_call_reads_back_as_it_was_queued() {
        let owner: AccountName = "demo".parse().unwrap();
        let name: AlgorithmName = "Hello".parse().unwrap();
        let mut request = CallRequest::new(&owner, &name, Some("1.2"), Payload::Void);
        request.inputs = vec![
            Payload::text("héllo\n"),
            Payload::Json("[1,2]".into()),
            Payload::Binary(vec![0, 10, 255]),
            Payload::Void,
        ];
        request.timeout = Some(Duration::from_millis(2_500));
        request.stdout = true;
        let caller: AccountName = "alice".parse().unwrap();
        let (queued, inputs) = QueuedCall::of("req-1", &caller, &request);
        let message = queued.encode(&inputs);

        let (decoded, bytes) = QueuedCall::decode(&message).unwrap();
        assert_eq!(decoded.request_id, "req-1");
        let (who, back) = decoded.request(bytes).unwrap();
        assert_eq!(who, caller);
        assert_eq!(back.inputs, request.inputs);
        assert_eq!(back.version.as_deref(), Some("1.2"));
        assert_eq!(back.timeout, request.timeout);
        assert!(back.stdout);
        assert_eq!((back.owner, back.name), (owner, name));
    }

    #[test]
    fn a_truncated_message_is_damaged_not_misread() {
        let owner: AccountName = "demo".parse().unwrap();
        let name: AlgorithmName = "Hello".parse().unwrap();
        let request = CallRequest::new(&owner, &name, None, Payload::text("abcdef"));
        let (queued, inputs) = QueuedCall::of("req-2", &owner, &request);
        let message = queued.encode(&inputs);
        let (decoded, bytes) = QueuedCall::decode(&message[..message.len() - 3]).unwrap();
        let err = decoded.request(bytes).unwrap_err();
        assert!(err.to_string().contains("shorter"), "{err}");
    }
}
