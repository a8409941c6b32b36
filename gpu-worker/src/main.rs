//! `algobox-gpu-worker`: the GPU worker as a program of its own, for
//! embedders that name it in `GpuConfig` rather than ship the `algobox`
//! binary.

fn main() -> std::process::ExitCode {
    algobox_gpu_worker::run()
}
