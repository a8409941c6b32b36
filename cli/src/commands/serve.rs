//! `algobox serve`: the HTTP server.

mod cluster_parts;
mod open_files;
mod service_addresses;
mod shutdown_signal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use algobox_platform::cluster::ClusterOptions;
use algobox_platform::identity::ClusterName;
use algobox_platform::registry::api_key::MIN_CHOSEN_KEY_LEN;
use algobox_platform::registry::postgres::PostgresRegistry;
use algobox_platform::shared_parts::SharedParts;
use algobox_platform::{Platform, PlatformConfig};
use algobox_runtime::compiler::{CompileWorker, CompilerConfig};
use algobox_runtime::egress::{EgressPolicy, EgressRule};
use algobox_runtime::gpu::GpuConfig;
use algobox_runtime::limits::Limits;
use algobox_server::connection_limits::ConnectionLimits;
use algobox_server::drain_policy::DrainPolicy;
use algobox_server::public_url::PublicUrl;
use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::commands::serve::open_files::{FILES_KEPT_FREE, raise_open_files};
use crate::commands::serve::service_addresses::service_addresses;
use crate::commands::serve::shutdown_signal::shutdown_signal;

/// Serves the Algorithmia-compatible HTTP API, keeping everything in one
/// data folder (an SQLite registry, uploaded modules, compiled code), or
/// the registry in PostgreSQL with --registry.
///
/// On the first start with an empty registry it creates the user
/// `admin`, prints its API key once and writes it to `<data-dir>/admin.key`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeCommand {
    /// Address to listen on.
    #[arg(long, env = "ALGOBOX_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The URL clients reach the API at, such as https://api.example.com
    /// behind a proxy; absolute links in answers (`self_link`) start with
    /// it. Default: http:// and the listen address.
    #[arg(long, env = "ALGOBOX_PUBLIC_URL", value_name = "URL")]
    public_url: Option<PublicUrl>,
    /// Folder for the registry, modules and compiled code.
    #[arg(long, env = "ALGOBOX_DATA_DIR", default_value = "./algobox-data")]
    data_dir: PathBuf,
    /// Keep the registry (accounts, keys, algorithms, builds, versions) in
    /// this PostgreSQL database instead of the data folder's SQLite file,
    /// so that several servers can share it: postgres://USER:PASSWORD@HOST:PORT/DATABASE
    /// (or postgresql://). The schema is created or upgraded at start.
    #[arg(
        long,
        env = "ALGOBOX_REGISTRY",
        hide_env_values = true,
        value_name = "URL",
        value_parser = postgres_url
    )]
    registry: Option<String>,
    /// Join a cluster through this NATS server (with JetStream), such as
    /// nats://10.0.0.5:4222: modules are kept in its object store (and,
    /// with --registry, the Data API's files, indexed in PostgreSQL), void
    /// calls wait on its work queue for any node, and changes reach every
    /// node at once. Every node needs the same registry (--registry) and
    /// the same admin key.
    #[arg(long, env = "ALGOBOX_NATS", value_name = "URL")]
    nats: Option<String>,
    /// The cluster's name: the prefix of its NATS streams, buckets and
    /// subjects, so several clusters can share one NATS server.
    #[arg(
        long,
        env = "ALGOBOX_CLUSTER",
        default_value = "algobox",
        value_name = "NAME"
    )]
    cluster: ClusterName,
    /// A secret every node of the cluster holds (at least 16 bytes; say
    /// `openssl rand -base64 32`): with it, code one node compiles is
    /// shared through NATS, signed with it, and the other nodes load it
    /// instead of compiling the same upload again. Without it each node
    /// compiles for itself. Only meaningful with --nats.
    #[arg(
        long,
        env = "ALGOBOX_CLUSTER_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    cluster_secret: Option<String>,
    /// Seconds a cluster node may go without reporting on a void call it
    /// runs before another node runs the call again (it reports every
    /// third of this); a node killed mid-call loses its calls for this long.
    #[arg(
        long,
        env = "ALGOBOX_RERUN_AFTER",
        default_value_t = 30.0,
        value_name = "SECONDS"
    )]
    rerun_after: f64,
    /// Seconds after SIGTERM (or Ctrl-C) that requests in flight and the
    /// void calls this node runs may take to finish. From the signal on,
    /// /readyz answers 503 and a cluster node takes no more void calls; at
    /// the end, void calls still running are handed back to the cluster's
    /// queue, where another node runs them at once (a single node stops
    /// them and records them as failed, telling callers to call again,
    /// within two more seconds). Keep it below the time
    /// the process supervisor waits (Kubernetes' terminationGracePeriodSeconds).
    #[arg(
        long,
        env = "ALGOBOX_DRAIN_TIME",
        default_value_t = 30.0,
        value_name = "SECONDS"
    )]
    drain_time: f64,
    /// Seconds after SIGTERM that the server still accepts connections
    /// (answering /readyz with 503), so load balancers stop sending before
    /// connections are refused; part of --drain-time.
    #[arg(
        long,
        env = "ALGOBOX_DRAIN_LINGER",
        default_value_t = 0.0,
        value_name = "SECONDS"
    )]
    drain_linger: f64,
    /// Use this API key for `admin` instead of a random one (for scripts
    /// and tests); it is installed on every start.
    #[arg(long, env = "ALGOBOX_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Seconds a call has after its timeout, asked to stop, so its `stop`
    /// hook can run before its instance ends; it fails with TimeoutError
    /// either way.
    #[arg(
        long,
        env = "ALGOBOX_TIMEOUT_GRACE",
        default_value_t = 1.0,
        value_name = "SECONDS"
    )]
    timeout_grace: f64,
    /// Seconds to keep the results of `output=void` calls.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    keep_results: u64,
    /// Address ranges and host names (`*.internal` for a whole domain)
    /// that algorithms with full network access may not reach, such as this
    /// server's own network (link-local addresses, where cloud metadata
    /// answers, are always denied).
    #[arg(
        long,
        env = "ALGOBOX_EGRESS_DENY",
        value_delimiter = ',',
        value_name = "CIDR"
    )]
    egress_deny: Vec<EgressRule>,
    /// If given, the only address ranges and host names algorithms with
    /// full network access may reach.
    #[arg(
        long,
        env = "ALGOBOX_EGRESS_ALLOW",
        value_delimiter = ',',
        value_name = "CIDR"
    )]
    egress_allow: Vec<EgressRule>,
    /// How many calls of one account run at once; its further calls wait
    /// while other accounts' run. Default: half of the call slots.
    #[arg(long, env = "ALGOBOX_CALLS_PER_ACCOUNT", value_name = "N")]
    calls_per_account: Option<u32>,
    /// How many synchronous calls of one account may wait for a slot; past
    /// it, calls get HTTP 429. Default: four times --calls-per-account.
    #[arg(long, env = "ALGOBOX_WAITING_CALLS_PER_ACCOUNT", value_name = "N")]
    waiting_calls_per_account: Option<u32>,
    /// How many `output=void` calls one account may have accepted and
    /// unfinished; past it, calls get HTTP 429.
    #[arg(
        long,
        env = "ALGOBOX_VOID_CALLS_PER_ACCOUNT",
        default_value_t = 100,
        value_name = "N"
    )]
    void_calls_per_account: u32,
    /// How many calls execute guest code at any moment, of one account and
    /// of all together (the rest wait between 5 ms time slices). Default:
    /// one fewer than the cores, so a core is always left for requests.
    #[arg(long, env = "ALGOBOX_RUNNABLE", value_name = "N")]
    runnable: Option<usize>,
    /// Connections open at once; past it, new ones are closed at once.
    #[arg(
        long,
        env = "ALGOBOX_MAX_CONNECTIONS",
        default_value_t = 16_384,
        value_name = "N"
    )]
    max_connections: usize,
    /// Connections open at once from one client address (raise it to
    /// --max-connections behind a load balancer).
    #[arg(
        long,
        env = "ALGOBOX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 1_024,
        value_name = "N"
    )]
    connections_per_address: usize,
    /// Memory one compile may use, in MiB; a module that needs more is a
    /// failed build.
    #[arg(
        long,
        env = "ALGOBOX_COMPILE_MEMORY",
        default_value_t = 2048,
        value_name = "MIB"
    )]
    compile_memory: u64,
    /// Seconds one compile may take; a module that takes longer is a
    /// failed build.
    #[arg(
        long,
        env = "ALGOBOX_COMPILE_TIMEOUT",
        default_value_t = 120,
        value_name = "SECONDS"
    )]
    compile_timeout: u64,
    /// Instances made ahead of their calls, at most one per recently
    /// called algorithm: after a call, the algorithm's next instance is
    /// made in the background, so its next call skips instantiation (most
    /// of a Python or JavaScript call's cost). Each serves one call; one
    /// unused for 30 s is dropped. 0 turns them off.
    #[arg(
        long,
        env = "ALGOBOX_SPARE_INSTANCES",
        default_value_t = 16,
        value_name = "COUNT"
    )]
    spare_instances: u32,
}

impl ServeCommand {
    pub(crate) async fn run(self) -> anyhow::Result<ExitCode> {
        // First, so that everything the server opens counts against the
        // raised limit, and the limit is in force once it says it listens.
        let open_files = raise_open_files();
        let mut egress = EgressPolicy::default();
        for rule in self.egress_deny {
            egress.deny(rule);
        }
        for rule in self.egress_allow {
            egress.allow(rule);
        }
        // Sockets see addresses only: look up the named hosts once, now.
        // Guests never reach the cluster's own services, whatever the
        // policy allows: the deny list wins over everything.
        for url in [&self.nats, &self.registry].into_iter().flatten() {
            for rule in service_addresses(url).await? {
                egress.deny(rule);
            }
        }
        let egress = tokio::task::spawn_blocking(move || {
            egress.resolve_hosts();
            egress
        })
        .await?;
        let worker = std::env::current_exe()
            .context("cannot find the algobox binary to start its GPU and compile workers from")?;
        let compiler = CompilerConfig {
            worker: Some(CompileWorker::new(&worker).arg("compile-worker")),
            memory: self.compile_memory << 20,
            timeout: Duration::from_secs(self.compile_timeout),
            ..CompilerConfig::default()
        };
        let limits = Limits {
            timeout_grace: Duration::try_from_secs_f64(self.timeout_grace).with_context(|| {
                format!(
                    "--timeout-grace {} is not a number of seconds; pass, for example, 1 or 0.5",
                    self.timeout_grace
                )
            })?,
            spare_instances: self.spare_instances,
            ..Limits::default()
        };
        limits.validate().map_err(anyhow::Error::msg)?;
        let seconds = |flag: &str, value: f64| {
            Duration::try_from_secs_f64(value).with_context(|| {
                format!("{flag} {value} is not a number of seconds; pass, for example, 30 or 0.5")
            })
        };
        let drain = DrainPolicy {
            linger: seconds("--drain-linger", self.drain_linger)?,
            within: seconds("--drain-time", self.drain_time)?,
        };
        drain.validate()?;
        let config = PlatformConfig {
            limits,
            keep_results: Duration::from_secs(self.keep_results),
            egress,
            gpu: Some(GpuConfig::new(worker).arg("gpu-worker")),
            calls_per_account: self.calls_per_account,
            waiting_calls_per_account: self.waiting_calls_per_account,
            void_calls_per_account: self.void_calls_per_account,
            runnable: self.runnable,
            compiler,
            ..PlatformConfig::new(&self.data_dir)
        };
        let mut shared = SharedParts::default();
        let mut postgres = None;
        if let Some(url) = &self.registry {
            let registry = PostgresRegistry::connect(url)
                .await
                .context("cannot open the registry in PostgreSQL (--registry, ALGOBOX_REGISTRY)")?;
            postgres = Some(registry.clone());
            shared.registry = Some(Arc::new(registry));
        }
        // The sweeper deletes the cluster's superseded and orphaned Data
        // API objects while the node serves; dropped (stopped) once it has
        // drained.
        let (nats, sweeper) = match &self.nats {
            Some(url) => {
                let connection = cluster_parts::connect(
                    url,
                    &self.cluster,
                    self.cluster_secret.as_deref(),
                    postgres.as_ref(),
                    config.max_file_bytes,
                    &mut shared,
                )
                .await?;
                (Some(connection.client), connection.sweeper)
            }
            None => {
                if self.cluster_secret.is_some() {
                    tracing::warn!(
                        "--cluster-secret is ignored without --nats: a single node has no one to share compiled code with"
                    );
                }
                (None, None)
            }
        };
        let platform = Platform::open_with(config, shared)
            .await
            .with_context(|| format!("cannot open the data folder {}", self.data_dir.display()))?;
        if let Some(client) = nats {
            platform
                .join_cluster(ClusterOptions {
                    ack_wait: Duration::try_from_secs_f64(self.rerun_after)
                        .ok()
                        .filter(|wait| *wait >= Duration::from_secs(1))
                        .with_context(|| {
                            format!(
                                "--rerun-after {} is not a number of seconds of at least 1",
                                self.rerun_after
                            )
                        })?,
                    ..ClusterOptions::new(client, self.cluster.clone())
                })
                .await
                .context("cannot join the cluster")?;
            tracing::info!(cluster = %self.cluster, "joined the cluster");
        }
        if let Some(chosen) = &self.admin_key
            && chosen.chars().count() < MIN_CHOSEN_KEY_LEN
        {
            tracing::warn!(
                "ALGOBOX_ADMIN_KEY has {} characters, fewer than {MIN_CHOSEN_KEY_LEN}: it can be guessed; use a long random key (`openssl rand -base64 32`) anywhere but a private test",
                chosen.chars().count()
            );
        }
        if let Some(key) = platform.bootstrap_admin(self.admin_key.as_deref()).await? {
            let path = self.data_dir.join("admin.key");
            write_secret(&path, &key)?;
            println!(
                "created the user `admin`; its API key, shown once and saved to {}:",
                path.display()
            );
            println!("{key}");
        }
        // Starting the worker now finds the adapter (or its absence) before
        // the first `gpu` call, and says so where operators look.
        match platform.runtime().gpu_adapter().await {
            Ok(adapter) => tracing::info!(
                name = %adapter.name,
                backend = %adapter.backend,
                device_type = %adapter.device_type,
                "GPU adapter found; `environment: gpu` algorithms compute on it"
            ),
            Err(err) => tracing::warn!(
                "{err}; `environment: gpu` algorithms will fail, `cpu` ones are unaffected"
            ),
        }
        let listener = TcpListener::bind(self.listen).await.with_context(|| {
            format!(
                "cannot listen on {}; is another server using it? (--listen, ALGOBOX_LISTEN)",
                self.listen
            )
        })?;
        let address = listener.local_addr()?;
        tracing::info!(data_dir = %self.data_dir.display(), "listening on http://{address}");
        eprintln!("algobox listening on http://{address}");
        // Each connection is a file descriptor: past the open-file limit the
        // server could accept nothing, not even `/healthz`.
        let mut max = self.max_connections;
        if let Some(files) = open_files {
            let room = usize::try_from(files.saturating_sub(FILES_KEPT_FREE)).unwrap_or(usize::MAX);
            if room < max {
                tracing::warn!(
                    "the open-file limit is {files}: at most {room} connections, not {max}; raise it (ulimit -n) for more"
                );
                max = room.max(1);
            }
        }
        let connections = ConnectionLimits {
            max,
            per_peer: self.connections_per_address,
            ..ConnectionLimits::default()
        };
        algobox_server::serve_with(
            listener,
            platform,
            shutdown_signal(),
            connections,
            drain,
            self.public_url,
        )
        .await?;
        drop(sweeper);
        Ok(ExitCode::SUCCESS)
    }
}

/// Checks that `url` names a PostgreSQL database, the one networked
/// registry there is; the connection itself is tried at start.
fn postgres_url(url: &str) -> Result<String, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url.to_owned())
    } else {
        Err(
            "the registry must be a PostgreSQL URL starting with postgres:// or postgresql:// (postgres://USER:PASSWORD@HOST:PORT/DATABASE); leave --registry and ALGOBOX_REGISTRY unset to keep the registry in the data folder's SQLite file"
                .to_owned(),
        )
    }
}

/// Writes `secret` readable by its owner only.
fn write_secret(path: &std::path::Path, secret: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(file, "{secret}").with_context(|| format!("cannot write {}", path.display()))
}
