//! `algobox deploy`: create, upload, compile and publish in one step.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use http::{Method, StatusCode};
use indicatif::ProgressBar;
use serde_json::json;

use crate::commands::client::{ApiClient, ServerArgs};

/// Deploys a `.wasm` algorithm to a server: creates the algorithm if it is
/// missing, uploads the module, compiles it and, with --publish, publishes
/// a version.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployCommand {
    /// The `.wasm` file.
    wasm: PathBuf,
    /// The algorithm, as OWNER/ALGO.
    algorithm: String,
    /// Publish a new version: major, minor or patch.
    #[arg(long, value_parser = ["major", "minor", "patch", "revision"])]
    publish: Option<String>,
    /// Publish the version for every user, not only its owner.
    #[arg(long, requires = "publish")]
    public: bool,
    /// Release notes for the published version.
    #[arg(long, requires = "publish", default_value = "")]
    release_notes: String,
    /// Where the algorithm runs: `cpu`, or `gpu` for the GPU interface.
    /// New algorithms get `cpu`; given for an existing one, it changes its
    /// settings (and those of versions published from now on).
    #[arg(long, value_parser = ["cpu", "gpu"])]
    environment: Option<String>,
    /// Network access: `isolated` (no sockets, lookups or outbound HTTP)
    /// or `full`. New algorithms get `isolated`; given for an existing one,
    /// it changes its settings.
    #[arg(long, value_parser = ["isolated", "full"])]
    network: Option<String>,
    /// Whether the algorithm may call other algorithms. New algorithms get
    /// `false`; given for an existing one, it changes its settings.
    #[arg(long, value_name = "BOOL")]
    pipeline: Option<bool>,
    /// Print the final algorithm or version object as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    server: ServerArgs,
}

impl DeployCommand {
    pub(crate) async fn run(self) -> anyhow::Result<ExitCode> {
        let (owner, name) = self
            .algorithm
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .with_context(|| {
                format!(
                    "{} is not OWNER/ALGO, for example admin/hello",
                    self.algorithm
                )
            })?;
        let wasm = std::fs::read(&self.wasm).with_context(|| {
            format!(
                "cannot read {}; pass the path of a `.wasm` file",
                self.wasm.display()
            )
        })?;
        let client = ApiClient::new(&self.server);
        let bar = ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(100));
        let step = |message: String| {
            if bar.is_hidden() {
                eprintln!("{message}");
            }
            bar.set_message(message);
        };
        let base = format!("/v1/algorithms/{owner}/{name}");

        let existing = client.json(Method::GET, &base, None).await?;
        if existing.status == StatusCode::NOT_FOUND {
            step(format!("creating {owner}/{name}"));
            let body = json!({
                "name": name,
                "details": { "label": name },
                "settings": {
                    "language": "rust",
                    "environment": self.environment.as_deref().unwrap_or("cpu"),
                    "license": "apl",
                    "source_visibility": "closed",
                    "network_access": self.network.as_deref().unwrap_or("isolated"),
                    "pipeline_enabled": self.pipeline.unwrap_or(false),
                },
            });
            client
                .json(
                    Method::POST,
                    &format!("/v1/algorithms/{owner}"),
                    Some(&body),
                )
                .await?
                .success()?;
        } else {
            existing.success()?;
            let mut settings = serde_json::Map::new();
            if let Some(environment) = &self.environment {
                settings.insert("environment".into(), json!(environment));
            }
            if let Some(network) = &self.network {
                settings.insert("network_access".into(), json!(network));
            }
            if let Some(pipeline) = self.pipeline {
                settings.insert("pipeline_enabled".into(), json!(pipeline));
            }
            if !settings.is_empty() {
                step(format!("updating the settings of {owner}/{name}"));
                client
                    .json(Method::PUT, &base, Some(&json!({ "settings": settings })))
                    .await?
                    .success()?;
            }
        }

        step(format!(
            "uploading {} ({} KiB)",
            self.wasm.display(),
            wasm.len().div_ceil(1024)
        ));
        let uploaded = client
            .send(
                Method::PUT,
                &format!("{base}/source"),
                Some("application/wasm"),
                wasm,
            )
            .await?
            .success()?;
        let module = uploaded["source"]["module"]["hash"].clone();

        step("compiling".to_owned());
        // Naming the module compiles what this deploy uploaded, even if
        // another deploy to the same algorithm uploaded since.
        let compiled = client
            .json(
                Method::POST,
                &format!("{base}/compile"),
                Some(&json!({ "version_info": { "git_hash": module } })),
            )
            .await?
            .success()?;
        if compiled["compilation"]["successful"] != true {
            bar.finish_and_clear();
            bail!(
                "compiling {owner}/{name} failed: {}",
                compiled["compilation"]["output"]
                    .as_str()
                    .unwrap_or("no output")
            );
        }
        let hash = compiled["version_info"]["git_hash"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        let build_id = compiled["build"]["build_id"].clone();

        let result = if let Some(bump) = &self.publish {
            step(format!("publishing a {bump} version"));
            // Naming the build publishes exactly this deploy's code, even
            // when another deploy to the same algorithm compiled since.
            let body = json!({
                "details": {},
                "settings": { "algorithm_callability": if self.public { "public" } else { "private" } },
                "version_info": {
                    "version_type": bump,
                    "release_notes": self.release_notes,
                    "build_id": build_id,
                },
                "source": {},
                "scmsCredentials": {},
            });
            client
                .json(Method::POST, &format!("{base}/versions"), Some(&body))
                .await?
                .success()?
        } else {
            compiled
        };
        bar.finish_and_clear();

        if self.json {
            println!("{result}");
        } else if let Some(version) = result["version_info"]["semantic_version"].as_str() {
            println!("published {owner}/{name}/{version} (build {hash})");
            println!("call it: algobox run {owner}/{name}/{version} -d INPUT");
        } else {
            println!("compiled {owner}/{name} (build {hash}); publish with --publish minor");
        }
        Ok(ExitCode::SUCCESS)
    }
}
