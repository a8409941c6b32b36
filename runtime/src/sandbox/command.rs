//! Running a plain WASI program (`wasi:cli/run`): stdin in, stdout out.
//!
//! The program runs in the same store as an algorithm, under the same
//! limits; only the export it is called through, and where its input and
//! result travel, differ. It cannot see stop requests, so a stop ends it
//! by force when the grace runs out, and a timeout ends it at once.

use wasmtime::Store;
use wasmtime_wasi::p2::bindings::CommandPre;

use super::{Finish, SandboxState, Stops, exit_status, stdout_result};
use crate::error::InvokeError;
use crate::invocation::StartSink;

/// Instantiates the program, runs it to its exit, and reads its result
/// from stdout. `json_call` says whether the input was JSON, which decides
/// whether stdout may be typed as JSON.
pub(super) async fn run(
    store: &mut Store<SandboxState>,
    pre: &CommandPre<SandboxState>,
    json_call: bool,
    stops: Stops<'_>,
    on_started: Option<StartSink>,
) -> wasmtime::Result<Finish> {
    let command = pre.instantiate_async(&mut *store).await?;
    if let Some(on_started) = on_started {
        on_started();
    }
    let run = command.wasi_cli_run().call_run(&mut *store).await;
    if stops.requested() {
        // As for an algorithm: a result that arrives after a stop is
        // discarded.
        return Ok(Finish::Stopped);
    }
    let state = store.data();
    // Stdout is the result, so writing past the result limit is a result
    // too large, however the program reacted to the refused write.
    if state.stdout.overflowed() {
        return Ok(Finish::Ended(InvokeError::OutputTooLarge {
            size: state.stdout.attempted(),
            limit: state.stdout.limit(),
        }));
    }
    let code = exit_status::code(run)?;
    if let Some(err) = exit_status::failure(code, &state.stderr.text()) {
        return Ok(Finish::Failed(err.into()));
    }
    Ok(Finish::Returned(
        stdout_result::payload(state.stdout.take(), json_call).into(),
    ))
}
