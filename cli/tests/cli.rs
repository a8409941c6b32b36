//! Black-box tests of the `algobox` binary: the serve → deploy → run flow,
//! and durability under `kill -9`. (They live here, not in `tests/`,
//! because only this package's tests are given the binary's path.)

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use algobox_platform::registry::postgres::test_database::TestDatabase;
use serde_json::{Value, json};

use crate::command_line::algobox;
use crate::serve_process::{KEY, Server, call, deploy};

mod command_line;
mod serve_process;

/// Kill-and-restart rounds in the durability test.
const ROUNDS: u64 = 12;

#[test]
fn kill_9_at_any_moment_leaves_a_consistent_registry() {
    let data = tempfile::tempdir().unwrap();
    kill_9_rounds(data.path(), || Server::start(data.path()));
}

/// The same with the registry in PostgreSQL (`--registry`): the server's
/// transactions there are whole or absent too, and the data folder holds
/// no SQLite registry.
#[test]
fn kill_9_at_any_moment_leaves_a_consistent_postgres_registry() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let database = runtime.block_on(TestDatabase::create());
    let data = tempfile::tempdir().unwrap();
    let url = database.url();
    kill_9_rounds(data.path(), || {
        Server::start_with_registry(data.path(), &url)
    });
    assert!(!data.path().join("registry.sqlite3").exists());
}

/// `--registry` takes PostgreSQL URLs only, and says so.
#[test]
fn a_registry_url_that_is_not_postgres_is_refused() {
    let data = tempfile::tempdir().unwrap();
    for url in ["mysql://root@127.0.0.1/algobox", "registry.sqlite3"] {
        let (ok, _, stderr) = algobox(
            &[
                "serve",
                "--registry",
                url,
                "--data-dir",
                data.path().to_str().unwrap(),
            ],
            data.path(),
        );
        assert!(!ok);
        assert!(stderr.contains("postgres:// or postgresql://"), "{stderr}");
    }
    // A PostgreSQL URL whose server is down fails at start, naming it.
    let (ok, _, stderr) = algobox(
        &[
            "serve",
            "--registry",
            "postgresql://postgres@127.0.0.1:1/algobox",
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
        data.path(),
    );
    assert!(!ok);
    assert!(stderr.contains("127.0.0.1:1/algobox"), "{stderr}");
    assert!(!data.path().join("registry.sqlite3").exists());
}

/// Deploys in rounds, killing the server (which `start` starts over
/// `data`) with SIGKILL at moments spread over a deploy, and checks after
/// each restart that every published version is intact and callable.
fn kill_9_rounds(data: &Path, start: impl Fn() -> Server) {
    let modules = [
        ("hello", std::fs::read(test_artifacts::HELLO).unwrap()),
        ("echo", std::fs::read(test_artifacts::ECHO).unwrap()),
    ];
    // (algorithm, version) -> module hash, for every publish that answered.
    let mut published: Vec<(String, String, String)> = Vec::new();
    // Rounds 0 and 1 run to the end: the first fills the compiled-code
    // cache, the second measures how long warm deploys take on this machine
    // now. Later rounds kill at moments spread over that span (during an
    // upload, a compile, a publish, or between them), so the test keeps its
    // coverage on a slow or loaded machine.
    let mut span = None;
    for round in 0..ROUNDS {
        let server = start();
        let kill_after = span.map(|span: Duration| span * (round as u32 - 1) / (ROUNDS as u32 - 1));
        let started = Instant::now();
        let name = format!("algo{round}");
        let worker = std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                let mut done = Vec::new();
                for (module, wasm) in &modules {
                    match deploy(&server, &name, wasm) {
                        Some((version, hash)) => done.push((name.clone(), version, hash, *module)),
                        None => break,
                    }
                }
                done
            });
            match kill_after {
                Some(kill_after) => {
                    std::thread::sleep(kill_after.saturating_sub(started.elapsed()));
                    server.kill();
                    worker.join().unwrap()
                }
                None => {
                    let done = worker.join().unwrap();
                    span = (round == 1).then(|| started.elapsed());
                    server.kill();
                    done
                }
            }
        });
        let when = kill_after.map_or("ran to the end".to_owned(), |at| {
            format!("killed after {at:?}")
        });
        eprintln!(
            "round {round}: {when}, {} of {} publishes answered",
            worker.len(),
            modules.len()
        );
        published.extend(
            worker
                .into_iter()
                .map(|(name, version, hash, _)| (name, version, hash)),
        );

        // After a restart every published version answers with its own
        // module's behaviour, and no version changed.
        let server = start();
        check_consistent(&server, &published);
        server.kill();
    }
    assert!(
        published.len() >= modules.len(),
        "the calibration round published nothing"
    );

    // Every stored module is whole: its bytes hash to its name.
    let store =
        algobox_platform::module_store::directory::DirectoryStore::open(data.join("modules"))
            .unwrap();
    for entry in std::fs::read_dir(data.join("modules")).unwrap() {
        let path = entry.unwrap().path();
        let Some(hash) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse().ok())
        else {
            continue;
        };
        let bytes = store.get_blocking(&hash).unwrap().unwrap();
        assert_eq!(algobox_runtime::content_hash::ContentHash::of(&bytes), hash);
    }
}

fn check_consistent(server: &Server, published: &[(String, String, String)]) {
    for (name, version, hash) in published {
        let (status, info) = server
            .json(
                "GET",
                &format!("/v1/algorithms/admin/{name}/versions/{hash}"),
                &Value::Null,
            )
            .expect("the restarted server answers");
        assert_eq!(status, 200, "{name} {version}: {info}");
        assert_eq!(
            info["version_info"]["semantic_version"],
            version.as_str(),
            "version {name}/{version} changed"
        );
        let result = call(server, name, version);
        assert!(
            result == "Hello x" || result == "x",
            "{name}/{version}: {result}"
        );
    }
    // Versions the server lists but no client saw answered (killed after
    // committing) must be callable too.
    for round in 0..ROUNDS {
        let name = format!("algo{round}");
        let Some((200, versions)) = server.json(
            "GET",
            &format!("/v1/algorithms/admin/{name}/versions"),
            &Value::Null,
        ) else {
            continue;
        };
        for version in versions["results"].as_array().unwrap() {
            let version = version["version_info"]["semantic_version"]
                .as_str()
                .unwrap();
            call(server, &name, version);
        }
    }
}

#[test]
fn run_a_file_then_deploy_it_and_run_it_on_a_server() {
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path();
    let hello = test_artifacts::HELLO;

    let (ok, stdout, _) = algobox(&["run", hello, "-d", "Neo"], cache);
    assert!(ok);
    assert_eq!(stdout, "Hello Neo\n");
    let (ok, stdout, _) = algobox(&["run", hello, "-t", "[1]", "--json"], cache);
    assert!(ok);
    let envelope: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(envelope["result"], "Hello [1]");
    assert_eq!(envelope["metadata"]["content_type"], "text");

    let (ok, _, stderr) = algobox(&["run", test_artifacts::LOOPER, "--timeout", "0.2"], cache);
    assert!(!ok, "a timeout must exit non-zero");
    assert!(stderr.contains("timeout"), "{stderr}");
    let (ok, stdout, _) = algobox(&["run", test_artifacts::FAILER, "-t", "x", "--json"], cache);
    assert!(!ok);
    let envelope: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(envelope["error"]["error_type"], "InputError");

    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let api = format!("http://{}", server.address);
    let remote = ["--api", api.as_str(), "--key", KEY];
    let deploy = [
        &["deploy", hello, "admin/hello", "--publish", "minor"][..],
        &remote[..],
    ]
    .concat();
    let (ok, stdout, stderr) = algobox(&deploy, cache);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("published admin/hello/0.1.0"), "{stdout}");
    let run = [&["run", "admin/hello/0.1.0", "-d", "Neo"][..], &remote[..]].concat();
    let (ok, stdout, stderr) = algobox(&run, cache);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Hello Neo\n");
    // Capabilities from flags: on creation, and as an update of an
    // existing algorithm.
    let granted = [
        &["deploy", hello, "admin/granted", "--environment", "gpu"][..],
        &["--network", "full", "--pipeline", "true", "--json"][..],
        &remote[..],
    ]
    .concat();
    let (ok, stdout, stderr) = algobox(&granted, cache);
    assert!(ok, "{stderr}");
    let settings = serde_json::from_str::<Value>(&stdout).unwrap()["settings"].clone();
    assert_eq!(
        (
            &settings["environment"],
            &settings["network_access"],
            &settings["pipeline_enabled"]
        ),
        (&json!("gpu"), &json!("full"), &json!(true)),
        "{stdout}"
    );
    let narrowed = [
        &[
            "deploy",
            hello,
            "admin/granted",
            "--network",
            "isolated",
            "--json",
        ][..],
        &remote[..],
    ]
    .concat();
    let (ok, stdout, stderr) = algobox(&narrowed, cache);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("updating the settings of admin/granted"),
        "{stderr}"
    );
    let settings = serde_json::from_str::<Value>(&stdout).unwrap()["settings"].clone();
    assert_eq!(
        (&settings["environment"], &settings["network_access"]),
        (&json!("gpu"), &json!("isolated")),
        "{stdout}"
    );
    // Accounts and keys, made with the CLI beside the running server.
    let data_dir = data.path().to_str().unwrap();
    let (ok, stdout, stderr) =
        algobox(&["account", "create", "bob", "--data-dir", data_dir], cache);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "created user bob\n");
    let (ok, stdout, stderr) = algobox(
        &["key", "create", "bob", "--json", "--data-dir", data_dir],
        cache,
    );
    assert!(ok, "{stderr}");
    let created: Value = serde_json::from_str(&stdout).unwrap();
    let bob_key = created["key"].as_str().unwrap().to_owned();
    let (ok, stdout, _) = algobox(
        &["key", "list", "bob", "--json", "--data-dir", data_dir],
        cache,
    );
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap()[0]["id"],
        created["id"]
    );
    // Bob's key works, and admin's private algorithm does not exist to him.
    let as_bob = [
        "run",
        "admin/hello/0.1.0",
        "-d",
        "Neo",
        "--api",
        api.as_str(),
        "--key",
        bob_key.as_str(),
    ];
    let (ok, _, stderr) = algobox(&as_bob, cache);
    assert!(!ok);
    assert!(
        stderr.contains("404") && stderr.contains("not found"),
        "{stderr}"
    );
    let (ok, _, stderr) = algobox(&["account", "create", "bob", "--data-dir", data_dir], cache);
    assert!(!ok && stderr.contains("already exists"), "{stderr}");

    let wrong_key = [
        "run",
        "admin/hello/0.1.0",
        "-d",
        "Neo",
        "--api",
        api.as_str(),
        "--key",
        "nope",
    ];
    let (ok, _, stderr) = algobox(&wrong_key, cache);
    assert!(!ok);
    assert!(stderr.contains("401"), "{stderr}");
    server.kill();
}

/// `algobox serve` raises its soft open-file limit to the hard one, so a
/// start at the common 1,024 does not cap its connections there.
#[test]
fn serve_raises_its_open_file_limit() {
    let data = tempfile::tempdir().unwrap();
    // The shell lowers the soft limit, then becomes the server.
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"ulimit -S -n 256 && exec "$0" serve --listen 127.0.0.1:0 --data-dir "$1""#)
        .arg(env!("CARGO_BIN_EXE_algobox"))
        .arg(data.path());
    let server = Server::spawn(command);
    let pid = server.child.lock().unwrap().id();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    server.kill();
    let files: Vec<&str> = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    // "Max open files SOFT HARD files"
    let (soft, hard) = (files[3], files[4]);
    assert_eq!(soft, hard, "{limits}");
    assert_ne!(soft, "256", "{limits}");
}

#[test]
fn sigterm_lets_a_call_in_flight_finish_and_refuses_new_connections() {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_algobox"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--drain-time", "20"])
        .arg("--data-dir")
        .arg(data.path());
    let server = Server::spawn(command);
    let sleeper = std::fs::read(test_artifacts::SLEEPER).unwrap();
    let (version, _) = deploy(&server, "sleeper", &sleeper).unwrap();

    std::thread::scope(|scope| {
        let in_flight = scope.spawn(|| {
            server.send(
                "POST",
                &format!("/v1/algo/admin/sleeper/{version}"),
                "application/json",
                b"2000",
            )
        });
        // The call is running once the server counts it.
        std::thread::sleep(Duration::from_millis(500));
        server.terminate();
        let signalled = Instant::now();
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            std::net::TcpStream::connect(&server.address).is_err(),
            "a draining single node still accepts connections"
        );
        let (status, body) = in_flight
            .join()
            .unwrap()
            .expect("the call in flight was cut off");
        let reply: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (status, &reply["result"]),
            (200, &json!("slept 2000 ms")),
            "{reply}"
        );
        let exit = server
            .exited_within(Duration::from_secs(10))
            .expect("the server did not exit once its call finished");
        assert!(exit.success(), "{exit}");
        // It exits when the call ends, not when the drain time is up.
        assert!(signalled.elapsed() < Duration::from_secs(10));
    });
}
