//! How a WASI program's exit maps to an invocation's result.

use algobox_host_api::AlgoError;
use wasmtime_wasi::I32Exit;

/// At most this many of stderr's last lines go into a failure's message.
const STDERR_LINES: usize = 20;
/// And at most this many bytes of them.
const STDERR_BYTES: usize = 4096;

/// The exit code of a finished `wasi:cli/run` call, or the trap it ended
/// with. Returning `Ok` from `run` (or from `_start`) is 0 and returning
/// `Err` is 1; an `exit(n)` reaches the host as an [`I32Exit`] error, which
/// is an exit, not a crash, whatever `n` is.
pub(crate) fn code(run: wasmtime::Result<Result<(), ()>>) -> wasmtime::Result<i32> {
    match run {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(*code),
            None => Err(err),
        },
    }
}

/// The error a non-zero exit `code` is: an `AlgorithmError` saying the
/// code, with the last lines of what the program wrote to `stderr`, where
/// programs say why they failed. `None` for 0, a success.
pub(crate) fn failure(code: i32, stderr: &str) -> Option<AlgoError> {
    if code == 0 {
        return None;
    }
    let tail = stderr_tail(stderr);
    Some(if tail.is_empty() {
        AlgoError::new(format!(
            "the program exited with code {code} and wrote nothing to stderr"
        ))
    } else {
        AlgoError::new(format!("the program exited with code {code}: {tail}"))
    })
}

/// The last [`STDERR_LINES`] lines of `stderr`, at most [`STDERR_BYTES`]
/// bytes (cut at a character boundary), without the final newline.
fn stderr_tail(stderr: &str) -> &str {
    let stderr = stderr.trim_end();
    let lines_start = stderr
        .rmatch_indices('\n')
        .nth(STDERR_LINES - 1)
        .map_or(0, |(at, _)| at + 1);
    let mut start = lines_start.max(stderr.len().saturating_sub(STDERR_BYTES));
    while !stderr.is_char_boundary(start) {
        start += 1;
    }
    &stderr[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returning_and_exit_zero_are_success() {
        assert_eq!(code(Ok(Ok(()))).unwrap(), 0);
        assert_eq!(code(Err(I32Exit(0).into())).unwrap(), 0);
        assert!(failure(0, "warnings only").is_none());
    }

    #[test]
    fn non_zero_exits_are_algorithm_errors_with_stderr() {
        assert_eq!(code(Ok(Err(()))).unwrap(), 1);
        assert_eq!(code(Err(I32Exit(3).into())).unwrap(), 3);
        let err = failure(3, "reading input\nerror: bad byte at 7\n").unwrap();
        assert_eq!(err.code, "AlgorithmError");
        assert_eq!(
            err.message,
            "the program exited with code 3: reading input\nerror: bad byte at 7"
        );
        let silent = failure(1, "").unwrap();
        assert!(silent.message.contains("code 1"), "{}", silent.message);
        assert!(
            silent.message.contains("nothing to stderr"),
            "{}",
            silent.message
        );
    }

    #[test]
    fn a_trap_is_not_an_exit() {
        let trap = code(Err(wasmtime::Trap::UnreachableCodeReached.into())).unwrap_err();
        assert_eq!(
            trap.downcast_ref::<wasmtime::Trap>(),
            Some(&wasmtime::Trap::UnreachableCodeReached)
        );
    }

    #[test]
    fn only_the_last_lines_are_kept() {
        let stderr: String = (0..100).map(|n| format!("line {n}\n")).collect();
        let err = failure(2, &stderr).unwrap();
        assert!(err.message.ends_with("line 99"), "{}", err.message);
        assert!(err.message.contains(": line 80\n"), "{}", err.message);
        assert!(!err.message.contains("line 79"), "{}", err.message);
        let long = "é".repeat(5000);
        assert!(failure(2, &long).unwrap().message.len() < STDERR_BYTES + 100);
    }
}
