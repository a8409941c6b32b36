//! `algobox run`: call an algorithm once, as Algorithmia's `algo run` does.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use algobox_host_api::{Payload, envelope};
use algobox_runtime::{Invocation, InvokeError, Limits, Output, Progress, Runtime};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

/// Runs an algorithm once and prints its result.
///
/// Input is given by one of -d, -t, -j or -b; with none, the algorithm gets
/// no input (void). Exits non-zero on any error.
#[derive(Debug, clap::Args)]
pub(crate) struct RunCommand {
    /// The algorithm: the path of a `.wasm` file.
    algorithm: PathBuf,
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
    /// Stop the algorithm after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Show what the algorithm printed to stdout.
    #[arg(long)]
    stdout: bool,
    /// Print the response exactly as the HTTP API sends it.
    #[arg(long)]
    json: bool,
    /// Keep compiled code here [default: $XDG_CACHE_HOME/algobox or ~/.cache/algobox].
    #[arg(long, env = "ALGOBOX_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

impl RunCommand {
    pub(crate) async fn run(self) -> anyhow::Result<ExitCode> {
        let input = self.input()?;
        let timeout = self.timeout.map(seconds).transpose()?;
        let wasm = std::fs::read(&self.algorithm).with_context(|| {
            format!(
                "cannot read {}; pass the path of a `.wasm` file",
                self.algorithm.display()
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
        let runtime = builder.build()?;

        let bar = ProgressBar::new_spinner();
        bar.set_message(format!("loading {}", self.algorithm.display()));
        bar.enable_steady_tick(Duration::from_millis(100));
        let algorithm = runtime
            .register(wasm)
            .await
            .with_context(|| format!("cannot load {}", self.algorithm.display()));
        bar.finish_and_clear();
        let algorithm = algorithm?;

        let bar = ProgressBar::hidden();
        let mut invocation = Invocation::new(input).on_progress(progress_reporter(bar.clone()));
        if let Some(timeout) = timeout {
            invocation = invocation.timeout(timeout);
        }
        let started = std::time::Instant::now();
        let result = runtime.invoke(&algorithm, invocation).await;
        bar.finish_and_clear();
        self.print(result, started.elapsed())
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
                    envelope::failure(&err.to_error_body(), elapsed.as_secs_f64())
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
