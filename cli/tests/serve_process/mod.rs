//! A server process started from the `algobox` binary, and the HTTP
//! requests the tests send it (std only, so a killed server shows as a
//! failed request).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// The admin key of every server the tests start.
pub(crate) const KEY: &str = "durability-test-key";

/// A server process.
pub(crate) struct Server {
    pub(crate) child: Mutex<Child>,
    pub(crate) address: String,
    /// What it has logged since it listened.
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    #[allow(
        dead_code,
        reason = "not every test file that includes this module calls it"
    )]
    pub(crate) fn start(data: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_algobox"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data);
        Self::spawn(command)
    }

    /// Starts a server over `data` with its registry in the PostgreSQL
    /// database at `url`.
    #[allow(
        dead_code,
        reason = "not every test file that includes this module calls it"
    )]
    pub(crate) fn start_with_registry(data: &Path, url: &str) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_algobox"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("ALGOBOX_REGISTRY", url);
        Self::spawn(command)
    }

    /// Runs `command`, which starts a server with the test key, and waits
    /// until it listens. It logs errors only, unless `command` sets
    /// `RUST_LOG`.
    pub(crate) fn spawn(mut command: Command) -> Self {
        if !command.get_envs().any(|(key, _)| key == "RUST_LOG") {
            command.env("RUST_LOG", "error");
        }
        let mut child = command
            .env("ALGOBOX_ADMIN_KEY", KEY)
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
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Self {
            child: Mutex::new(child),
            address,
            log,
        }
    }

    /// The lines it has logged since it listened.
    #[allow(
        dead_code,
        reason = "not every test file that includes this module calls it"
    )]
    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Sends one request; `None` if the connection failed (the server died).
    pub(crate) fn send(
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

    pub(crate) fn json(&self, method: &str, path: &str, body: &Value) -> Option<(u16, Value)> {
        let (status, body) = self.send(
            method,
            path,
            "application/json",
            body.to_string().as_bytes(),
        )?;
        Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// Sends SIGTERM, as a process supervisor (Kubernetes) does to stop a
    /// server; it drains, then exits.
    #[allow(
        dead_code,
        reason = "not every test file that includes this module calls it"
    )]
    pub(crate) fn terminate(&self) {
        let child = self.child.lock().unwrap();
        let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    }

    /// Waits up to `within` for the process to exit; its status, or `None`
    /// if it still runs.
    #[allow(
        dead_code,
        reason = "not every test file that includes this module calls it"
    )]
    pub(crate) fn exited_within(&self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.lock().unwrap().try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL, as a crash or an OOM killer would.
    #[allow(
        dead_code,
        reason = "not every test file that includes this module calls it"
    )]
    pub(crate) fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// A server outlives no test, whether it passed or panicked.
impl Drop for Server {
    fn drop(&mut self) {
        let child = self
            .child
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Already ended if the test killed it.
        let _ = child.kill();
        let _ = child.wait();
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
pub(crate) fn deploy(server: &Server, name: &str, wasm: &[u8]) -> Option<(String, String)> {
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

/// Calls a published version with the text `x`; it must answer with a
/// result, not an error. Returns the result.
#[allow(
    dead_code,
    reason = "not every test file that includes this module calls it"
)]
pub(crate) fn call(server: &Server, name: &str, version: &str) -> String {
    let path = format!("/v1/algo/admin/{name}/{version}");
    let (status, body) = server.send("POST", &path, "text/plain", b"x").unwrap();
    let reply: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{path}: {reply}");
    reply["result"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}/{version} is published but fails: {reply}"))
        .to_owned()
}

/// Accepts a void call of the `sleeper` guest (deployed as
/// `admin/sleeper`), sleeping `ms`, through `server`; returns its request
/// id.
#[allow(
    dead_code,
    reason = "not every test file that includes this module calls it"
)]
pub(crate) fn sleep_void(server: &Server, version: &str, ms: u64) -> String {
    let (status, accepted) = server
        .json(
            "POST",
            &format!("/v1/algo/admin/sleeper/{version}?output=void"),
            &json!(ms),
        )
        .unwrap();
    assert_eq!(status, 200, "{accepted}");
    accepted["request_id"].as_str().unwrap().to_owned()
}
