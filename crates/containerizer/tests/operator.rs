//! The operator's surface of `serve` against the real Docker daemon: the agent's files API
//! (`/files/browse`, `/files/read`, `/files/download`, `/files/debug`) on the sandboxes of
//! real tasks, every way out of a sandbox refused; `/metrics/snapshot` and `/metrics` after
//! real launches, a failed fetch and a failed pull; garbage collection of ended containers
//! with delays of seconds, across a restart of `serve`, for `run`'s containers too, and
//! under disk pressure; the idle timeout leaving a long download and `logs --follow` alone.
//!
//! Each test runs its own daemon on its own work dir, cleaned up when its [`Daemon`] drops.
//! Waits are bounded; nothing asserts how fast anything is.

mod common;

use common::{
    eventually, kill_executors_of, remove_agent_containers, spawn_serve, text, Operator, BIN, LIMIT,
};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// A `serve` daemon with its own work dir, restartable on the same port with other flags.
struct Daemon {
    work: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
}

impl Daemon {
    fn start(flags: &[&str]) -> Daemon {
        test_rig::require_docker();
        let mut d = Daemon {
            work: tempfile::tempdir().unwrap(),
            child: None,
            port: 0,
        };
        d.spawn(flags);
        d
    }

    fn spawn(&mut self, flags: &[&str]) {
        let flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        let (child, port) = spawn_serve(self.work.path(), &flags, self.port);
        self.port = port;
        self.child = Some(child);
    }

    /// `kill -9` of serve (its executors and containers keep running).
    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn work(&self) -> &Path {
        self.work.path()
    }

    fn sandbox(&self, cid: &str) -> PathBuf {
        self.work().join("sandboxes").join(cid)
    }

    fn meta(&self, cid: &str) -> PathBuf {
        self.work().join("meta/containers").join(cid)
    }

    fn launch(&self, task: Value, cid: &str) {
        self.call(
            json!({"type": "LAUNCH_TASK", "launch_task": {"task": task, "container_id": cid}}),
        );
    }

    fn task_state(&self, cid: &str) -> String {
        self.container(cid)["task_state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn wait_state(&self, cid: &str, state: &str) {
        eventually(&format!("{cid} in {state}"), || {
            (self.task_state(cid) == state).then_some(())
        });
    }

    /// `GET target` (a raw request target, sent as it is): status and body.
    fn get(&self, target: &str) -> (u16, Vec<u8>) {
        let (status, _, body) = http_get(self.port, target);
        (status, body)
    }

    /// `/files/read` of `path` as JSON (text data only).
    fn read(&self, path: &str, query: &str) -> Value {
        let (status, body) = self.get(&format!("/files/read?path={}&{query}", enc(path)));
        assert_eq!(status, 200, "{path}?{query}: {}", text(&body));
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {}", text(&body)))
    }

    fn metrics(&self) -> Value {
        let (status, body) = self.get("/metrics/snapshot");
        assert_eq!(status, 200, "{}", text(&body));
        serde_json::from_slice(&body).unwrap()
    }
}

impl Operator for Daemon {
    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.work().join("serve.log")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
        kill_executors_of(self.work());
        remove_agent_containers(self.work());
    }
}

/// A raw `GET` on a fresh connection (`Connection: close`): status, head, body.
fn http_get(port: u16, target: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    split_response(&raw)
}

fn split_response(raw: &[u8]) -> (u16, String, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", text(raw)));
    let head = text(&raw[..end]);
    let status = head[9..12].parse().unwrap();
    (status, head, raw[end + 4..].to_vec())
}

/// Percent-encodes all but unreserved characters and `/`.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn busybox_task(name: &str, command: &str) -> Value {
    json!({
        "name": name,
        "command": {"value": command},
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}
        ],
        "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}},
        "kill_policy": {"grace_period": {"nanoseconds": 1_000_000_000u64}}
    })
}

/// Runs until `<sandbox>/go` appears.
const UNTIL_GO: &str = "while [ ! -e /mnt/mesos/sandbox/go ]; do sleep 0.1; done";

fn go(d: &Daemon, cid: &str) {
    std::fs::write(d.sandbox(cid).join("go"), b"").unwrap();
}

#[test]
fn files_api_reads_a_growing_stdout_by_offset() {
    let d = Daemon::start(&[]);
    let cid = test_rig::unique_name("files-");
    let command = format!(
        "dd if=/dev/urandom of=/mnt/mesos/sandbox/big bs=1024 count=200 2>/dev/null; \
         dd if=/dev/zero of=/mnt/mesos/sandbox/huge bs=1 count=1 seek=1099511627775 2>/dev/null; \
         i=0; while [ $i -lt 300 ]; do echo \"line $i\"; i=$((i+1)); sleep 0.01; done; {UNTIL_GO}"
    );
    d.launch(busybox_task("files", &command), &cid);
    d.wait_state(&cid, "TASK_RUNNING");
    let stdout = format!("/sandboxes/{cid}/stdout");

    // Tail stdout by offset while the task writes it, 100 bytes at a time.
    let mut got = Vec::new();
    let mut last_size = 0;
    eventually("all 300 lines read by offset", || {
        let v = d.read(&stdout, &format!("offset={}&length=100", got.len()));
        assert_eq!(v["offset"], got.len(), "{v}");
        let data = v["data"].as_str().unwrap();
        assert!(data.len() <= 100, "{v}");
        got.extend_from_slice(data.as_bytes());
        // offset=-1: the size, which only grows, and no data.
        let size = d.read(&stdout, "offset=-1");
        assert_eq!(size["data"], "");
        let size = size["offset"].as_u64().unwrap();
        assert!(size >= last_size && size >= got.len() as u64, "{size}");
        last_size = size;
        text(&got).contains("line 299\n").then_some(())
    });
    let on_disk = std::fs::read(d.sandbox(&cid).join("stdout")).unwrap();
    assert_eq!(got, on_disk);
    // No offset is offset=-1 too, as in the agent.
    assert_eq!(d.read(&stdout, "")["offset"], on_disk.len());
    // Past the end: nothing, at the offset asked for.
    assert_eq!(
        d.read(&stdout, "offset=999999"),
        json!({"data": "", "offset": 999999})
    );
    assert_eq!(
        d.read(&stdout, "offset=5&length=0"),
        json!({"data": "", "offset": 5})
    );

    // Under the sandbox's host path too, byte for byte, at most 64 KiB a read.
    let host = d.sandbox(&cid).display().to_string();
    let big = std::fs::read(d.sandbox(&cid).join("big")).unwrap();
    let (status, body) = d.get(&format!(
        "/files/read?path={}&offset=1000&length=1000000",
        enc(&format!("{host}/big"))
    ));
    assert_eq!(status, 200);
    let (data, offset) = containerizer::daemon::files_wire::parse_read(&body).unwrap();
    assert_eq!(offset, 1000);
    assert_eq!(data, big[1000..1000 + 65536]);

    // A read near the end of a 1 TiB (sparse) file costs what it reads.
    let v = d.read(
        &format!("/sandboxes/{cid}/huge"),
        &format!("offset={}&length=10", (1u64 << 40) - 1),
    );
    assert_eq!(v, json!({"data": "\u{0}", "offset": (1u64 << 40) - 1}));

    // Download: the whole file, with the agent's headers.
    let (status, head, body) = http_get(
        d.port,
        &format!(
            "/files/download?path={}",
            enc(&format!("/sandboxes/{cid}/big"))
        ),
    );
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("content-disposition: attachment; filename=big"),
        "{head}"
    );
    assert!(
        head.contains("content-type: application/octet-stream"),
        "{head}"
    );
    assert_eq!(body, big);
    let (status, body) = d.get(&format!(
        "/files/download?path={}",
        enc(&format!("/sandboxes/{cid}"))
    ));
    assert_eq!(
        (status, text(&body).trim()),
        (400, "Cannot download a directory.")
    );
    let (status, body) = d.get(&format!("/files/read?path={}&offset=0", enc(&host)));
    assert_eq!(
        (status, text(&body).trim()),
        (400, "Cannot read a directory.")
    );

    // Browse, by alias and by host path: the agent's fields, sorted by path.
    let (status, body) = d.get(&format!(
        "/files/browse?path={}",
        enc(&format!("/sandboxes/{cid}"))
    ));
    assert_eq!(status, 200, "{}", text(&body));
    let listing: Value = serde_json::from_slice(&body).unwrap();
    let paths: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let expect: Vec<String> = ["big", "huge", "stderr", "stdout"]
        .iter()
        .map(|n| format!("/sandboxes/{cid}/{n}"))
        .collect();
    assert_eq!(paths, expect);
    let huge = &listing[1];
    assert_eq!(huge["size"], 1u64 << 40);
    assert_eq!(huge["mode"], "-rw-r--r--");
    assert_eq!(huge["nlink"], 1);
    assert_eq!(huge["uid"], "root");
    assert_eq!(huge["gid"], "root");
    assert!(huge["mtime"].as_f64().unwrap() > 1e9, "{huge}");
    let (status, body) = d.get(&format!("/files/browse?path={}/", enc(&host)));
    assert_eq!(status, 200);
    let listing: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(listing[3]["path"], format!("{host}/stdout"));
    // A file lists as nothing; no path is a bad request.
    assert_eq!(
        d.get(&format!("/files/browse?path={}", enc(&stdout))),
        (200, b"[]".to_vec())
    );
    let (status, body) = d.get("/files/browse");
    assert_eq!(
        (status, text(&body).trim()),
        (400, "Expecting 'path=value' in query.")
    );

    // Debug: both attachments of the sandbox.
    let (status, body) = d.get("/files/debug");
    assert_eq!(status, 200);
    let debug: Value = serde_json::from_slice(&body).unwrap();
    let real = std::fs::canonicalize(d.sandbox(&cid)).unwrap();
    assert_eq!(
        debug[format!("/sandboxes/{cid}")],
        real.display().to_string()
    );
    assert_eq!(debug[&host], real.display().to_string());

    // `logs` reads through the files API.
    assert!(d.ok(&["logs", &cid]).contains("line 299\n"));
    go(&d, &cid);
    let followed = d.ok(&["logs", &cid, "--follow"]);
    assert_eq!(followed.as_bytes(), &on_disk[..]);
    d.wait_state(&cid, "TASK_FINISHED");
    // An ended container's sandbox stays readable until garbage collection.
    assert_eq!(d.read(&stdout, "offset=0&length=7")["data"], "line 0\n");
}

#[test]
fn files_api_refuses_every_way_out_of_a_sandbox() {
    let d = Daemon::start(&[]);
    let cid = test_rig::unique_name("escape-");
    let command = format!(
        "cd /mnt/mesos/sandbox && mkdir sub && echo inside > sub/f && ln -s sub/f ok_link && \
         ln -s /etc/passwd passwd && ln -s / root && ln -s ../../meta meta && \
         ln -s ../{cid}x sibling && echo ready; {UNTIL_GO}"
    );
    d.launch(busybox_task("escape", &command), &cid);
    d.wait_state(&cid, "TASK_RUNNING");
    eventually("the links", || {
        d.sandbox(&cid).join("sibling").symlink_metadata().ok()
    });
    let work = d.work().display().to_string();
    let host = d.sandbox(&cid).display().to_string();
    let secret = std::fs::read_to_string("/etc/passwd").unwrap();
    let first_line = secret.lines().next().unwrap().to_string();

    // Inside, a link to a file inside is followed.
    assert_eq!(
        d.read(&format!("/sandboxes/{cid}/ok_link"), "offset=0")["data"],
        "inside\n"
    );

    let refused = |target: String, want: u16| {
        let (status, body) = d.get(&target);
        assert_eq!(status, want, "{target}: {}", text(&body));
        assert!(
            !text(&body).contains(&first_line),
            "{target} leaked /etc/passwd"
        );
    };
    for endpoint in ["read", "download", "browse"] {
        let q = if endpoint == "read" { "&offset=0" } else { "" };
        // Symlinks out of the sandbox, to a file, to a directory, to our own checkpoints.
        for path in [
            format!("/sandboxes/{cid}/passwd"),
            format!("/sandboxes/{cid}/root/etc/passwd"),
            format!("/sandboxes/{cid}/root/etc"),
            format!("/sandboxes/{cid}/meta/containers/{cid}/task.json"),
            format!("{host}/meta/agent_id"),
        ] {
            refused(format!("/files/{endpoint}?path={}{q}", enc(&path)), 403);
        }
        // `..`, plain, percent-encoded, with encoded slashes.
        for raw in [
            format!("/sandboxes/{cid}/../../meta/agent_id"),
            format!("/sandboxes/{cid}/%2e%2e/%2e%2e/meta/agent_id"),
            format!("%2Fsandboxes%2F{cid}%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd"),
            format!("/sandboxes/{cid}/sub/..%2F..%2F..%2Fmeta%2Fagent_id"),
            format!("{work}/sandboxes/{cid}/../../meta/containers/{cid}/task.json"),
            format!("/sandboxes/{cid}/.."),
        ] {
            refused(format!("/files/{endpoint}?path={raw}{q}"), 403);
        }
        // Absolute paths outside every sandbox, and sandboxes nobody knows.
        for path in [
            "/etc/passwd".to_string(),
            format!("{work}/meta/containers/{cid}/task.json"),
            format!("{work}/meta/agent_id"),
            format!("{work}/sandboxes/{cid}x/stdout"),
            format!("/sandboxes/{cid}x/stdout"),
            "/sandboxes".to_string(),
            "/".to_string(),
            format!("sandboxes/{cid}/stdout"),
        ] {
            refused(format!("/files/{endpoint}?path={}{q}", enc(&path)), 404);
        }
    }
    // A link to a neighbour's sandbox, existing or not, leads out too.
    std::fs::create_dir_all(d.work().join(format!("sandboxes/{cid}x"))).unwrap();
    std::fs::write(
        d.work().join(format!("sandboxes/{cid}x/stdout")),
        "neighbour",
    )
    .unwrap();
    refused(
        format!(
            "/files/read?path={}&offset=0",
            enc(&format!("/sandboxes/{cid}/sibling/stdout"))
        ),
        403,
    );
    // A `..` before any sandbox does not excuse one that leaves the sandbox it is written in.
    refused(
        format!(
            "/files/read?path={}&offset=0",
            enc(&format!("/x/../sandboxes/{cid}/../{cid}x/stdout"))
        ),
        403,
    );
    // A NUL byte is malformed; the route itself is not decoded.
    refused(
        format!("/files/read?path=/sandboxes/{cid}/std%00out&offset=0"),
        400,
    );
    refused(format!("/files%2Fread?path=/sandboxes/{cid}/stdout"), 404);

    // Browsing describes an outward link by itself, not by what it points at.
    let (status, body) = d.get(&format!("/files/browse?path=/sandboxes/{cid}"));
    assert_eq!(status, 200);
    let listing: Value = serde_json::from_slice(&body).unwrap();
    let entry = |name: &str| {
        listing
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == format!("/sandboxes/{cid}/{name}"))
            .unwrap_or_else(|| panic!("{name} not listed: {listing}"))
            .clone()
    };
    assert!(
        entry("passwd")["mode"].as_str().unwrap().starts_with('l'),
        "{listing}"
    );
    assert!(
        entry("root")["mode"].as_str().unwrap().starts_with('l'),
        "{listing}"
    );
    assert_eq!(entry("ok_link")["mode"], "-rw-r--r--");
    assert_eq!(entry("ok_link")["size"], 7);
    assert!(entry("sub")["mode"].as_str().unwrap().starts_with('d'));
    go(&d, &cid);
}

/// A socket whose receive buffer is small, so a large response stays in flight on the
/// daemon's side until the reader has read most of it.
fn small_buffer_connection(port: u16) -> TcpStream {
    use std::os::unix::io::AsRawFd;
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let size: libc::c_int = 16 << 10;
    // SAFETY: setsockopt on a live socket with a pointer to an int of the size given.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            &size as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s
}

#[test]
fn idle_timeout_leaves_a_long_download_and_logs_follow_alone() {
    let d = Daemon::start(&["--http_idle_timeout=1secs"]);
    // The timeout is in force: a connection that asks nothing is closed.
    let mut idle = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    idle.set_read_timeout(Some(LIMIT)).unwrap();
    assert_eq!(
        idle.read(&mut [0u8; 16]).unwrap(),
        0,
        "an idle connection stays open"
    );

    let cid = test_rig::unique_name("slow-");
    let command = format!(
        "dd if=/dev/urandom of=/mnt/mesos/sandbox/big bs=1M count=16 2>/dev/null; echo written; \
         i=0; while [ $i -lt 4 ]; do echo tick $i; i=$((i+1)); sleep 1; done; {UNTIL_GO}"
    );
    d.launch(busybox_task("slow", &command), &cid);
    d.wait_state(&cid, "TASK_RUNNING");
    eventually("the file written", || {
        text(&std::fs::read(d.sandbox(&cid).join("stdout")).unwrap_or_default())
            .contains("written")
            .then_some(())
    });

    // `logs --follow` from the start, while the task ticks for longer than the timeout.
    let follow = Command::new(BIN)
        .args([
            "logs",
            &cid,
            "--follow",
            &format!("--endpoint={}", d.endpoint()),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    // A download read slowly, a small buffer every 3 ms: its response stays in flight on the
    // daemon's side well past the idle timeout.
    let mut s = small_buffer_connection(d.port);
    write!(
        s,
        "GET /files/download?path=/sandboxes/{cid}/big HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    let (status, head, body) = split_response(&raw);
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-length: 16777216"), "{head}");
    let big = std::fs::read(d.sandbox(&cid).join("big")).unwrap();
    assert_eq!(body.len(), big.len(), "the download was cut");
    assert!(body == big, "the download differs from the file");

    eventually("the last tick", || {
        text(&std::fs::read(d.sandbox(&cid).join("stdout")).unwrap_or_default())
            .contains("tick 3")
            .then_some(())
    });
    go(&d, &cid);
    let out = test_rig::wait_bounded(follow, LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_eq!(
        printed,
        "written\ntick 0\ntick 1\ntick 2\ntick 3\n",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn metrics_count_launches_fetches_and_pulls() {
    let d = Daemon::start(&[]);
    let m = d.metrics();
    assert_eq!(m["containerizer/launches"], 0.0, "{m}");
    assert_eq!(m["containerizer/running"], 0.0);
    assert!(m.get("containerizer/launch_ms").is_none(), "{m}");

    // A launch that runs.
    let ok = test_rig::unique_name("metrics-ok-");
    d.launch(busybox_task("ok", UNTIL_GO), &ok);
    d.wait_state(&ok, "TASK_RUNNING");
    let m = d.metrics();
    assert_eq!(m["containerizer/launches"], 1.0, "{m}");
    assert_eq!(m["containerizer/launch_failures"], 0.0, "{m}");
    assert_eq!(m["containerizer/running"], 1.0, "{m}");
    assert_eq!(
        m["containerizer/fetcher/task_fetches_succeeded"], 1.0,
        "{m}"
    );
    assert_eq!(m["containerizer/fetcher/task_fetches_failed"], 0.0, "{m}");
    assert_eq!(m["containerizer/docker/pulls"], 1.0, "{m}");
    assert_eq!(m["containerizer/docker/pull_failures"], 0.0, "{m}");
    assert_eq!(m["containerizer/docker/image_pull_ms/count"], 1.0, "{m}");
    assert_eq!(m["containerizer/launch_ms/count"], 1.0, "{m}");
    let launch_ms = m["containerizer/launch_ms/p50"].as_f64().unwrap();
    assert!(launch_ms > 0.0, "{m}");
    assert_eq!(m["containerizer/launch_ms/p99"], launch_ms);

    // A fetch that fails (the server has no such file): a launch failure, no pull.
    let files = test_rig::http::FileServer::start(&[]);
    let bad_fetch = test_rig::unique_name("metrics-fetch-");
    let mut task = busybox_task("bad-fetch", "true");
    task["command"]["uris"] = json!([{"value": files.url("/missing.tar.gz")}]);
    d.launch(task, &bad_fetch);
    d.wait_state(&bad_fetch, "TASK_FAILED");
    let m = d.metrics();
    assert_eq!(m["containerizer/launches"], 2.0, "{m}");
    assert_eq!(m["containerizer/launch_failures"], 1.0, "{m}");
    assert_eq!(m["containerizer/fetcher/task_fetches_failed"], 1.0, "{m}");
    assert_eq!(
        m["containerizer/fetcher/task_fetches_succeeded"], 1.0,
        "{m}"
    );
    assert_eq!(m["containerizer/docker/pulls"], 1.0, "{m}");

    // A pull that fails (the registry has no such image).
    let bad_pull = test_rig::unique_name("metrics-pull-");
    let mut task = busybox_task("bad-pull", "true");
    task["container"]["docker"]["image"] = json!(format!(
        "{}/mesos-test/no-such-image:latest",
        test_rig::OPEN_REGISTRY
    ));
    d.launch(task, &bad_pull);
    d.wait_state(&bad_pull, "TASK_FAILED");
    let m = d.metrics();
    assert_eq!(m["containerizer/launches"], 3.0, "{m}");
    assert_eq!(m["containerizer/launch_failures"], 2.0, "{m}");
    assert_eq!(
        m["containerizer/fetcher/task_fetches_succeeded"], 2.0,
        "{m}"
    );
    assert_eq!(m["containerizer/docker/pulls"], 2.0, "{m}");
    assert_eq!(m["containerizer/docker/pull_failures"], 1.0, "{m}");
    assert_eq!(m["containerizer/docker/image_pull_ms/count"], 2.0, "{m}");
    assert_eq!(m["containerizer/launch_ms/count"], 1.0, "{m}");
    assert_eq!(m["containerizer/running"], 1.0, "{m}");

    // The same numbers for Prometheus.
    let (status, head, body) = http_get(d.port, "/metrics");
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let prom = text(&body);
    for line in [
        "# TYPE mesos_docker_containerizer_launches counter",
        "mesos_docker_containerizer_launches 3",
        "mesos_docker_containerizer_launch_failures 2",
        "# TYPE mesos_docker_containerizer_running gauge",
        "mesos_docker_containerizer_running 1",
        "mesos_docker_containerizer_fetcher_task_fetches_failed 1",
        "mesos_docker_containerizer_docker_pull_failures 1",
        "# TYPE mesos_docker_containerizer_docker_image_pull_ms summary",
        "mesos_docker_containerizer_docker_image_pull_ms_count 2",
        "mesos_docker_containerizer_launch_ms_count 1",
    ] {
        assert!(prom.lines().any(|l| l == line), "no {line:?} in\n{prom}");
    }
    assert!(
        prom.contains("# HELP mesos_docker_containerizer_launches "),
        "{prom}"
    );

    go(&d, &ok);
    eventually("no container running", || {
        (d.metrics()["containerizer/running"] == 0.0).then_some(())
    });
}

/// `run TASK.json` on the work dir of `d`, to its end.
fn run_on(d: &Daemon, cid: &str, command: &str) {
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("task.json");
    std::fs::write(&task, busybox_task("run", command).to_string()).unwrap();
    let child = Command::new(BIN)
        .arg(format!("--work_dir={}", d.work().display()))
        .arg(format!(
            "--launcher_dir={}",
            common::launcher_dir().display()
        ))
        .args(["run", task.to_str().unwrap(), "--container_id", cid])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = test_rig::wait_bounded(child, LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn gone(d: &Daemon, cid: &str) -> bool {
    !d.sandbox(cid).exists() && !d.meta(cid).exists()
}

fn kept(d: &Daemon, cid: &str) -> bool {
    d.sandbox(cid).join("stdout").exists() && d.meta(cid).join("state.json").exists()
}

fn listed(d: &Daemon) -> Vec<String> {
    let all: Value = serde_json::from_str(&d.ok(&["ps", "--all", "--json"])).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .map(|c| c["container_id"]["value"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn gc_removes_exactly_the_ended_containers_across_a_restart() {
    // A week: nothing is due yet (no headroom, so only a full disk would shorten it).
    let mut d = Daemon::start(&[
        "--gc_delay=1weeks",
        "--disk_watch_interval=1secs",
        "--gc_disk_headroom=0",
    ]);
    let ended = test_rig::unique_name("gc-ended-");
    let running = test_rig::unique_name("gc-running-");
    let from_run = test_rig::unique_name("gc-run-");
    d.launch(busybox_task("ended", "echo done"), &ended);
    d.launch(busybox_task("running", UNTIL_GO), &running);
    run_on(&d, &from_run, "echo from run");
    d.wait_state(&ended, "TASK_FINISHED");
    d.wait_state(&running, "TASK_RUNNING");
    // Something that is no container of ours: a sandbox without a checkpoint.
    let stray = d.work().join("sandboxes/stray");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("keep"), "me").unwrap();
    // GC has seen both ended containers (sandbox and checkpoints each) and waits.
    eventually("both ended containers scheduled", || {
        (d.metrics()["gc/path_removals_pending"] == 4.0).then_some(())
    });
    let m = d.metrics();
    assert_eq!(m["gc/path_removals_succeeded"], 0.0, "{m}");
    let age = m["slave/executor_directory_max_allowed_age_secs"]
        .as_f64()
        .unwrap();
    assert!(age > 0.0 && age <= 7.0 * 86400.0, "{m}");
    for cid in [&ended, &running, &from_run] {
        assert!(kept(&d, cid), "{cid} was removed early");
    }

    // Restarted with a delay of seconds: the schedule comes from the checkpoints.
    d.kill9();
    d.spawn(&[
        "--gc_delay=2secs",
        "--disk_watch_interval=1secs",
        "--gc_disk_headroom=0",
    ]);
    eventually("the ended containers collected", || {
        (gone(&d, &ended) && gone(&d, &from_run)).then_some(())
    });
    assert!(
        kept(&d, &running),
        "a running container's files were removed"
    );
    assert_eq!(d.task_state(&running), "TASK_RUNNING");
    assert_eq!(listed(&d), vec![running.clone()]);
    let (status, _) =
        d.post(&json!({"type": "GET_CONTAINERS", "get_containers": {"container_id": ended}}));
    assert_eq!(status, 404);
    let (status, _) = d.get(&format!(
        "/files/read?path=/sandboxes/{ended}/stdout&offset=0"
    ));
    assert_eq!(status, 404);
    let m = d.metrics();
    assert_eq!(m["gc/path_removals_succeeded"], 4.0, "{m}");
    assert_eq!(m["gc/path_removals_failed"], 0.0, "{m}");
    assert!(
        stray.join("keep").exists(),
        "a sandbox without checkpoint was removed"
    );

    // Once the running one ends, it goes too, `--gc_delay` after its end.
    go(&d, &running);
    d.wait_state(&running, "TASK_FINISHED");
    eventually("the last container collected", || {
        gone(&d, &running).then_some(())
    });
    assert!(listed(&d).is_empty());
    assert_eq!(d.metrics()["gc/path_removals_succeeded"], 6.0);
    let trash: Vec<_> = std::fs::read_dir(d.work().join("gc_trash"))
        .unwrap()
        .collect();
    assert!(trash.is_empty(), "{trash:?}");
    assert!(stray.join("keep").exists());
}

#[test]
fn gc_under_disk_pressure_removes_ended_containers_at_once() {
    // All the disk is headroom: whatever the usage, the allowed age is zero.
    let d = Daemon::start(&[
        "--gc_delay=1weeks",
        "--disk_watch_interval=1secs",
        "--gc_disk_headroom=1.0",
    ]);
    let ended = test_rig::unique_name("gcp-ended-");
    let running = test_rig::unique_name("gcp-running-");
    d.launch(busybox_task("running", UNTIL_GO), &running);
    d.launch(busybox_task("ended", "echo done"), &ended);
    d.wait_state(&running, "TASK_RUNNING");
    eventually("the ended container collected", || {
        gone(&d, &ended).then_some(())
    });
    assert!(kept(&d, &running));
    assert_eq!(d.task_state(&running), "TASK_RUNNING");
    let m = d.metrics();
    assert_eq!(
        m["slave/executor_directory_max_allowed_age_secs"], 0.0,
        "{m}"
    );
    assert_eq!(m["gc/path_removals_succeeded"], 2.0, "{m}");
    go(&d, &running);
}

#[test]
fn gc_flags_are_checked() {
    let work = tempfile::tempdir().unwrap();
    for (flag, says) in [
        (
            "--gc_disk_headroom=1.5",
            "Invalid value '1.5' for --gc_disk_headroom. Must be between 0.0 and 1.0",
        ),
        ("--disk_watch_interval=0secs", "must be longer than zero"),
        ("--gc_delay=soon", "--gc_delay"),
    ] {
        let out = Command::new(BIN)
            .arg(format!("--work_dir={}", work.path().display()))
            .args(["serve", "--port", "0", flag])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(125), "{flag}");
        assert!(
            text(&out.stderr).contains(says),
            "{flag}: {}",
            text(&out.stderr)
        );
    }
    // Nothing was created.
    assert!(std::fs::read_dir(work.path()).unwrap().next().is_none());
}
