//! What the containerizer's integration tests share: the binaries, bounded waits, and the
//! operator API of a `serve` (a child process or a container) as its client sees it.
//! Each test file uses part of it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mesos-docker-containerizer");
/// Bound of every wait: generous, only there so that a hang fails instead of blocking.
pub const LIMIT: Duration = Duration::from_secs(120);

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The directory of the containerizer binary, which must hold the executor and the fetcher
/// (the default `--launcher_dir`).
pub fn launcher_dir() -> PathBuf {
    let dir = Path::new(BIN).parent().unwrap().to_path_buf();
    for bin in ["mesos-docker-executor", "mesos-fetcher"] {
        assert!(
            dir.join(bin).exists(),
            "{bin} is not in {}: run `cargo build --workspace` first (scripts/test does)",
            dir.display()
        );
    }
    dir
}

/// `run TASK --container_id CID --json` in work dir `work`, with the global `flags` before
/// the command; bounded by `limit`.
pub fn run_json(work: &Path, task: &Path, cid: &str, flags: &[String], limit: Duration) -> Output {
    let child = Command::new(BIN)
        .arg(format!("--work_dir={}", work.display()))
        .arg(format!("--launcher_dir={}", launcher_dir().display()))
        .args(flags)
        .arg("run")
        .arg(task)
        .args(["--container_id", cid, "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    test_rig::wait_bounded(child, limit)
}

/// The updates `run --json` printed, one JSON object a line.
pub fn json_updates(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Polls `f` until it returns `Some`, failing the test with `what` after [`LIMIT`].
pub fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A running `serve` as its clients reach it: the client commands and the operator API on
/// 127.0.0.1:`port()`.
pub trait Operator {
    fn port(&self) -> u16;

    /// Serve's log, for failure messages.
    fn log(&self) -> String;

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Runs a client command against this serve.
    fn cli(&self, args: &[&str]) -> Output {
        let child = Command::new(BIN)
            .args(args)
            .arg(format!("--endpoint={}", self.endpoint()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        test_rig::wait_bounded(child, LIMIT)
    }

    /// A client command that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{args:?} failed ({:?}): {}{}\nserve's log:\n{}",
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr),
            self.log()
        );
        text(&out.stdout)
    }

    /// One operator API call over raw HTTP: (status code, body).
    fn post(&self, body: &Value) -> (u16, String) {
        let body = body.to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.port())).unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        write!(
            s,
            "POST /api/v1 HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// An operator API call that must answer 200; its JSON.
    fn call(&self, body: Value) -> Value {
        let (status, text) = self.post(&body);
        assert_eq!(status, 200, "{body}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// The container as `GET_CONTAINERS` shows it, without statistics.
    fn container(&self, cid: &str) -> Value {
        let v = self.call(json!({"type": "GET_CONTAINERS", "get_containers": {"container_id": cid, "statistics": false}}));
        v["get_containers"]["containers"][0].clone()
    }
}

/// Starts `mesos-docker-containerizer <flags> serve --port <port>` (0: any free port) on
/// the work dir `work`, its log in `<work>/serve.log`, and waits for its address line; the
/// child and the port it listens on.
pub fn spawn_serve(work: &Path, flags: &[String], port: u16) -> (std::process::Child, u16) {
    spawn_serve_under(&[], work, flags, port)
}

/// [`spawn_serve`] run through `prefix` (a program and its arguments, e.g. `prlimit
/// --nofile=256 --`).
pub fn spawn_serve_under(
    prefix: &[&str],
    work: &Path,
    flags: &[String],
    port: u16,
) -> (std::process::Child, u16) {
    use std::io::{BufRead, BufReader};
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(work.join("serve.log"))
        .unwrap();
    let mut command = match prefix.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    command.arg(format!("--work_dir={}", work.display()));
    // The real launcher dir unless the test brings its own.
    if !flags.iter().any(|f| f.starts_with("--launcher_dir")) {
        command.arg(format!("--launcher_dir={}", launcher_dir().display()));
    }
    // After the command: global flags may come there too, and serve's own must.
    let mut child = command
        .args(["serve", "--port", &port.to_string()])
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        // Keep draining so the daemon never blocks on a full pipe.
        for _ in lines {}
    });
    let line = rx.recv_timeout(LIMIT).unwrap_or_else(|_| {
        let _ = child.kill();
        panic!(
            "serve did not announce its address; log:\n{}",
            std::fs::read_to_string(work.join("serve.log")).unwrap_or_default()
        )
    });
    let addr = line
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (child, addr.rsplit(':').next().unwrap().parse().unwrap())
}

/// SIGKILLs the executor processes a serve on `work` started (they outlive serve on
/// purpose), found by their checkpointed pid and checked by their command line.
pub fn kill_executors_of(work: &Path) {
    let Ok(entries) = std::fs::read_dir(work.join("meta/containers")) else {
        return;
    };
    let work = work.display().to_string();
    for entry in entries.flatten() {
        let pid = std::fs::read_to_string(entry.path().join("state.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .and_then(|v| v["executor_pid"].as_u64());
        let Some(pid) = pid else { continue };
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.contains("mesos-docker-executor") && cmdline.contains(&work) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Removes every container labelled with the agent id of the work dir `work`.
pub fn remove_agent_containers(work: &Path) {
    let Ok(agent) = std::fs::read_to_string(work.join("meta/agent_id")) else {
        return;
    };
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=mesos.agent_id={}", agent.trim()),
        ])
        .output();
    if let Ok(out) = out {
        for id in text(&out.stdout).split_whitespace() {
            drop(test_rig::ContainerGuard(id.to_string()));
        }
    }
}
