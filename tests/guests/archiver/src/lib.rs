//! Reads and writes `data://` files as its input says, and returns what it
//! read (or its error). Exists to test that algorithms reach data with the
//! permissions of their caller.
//!
//! Input: `{"write": URI, "text": TEXT}`, `{"read": URI}` or
//! `{"list": URI}` (a collection; returns the names joined by commas).

use algobox_guest_sdk::{AlgoError, Json, data, export_function};
use serde::Deserialize;

/// What to do.
#[derive(Deserialize)]
#[serde(untagged)]
enum Request {
    Write { write: String, text: String },
    Read { read: String },
    List { list: String },
}

fn archive(Json(request): Json<Request>) -> Result<String, AlgoError> {
    match request {
        Request::Write { write, text } => {
            data::write(&write, text.as_bytes())?;
            Ok(format!("wrote {write}"))
        }
        Request::Read { read } => data::read_text(&read),
        Request::List { list } => Ok(data::list(&list)?.join(",")),
    }
}

export_function!(archive);
