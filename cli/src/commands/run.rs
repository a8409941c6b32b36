//! `algobox run`: call an algorithm once, as Algorithmia's `algo run` does.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use algobox_host_api::Payload;

use algobox_runtime::Runtime;
use algobox_runtime::error::InvokeError;
use algobox_runtime::gpu::GpuConfig;
use algobox_runtime::invocation::{Invocation, Output, Progress};
use algobox_runtime::limits::Limits;
use algobox_server::algorithmia::envelope;
use anyhow::Context as _;
use base64::Engine as _;
use http::Method;
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::client::{ApiClient, ServerArgs};

/// Runs an algorithm once and prints its result.
///
/// The algorithm is a `.wasm` file, run here, or OWNER/ALGO[/VERSION] on a
/// server (--api, --key). Input is given by one of -d, -t, -j or -b; with
/// none, the algorithm gets no input (void). Exits non-zero on any error.
#[derive(Debug, clap::Args)]
pub(crate) struct RunCommand {
    /// The algorithm: the path of a `.wasm` file, or OWNER/ALGO[/VERSION].
    algorithm: String,
    /// Input data: JSON if it parses as JSON, text otherwise.
    #[arg(short = 'd', long = "data", group = "input")]
    data: Option<String>,
    /// Input text, never parsed.
    #[arg(short = 't', long = "text", group = "input")]
    text: Option<String>,
    /// Input JSON; it must parse.
    #[arg(short = 'j', long = "json-input", group = "input")]
    json_input: Option<String>,
    /// Input bytes, read from this file (`-` for stdin).
    #[arg(short = 'b', long = "binary", group = "input")]
    binary: Option<PathBuf>,
    /// Several positional inputs for the lifecycle's `initialize` (Hkube),
    /// as a JSON array: each string a text input, any other value a JSON
    /// input. On a server this sends `?inputs=array`.
    #[arg(long, group = "input", value_name = "JSON_ARRAY")]
    inputs: Option<String>,
    /// Stop the algorithm after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Grant the GPU, as `settings.environment: gpu` does on a server
    /// (a local `.wasm` file only).
    #[arg(long)]
    gpu: bool,
    /// Show what the algorithm printed to stdout.
    #[arg(long)]
    stdout: bool,
    /// Print the response exactly as the HTTP API sends it.
    #[arg(long)]
    json: bool,
    /// Keep compiled code here [default: $XDG_CACHE_HOME/algobox or ~/.cache/algobox].
    #[arg(long, env = "ALGOBOX_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
}

impl RunCommand {
    pub(crate) async fn run(self) -> anyhow::Result<ExitCode> {
        let inputs = match &self.inputs {
            Some(array) => Payload::positional(array).context(
                "--inputs takes a JSON array, such as '[\"text\", {\"a\": 1}]'; quote it for the shell",
            )?,
            None => vec![self.input()?],
        };
        let timeout = self.timeout.map(seconds).transpose()?;
        let path = PathBuf::from(&self.algorithm);
        if !path.exists() && !self.algorithm.ends_with(".wasm") {
            return self.run_remote(inputs, timeout).await;
        }
        let wasm = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read {}; pass the path of a `.wasm` file, or OWNER/ALGO to call a server",
                path.display()
            )
        })?;

        let limits = Limits {
            // One call needs only a small pool.
            concurrency: 4,
            ..Limits::default()
        };
        let mut builder = Runtime::builder().limits(limits);
        if let Some(dir) = self.cache_dir.clone().or_else(super::default_cache_dir) {
            builder = builder.cache_dir(dir);
        }
        if self.gpu {
            let worker = std::env::current_exe()
                .context("cannot find the algobox binary to start its GPU worker from")?;
            builder = builder.gpu(GpuConfig::new(worker).arg("gpu-worker"));
        }
        let runtime = builder.build()?;

        let bar = ProgressBar::new_spinner();
        bar.set_message(format!("loading {}", self.algorithm));
        bar.enable_steady_tick(Duration::from_millis(100));
        let algorithm = runtime
            .register(wasm)
            .await
            .with_context(|| format!("cannot load {}", self.algorithm));
        bar.finish_and_clear();
        let algorithm = algorithm?;

        let bar = ProgressBar::hidden();
        let mut invocation = Invocation::positional(inputs)
            .gpu(self.gpu)
            .on_progress(progress_reporter(bar.clone()));
        if let Some(timeout) = timeout {
            invocation = invocation.timeout(timeout);
        }
        let started = std::time::Instant::now();
        let result = runtime.invoke(&algorithm, invocation).await;
        bar.finish_and_clear();
        self.print(result, started.elapsed())
    }

    /// Calls OWNER/ALGO[/VERSION] on a server and prints what it answers.
    async fn run_remote(
        &self,
        mut inputs: Vec<Payload>,
        timeout: Option<Duration>,
    ) -> anyhow::Result<ExitCode> {
        let parts: Vec<&str> = self.algorithm.trim_matches('/').split('/').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|part| part.is_empty()) {
            anyhow::bail!(
                "{} is neither a file nor OWNER/ALGO[/VERSION]; pass the path of a `.wasm` file or an algorithm such as admin/hello/0.1.0",
                self.algorithm
            );
        }
        let mut query = Vec::new();
        if let Some(timeout) = timeout {
            query.push(format!("timeout={}", timeout.as_secs_f64()));
        }
        if self.stdout {
            query.push("stdout=true".to_owned());
        }
        // Several inputs go as the array they were given.
        let input = match &self.inputs {
            Some(array) => {
                query.push("inputs=array".to_owned());
                Payload::Json(array.clone())
            }
            None => inputs.remove(0),
        };
        let mut path = format!("/v1/algo/{}", parts.join("/"));
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let (content_type, body) = match input {
            Payload::Text(text) => (Some("text/plain"), text.into_bytes()),
            Payload::Json(json) => (Some("application/json"), json.into_bytes()),
            Payload::Binary(bytes) => (Some("application/octet-stream"), bytes),
            Payload::Void => (None, Vec::new()),
        };
        let client = ApiClient::new(&self.server);
        let response = client.send(Method::POST, &path, content_type, body).await?;
        if self.json {
            std::io::stdout().lock().write_all(&response.body)?;
            println!();
            return Ok(
                if response.status.is_success() && response.json()?.get("error").is_none() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                },
            );
        }
        let envelope = response.success()?;
        if let Some(error) = envelope.get("error") {
            eprintln!(
                "error: {}",
                error["message"].as_str().unwrap_or("the algorithm failed")
            );
            if let Some(trace) = error["stacktrace"]
                .as_str()
                .filter(|trace| !trace.is_empty())
            {
                eprintln!("{trace}");
            }
            return Ok(ExitCode::FAILURE);
        }
        let mut out = std::io::stdout().lock();
        if let Some(stdout) = envelope["metadata"]["stdout"].as_str() {
            out.write_all(stdout.as_bytes())?;
        }
        let result = &envelope["result"];
        match envelope["metadata"]["content_type"].as_str() {
            Some("text") => writeln!(out, "{}", result.as_str().unwrap_or_default())?,
            Some("binary") => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(result.as_str().unwrap_or_default())
                    .context("the server sent a binary result that is not base64")?;
                out.write_all(&bytes)?;
            }
            Some("void") => {}
            _ => writeln!(out, "{result}")?,
        }
        Ok(ExitCode::SUCCESS)
    }

    fn input(&self) -> anyhow::Result<Payload> {
        Ok(if let Some(data) = &self.data {
            Payload::guess(data)
        } else if let Some(text) = &self.text {
            Payload::text(text.clone())
        } else if let Some(json) = &self.json_input {
            Payload::json_text(json.clone())
                .context("the -j input is not valid JSON; use -t to pass it as text")?
        } else if let Some(path) = &self.binary {
            let bytes = if path.as_os_str() == "-" {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                    .context("cannot read the -b input from stdin")?;
                bytes
            } else {
                std::fs::read(path)
                    .with_context(|| format!("cannot read the -b input {}", path.display()))?
            };
            Payload::binary(bytes)
        } else {
            Payload::Void
        })
    }

    fn print(
        &self,
        result: Result<Output, InvokeError>,
        elapsed: Duration,
    ) -> anyhow::Result<ExitCode> {
        let mut out = std::io::stdout().lock();
        match result {
            Ok(output) if self.json => {
                let metadata = envelope::Metadata {
                    duration: output.duration.as_secs_f64(),
                    stdout: self.stdout.then_some(output.stdout),
                };
                writeln!(out, "{}", envelope::success(&output.payload, &metadata))?;
                Ok(ExitCode::SUCCESS)
            }
            Ok(output) => {
                if self.stdout {
                    out.write_all(output.stdout.as_bytes())?;
                }
                match &output.payload {
                    Payload::Text(text) | Payload::Json(text) => writeln!(out, "{text}")?,
                    Payload::Binary(bytes) => out.write_all(bytes)?,
                    Payload::Void => {}
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(err) if self.json => {
                writeln!(
                    out,
                    "{}",
                    envelope::failure(
                        &envelope::ErrorBody::of(&err.to_algo_error()),
                        elapsed.as_secs_f64()
                    )
                )?;
                Ok(ExitCode::FAILURE)
            }
            Err(err) => {
                eprintln!("error: {err}");
                if let InvokeError::Algorithm(algo) = &err
                    && let Some(details) = &algo.details
                {
                    eprintln!("{details}");
                }
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// Parses a timeout in seconds.
fn seconds(value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|timeout| !timeout.is_zero())
        .with_context(|| format!("--timeout {value} is not a positive number of seconds"))
}

/// Shows progress reports: a bar on a terminal, one line each otherwise.
fn progress_reporter(bar: ProgressBar) -> impl Fn(&Progress) + Send + Sync + 'static {
    let interactive = std::io::stderr().is_terminal();
    move |progress| {
        let details = progress.details.as_deref().unwrap_or("");
        if !interactive {
            eprintln!("progress {:>5.1}% {details}", progress.percent);
            return;
        }
        if bar.is_hidden() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(100);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos:>3}% {msg}")
                    .expect("the template is valid"),
            );
        }
        bar.set_position(progress.percent.round() as u64);
        bar.set_message(details.to_owned());
    }
}
