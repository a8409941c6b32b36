//! The algobox GPU worker: runs wgpu compute for `algobox-runtime` in a
//! process of its own.
//!
//! A runaway kernel cannot be stopped inside a process: wgpu cannot cancel
//! submitted work, and the next submit blocks behind it. So the runtime
//! keeps every wgpu call in this worker, drives it over its stdin and
//! stdout (`algobox_runtime::gpu::protocol`), and kills it when GPU work
//! overruns its deadline. The runtime itself never links wgpu.
//!
//! The worker is any program whose `main` calls [`run`]: the `algobox`
//! binary's hidden `gpu-worker` command, or a one-line binary of an
//! embedder's, named in `algobox_runtime::gpu::GpuConfig`:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     algobox_gpu_worker::run()
//! }
//! ```

mod device;
mod worker;

/// Runs the GPU worker on this process's stdin and stdout until stdin
/// closes, and returns the process's exit status. Print nothing to stdout
/// around it: stdout carries the protocol.
pub fn run() -> std::process::ExitCode {
    worker::run()
}
