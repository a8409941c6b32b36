//! Black-box tests of the `algobox` binary: the serve → deploy → run flow,
//! and durability under `kill -9`. (They live here, not in `tests/`,
//! because only this package's tests are given the binary's path.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::command_line::algobox;

mod command_line;

const KEY: &str = "durability-test-key";

/// Kill-and-restart rounds in the durability test.
const ROUNDS: u64 = 12;

/// A server process.
struct Server {
    child: Mutex<Child>,
    address: String,
}

impl Server {
    fn start(data: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_algobox"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data);
        Self::spawn(command)
    }

    /// Runs `command`, which starts a server with the test key, and waits
    /// until it listens.
    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .env("ALGOBOX_ADMIN_KEY", KEY)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the server exited before listening")
                .unwrap();
            if let Some(address) = line.strip_prefix("algobox listening on http://") {
                break address.to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child: Mutex::new(child),
            address,
        }
    }

    /// Sends one request; `None` if the connection failed (the server died).
    fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Option<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(&self.address).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Simple {KEY}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.address,
            body.len()
        );
        stream.write_all(head.as_bytes()).ok()?;
        stream.write_all(body).ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).ok()?;
        let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status = std::str::from_utf8(&response[9..12]).ok()?.parse().ok()?;
        let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
        let mut body = response[split + 4..].to_vec();
        if head.contains("transfer-encoding: chunked") {
            body = dechunk(&body);
        }
        Some((status, body))
    }

    fn json(&self, method: &str, path: &str, body: &Value) -> Option<(u16, Value)> {
        let (status, body) = self.send(
            method,
            path,
            "application/json",
            body.to_string().as_bytes(),
        )?;
        Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// Kills the process with SIGKILL, as a crash or an OOM killer would.
    fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 4 + size..];
    }
    out
}

/// Creates, uploads, compiles and publishes; stops at the first failure
/// (the server being killed).
fn deploy(server: &Server, name: &str, wasm: &[u8]) -> Option<(String, String)> {
    let create = json!({"name": name, "details": {"label": name}, "settings": {
        "language": "rust", "environment": "cpu", "license": "apl", "source_visibility": "closed",
        "network_access": "isolated", "pipeline_enabled": false,
    }});
    server.json("POST", "/v1/algorithms/admin", &create)?;
    let (status, _) = server.send(
        "PUT",
        &format!("/v1/algorithms/admin/{name}/source"),
        "application/wasm",
        wasm,
    )?;
    (status == 200).then_some(())?;
    let (_, compiled) = server.json(
        "POST",
        &format!("/v1/algorithms/admin/{name}/compile"),
        &json!({}),
    )?;
    (compiled["compilation"]["successful"] == true).then_some(())?;
    let publish = json!({"version_info": {"version_type": "minor"}});
    let (status, published) = server.json(
        "POST",
        &format!("/v1/algorithms/admin/{name}/versions"),
        &publish,
    )?;
    (status == 200).then_some(())?;
    Some((
        published["version_info"]["semantic_version"]
            .as_str()?
            .to_owned(),
        published["version_info"]["git_hash"].as_str()?.to_owned(),
    ))
}

#[test]
fn kill_9_at_any_moment_leaves_a_consistent_registry() {
    let data = tempfile::tempdir().unwrap();
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
        let server = Server::start(data.path());
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
        let server = Server::start(data.path());
        check_consistent(&server, &published);
        server.kill();
    }
    assert!(
        published.len() >= modules.len(),
        "the calibration round published nothing"
    );

    // Every stored module is whole: its bytes hash to its name.
    let store = algobox_platform::module_store::directory::DirectoryStore::open(
        data.path().join("modules"),
    )
    .unwrap();
    for entry in std::fs::read_dir(data.path().join("modules")).unwrap() {
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

/// Calls a published version with the text `x`; it must answer with a
/// result, not an error. Returns the result.
fn call(server: &Server, name: &str, version: &str) -> String {
    let path = format!("/v1/algo/admin/{name}/{version}");
    let (status, body) = server.send("POST", &path, "text/plain", b"x").unwrap();
    let reply: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{path}: {reply}");
    reply["result"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}/{version} is published but fails: {reply}"))
        .to_owned()
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
