//! Works until stopped, and cleans up in its `stop` hook: `initialize`
//! takes the `data://` URI the hook writes `stopped` to; `start` polls
//! `stop_requested` every 10 ms for up to 60 s, then returns `finished`.
//! Exists to test stops from outside and at timeouts: the file proves the
//! hook ran.

use std::thread;
use std::time::Duration;

use algobox_guest_sdk::{AlgoError, Algorithm, Context, data, export_algorithm};

/// The file the stop hook leaves.
struct Janitor {
    marker: String,
}

impl Algorithm for Janitor {
    type Input = String;
    type Output = String;

    fn load() -> Result<Self, AlgoError> {
        Ok(Self {
            marker: String::new(),
        })
    }

    fn initialize(&mut self, marker: String) -> Result<(), AlgoError> {
        self.marker = marker;
        Ok(())
    }

    fn start(&mut self, ctx: &mut Context) -> Result<String, AlgoError> {
        for _ in 0..6_000 {
            if ctx.stop_requested() {
                return Ok("interrupted".to_owned());
            }
            thread::sleep(Duration::from_millis(10));
        }
        Ok("finished".to_owned())
    }

    fn stop(&mut self) {
        // Nothing to report to: a failed write shows as a missing file.
        let _ = data::write(&self.marker, b"stopped");
    }
}

export_algorithm!(Janitor);
