//! The command line: one subcommand per file under `cli/`.

mod account;
mod build;
mod client;
mod deploy;
mod language;
mod new;
mod project;
mod run;
mod serve;
mod stop;
mod wit;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// algobox: a WebAssembly-sandboxed runtime for algorithms.
#[derive(Debug, Parser)]
#[command(name = "algobox", version, about)]
pub(crate) struct Cli {
    /// Log what algobox does (`RUST_LOG` overrides).
    #[arg(long, short, global = true)]
    pub(crate) verbose: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    Serve(serve::ServeCommand),
    Run(run::RunCommand),
    Deploy(deploy::DeployCommand),
    Stop(stop::StopCommand),
    Wit(wit::WitCommand),
    New(new::NewCommand),
    Build(build::BuildCommand),
    /// Creates users and organizations in a data folder's registry.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Creates, lists and revokes API keys in a data folder's registry.
    #[command(subcommand)]
    Key(account::KeyCommand),
    /// The GPU worker process `algobox serve` starts; speaks a binary
    /// protocol on stdin and stdout, not for people.
    #[command(hide = true)]
    GpuWorker,
    /// The compile worker process `algobox serve` starts for each compile;
    /// reads a component on stdin and writes compiled code, not for people.
    #[command(hide = true)]
    CompileWorker,
}

impl Command {
    pub(crate) async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Serve(command) => command.run().await,
            Self::Run(command) => command.run().await,
            Self::Deploy(command) => command.run().await,
            Self::Stop(command) => command.run().await,
            Self::Wit(command) => command.run(),
            Self::New(command) => command.run(),
            Self::Build(command) => command.run(),
            Self::Account(command) => command.run(),
            Self::Key(command) => command.run(),
            // `main` runs the worker before starting an async runtime.
            Self::GpuWorker => unreachable!("the GPU worker is started by `main`"),
            Self::CompileWorker => unreachable!("the compile worker is started by `main`"),
        }
    }
}

/// Where compiled code is kept between runs: `$ALGOBOX_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/algobox`, else `~/.cache/algobox`.
pub(crate) fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map(|dir| dir.join("algobox"))
}
