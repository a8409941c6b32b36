//! Compiling one component in a compile worker, from the runtime's side.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::CompileWorker;
use super::worker::INVALID;
use crate::error::RegisterError;

/// Bytes of the worker's stderr kept for the error message.
const MAX_MESSAGE: usize = 16 << 10;

/// Compiles `wasm` in a fresh worker capped at `memory` bytes, killed after
/// `timeout`; the compiled code, ready for `Component::deserialize`.
pub(super) async fn compile(
    worker: &CompileWorker,
    memory: u64,
    timeout: Duration,
    wasm: Vec<u8>,
) -> Result<Vec<u8>, RegisterError> {
    let mut child = Command::new(&worker.program)
        .args(&worker.args)
        // The compiler needs nothing from the environment, and the server's
        // holds secrets (`ALGOBOX_ADMIN_KEY`, database URLs).
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| {
            RegisterError::Compiler(format!(
                "cannot start the compile worker `{}`: {err}; check the compile worker program in the runtime's configuration",
                worker.program.display()
            ))
        })?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let finished = {
        let write = async move {
            // A worker that dies early closes the pipe; its exit status
            // says why, so a write error adds nothing.
            let _ = stdin.write_all(&memory.to_le_bytes()).await;
            let _ = stdin.write_all(&wasm).await;
        };
        let read = async {
            let mut compiled = Vec::new();
            stdout.read_to_end(&mut compiled).await.map(|_| compiled)
        };
        let work = async {
            let ((), compiled, message, status) =
                tokio::join!(write, read, read_capped(&mut stderr), child.wait());
            (compiled, message, status)
        };
        tokio::time::timeout(timeout, work).await
    };
    let Ok((compiled, message, status)) = finished else {
        // Dropping the child would kill it too; killing here also reaps it.
        let _ = child.kill().await;
        return Err(RegisterError::CompileTimeout { limit: timeout });
    };
    let status = status.map_err(|err| {
        RegisterError::Compiler(format!("cannot wait for the compile worker: {err}"))
    })?;
    let message = String::from_utf8_lossy(&message).trim().to_owned();
    if status.success() {
        return compiled.map_err(|err| {
            RegisterError::Compiler(format!("cannot read the compile worker's output: {err}"))
        });
    }
    if status.code() == Some(i32::from(INVALID)) {
        return Err(RegisterError::Compile(message));
    }
    // Rust aborts when an allocation fails, which under the worker's data
    // cap is how running out of memory looks.
    if message.contains("memory allocation of") || status.signal() == Some(SIGABRT) {
        return Err(RegisterError::CompileMemory { limit: memory });
    }
    Err(RegisterError::Compiler(format!(
        "the compile worker ended with {status}: {message}"
    )))
}

/// `SIGABRT`: 6 on every Unix algobox runs on.
const SIGABRT: i32 = 6;

/// Reads `stream` to its end, keeping the first [`MAX_MESSAGE`] bytes: a
/// worker that writes more must not block on a full pipe.
async fn read_capped(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = [0; 4096];
    while let Ok(read) = stream.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        let room = MAX_MESSAGE.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..read.min(room)]);
    }
    kept
}
